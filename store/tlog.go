package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/tlog"
)

// DefaultLogOrigin names the audit log in its checkpoints when the
// operator does not choose an origin: a schema-less URL, as C2SP
// tlog-checkpoint asks.
const DefaultLogOrigin = "oversight.example/audit-log"

// DefaultSignInterval is how often the background signer looks for new
// leaves to cover with a checkpoint.
const DefaultSignInterval = 500 * time.Millisecond

// DefaultCosignRetry is how often a checkpoint is submitted again to the
// witnesses that did not cosign it.
const DefaultCosignRetry = 10 * time.Second

// ErrLogFork reports a database whose audit log does not extend the
// checkpoints its key has signed: it was truncated, replaced or rewritten
// behind the server's back. Signing over it would fork the log, so the
// server refuses to start.
var ErrLogFork = errors.New("the database does not extend the log's signed checkpoints")

// LogConfig configures the signing of checkpoints.
type LogConfig struct {
	// SignerKey is the log's note signer key, from tlog.GenerateKey; its
	// name is the log's origin.
	SignerKey string
	// Kept is the last checkpoint note kept beside the key, or nil. A
	// database that does not extend it is refused with ErrLogFork.
	Kept []byte
	// Publish, if not nil, receives each new note once it is in the
	// database and before it is served; serve keeps it beside the key. If
	// it fails, the note is not served.
	Publish func(note []byte) error
	// Cosign, if not nil, has each new checkpoint note cosigned by the
	// log's witnesses before it is stored and served, and returns the note
	// with the cosignatures it got. An error means that some witness did
	// not cosign: the note returned is served all the same, and Cosign is
	// called again with it every CosignRetry, even if the log does not
	// grow, until every witness has cosigned.
	Cosign func(ctx context.Context, note []byte) ([]byte, error)
	// CosignRetry is how often a checkpoint that lacks cosignatures is
	// submitted again; 0 means DefaultCosignRetry.
	CosignRetry time.Duration
	// Interval is the background signer's period; 0 means
	// DefaultSignInterval.
	Interval time.Duration
	// Logger receives the signer's errors; nil means slog.Default().
	Logger *slog.Logger
}

// A SignedCheckpoint is a checkpoint and its signed note.
type SignedCheckpoint struct {
	tlog.Checkpoint
	Note []byte
}

// checkpointer signs checkpoints of the committed tree, off the append
// path, and keeps the latest one served.
type checkpointer struct {
	mu     sync.Mutex // serialises signing and start-up
	cfg    LogConfig
	signer *tlog.Signer
	failed error // set when the log refused to sign a fork: signing stops
	// cosignPending: the served checkpoint lacks a witness's cosignature
	// (or was never submitted since the start); cosignTried: when it was
	// last submitted.
	cosignPending bool
	cosignTried   time.Time
	latest        atomic.Pointer[SignedCheckpoint]
	running       atomic.Bool // a background signer keeps latest fresh
	// ephemeral: the key was made up for this process (no StartLog); its
	// notes are not persisted, so that they cannot bind the database to
	// a key nobody holds.
	ephemeral bool
	stop      context.CancelFunc
	done      chan struct{}
}

