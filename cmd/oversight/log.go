package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/keydir"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/tlog"
)

// LogCmd reads and verifies the public audit log.
type LogCmd struct {
	Key        LogKeyCmd        `cmd:"" help:"Print the log's verifier key, the line to pin."`
	Checkpoint LogCheckpointCmd `cmd:"" help:"Fetch the latest checkpoint and verify its signature."`
	Prove      LogProveCmd      `cmd:"" help:"Prove that entries are in the log, and print them."`
	Verify     LogVerifyCmd     `cmd:"" help:"Prove that the log extends an older checkpoint: nothing was rewritten."`
	Disclose   LogDiscloseCmd   `cmd:"" help:"Officials: read what an entry withheld from the public log (names, birth dates) and check it against the entry's commitment."`
}

// Help is shown by "oversight log --help".
func (c *LogCmd) Help() string {
	return `Every change and decision is an entry of a public Merkle log (RFC 6962) whose
checkpoints the server signs (C2SP tlog-checkpoint, Ed25519). These commands check
the log with no token: pin the log's verifier key once, from a trusted source, then
verify checkpoints, entries and consistency against it.

Examples:
  export OVERSIGHT_LOG_KEY="$(oversight log key --keys data/keys)"
  oversight log checkpoint --save last.checkpoint
  oversight log prove --index 42
  oversight log verify --old last.checkpoint --save last.checkpoint

Entries about people carry a salted commitment instead of names and birth
dates (docs/design/PUBLIC-LOG.md); an official reads and checks them with
"oversight log disclose INDEX".`
}

// logFlags are the flags of the commands that verify the log.
type logFlags struct {
	Server       string   `type:"server" env:"OVERSIGHT_SERVER" default:"${default_server}" help:"Server URL (http:// unless it says https://)."`
	Key          string   `env:"OVERSIGHT_LOG_KEY" help:"The log's verifier key (origin+hash+key), pinned from a trusted source."`
	Witness      []string `placeholder:"KEY" env:"OVERSIGHT_LOG_WITNESSES" help:"The verifier key of a witness you trust (repeatable): the checkpoint must carry its cosignature (see --min-witnesses)."`
	MinWitnesses int      `placeholder:"N" help:"How many of the --witness keys must have cosigned the checkpoint (default, or 0: all of them)."`
}

func (f *logFlags) client() *client.Client {
	c := client.New(f.Server, "")
	c.UserAgent = "oversight-cli"
	return c
}

// verifier returns the pinned key, checked.
func (f *logFlags) verifier() (string, error) {
	k := strings.TrimSpace(f.Key)
	if k == "" {
		return "", &exitError{code: exitUsage, msg: "no verifier key: pin the log's key with --key or OVERSIGHT_LOG_KEY " +
			"(take it once from a source you trust: \"oversight log key --keys DIR\" on the server, the line \"Audit log verifier key\" serve prints at start, " +
			"or where the log's operator publishes it; README.md, \"Running it for real\", says how)"}
	}
	if _, err := note.NewVerifier(k); err != nil {
		return "", &exitError{code: exitUsage, msg: fmt.Sprintf("--key %.60q is not a note verifier key (origin+hash+key): %v", k, err)}
	}
	return k, nil
}

// checkpoint fetches the latest checkpoint and verifies its signature and
// the cosignatures the flags require.
func (f *logFlags) checkpoint(ctx context.Context) (tlog.Checkpoint, []byte, []tlog.Cosignature, error) {
	vkey, err := f.verifier()
	if err != nil {
		return tlog.Checkpoint{}, nil, nil, err
	}
	n, err := f.client().LogCheckpoint(ctx)
	if err != nil {
		return tlog.Checkpoint{}, nil, nil, fmt.Errorf("checkpoint of %s: %w", f.Server, err)
	}
	cp, cosigs, err := f.verifyNote(n, vkey)
	if err != nil {
		return cp, nil, nil, fmt.Errorf("checkpoint of %s: %w", f.Server, err)
	}
	return cp, n, cosigs, nil
}

