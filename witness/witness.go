// Package witness is a transparency-log witness and the log's side of the
// protocol, per C2SP tlog-witness and tlog-cosignature.
//
// A Witness, run by anyone independent of the log (an NGO, a parliament's
// office, a newspaper), keeps for each log it follows the latest checkpoint
// it cosigned, and cosigns a new one only if the log proves it consistent
// with that one. A log that showed different histories to different
// readers would need a witness to cosign both, which it never does: a
// checkpoint cosigned by enough independent witnesses is the one every
// reader sees. The state lives in a SQLite file, so that checking the old
// size and recording the new checkpoint are one transaction, across
// processes too, and survive a crash once answered.
//
// A Cosigner is the log's side: it submits each new checkpoint to the
// witnesses the log is configured with, proving consistency from the size
// each last cosigned, and adds their cosignatures to the note it serves.
package witness

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/oversight-dev/oversight/keyfile"
	"github.com/oversight-dev/oversight/tlog"
)

// Files of a witness's directory.
const (
	// KeyFile holds the witness's Ed25519 key (PEM, mode 0600).
	KeyFile = "witness.key"
	// DBFile is the SQLite database of the checkpoints cosigned and the
	// requests refused.
	DBFile = "witness.db"
)

// MaxRequest bounds an add-checkpoint body: 63 proof lines and a
// checkpoint with its signatures need a few kilobytes.
const MaxRequest = 64 << 10

// maxRefusals is how many refused requests are kept per log, as evidence.
const maxRefusals = 1000

// Config configures a Witness.
type Config struct {
	// Dir holds the key and the database; created if missing.
	Dir string
	// Name names the witness in its cosignatures: a schema-less URL such
	// as "witness.example.org/w1". It is fixed at the first start; empty
	// afterwards means the recorded one.
	Name string
	// Logs are the verifier keys of the logs the witness follows; a key's
	// name is its log's origin. With none, every request is refused.
	Logs []string
	// Logger receives refusals and errors; nil means slog.Default().
	Logger *slog.Logger
}

// A Witness cosigns the checkpoints of the logs it follows. It is safe for
// concurrent use, and several processes may share its directory.
type Witness struct {
	db     *sql.DB
	name   string
	signer *torchwood.CosignatureSigner
	vkey   string
	logs   map[string]note.Verifier // by origin
	order  []string                 // origins, as configured
	logger *slog.Logger
}

const schema = `
CREATE TABLE IF NOT EXISTS witness (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	name TEXT NOT NULL,
	verifier_key TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
	origin TEXT PRIMARY KEY,
	size INTEGER NOT NULL,
	root BLOB NOT NULL,
	note BLOB NOT NULL,
	cosigned_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refusals (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	origin TEXT NOT NULL,
	received_at INTEGER NOT NULL,
	status INTEGER NOT NULL,
	reason TEXT NOT NULL,
	request BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS refusals_origin ON refusals (origin, id);
`

