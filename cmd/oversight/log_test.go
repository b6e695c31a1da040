package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/keydir"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/tlog"
	"github.com/oversight-dev/oversight/witness"
)

// logServer is a server whose log is started as "serve" starts it: with a
// key in a keys directory and the checkpoint kept beside it.
type logServer struct {
	t    *testing.T
	db   string
	keys string
	st   *store.Store
	svc  *service.Service
	url  string
	vkey string
}

func newLogServer(t *testing.T) *logServer {
	t.Helper()
	return newLogServerWith(t, "", nil)
}

// newLogServerWith starts a log server whose keys directory holds the log
// key skey ("" for a new one) and whose checkpoints the witnesses cosign.
func newLogServerWith(t *testing.T, skey string, witnesses []witness.Peer) *logServer {
	t.Helper()
	dir := t.TempDir()
	ls := &logServer{t: t, db: filepath.Join(dir, "oversight.db"), keys: filepath.Join(dir, "keys")}
	if err := os.Mkdir(ls.keys, 0o700); err != nil {
		t.Fatal(err)
	}
	if skey != "" {
		if err := os.WriteFile(filepath.Join(ls.keys, keydir.LogKeyFile), []byte(skey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, ls.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if ls.vkey, err = startServeLog(ctx, st, ls.keys, witnesses...); err != nil {
		st.Close()
		t.Fatal(err)
	}
	svc, err := service.New(t.Context(), st, service.Options{Logger: logger})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Logger: logger}))
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	ls.st, ls.svc, ls.url = st, svc, srv.URL
	return ls
}