// witnesses returns the verifiers of --witness and the number of
// cosignatures required.
func (f *logFlags) witnesses() ([]note.Verifier, int, error) {
	var vs []note.Verifier
	for _, k := range f.Witness {
		v, err := tlog.NewWitnessVerifier(k)
		if err != nil {
			return nil, 0, &exitError{code: exitUsage, msg: "--witness: " + err.Error()}
		}
		vs = append(vs, v)
	}
	min := f.MinWitnesses
	switch {
	case min < 0 || min > len(vs):
		return nil, 0, &exitError{code: exitUsage, msg: fmt.Sprintf("--min-witnesses %d: give from 1 to the number of --witness keys (%d)", min, len(vs))}
	case min == 0:
		min = len(vs)
	}
	return vs, min, nil
}

// verifyNote checks a checkpoint note's signature by the log's key vkey
// and the cosignatures the flags require.
func (f *logFlags) verifyNote(n []byte, vkey string) (tlog.Checkpoint, []tlog.Cosignature, error) {
	vs, min, err := f.witnesses()
	if err != nil {
		return tlog.Checkpoint{}, nil, err
	}
	return tlog.VerifyCosigned(n, vkey, vs, min)
}

// printCosignatures says which witnesses cosigned, one line each.
func printCosignatures(w io.Writer, cosigs []tlog.Cosignature) {
	for _, c := range cosigs {
		fmt.Fprintf(w, "cosigned by the witness %s at %s\n", c.Witness, c.Time.Format(time.RFC3339))
	}
}

// LogKeyCmd prints the verifier key.
type LogKeyCmd struct {
	Keys   string `placeholder:"DIR" xor:"source" help:"The server's keys directory (serve --keys): derive the key from the signing key there."`
	DB     string `placeholder:"PATH" xor:"source" help:"The server's database (SQLite file or postgres:// URL): the key recorded when the log first signed."`
	Server string `type:"server" placeholder:"URL" xor:"source" help:"A server: the key it says it uses. Trust on first use: compare it with the key published for the log."`
}

// Help is shown by "oversight log key --help".
func (c *LogKeyCmd) Help() string {
	return `Prints the note verifier key (origin+hash+key) alone on one line: the value of
--key and OVERSIGHT_LOG_KEY for the other log commands, and of -key for tlogcheck.
Read it where you trust the source: the keys directory or database on the server
itself, or where the log's operator publishes it (README.md, "Running it for real",
says how); a server can only vouch for itself.

Examples:
  oversight log key --keys data/keys
  oversight log key --db data/oversight.db
  oversight log key --server http://127.0.0.1:8080`
}

// Run prints the key.
func (c *LogKeyCmd) Run(ctx context.Context, env *Env) error {
	var vkey string
	switch {
	case c.Keys != "":
		var err error
		if vkey, err = keydir.VerifierKey(c.Keys); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("log key: %w (the server creates it at its first start)", err)
		} else if err != nil {
			return fmt.Errorf("log key: %w", err)
		}
	case c.DB != "":
		if !store.IsPostgres(c.DB) {
			if _, err := os.Stat(c.DB); err != nil {
				return fmt.Errorf("log key: %w", err)
			}
		}
		st, err := store.Open(ctx, c.DB, store.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		if vkey, err = st.RecordedLogKey(ctx); err != nil {
			return err
		}
	case c.Server != "":
		var err error
		cl := client.New(c.Server, "")
		cl.UserAgent = "oversight-cli"
		if vkey, err = cl.LogKey(ctx); err != nil {
			return err
		}
		if _, err := note.NewVerifier(vkey); err != nil {
			return fmt.Errorf("the server's log key %.60q is not a verifier key: %w", vkey, err)
		}
	default:
		return &exitError{code: exitUsage, msg: "say where the key is: --keys DIR (the server's keys directory), --db PATH, or --server URL"}
	}
	_, err := fmt.Fprintln(env.Stdout, vkey)
	return err
}

// LogCheckpointCmd fetches and verifies the latest checkpoint.
type LogCheckpointCmd struct {
	logFlags
	Save   string `placeholder:"FILE" help:"Also write the verified checkpoint note to FILE, to check later that the log still extends it (log verify --old FILE)."`
	Output string `short:"o" default:"text" enum:"text,json,note" help:"Output: text, json, or note (the signed note itself)."`
}