// StartLog prepares the audit log's checkpoints with the log's key: it
// checks the database against the key (the verifier key recorded in the
// database, the last checkpoint in the database and cfg.Kept, each of
// which the tree must extend), signs the current tree at once, and starts a
// background signer that covers new leaves every cfg.Interval until Close.
// A database that does not extend the signed checkpoints fails with
// ErrLogFork, and one whose log belongs to another key fails too: the
// server must not start then.
func (s *Store) StartLog(ctx context.Context, cfg LogConfig) error {
	ck := &s.c.log.ck
	ck.mu.Lock()
	defer ck.mu.Unlock()
	if ck.signer != nil {
		return errors.New("start audit log: already started")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultSignInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CosignRetry <= 0 {
		cfg.CosignRetry = DefaultCosignRetry
	}
	if err := s.openSigner(ctx, ck, cfg, false); err != nil {
		return err
	}
	ck.cosignPending = cfg.Cosign != nil
	if _, err := s.signLocked(ctx, ck); err != nil {
		return fmt.Errorf("start audit log: %w", err)
	}
	bctx, cancel := context.WithCancel(context.Background())
	ck.stop, ck.done = cancel, make(chan struct{})
	ck.running.Store(true)
	go s.signLoop(bctx, ck)
	return nil
}

// openSigner builds ck.signer from cfg after checking the database
// against the key's history, and records the key in the database unless
// it is ephemeral. ck.mu is held.
func (s *Store) openSigner(ctx context.Context, ck *checkpointer, cfg LogConfig, ephemeral bool) error {
	probe, err := tlog.NewSigner(cfg.SignerKey, nil)
	if err != nil {
		return fmt.Errorf("start audit log: %w", err)
	}
	vkey := probe.VerifierKey()
	var size int64
	var dbNote []byte
	err = s.View(ctx, func(tx *Tx) error {
		var recorded string
		err := tx.queryRow(`SELECT verifier_key FROM log_key WHERE id = 1`).Scan(&recorded)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read log key: %w", err)
		case ephemeral:
			return oversight.Errorf(oversight.EUNAVAILABLE, "this database's audit log is signed by the key %s: "+
				"it signs checkpoints once the server starts with that key", recorded)
		case recorded != vkey:
			return fmt.Errorf("this database's audit log is signed by the key %s, not by %s: "+
				"start the server with the keys directory of this database "+
				"(a log cannot change keys without breaking every verifier that pinned the old one)", recorded, vkey)
		}
		if size, err = tx.LogSize(); err != nil {
			return err
		}
		dbNote, err = tx.latestCheckpointNote()
		return err
	})
	if err != nil {
		return fmt.Errorf("start audit log: %w", err)
	}
	var last []byte
	var lastSize int64 = -1
	for _, n := range []struct {
		what string
		note []byte
	}{{"the last checkpoint in the database", dbNote}, {"the checkpoint kept beside the key", cfg.Kept}} {
		if n.note == nil {
			continue
		}
		c, err := tlog.VerifyCheckpoint(n.note, vkey)
		if err != nil {
			return fmt.Errorf("start audit log: %s: %w", n.what, err)
		}
		if c.Size > size {
			return fmt.Errorf("start audit log: %w: the key signed a checkpoint of size %d (%s), but the database holds %d leaves: "+
				"it was truncated or replaced; refusing to sign a fork", ErrLogFork, c.Size, n.what, size)
		}
		root, err := s.prover().RootHash(ctx, c.Size)
		if err != nil {
			return fmt.Errorf("start audit log: check %s: %w", n.what, err)
		}
		if root != c.Root {
			return fmt.Errorf("start audit log: %w: the database's tree of size %d has root %s, but the key signed root %s (%s): "+
				"the database was replaced or rewritten; refusing to sign a fork", ErrLogFork, c.Size, root, c.Root, n.what)
		}
		if c.Size > lastSize {
			last, lastSize = n.note, c.Size
		}
	}
	signer, err := tlog.NewSigner(cfg.SignerKey, last)
	if err != nil {
		return fmt.Errorf("start audit log: %w", err)
	}
	if ephemeral {
		ck.cfg, ck.signer, ck.ephemeral = cfg, signer, true
		return nil
	}
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO log_key (id, verifier_key, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`,
			vkey, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("record log key: %w", err)
		}
		// The witness may be newer than the database's last note (the
		// database was restored from a backup that still extends it).
		for _, note := range [][]byte{dbNote, cfg.Kept} {
			if note == nil {
				continue
			}
			c, _ := tlog.VerifyCheckpoint(note, vkey)
			if err := tx.saveCheckpoint(c.Size, note); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("start audit log: %w", err)
	}
	ck.cfg, ck.signer = cfg, signer
	return nil
}

// signLoop signs a checkpoint every interval while the log grows.
func (s *Store) signLoop(ctx context.Context, ck *checkpointer) {
	defer close(ck.done)
	t := time.NewTicker(ck.cfg.Interval)
	defer t.Stop()
	var lastErr string // log an error once, not every interval
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ck.mu.Lock()
		_, err := s.signLocked(ctx, ck)
		ck.mu.Unlock()
		switch {
		case err != nil && ctx.Err() == nil && err.Error() != lastErr:
			ck.cfg.Logger.Error("audit log: sign checkpoint", "err", err)
			lastErr = err.Error()
		case err == nil && lastErr != "":
			ck.cfg.Logger.Info("audit log: signing again")
			lastErr = ""
		}
	}
}

// stopSigner stops the background signer and waits for it.
func (ck *checkpointer) stopSigner() {
	ck.mu.Lock()
	stop, done := ck.stop, ck.done
	ck.stop = nil
	ck.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// signLocked signs the committed tree if it grew since the last
// checkpoint, persists the note, publishes it and makes it the one served.
// The size is read from the database, so that a replica also covers the
// leaves other replicas appended; the root and the consistency proof from
// the last signed checkpoint are computed from the committed tiles, which
// are what clients will check the note against. ck.mu is held.
func (s *Store) signLocked(ctx context.Context, ck *checkpointer) (*SignedCheckpoint, error) {
	if ck.failed != nil {
		return nil, ck.failed
	}
	var size int64
	if err := s.View(ctx, func(tx *Tx) (err error) { size, err = tx.LogSize(); return err }); err != nil {
		return nil, err
	}
	last, lastNote := ck.signer.Last()
	if cur := ck.latest.Load(); cur != nil && cur.Size == size {
		return s.recosign(ctx, ck, cur)
	}
	if size == last.Size && lastNote != nil {
		sc := &SignedCheckpoint{last, lastNote}
		ck.latest.Store(sc)
		return s.recosign(ctx, ck, sc)
	}
	if size < last.Size {
		ck.failed = fmt.Errorf("%w: the log shrank from %d to %d leaves while the server ran; signing stopped", ErrLogFork, last.Size, size)
		return nil, ck.failed
	}
	p := s.prover()
	root, err := p.RootHash(ctx, size)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	if head := s.LogHead(); head.Size == size && head.Root != root {
		ck.failed = fmt.Errorf("%w: the stored tiles give root %s for size %d, the writer's tree %s; signing stopped", ErrLogFork, root, size, head.Root)
		return nil, ck.failed
	}
	proof, err := p.ConsistencyProof(ctx, last.Size, size)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	note, err := ck.signer.Sign(tlog.Checkpoint{Size: size, Root: root}, proof)
	if errors.Is(err, tlog.ErrInconsistent) {
		ck.failed = fmt.Errorf("%w: %v; signing stopped", ErrLogFork, err)
		return nil, ck.failed
	}
	if err != nil {
		return nil, err
	}
	if ck.cfg.Cosign != nil {
		// Served only once the witnesses had their chance: a reader who
		// requires cosignatures gets them with the first note of a size.
		note, err = ck.cfg.Cosign(ctx, note)
		ck.cosignPending, ck.cosignTried = err != nil, time.Now()
	}
	if !ck.ephemeral {
		if err := s.Update(ctx, func(tx *Tx) error { return tx.saveCheckpoint(size, note) }); err != nil {
			return nil, fmt.Errorf("persist checkpoint of size %d: %w", size, err)
		}
	}
	if ck.cfg.Publish != nil {
		if err := ck.cfg.Publish(note); err != nil {
			return nil, fmt.Errorf("publish checkpoint of size %d: %w", size, err)
		}
	}
	c, _ := ck.signer.Last()
	sc := &SignedCheckpoint{c, note}
	ck.latest.Store(sc)
	return sc, nil
}

// recosign submits the served checkpoint again to the witnesses that have
// not cosigned it, at most every CosignRetry, and serves and stores the
// note with the cosignatures added. ck.mu is held.
func (s *Store) recosign(ctx context.Context, ck *checkpointer, cur *SignedCheckpoint) (*SignedCheckpoint, error) {
	if ck.cfg.Cosign == nil || !ck.cosignPending || time.Since(ck.cosignTried) < ck.cfg.CosignRetry {
		return cur, nil
	}
	note, err := ck.cfg.Cosign(ctx, cur.Note)
	ck.cosignPending, ck.cosignTried = err != nil, time.Now()
	if bytes.Equal(note, cur.Note) {
		return cur, nil
	}
	if !ck.ephemeral {
		err := s.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(`UPDATE checkpoints SET note = $1 WHERE size = $2`, note, cur.Size)
			return err
		})
		if err != nil {
			return cur, fmt.Errorf("store the cosigned checkpoint of size %d: %w", cur.Size, err)
		}
	}
	if ck.cfg.Publish != nil {
		if err := ck.cfg.Publish(note); err != nil {
			return cur, fmt.Errorf("publish the cosigned checkpoint of size %d: %w", cur.Size, err)
		}
	}
	sc := &SignedCheckpoint{cur.Checkpoint, note}
	ck.latest.Store(sc)
	return sc, nil
}

// ensureSigner makes sure the log can sign. A store whose log was not
// started with StartLog (tests, tools that open the database) signs on
// demand with a key made up for this process, so that its log can still be
// read and verified, and neither records that key nor keeps its notes; it
// refuses a database whose log has a key. "oversight serve" always starts
// the log with its key. ck.mu is held.
func (s *Store) ensureSigner(ctx context.Context, ck *checkpointer) error {
	if ck.signer != nil {
		return nil
	}
	skey, _, err := tlog.GenerateKey(DefaultLogOrigin)
	if err != nil {
		return err
	}
	return s.openSigner(ctx, ck, LogConfig{SignerKey: skey, Interval: DefaultSignInterval, Logger: slog.Default()}, true)
}

// Checkpoint returns the latest signed checkpoint, the one to serve. With
// a background signer it is at most an interval behind the committed log;
// without one, it is signed now if the log grew.
func (s *Store) Checkpoint(ctx context.Context) (*SignedCheckpoint, error) {
	ck := &s.c.log.ck
	if ck.running.Load() {
		if sc := ck.latest.Load(); sc != nil {
			return sc, nil
		}
	}
	return s.SignCheckpoint(ctx)
}

// SignCheckpoint signs the committed tree now if it grew since the last
// checkpoint, as the background signer does every interval, and returns
// the checkpoint to serve.
func (s *Store) SignCheckpoint(ctx context.Context) (*SignedCheckpoint, error) {
	ck := &s.c.log.ck
	ck.mu.Lock()
	defer ck.mu.Unlock()
	if err := s.ensureSigner(ctx, ck); err != nil {
		return nil, err
	}
	return s.signLocked(ctx, ck)
}

// LogVerifierKey returns the note verifier key of the log's signing key,
// the line clients pin.
func (s *Store) LogVerifierKey(ctx context.Context) (string, error) {
	ck := &s.c.log.ck
	ck.mu.Lock()
	if ck.signer == nil {
		if err := s.ensureSigner(ctx, ck); err != nil {
			ck.mu.Unlock()
			return "", err
		}
	}
	vkey := ck.signer.VerifierKey()
	ck.mu.Unlock()
	return vkey, nil
}

// RecordedLogKey returns the verifier key recorded in the database when
// the log first signed, without starting a signer: for "oversight log key
// --db". It fails with ENOTFOUND if the log never signed.
func (s *Store) RecordedLogKey(ctx context.Context) (string, error) {
	var vkey string
	err := s.View(ctx, func(tx *Tx) error {
		return tx.queryRow(`SELECT verifier_key FROM log_key WHERE id = 1`).Scan(&vkey)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", oversight.Errorf(oversight.ENOTFOUND, "the audit log of %s has not signed a checkpoint yet: start the server once", s.Redacted())
	}
	if err != nil {
		return "", fmt.Errorf("read log key: %w", err)
	}
	return vkey, nil
}

// prover returns the store's Prover, which reads committed tiles.
func (s *Store) prover() *tlog.Prover { return s.c.log.prover }

// InclusionProof returns the proof that the leaf at index is in the tree
// of the given size. The caller checks that a checkpoint of that size was
// served.
func (s *Store) InclusionProof(ctx context.Context, index, size int64) ([]tlog.Hash, error) {
	return s.prover().InclusionProof(ctx, index, size)
}

// ConsistencyProof returns the proof that the tree of size newSize extends
// the tree of size oldSize.
func (s *Store) ConsistencyProof(ctx context.Context, oldSize, newSize int64) ([]tlog.Hash, error) {
	return s.prover().ConsistencyProof(ctx, oldSize, newSize)
}

// LogTile returns the contents of the tile resource t (a hash tile or an
// entry bundle), which must be in the tree of a served checkpoint
// (t.InTree).
func (s *Store) LogTile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	if t.Level != tlog.EntriesLevel {
		rows, err := s.ReadTiles(ctx, []tlog.TileID{t.ID()})
		if err != nil {
			return nil, err
		}
		return t.Trim(rows[0])
	}
	start, end := t.EntryRange()
	var bundle []byte
	err := s.view(ctx, s.scans, func(tx *Tx) (err error) {
		bundle, err = tx.entryBundle(start, end)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("entry bundle %s: %w", t.Path(), err)
	}
	return bundle, nil
}

// entryBundle returns the entry bundle of the events [start, end): each
// row's entry appended to the bundle as the driver hands it over
// (sql.RawBytes), without a copy of its own.
func (tx *Tx) entryBundle(start, end int64) ([]byte, error) {
	rows, err := tx.query(`SELECT entry FROM events WHERE idx >= $1 AND idx < $2 ORDER BY idx`, start, end)
	if err != nil {
		return nil, fmt.Errorf("read entries [%d, %d): %w", start, end, err)
	}
	defer rows.Close()
	// An event's entry is about 500 bytes to 1 kB.
	bundle := make([]byte, 0, (end-start)*1024)
	var n int64
	for rows.Next() {
		var entry sql.RawBytes
		if err := rows.Scan(&entry); err != nil {
			return nil, fmt.Errorf("read entries [%d, %d): %w", start, end, err)
		}
		if bundle, err = tlog.AppendBundleEntry(bundle, entry); err != nil {
			return nil, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read entries [%d, %d): %w", start, end, err)
	}
	if n != end-start {
		return nil, fmt.Errorf("%d of the events [%d, %d) are stored", n, start, end)
	}
	return bundle, nil
}

// saveCheckpoint stores a signed checkpoint note; a note for the same size
// is the same note (Ed25519 is deterministic), so a second one is ignored.
func (tx *Tx) saveCheckpoint(size int64, note []byte) error {
	if _, err := tx.exec(`INSERT INTO checkpoints (size, note, signed_at) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING`,
		size, note, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("save checkpoint of size %d: %w", size, err)
	}
	return nil
}

// latestCheckpointNote returns the note of the largest checkpoint signed,
// or nil.
func (tx *Tx) latestCheckpointNote() ([]byte, error) {
	var note []byte
	err := tx.queryRow(`SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1`).Scan(&note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read last checkpoint: %w", err)
	}
	return note, nil
}

// Entry returns the leaf data of the event at index i: its canonical JSON
// as hashed into the log.
func (tx *Tx) Entry(i int64) ([]byte, error) {
	var entry []byte
	err := tx.queryRow(`SELECT entry FROM events WHERE idx = $1`, i).Scan(&entry)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oversight.NotFound("log entry", fmt.Sprint(i))
	}
	if err != nil {
		return nil, fmt.Errorf("read event %d: %w", i, err)
	}
	return entry, nil
}

// NewestEntries returns the indexes and leaf data of up to limit events
// with an index below before, newest first: all of them, or those about
// subject, or of type typ, or both.
func (tx *Tx) NewestEntries(subject, typ string, before int64, limit int) ([]int64, [][]byte, error) {
	q := `SELECT idx, entry FROM events WHERE idx < $1`
	args := []any{before}
	if subject != "" {
		args = append(args, subject)
		q += fmt.Sprintf(` AND subject = $%d`, len(args))
	}
	if typ != "" {
		args = append(args, typ)
		q += fmt.Sprintf(` AND type = $%d`, len(args))
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY idx DESC LIMIT $%d`, len(args))
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("newest events: %w", err)
	}
	return scanEntries(rows)
}

// SubjectEntries returns the indexes and leaf data of up to limit events
// about subject with an index above after (-1 for all), in log order.
func (tx *Tx) SubjectEntries(subject string, after int64, limit int) ([]int64, [][]byte, error) {
	rows, err := tx.query(`SELECT idx, entry FROM events WHERE subject = $1 AND idx > $2 ORDER BY idx LIMIT $3`, subject, after, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("events of %s: %w", subject, err)
	}
	return scanEntries(rows)
}

// scanEntries reads rows of (idx, entry) into their indexes and leaf
// data, and closes rows.
func scanEntries(rows *sql.Rows) ([]int64, [][]byte, error) {
	defer rows.Close()
	var idx []int64
	var entries [][]byte
	for rows.Next() {
		var i int64
		var e []byte
		if err := rows.Scan(&i, &e); err != nil {
			return nil, nil, err
		}
		idx, entries = append(idx, i), append(entries, e)
	}
	return idx, entries, rows.Err()
}