// oversight runs the command line and returns its exit status, output and
// error output.
func (ls *logServer) oversight(args ...string) (int, string, string) {
	ls.t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if len(args) < 2 || args[1] != "key" {
		args = append(args, "--server", ls.url, "--key", ls.vkey)
	}
	code := Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

// appendEvents records n events from concurrent writers.
func (ls *logServer) appendEvents(n int) {
	ls.t.Helper()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				err := ls.st.Update(context.Background(), func(tx *store.Tx) error {
					_, err := tx.Record(oversight.EventCaseUpdated, "defense:tok_test", fmt.Sprintf("case_%d", i%97), time.Now(), map[string]int{"i": i})
					return err
				})
				if err != nil {
					ls.t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// waitCheckpoint waits until the signer covers the whole log.
func (ls *logServer) waitCheckpoint() *store.SignedCheckpoint {
	ls.t.Helper()
	want := ls.st.LogHead().Size
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		sc, err := ls.st.Checkpoint(context.Background())
		if err != nil {
			ls.t.Fatal(err)
		}
		if sc.Size >= want {
			return sc
		}
		if time.Now().After(deadline) {
			ls.t.Fatalf("checkpoint stuck at %d, log at %d", sc.Size, want)
		}
	}
}

// A stored entry edited behind the server's back no longer proves: the
// command line, checking against the signed checkpoint, exits 1 and says
// the proof does not verify. Checkpoints still verify: the tree is intact;
// the entry is what lies.
func TestLogTamperedEntryFailsToProve(t *testing.T) {
	ls := newLogServer(t)
	ls.appendEvents(40)
	ls.waitCheckpoint()
	for _, i := range []string{"0", "17", "39"} {
		if code, out, errOut := ls.oversight("log", "prove", "--index", i); code != 0 || !strings.Contains(out, "entry "+i+" is in the log") {
			t.Fatalf("prove %s before tampering: %d %s %s", i, code, out, errOut)
		}
	}
	db, err := sql.Open("sqlite", ls.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var subject string
	if err := db.QueryRow(`SELECT subject FROM events WHERE idx = 17`).Scan(&subject); err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE events SET entry = CAST(replace(CAST(entry AS TEXT), '"type":"case.updated"', '"type":"case.closed"') AS BLOB) WHERE idx = 17`)
	if err != nil {
		t.Fatal(err)
	}
	var entry string
	if n, _ := res.RowsAffected(); n != 1 || db.QueryRow(`SELECT CAST(entry AS TEXT) FROM events WHERE idx = 17`).Scan(&entry) != nil || !strings.Contains(entry, "case.closed") {
		t.Fatalf("tampering did not take: %d rows, %s", n, entry)
	}
	code, out, errOut := ls.oversight("log", "prove", "--index", "17")
	if code != 1 || !strings.Contains(errOut, "entry 17: verify inclusion of entry 17") || !strings.Contains(errOut, "proof does not verify") {
		t.Fatalf("prove 17 after tampering: exit %d\n%s%s", code, out, errOut)
	}
	// The other entries still prove, and the bundle serving the edited
	// entry carries it: a tiles client finds it too.
	if code, _, errOut := ls.oversight("log", "prove", "--index", "16"); code != 0 {
		t.Fatalf("prove 16: %s", errOut)
	}
	code, _, errOut = ls.oversight("log", "prove", "--subject", subject)
	if code != 1 || !strings.Contains(errOut, "proof does not verify") {
		t.Fatalf("prove --subject %s after tampering: exit %d %s", subject, code, errOut)
	}
}

// A tile rewritten behind the server's back is refused at the next start:
// the tree it gives no longer has the root the key signed.
func TestLogTamperedTileIsRefusedAtStart(t *testing.T) {
	ls := newLogServer(t)
	ls.appendEvents(300)
	ls.waitCheckpoint()
	ls.st.Close()
	db, err := sql.Open("sqlite", ls.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Flip a bit of the root of the first 256 leaves, which the checkpoint
	// of size 300 covers. (Start-up reads the right edge of the tree only;
	// a hash inside it is caught by the proofs that use it.)
	var hashes []byte
	if err := db.QueryRow(`SELECT hashes FROM tiles WHERE level = 1 AND idx = 0`).Scan(&hashes); err != nil {
		t.Fatal(err)
	}
	hashes[5] ^= 1
	if _, err := db.Exec(`UPDATE tiles SET hashes = $1 WHERE level = 1 AND idx = 0`, hashes); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, ls.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = startServeLog(ctx, st, ls.keys)
	if err == nil || !strings.Contains(err.Error(), "the database was replaced or rewritten; refusing to sign a fork") {
		t.Fatalf("start after tampering with a tile: %v", err)
	}
}

// A checkpoint saved early still verifies after thousands of appends: the
// consistency proof from it to the new checkpoint checks, in both forms of
// --old, and a forged old root does not.
func TestLogConsistencyAfterThousandsOfAppends(t *testing.T) {
	ls := newLogServer(t)
	ls.appendEvents(37)
	ls.waitCheckpoint()
	save := filepath.Join(t.TempDir(), "old.checkpoint")
	code, out, errOut := ls.oversight("log", "checkpoint", "--save", save, "-o", "json")
	if code != 0 {
		t.Fatal(errOut)
	}
	if !strings.Contains(out, `"size": 37`) {
		t.Fatalf("checkpoint: %s", out)
	}
	old, err := tlog.VerifyCheckpoint(mustRead(t, save), ls.vkey)
	if err != nil {
		t.Fatal(err)
	}
	ls.appendEvents(5000)
	ls.waitCheckpoint()
	for _, o := range []string{save, fmt.Sprintf("%d:%s", old.Size, old.Root)} {
		code, out, errOut := ls.oversight("log", "verify", "--old", o)
		if code != 0 || !strings.Contains(out, "consistent: the log of size 5037") || !strings.Contains(out, "extends the checkpoint of size 37 ") {
			t.Fatalf("verify --old %s: exit %d %s %s", o, code, out, errOut)
		}
	}
	forged := old.Root
	forged[0] ^= 1
	code, _, errOut = ls.oversight("log", "verify", "--old", fmt.Sprintf("%d:%s", old.Size, forged))
	if code != 1 || !strings.Contains(errOut, "inconsistent checkpoints") {
		t.Fatalf("verify with a forged old root: exit %d %s", code, errOut)
	}
	// A saved note whose text was altered fails its signature.
	altered := bytes.Replace(mustRead(t, save), []byte("\n37\n"), []byte("\n36\n"), 1)
	os.WriteFile(save, altered, 0o644)
	code, _, errOut = ls.oversight("log", "verify", "--old", save)
	if code != 1 || !strings.Contains(errOut, "checkpoint signature does not verify") {
		t.Fatalf("verify with an altered note: exit %d %s", code, errOut)
	}
}

// serve's key handling: the key is created once with mode 0600, the
// checkpoint kept beside it follows the log, a restart on the same
// database goes on, and a database swapped behind the key's back is
// refused with a message that says so.
func TestLogKeysDirectory(t *testing.T) {
	ls := newLogServer(t)
	fi, err := os.Stat(filepath.Join(ls.keys, keydir.LogKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("log.key: %v, %v; want mode 0600", fi, err)
	}
	ls.appendEvents(20)
	sc := ls.waitCheckpoint()
	if got := mustRead(t, filepath.Join(ls.keys, keydir.CheckpointFile)); !bytes.Equal(got, sc.Note) {
		t.Fatalf("log.checkpoint is not the checkpoint served:\n%s\n%s", got, sc.Note)
	}
	code, out, _ := ls.oversight("log", "key", "--keys", ls.keys)
	if code != 0 || strings.TrimSpace(out) != ls.vkey {
		t.Fatalf("log key --keys: %q, want %q", out, ls.vkey)
	}
	ctx := context.Background()

	// Another database under this key: refused.
	other, err := store.Open(ctx, filepath.Join(t.TempDir(), "other.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = startServeLog(ctx, other, ls.keys)
	if err == nil || !strings.Contains(err.Error(), "the database holds 0 leaves: it was truncated or replaced; refusing to sign a fork") {
		t.Fatalf("start on another database: %v", err)
	}
}

// startServeLog starts st's log with the key in the keys directory at
// dir, as serve does, with the witnesses.
func startServeLog(ctx context.Context, st *store.Store, dir string, witnesses ...witness.Peer) (string, error) {
	d, err := keydir.Open(dir)
	if err != nil {
		return "", err
	}
	k, err := d.Load(keydir.Options{DefaultLogOrigin: store.DefaultLogOrigin})
	if err != nil {
		return "", err
	}
	return startLog(ctx, st, d, k.LogKey, witnesses, slog.New(slog.DiscardHandler))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A log longer than the range one reader reads (12,800 entries): the ranges
// read side by side come to f in order, from any start, each entry once.
func TestVerifiedEntriesAcrossRanges(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 26,000 events")
	}
	ls := newLogServer(t)
	ls.appendEvents(2*12_800 + 300)
	sc := ls.waitCheckpoint()
	cl := client.New(ls.url, "")
	for _, start := range []int64{0, 12_799, 12_800, 25_000} {
		next := start
		err := cl.VerifiedEntries(context.Background(), sc.Checkpoint, start, func(i int64, entry []byte) error {
			if i != next {
				return fmt.Errorf("entry %d after %d", i, next-1)
			}
			if !bytes.Contains(entry, fmt.Appendf(nil, `"index":%d,`, i)) {
				return fmt.Errorf("entry %d: %.80q", i, entry)
			}
			next++
			return nil
		})
		if err != nil || next != sc.Size {
			t.Fatalf("from %d: read up to %d of %d: %v", start, next, sc.Size, err)
		}
	}
}

// The log read through its tiles, as "oversight report" reads it: every
// entry, across full and partial bundles, each checked against the
// checkpoint; an entry edited behind the server's back stops the reading
// at that entry.
func TestVerifiedEntriesThroughTiles(t *testing.T) {
	ls := newLogServer(t)
	ls.appendEvents(700)
	sc := ls.waitCheckpoint()
	cl := client.New(ls.url, "")
	ctx := context.Background()
	for _, start := range []int64{0, 255, 256, 600, sc.Size} {
		next := start
		err := cl.VerifiedEntries(ctx, sc.Checkpoint, start, func(i int64, entry []byte) error {
			if i != next {
				return fmt.Errorf("entry %d after %d", i, next-1)
			}
			next++
			var stored []byte
			err := ls.st.View(ctx, func(tx *store.Tx) (err error) { stored, err = tx.Entry(i); return err })
			if err != nil || !bytes.Equal(stored, entry) {
				return fmt.Errorf("entry %d: %q, stored %q (%v)", i, entry, stored, err)
			}
			return nil
		})
		if err != nil || next != sc.Size {
			t.Fatalf("from %d: read up to %d of %d: %v", start, next, sc.Size, err)
		}
	}
}

// An entry edited behind the server's back stops the reading at that
// entry, in a full bundle (checked as a whole, then entry by entry against
// its hash tile) as in the trailing partial one (entry by entry); the
// entries before it are genuine and are passed on.
func TestVerifiedEntriesStopAtEditedEntry(t *testing.T) {
	for _, edited := range []int64{300, 650} {
		t.Run(fmt.Sprint(edited), func(t *testing.T) {
			ls := newLogServer(t)
			ls.appendEvents(700)
			sc := ls.waitCheckpoint()
			db, err := sql.Open("sqlite", ls.db)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`UPDATE events SET entry = CAST(replace(CAST(entry AS TEXT), '"case.updated"', '"case.closed"') AS BLOB) WHERE idx = $1`, edited); err != nil {
				t.Fatal(err)
			}
			var last int64 = -1
			err = client.New(ls.url, "").VerifiedEntries(context.Background(), sc.Checkpoint, 0, func(i int64, entry []byte) error { last = i; return nil })
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("entry %d:", edited)) {
				t.Fatalf("after tampering with entry %d: %v", edited, err)
			}
			if last != edited-1 {
				t.Errorf("entries up to %d were passed on, want up to %d", last, edited-1)
			}
		})
	}
}

// An entry edited in the server's database (the tree untouched) is served
// edited, and "log verify" finds it (issue 12 point 3): it reads every
// entry through the tiles and hashes it again against the checkpoint's
// tree, and names the entry. Before, it checked the checkpoint and the
// consistency proof, which the tree alone passes. --entries new reads only
// those after --old; none reads none.
func TestLogVerifyRehashesEntries(t *testing.T) {
	ls := newLogServer(t)
	ls.appendEvents(600)
	sc := ls.waitCheckpoint()
	old := fmt.Sprintf("300:%s", ls.rootAt(300))
	code, out, errOut := ls.oversight("log", "verify", "--old", old)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("entries: %d read through the tiles and hashed again, from index 0", sc.Size)) {
		t.Fatalf("verify before tampering: exit %d\n%s%s", code, out, errOut)
	}
	db, err := sql.Open("sqlite", ls.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE events SET entry = CAST(replace(CAST(entry AS TEXT), '"type":"case.updated"', '"type":"case.closed"') AS BLOB) WHERE idx = 417`); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--old", old}, {"--old", old, "--entries", "new"}} {
		code, out, errOut = ls.oversight(append([]string{"log", "verify"}, args...)...)
		if code != 1 || !strings.Contains(errOut, "hash mismatch for entry 417") {
			t.Errorf("verify %v after tampering: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if code, out, errOut = ls.oversight("log", "verify", "--old", old, "--entries", "none"); code != 0 {
		t.Errorf("verify --entries none: exit %d\n%s%s", code, out, errOut)
	}
	// Entries before --old are not read with --entries new (those of
	// its tile are).
	if code, out, errOut = ls.oversight("log", "verify", "--old", fmt.Sprintf("512:%s", ls.rootAt(512)), "--entries", "new"); code != 0 {
		t.Errorf("verify --entries new past the edit: exit %d\n%s%s", code, out, errOut)
	}
}

// rootAt returns the root of the log's tree of the given size.
func (ls *logServer) rootAt(size int64) tlog.Hash {
	ls.t.Helper()
	p := tlog.NewProver(ls.st, 0)
	root, err := p.RootHash(context.Background(), size)
	if err != nil {
		ls.t.Fatal(err)
	}
	return root
}