// Help is shown by "oversight log checkpoint --help".
func (c *LogCheckpointCmd) Help() string {
	return `Fetches the log's latest checkpoint, checks its signature against the pinned key and
prints the tree size and root hash. Exits 1 if the signature does not verify.

Examples:
  oversight log checkpoint --key "$(oversight log key --keys data/keys)"
  oversight log checkpoint --save last.checkpoint`
}

// Run fetches the checkpoint.
func (c *LogCheckpointCmd) Run(ctx context.Context, env *Env) error {
	cp, n, cosigs, err := c.checkpoint(ctx)
	if err != nil {
		return err
	}
	if c.Save != "" {
		if err := os.WriteFile(c.Save, n, 0o644); err != nil {
			return fmt.Errorf("save checkpoint: %w", err)
		}
	}
	switch c.Output {
	case "note":
		_, err = env.Stdout.Write(n)
		return err
	case "json":
		return printJSON(env.Stdout, checkpointJSON(cp, cosigs))
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	row(tw, "origin", cp.Origin)
	row(tw, "size", cp.Size)
	row(tw, "root", cp.Root)
	row(tw, "signature", "verified")
	for _, co := range cosigs {
		row(tw, "cosignature", co.Witness+" at "+co.Time.Format(time.RFC3339)+", verified")
	}
	return tw.Flush()
}

// checkpointJSON is the JSON form of a verified checkpoint and the
// cosignatures verified on it.
func checkpointJSON(cp tlog.Checkpoint, cosigs []tlog.Cosignature) any {
	type cosig struct {
		Witness string    `json:"witness"`
		Time    time.Time `json:"time"`
	}
	out := struct {
		Origin       string    `json:"origin"`
		Size         int64     `json:"size"`
		Root         tlog.Hash `json:"root"`
		Cosignatures []cosig   `json:"cosignatures,omitempty"`
	}{Origin: cp.Origin, Size: cp.Size, Root: cp.Root}
	for _, c := range cosigs {
		out.Cosignatures = append(out.Cosignatures, cosig(c))
	}
	return out
}

// LogProveCmd proves entries.
type LogProveCmd struct {
	logFlags
	Index   []int64       `placeholder:"N" aliases:"log-index" help:"Prove the entry at log index N (repeatable): the log_index of an API answer."`
	Subject string        `placeholder:"ID" help:"Prove every entry about a resource: a licence, action, vendor… id."`
	From    string        `placeholder:"FILE" help:"Prove the entry named by the log_index of a JSON document, such as the -o json output of another command ('-' for standard input)."`
	Against string        `placeholder:"FILE" help:"Prove against this saved checkpoint note (log checkpoint --save) instead of the latest."`
	Wait    time.Duration `default:"10s" help:"How long to wait for a checkpoint that covers a new entry."`
	Output  string        `short:"o" default:"text" enum:"text,json" help:"Output: text, or json (the proved events)."`
}

// Help is shown by "oversight log prove --help".
func (c *LogProveCmd) Help() string {
	return `Fetches each entry and its RFC 6962 inclusion proof, and checks the proof against a
checkpoint whose signature verifies with the pinned key: the entry is then provably
in the log that every other verifier sees. Prints the proved events. Exits 1 on any
mismatch. A new entry is covered by a checkpoint within a second; prove waits for it.

Examples:
  oversight log prove --index 42
  oversight license approve lic_… --ministry defense -o json | oversight log prove --from -
  oversight log prove --subject lic_01jexample --against last.checkpoint`
}

// Run proves the entries.
func (c *LogProveCmd) Run(ctx context.Context, env *Env) error {
	indexes := append([]int64(nil), c.Index...)
	n := 0
	for _, set := range []bool{len(c.Index) > 0, c.Subject != "", c.From != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return &exitError{code: exitUsage, msg: "say which entries to prove: --index N, --subject ID or --from FILE (one of them)"}
	}
	if c.From != "" {
		i, err := logIndexFrom(env, c.From)
		if err != nil {
			return err
		}
		indexes = append(indexes, i)
	}
	cl := c.client()
	if c.Subject != "" {
		after := ""
		for {
			items, next, err := cl.LogEntries(ctx, c.Subject, oversight.Page{Limit: 1000, After: after})
			if err != nil {
				return err
			}
			for _, it := range items {
				indexes = append(indexes, it.Index)
			}
			if next == "" {
				break
			}
			after = next
		}
		if len(indexes) == 0 {
			return fmt.Errorf("the log has no entry about %s", c.Subject)
		}
	}
	for _, i := range indexes {
		if i < 0 {
			return &exitError{code: exitUsage, msg: fmt.Sprintf("--index %d: a log index is from 0", i)}
		}
	}
	cp, err := c.covering(ctx, env, slices.Max(indexes))
	if err != nil {
		return err
	}
	var proved []*oversight.LogEntry
	for _, i := range indexes {
		e, err := cl.ProveEntry(ctx, cp, i)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		proved = append(proved, e)
	}
	if c.Output == "json" {
		events := make([]json.RawMessage, len(proved))
		for i, e := range proved {
			events[i] = e.Event
		}
		return printJSON(env.Stdout, struct {
			Checkpoint any               `json:"checkpoint"`
			Events     []json.RawMessage `json:"events"`
		}{checkpointJSON(cp, nil), events})
	}
	w := env.Stdout
	for _, e := range proved {
		fmt.Fprintf(w, "entry %d is in the log: inclusion proof verified against the checkpoint of size %d, root %s\n", e.Index, cp.Size, cp.Root)
		var pretty bytes.Buffer
		json.Indent(&pretty, e.Event, "", "  ")
		fmt.Fprintf(w, "%s\n", pretty.Bytes())
	}
	if len(proved) > 1 {
		fmt.Fprintf(w, "%d entries proved\n", len(proved))
	}
	return nil
}

// covering returns a verified checkpoint whose tree holds index: the saved
// one, or the latest, waiting up to --wait for the signer to cover a new
// entry.
func (c *LogProveCmd) covering(ctx context.Context, env *Env, index int64) (tlog.Checkpoint, error) {
	if c.Against != "" {
		vkey, err := c.verifier()
		if err != nil {
			return tlog.Checkpoint{}, err
		}
		b, err := os.ReadFile(c.Against)
		if err != nil {
			return tlog.Checkpoint{}, &exitError{code: exitUsage, msg: err.Error()}
		}
		cp, _, err := c.verifyNote(b, vkey)
		if err != nil {
			return tlog.Checkpoint{}, fmt.Errorf("%s: %w", c.Against, err)
		}
		if index >= cp.Size {
			return tlog.Checkpoint{}, fmt.Errorf("entry %d is not in the checkpoint of %s, of size %d", index, c.Against, cp.Size)
		}
		return cp, nil
	}
	deadline := time.Now().Add(c.Wait)
	for {
		cp, _, _, err := c.checkpoint(ctx)
		if err != nil {
			return cp, err
		}
		if index < cp.Size {
			return cp, nil
		}
		if time.Now().After(deadline) {
			return cp, fmt.Errorf("entry %d is not in the latest checkpoint, of size %d, after waiting %s: the log does not have it", index, cp.Size, c.Wait)
		}
		select {
		case <-ctx.Done():
			return cp, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// logIndexFrom reads the log_index of a JSON document.
func logIndexFrom(env *Env, path string) (int64, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(env.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return 0, &exitError{code: exitUsage, msg: err.Error()}
	}
	var doc struct {
		LogIndex *int64 `json:"log_index"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.LogIndex == nil {
		return 0, &exitError{code: exitUsage, msg: path + ": not a JSON object with a log_index (use -o json on the command that made the change)"}
	}
	return *doc.LogIndex, nil
}

// LogVerifyCmd checks the latest checkpoint: its signature, the witnesses'
// cosignatures, and that the log extends an older checkpoint.
type LogVerifyCmd struct {
	logFlags
	Old  string `placeholder:"FILE|SIZE:ROOT" help:"An older checkpoint the log must extend: a note saved by 'log checkpoint --save' (its signature is checked), or SIZE:ROOT with the base64 root."`
	Save string `placeholder:"FILE" help:"Write the new verified checkpoint to FILE: with the --old file, a rolling check."`
	// Entries: the checkpoint and the proofs cover the tree, not the
	// entries served; an entry edited in the server's database is caught
	// only by hashing it again.
	Entries string `default:"all" enum:"all,new,none" help:"Entries to read through the tiles and hash again against the checkpoint's tree: all, new (those after --old), or none. An entry edited in the server's database fails, naming its index."`
}

// Help is shown by "oversight log verify --help".
func (c *LogVerifyCmd) Help() string {
	return `Fetches the latest checkpoint and checks its signature; with --witness, that enough
of the witnesses you trust cosigned it, so that the log you see is the one every other
reader sees; with --old, the RFC 6962 consistency proof that its tree extends the older
one: every entry the old checkpoint covered is still there, unchanged, in the same
order. Then it reads every entry through the log's tiles (--entries new: those after
--old) and hashes it again against the checkpoint's tree, so that an entry the server
serves edited is caught. Exits 1 if the log forked, shrank or was rewritten, lacks
cosignatures, or serves an entry that is not the one its tree holds.

Examples:
  oversight log verify --old last.checkpoint --save last.checkpoint
  oversight log verify --old 1200:3o0bXfIjV1w1yN6i2LJ9c3bzDqGd1xkJ0Zc8Yw9r8nE=
  oversight log verify --witness "$W1" --witness "$W2" --min-witnesses 1`
}

// Run verifies the checkpoint, and consistency with --old.
func (c *LogVerifyCmd) Run(ctx context.Context, env *Env) error {
	vkey, err := c.verifier()
	if err != nil {
		return err
	}
	if c.Old == "" && len(c.Witness) == 0 {
		return &exitError{code: exitUsage, msg: "say what to verify: --old with a checkpoint the log must extend, --witness with the witnesses that must have cosigned, or both"}
	}
	var old tlog.Checkpoint
	if c.Old != "" {
		if old, err = parseOldCheckpoint(c.Old, vkey); err != nil {
			return err
		}
	}
	cur, n, cosigs, err := c.checkpoint(ctx)
	if err != nil {
		return err
	}
	if c.Old != "" {
		if err := c.client().ProveConsistency(ctx, old, cur); err != nil {
			return err
		}
	}
	var from, read int64
	if c.Entries == "new" {
		from = old.Size
	}
	if c.Entries != "none" {
		err := c.client().VerifiedEntries(ctx, cur, from, func(int64, []byte) error { read++; return nil })
		if err != nil {
			return err // names the entry that does not hash to the tree
		}
	}
	if c.Save != "" {
		if err := os.WriteFile(c.Save, n, 0o644); err != nil {
			return fmt.Errorf("save checkpoint: %w", err)
		}
	}
	printCosignatures(env.Stdout, cosigs)
	if c.Entries != "none" {
		fmt.Fprintf(env.Stdout, "entries: %d read through the tiles and hashed again, from index %d, each the one the tree holds\n", read, from)
	}
	if c.Old != "" {
		fmt.Fprintf(env.Stdout, "consistent: the log of size %d (root %s) extends the checkpoint of size %d (root %s)\n", cur.Size, cur.Root, old.Size, old.Root)
	} else {
		fmt.Fprintf(env.Stdout, "verified: the checkpoint of size %d (root %s) is signed by the log and cosigned by %d of your %d witnesses\n", cur.Size, cur.Root, len(cosigs), len(c.Witness))
	}
	return nil
}

// parseOldCheckpoint reads --old: SIZE:ROOT, or a note file.
func parseOldCheckpoint(s, vkey string) (tlog.Checkpoint, error) {
	if size, root, ok := strings.Cut(s, ":"); ok && isDecimal(size) && !isFile(s) {
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil {
			return tlog.Checkpoint{}, &exitError{code: exitUsage, msg: fmt.Sprintf("--old %s: the size %q is too large", s, size)}
		}
		h, err := tlog.ParseHash(root)
		if err != nil {
			return tlog.Checkpoint{}, &exitError{code: exitUsage, msg: fmt.Sprintf("--old %s: %v", s, err)}
		}
		v, _ := note.NewVerifier(vkey)
		return tlog.Checkpoint{Origin: v.Name(), Size: n, Root: h}, nil
	}
	return readCheckpointFile(s, vkey)
}

func isDecimal(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

func isFile(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readCheckpointFile reads and verifies a saved checkpoint note.
func readCheckpointFile(path, vkey string) (tlog.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return tlog.Checkpoint{}, &exitError{code: exitUsage, msg: err.Error()}
	}
	cp, err := tlog.VerifyCheckpoint(b, vkey)
	if err != nil {
		if errors.Is(err, tlog.ErrSignature) {
			return cp, fmt.Errorf("%s: %w", path, err)
		}
		return cp, fmt.Errorf("%s: not a checkpoint of this log: %w", path, err)
	}
	return cp, nil
}

// LogDiscloseCmd reads what an entry withheld from the public log and
// checks it against the proved entry.
type LogDiscloseCmd struct {
	logFlags
	Token  string `env:"OVERSIGHT_TOKEN" help:"An official's API token (admin, defense, foreign_affairs); prefer the environment variable, since flags show in ps."`
	Index  int64  `arg:"" help:"The entry's log index."`
	Output string `short:"o" default:"text" enum:"text,json" help:"Output: text, or json (the disclosure and the entry's event)."`
}

// Help is shown by "oversight log disclose --help".
func (c *LogDiscloseCmd) Help() string {
	return `An entry about people (a vendor's persons and their relatives, a designated
person, a user, an officer deciding, a declaration's signatory) carries in its
payload's "private" member a salted commitment to their names, aliases and birth
dates instead of the data, which the server keeps apart from the log.

This proves the entry in the log against a checkpoint signed by the pinned key
(as "log prove" does), fetches what it withheld (an official's token), and checks
that the salt and the fields hash to the entry's commitment. Exits 1 if they do
not, or if the server no longer holds them (erased: the log stays valid).

Examples:
  OVERSIGHT_TOKEN=$DEFENSE oversight log disclose 12
  OVERSIGHT_TOKEN=$ADMIN oversight log disclose 12 -o json`
}

// clientOptions gives the token to the "no API token" hint.
func (c *LogDiscloseCmd) clientOptions() *clientFlags {
	return &clientFlags{Server: c.Server, Token: c.Token}
}

// Run proves the entry, fetches its disclosure and checks it.
func (c *LogDiscloseCmd) Run(ctx context.Context, env *Env) error {
	if c.Index < 0 {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("%d: a log index is from 0", c.Index)}
	}
	cp, _, _, err := c.checkpoint(ctx)
	if err != nil {
		return err
	}
	if c.Index >= cp.Size {
		return fmt.Errorf("entry %d is not in the latest checkpoint, of size %d", c.Index, cp.Size)
	}
	e, err := c.client().ProveEntry(ctx, cp, c.Index)
	if err != nil {
		return fmt.Errorf("entry %d: %w", c.Index, err)
	}
	var ev oversight.Event
	if err := json.Unmarshal(e.Event, &ev); err != nil {
		return fmt.Errorf("entry %d: %w", c.Index, err)
	}
	cl := client.New(c.Server, c.Token)
	cl.UserAgent = "oversight-cli"
	d, err := cl.LogDisclosure(ctx, c.Index)
	if oversight.ErrorCode(err) == oversight.ENOTFOUND {
		return fmt.Errorf("entry %d (%s) withheld nothing from the public log, or what it withheld was erased", c.Index, ev.Type)
	}
	if err != nil {
		return fmt.Errorf("what entry %d withheld: %w", c.Index, err)
	}
	if err := d.Verify(&ev); err != nil {
		return err
	}
	if c.Output == "json" {
		// On one line, not indented: the fields and the event stay the
		// exact bytes that hash to the commitment and the leaf.
		enc := json.NewEncoder(env.Stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(struct {
			Disclosure *oversight.Disclosure `json:"disclosure"`
			Event      json.RawMessage       `json:"event"`
		}{d, e.Event})
	}
	var fields map[string]json.RawMessage
	json.Unmarshal(d.Fields, &fields)
	names := slices.Sorted(maps.Keys(fields))
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, n := range names {
		row(tw, n, string(fields[n]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "verified: entry %d (%s) is in the log of size %d, root %s, and commits to these fields under salt %s\n",
		c.Index, ev.Type, cp.Size, cp.Root, d.Salt)
	return err
}
