package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/tlog"
)

// AuditLog is the service's aggregate of the audit log: its checkpoints,
// entries, proofs and tiles, what its entries withhold (Disclosure), and the
// transparency report counted from it. Service embeds it, so its methods
// are the Service's; it shares the Service's store and clock.
type AuditLog struct{ s *Service }

// The audit log is public: reading it needs no principal. Its read paths
// are bounded by the latest signed checkpoint, so that everything served
// can be verified against a note the log signed.

// LogCheckpoint returns the latest signed checkpoint.
func (l *AuditLog) LogCheckpoint(ctx context.Context) (*store.SignedCheckpoint, error) {
	s := l.s
	sc, err := s.store.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit log checkpoint: %w", err)
	}
	return sc, nil
}

// LogVerifierKey returns the note verifier key of the log, the line that
// clients pin to check checkpoints.
func (l *AuditLog) LogVerifierKey(ctx context.Context) (string, error) {
	s := l.s
	return s.store.LogVerifierKey(ctx)
}

// LogEntry returns the entry at index. Committed entries are served even
// before a checkpoint covers them; their proofs wait for one.
func (l *AuditLog) LogEntry(ctx context.Context, index int64) (*oversight.LogEntry, error) {
	s := l.s
	if index < 0 {
		return nil, oversight.Invalid("invalid index", "index", "must be a whole number from 0")
	}
	var e oversight.LogEntry
	err := s.view(ctx, func(tx *store.Tx) error {
		entry, err := tx.Entry(index)
		if err != nil {
			return err
		}
		e = oversight.NewLogEntry(index, entry)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Disclosure returns what the log entry at index withheld from the public
// log (a salted commitment to personal data stands in its payload), for
// the officials who audit the log against the records; a vendor, agency
// or consular officer never reads it. An auditor checks it with
// oversight.Disclosure.Verify against the entry.
func (l *AuditLog) Disclosure(ctx context.Context, p *oversight.Principal, index int64) (*oversight.Disclosure, error) {
	s := l.s
	if err := allow(p, oversight.TaskLogDisclose); err != nil {
		return nil, err
	}
	if index < 0 {
		return nil, oversight.Invalid("invalid index", "index", "must be a whole number from 0")
	}
	var d *oversight.Disclosure
	err := s.view(ctx, func(tx *store.Tx) (err error) { d, err = tx.Disclosure(index); return err })
	return d, err
}

// MaxLogEntriesPage bounds a page of LogEntries.
const MaxLogEntriesPage = 1000

// LogEntries returns up to limit entries about subject (the id of a
// licence, action, vendor…) with an index above after (-1 for the
// first page), in log order.
func (l *AuditLog) LogEntries(ctx context.Context, subject string, after int64, limit int) ([]oversight.LogEntry, error) {
	s := l.s
	switch {
	case subject == "" || len(subject) > 100 || strings.ContainsAny(subject, "\x00\n"):
		return nil, oversight.Invalid("invalid subject", "subject", "the id of a resource (such as lic_…), up to 100 characters")
	case after < -1:
		return nil, oversight.Invalid("invalid after", "after", "must be a log index from 0")
	case limit < 1 || limit > MaxLogEntriesPage:
		return nil, oversight.Invalid("invalid limit", "limit", "must be a whole number from 1 to %d", MaxLogEntriesPage)
	}
	var out []oversight.LogEntry
	err := s.view(ctx, func(tx *store.Tx) error {
		idx, entries, err := tx.SubjectEntries(subject, after, limit)
		for i := range idx {
			out = append(out, oversight.NewLogEntry(idx[i], entries[i]))
		}
		return err
	})
	return out, err
}

// NewestLogEntries returns up to limit entries of the latest checkpoint's
// tree with an index below before (0 or beyond the tree: from its last
// entry), newest first: all of them, or those about subject, or of type
// typ, or both; and the size of that tree. The public log explorer pages
// through them, and every entry it lists can be proved against the
// checkpoint it names.
func (l *AuditLog) NewestLogEntries(ctx context.Context, subject, typ string, before int64, limit int) ([]oversight.LogEntry, int64, error) {
	s := l.s
	var p oversight.Problems
	if len(subject) > 100 || strings.ContainsAny(subject, "\x00\n") {
		p.Add("subject", "the id of a resource (such as lic_…), up to 100 characters")
	}
	if len(typ) > 60 || strings.ContainsAny(typ, "\x00\n") {
		p.Add("type", "an entry type such as license.status, up to 60 characters")
	}
	if before < 0 {
		p.Add("before", "must be a log index from 0")
	}
	if limit < 1 || limit > MaxLogEntriesPage {
		p.Add("limit", "must be a whole number from 1 to %d", MaxLogEntriesPage)
	}
	if err := p.Err("invalid search of the log"); err != nil {
		return nil, 0, err
	}
	sc, err := s.LogCheckpoint(ctx)
	if err != nil {
		return nil, 0, err
	}
	if before == 0 || before > sc.Size {
		before = sc.Size
	}
	var out []oversight.LogEntry
	err = s.view(ctx, func(tx *store.Tx) error {
		idx, entries, err := tx.NewestEntries(subject, typ, before, limit)
		for i := range idx {
			out = append(out, oversight.NewLogEntry(idx[i], entries[i]))
		}
		return err
	})
	return out, sc.Size, err
}

// InclusionProof returns the proof that the entry at index is in the tree
// of treeSize leaves, which must be at most the latest checkpoint's size.
func (l *AuditLog) InclusionProof(ctx context.Context, index, treeSize int64) (*tlog.InclusionProof, error) {
	s := l.s
	switch {
	case index < 0:
		return nil, oversight.Invalid("invalid index", "index", "must be a whole number from 0")
	case treeSize < 1:
		return nil, oversight.Invalid("invalid tree_size", "tree_size", "must be a whole number from 1")
	case index >= treeSize:
		return nil, oversight.Invalid("invalid index", "index", "must be less than tree_size (%d): a tree of %d leaves holds the indexes 0 to %d", treeSize, treeSize, treeSize-1)
	}
	if err := s.checkTreeSize(ctx, "tree_size", treeSize); err != nil {
		return nil, err
	}
	hs, err := s.store.InclusionProof(ctx, index, treeSize)
	if err != nil {
		return nil, err
	}
	return &tlog.InclusionProof{Index: index, TreeSize: treeSize, Hashes: nonNil(hs)}, nil
}

// ConsistencyProof returns the proof that the tree of newSize leaves
// extends the tree of oldSize; newSize must be at most the latest
// checkpoint's size.
func (l *AuditLog) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (*tlog.ConsistencyProof, error) {
	s := l.s
	switch {
	case oldSize < 0:
		return nil, oversight.Invalid("invalid old", "old", "must be a whole number from 0")
	case newSize < 0:
		return nil, oversight.Invalid("invalid new", "new", "must be a whole number from 0")
	case oldSize > newSize:
		return nil, oversight.Invalid("invalid old", "old", "must be at most new (%d)", newSize)
	}
	if err := s.checkTreeSize(ctx, "new", newSize); err != nil {
		return nil, err
	}
	hs, err := s.store.ConsistencyProof(ctx, oldSize, newSize)
	if err != nil {
		return nil, err
	}
	return &tlog.ConsistencyProof{Old: oldSize, New: newSize, Hashes: nonNil(hs)}, nil
}

// checkTreeSize refuses a tree size beyond the latest checkpoint: the log
// has not committed to that tree, or not yet.
func (l *AuditLog) checkTreeSize(ctx context.Context, field string, size int64) error {
	s := l.s
	sc, err := s.LogCheckpoint(ctx)
	if err != nil {
		return err
	}
	if size > sc.Size {
		return &oversight.Error{Code: oversight.ENOTFOUND,
			Message: fmt.Sprintf("%s %d is beyond the latest checkpoint, of size %d", field, size, sc.Size),
			Fields:  []oversight.FieldError{{Field: field, Message: fmt.Sprintf("must be at most %d, the latest checkpoint's size", sc.Size)}}}
	}
	return nil
}

// LogTile returns the tile or entry bundle at path, relative to the log's
// prefix ("tile/0/x001/234", "tile/entries/005.p/17"), as C2SP tlog-tiles
// names them, and the tile it names. A path not in the canonical form is
// EINVALID; a tile beyond the latest checkpoint's tree is ENOTFOUND.
func (l *AuditLog) LogTile(ctx context.Context, path string) (tlog.Tile, []byte, error) {
	s := l.s
	t, err := tlog.ParseTilePath(path)
	if errors.Is(err, tlog.ErrInvalidPath) {
		return t, nil, oversight.Invalid("invalid path", "path", "%v", err)
	}
	if err != nil {
		return t, nil, err
	}
	sc, err := s.LogCheckpoint(ctx)
	if err != nil {
		return t, nil, err
	}
	if !t.InTree(sc.Size) {
		return t, nil, oversight.Errorf(oversight.ENOTFOUND, "%s is not in the tree of the latest checkpoint, of size %d", t.Path(), sc.Size)
	}
	data, err := s.store.LogTile(ctx, t)
	if err != nil {
		return t, nil, fmt.Errorf("%s: %w", t.Path(), err)
	}
	return t, data, nil
}

// nonNil makes an empty proof [] in JSON, not null.
func nonNil(hs []tlog.Hash) []tlog.Hash {
	if hs == nil {
		return []tlog.Hash{}
	}
	return hs
}