// Open opens the witness in cfg.Dir, creating its key and database on
// first use.
func Open(ctx context.Context, cfg Config) (*Witness, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Witness{logs: map[string]note.Verifier{}, logger: cfg.Logger}
	for _, k := range cfg.Logs {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("witness: log key %.80q: %w", k, err)
		}
		if _, dup := w.logs[v.Name()]; dup {
			return nil, fmt.Errorf("witness: two keys for the log %q: a log has one key", v.Name())
		}
		w.logs[v.Name()] = v
		w.order = append(w.order, v.Name())
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	if err := keyfile.CheckDir(cfg.Dir); err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	key, err := keyfile.LoadOrGenerate(filepath.Join(cfg.Dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	path := filepath.Join(cfg.Dir, DBFile)
	// synchronous(FULL): a cosignature is answered only once the
	// checkpoint it covers is on disk, as C2SP tlog-witness requires.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("witness: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	w.db = db
	if err := w.init(ctx, cfg.Name, key); err != nil {
		db.Close()
		return nil, err
	}
	return w, nil
}

// init creates the schema and fixes the witness's name.
func (w *Witness) init(ctx context.Context, name string, key ed25519.PrivateKey) error {
	if _, err := w.db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("witness: create schema: %w", err)
	}
	var recorded, recordedKey string
	err := w.db.QueryRowContext(ctx, `SELECT name, verifier_key FROM witness WHERE id = 1`).Scan(&recorded, &recordedKey)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if name == "" {
			return errors.New("witness: --name is required at the first start: the name that will appear in the witness's cosignatures, such as witness.example.org/w1")
		}
	case err != nil:
		return fmt.Errorf("witness: read name: %w", err)
	case name == "":
		name = recorded
	case name != recorded:
		return fmt.Errorf("witness: this witness is named %q; its name is part of its key and cannot change (drop --name, or use another directory for a new witness)", recorded)
	}
	signer, err := tlog.NewWitnessSigner(name, key)
	if err != nil {
		return err
	}
	w.name, w.signer, w.vkey = name, signer, signer.Verifier().String()
	if recordedKey != "" && recordedKey != w.vkey {
		return fmt.Errorf("witness: the database was made by the witness %s, but the key file is another key (%s): restore the key file", recordedKey, w.vkey)
	}
	_, err = w.db.ExecContext(ctx, `INSERT INTO witness (id, name, verifier_key, created_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		w.name, w.vkey, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("witness: record name: %w", err)
	}
	return nil
}

// Close closes the database.
func (w *Witness) Close() error { return w.db.Close() }

// Name returns the witness's name.
func (w *Witness) Name() string { return w.name }

// VerifierKey returns the witness's verifier key, the line logs and
// readers are configured with.
func (w *Witness) VerifierKey() string { return w.vkey }

// Error is a refused add-checkpoint request, with the HTTP status C2SP
// tlog-witness assigns to its reason.
type Error struct {
	Status int
	// Size is, with 409 Conflict, the size of the latest checkpoint the
	// witness cosigned for the log.
	Size   int64
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Reason)
}

func refuse(status int, format string, args ...any) *Error {
	return &Error{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// Add handles an add-checkpoint request body: it checks the log's
// signature and the consistency of the checkpoint with the latest one the
// witness cosigned for that log, records it and returns the cosignature
// lines. A refusal is an *Error.
func (w *Witness) Add(ctx context.Context, body []byte) ([]byte, error) {
	req, err := tlog.ParseAddCheckpoint(body)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "%v", err)
	}
	origin, _, _ := bytes.Cut(req.Note, []byte("\n"))
	v, ok := w.logs[string(origin)]
	if !ok {
		return nil, refuse(http.StatusNotFound, "this witness does not follow the log %.100q", origin)
	}
	n, err := note.Open(req.Note, note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified) || errors.As(err, &invalid):
		return nil, refuse(http.StatusForbidden, "the checkpoint carries no valid signature by the key of %s", v.Name())
	case err != nil:
		return nil, refuse(http.StatusBadRequest, "checkpoint note: %v", err)
	}
	tc, err := torchwood.ParseCheckpoint(n.Text)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "checkpoint: %v", err)
	}
	c := tlog.Checkpoint{Origin: tc.Origin, Size: tc.N, Root: tlog.Hash(tc.Hash)}
	switch {
	case req.OldSize > c.Size:
		return nil, refuse(http.StatusBadRequest, "old size %d is larger than the checkpoint's size %d", req.OldSize, c.Size)
	case req.OldSize == 0 && len(req.Proof) > 0:
		return nil, refuse(http.StatusBadRequest, "from old size 0 the consistency proof must be empty")
	}
	sigs, err := w.add(ctx, c, n.Text, req)
	var we *Error
	if errors.As(err, &we) && (we.Status == http.StatusUnprocessableEntity || (we.Status == http.StatusConflict && req.OldSize == c.Size)) {
		// A log-signed checkpoint the witness cannot cosign: keep it, it
		// may be the evidence of a fork.
		w.logger.Warn("witness: refused a checkpoint signed by the log", "origin", c.Origin, "size", c.Size, "root", c.Root, "reason", we.Reason)
		w.recordRefusal(ctx, c.Origin, we, body)
	}
	return sigs, err
}

// add checks req against the log's recorded checkpoint, then cosigns and
// records, in one transaction.
func (w *Witness) add(ctx context.Context, c tlog.Checkpoint, text string, req tlog.AddCheckpoint) ([]byte, error) {
	tx, err := w.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one writer at a time, across processes
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	defer tx.Rollback()
	known := tlog.Checkpoint{Origin: c.Origin, Size: 0, Root: tlog.EmptyRoot}
	var root []byte
	err = tx.QueryRowContext(ctx, `SELECT size, root FROM logs WHERE origin = ?`, c.Origin).Scan(&known.Size, &root)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("witness: read state of %s: %w", c.Origin, err)
	case len(root) != tlog.HashSize:
		return nil, fmt.Errorf("witness: state of %s: root of %d bytes", c.Origin, len(root))
	default:
		known.Root = tlog.Hash(root)
	}
	if req.OldSize != known.Size {
		return nil, &Error{Status: http.StatusConflict, Size: known.Size,
			Reason: fmt.Sprintf("the latest checkpoint cosigned for %s is of size %d, not %d", c.Origin, known.Size, req.OldSize)}
	}
	if known.Size > 0 {
		if err := tlog.VerifyConsistency(known, c, req.Proof); err != nil {
			status := http.StatusUnprocessableEntity
			if c.Size == known.Size {
				status = http.StatusConflict // two roots for one size
			}
			return nil, &Error{Status: status, Size: known.Size,
				Reason: fmt.Sprintf("size %d root %s is not consistent with the cosigned size %d root %s: %v", c.Size, c.Root, known.Size, known.Root, err)}
		}
	}
	signed, err := note.Sign(&note.Note{Text: text}, w.signer)
	if err != nil {
		return nil, fmt.Errorf("witness: cosign: %w", err)
	}
	_, sigs, _ := bytes.Cut(signed, []byte("\n\n"))
	cosigned, err := tlog.AddCosignatures(req.Note, sigs)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO logs (origin, size, root, note, cosigned_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note, cosigned_at = excluded.cosigned_at`,
		c.Origin, c.Size, c.Root[:], cosigned, time.Now().Unix())
	if err != nil {
		return nil, fmt.Errorf("witness: record checkpoint of %s: %w", c.Origin, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("witness: record checkpoint of %s: %w", c.Origin, err)
	}
	return sigs, nil
}

// recordRefusal keeps a refused request, the last maxRefusals per log.
func (w *Witness) recordRefusal(ctx context.Context, origin string, e *Error, body []byte) {
	_, err := w.db.ExecContext(ctx, `INSERT INTO refusals (origin, received_at, status, reason, request) VALUES (?, ?, ?, ?, ?)`,
		origin, time.Now().Unix(), e.Status, e.Reason, body)
	if err == nil {
		_, err = w.db.ExecContext(ctx, `DELETE FROM refusals WHERE origin = ? AND id <= (SELECT MAX(id) FROM refusals WHERE origin = ?) - ?`,
			origin, origin, maxRefusals)
	}
	if err != nil {
		w.logger.Error("witness: record a refusal", "origin", origin, "err", err)
	}
}

// LogState is what a witness knows of one log it follows.
type LogState struct {
	Origin     string
	Checkpoint *tlog.Checkpoint // the latest cosigned; nil before the first
	Note       []byte           // the same, with the log's signature and the cosignature
	CosignedAt time.Time
	Refusals   int // refused log-signed checkpoints on record
}

// Logs returns the state of every log the witness follows, in the order
// configured.
func (w *Witness) Logs(ctx context.Context) ([]LogState, error) {
	var out []LogState
	for _, origin := range w.order {
		s := LogState{Origin: origin}
		var size, at int64
		var root, msg []byte
		err := w.db.QueryRowContext(ctx, `SELECT size, root, note, cosigned_at FROM logs WHERE origin = ?`, origin).Scan(&size, &root, &msg, &at)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("witness: state of %s: %w", origin, err)
		default:
			s.Checkpoint = &tlog.Checkpoint{Origin: origin, Size: size, Root: tlog.Hash(root)}
			s.Note, s.CosignedAt = msg, time.Unix(at, 0).UTC()
		}
		if err := w.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM refusals WHERE origin = ?`, origin).Scan(&s.Refusals); err != nil {
			return nil, fmt.Errorf("witness: refusals of %s: %w", origin, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Handler serves the witness over HTTP: POST /add-checkpoint (C2SP
// tlog-witness, the submission prefix being the root), GET / (the witness's
// key and what it cosigned, as text) and GET /healthz.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", w.serveAdd)
	mux.HandleFunc("GET /{$}", w.serveIndex)
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, r *http.Request) {
		if err := w.db.PingContext(r.Context()); err != nil {
			http.Error(rw, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(rw, "ok\n")
	})
	return mux
}

func (w *Witness) serveAdd(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxRequest))
	if err != nil {
		http.Error(rw, fmt.Sprintf("request body: %v (at most %d bytes)", err, MaxRequest), http.StatusRequestEntityTooLarge)
		return
	}
	sigs, err := w.Add(r.Context(), body)
	var we *Error
	switch {
	case errors.As(err, &we) && we.Status == http.StatusConflict:
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", we.Size)
	case errors.As(err, &we):
		http.Error(rw, we.Reason, we.Status)
	case err != nil:
		w.logger.Error("witness: add-checkpoint", "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
	default:
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write(sigs)
	}
}

func (w *Witness) serveIndex(rw http.ResponseWriter, r *http.Request) {
	logs, err := w.Logs(r.Context())
	if err != nil {
		w.logger.Error("witness: index", "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "witness %s\nverifier key %s\n", w.name, w.vkey)
	for _, l := range logs {
		if l.Checkpoint == nil {
			fmt.Fprintf(&b, "\nlog %s\nnothing cosigned yet\n", l.Origin)
			continue
		}
		fmt.Fprintf(&b, "\nlog %s\ncosigned size %d root %s at %s\nrefused %s\n\n%s",
			l.Origin, l.Checkpoint.Size, l.Checkpoint.Root, l.CosignedAt.Format(time.RFC3339), strconv.Itoa(l.Refusals), l.Note)
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(rw, b.String())
}
