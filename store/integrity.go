package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/tlog"
)

// auditChunk is how many entries LogAudit reads per query: sixteen level-0
// tiles, a few megabytes of events.
const auditChunk = 16 * tlog.TileWidth

// LogAudit checks the audit log's stored entries against its stored tree:
// it hashes every entry again (RFC 6962), rebuilds the tree from those
// hashes, and compares every tile it builds, at every level, with the
// stored tile row. An entry edited behind the server's back no longer has
// the leaf hash its tile holds; a tile edited no longer has the hashes of
// the tiles below it; and the stored tiles are what the signed
// checkpoints cover (StartLog refuses a database whose tiles do not give
// the root the key signed, and the signer demands a consistency proof for
// each new checkpoint). So an entry that passes is the one the log
// committed to.
//
// A LogAudit remembers how far it has checked: each Audit reads only the
// entries appended since the last one, so that a check on a schedule
// costs what the log grew. It is not safe for concurrent use.
type LogAudit struct {
	tree *tlog.Tree // the tree rebuilt from the entries checked
}

// NewLogAudit returns an audit that has checked nothing yet: its first
// Audit reads the whole log.
func NewLogAudit() *LogAudit { return &LogAudit{tree: tlog.NewTree()} }

// Checked returns the number of entries checked so far.
func (a *LogAudit) Checked() int64 { return a.tree.Size() }

// Root returns the root hash of the tree rebuilt from the entries checked:
// the log's root at Checked() when no entry or tile disagreed.
func (a *LogAudit) Root() tlog.Hash { return a.tree.Root() }

// ErrAuditRoot reports that the stored tree of a size does not have the
// root a verified checkpoint of the integrity check recorded for it: the
// tiles were edited (or the database is another log's), and the audit
// cannot resume from that checkpoint.
var ErrAuditRoot = errors.New("the stored tree does not have the recorded root")

// ResumeLogAudit returns an audit that takes the entries [0, size) as
// checked: its first Audit reads from size on. It is for a check that
// resumes from a checkpoint it verified earlier, whose size and root are
// given, and which checks the entries before it separately. The tree of
// that size is loaded from its right-edge tiles as stored now, cut to the
// width they had at size (a hash, once written, never changes; a row
// shorter than that, in a log that holds fewer entries, is refused), and
// its root must be root: otherwise the error wraps ErrAuditRoot. Stored tiles
// are what the signed checkpoints cover, so a tree whose root is the
// recorded one is the tree the recorded check verified.
func (s *Store) ResumeLogAudit(ctx context.Context, size int64, root tlog.Hash) (*LogAudit, error) {
	if size < 0 {
		return nil, fmt.Errorf("resume the log audit at %d: %w: a negative size", size, ErrAuditRoot)
	}
	t, err := tlog.Load(ctx, tilesAt{s, size}, size)
	if err != nil {
		return nil, fmt.Errorf("resume the log audit at %d: %w (%w)", size, ErrAuditRoot, err)
	}
	if got := t.Root(); got != root {
		return nil, fmt.Errorf("resume the log audit at %d: %w: the stored tiles give %s, the checkpoint records %s", size, ErrAuditRoot, got, root)
	}
	return &LogAudit{tree: t}, nil
}

// tilesAt reads the stored tiles as they were when the tree had size
// leaves: each row cut to the width it had then. A row shorter than that
// is returned as stored, and tlog.Load refuses it.
type tilesAt struct {
	s    *Store
	size int64
}

func (t tilesAt) ReadTiles(ctx context.Context, ids []tlog.TileID) ([][]byte, error) {
	rows, err := t.s.ReadTiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		w := int(t.size>>(tlog.TileHeight*id.Level)) & (tlog.TileWidth - 1)
		if len(rows[i]) > w*tlog.HashSize {
			rows[i] = rows[i][:w*tlog.HashSize]
		}
	}
	return rows, nil
}

// A LogMismatch is a stored entry or tile that disagrees with the log.
type LogMismatch struct {
	// Index is the entry's index, or -1 when a tile above the leaves
	// disagrees.
	Index int64
	// Tile is the tile row that disagrees.
	Tile tlog.TileID
	// Detail says what disagrees, without the entry's contents.
	Detail string
}

func (m LogMismatch) String() string {
	if m.Index >= 0 {
		return fmt.Sprintf("log entry %d: %s", m.Index, m.Detail)
	}
	return fmt.Sprintf("log tile %s: %s", m.Tile, m.Detail)
}

// Audit checks the entries from a.Checked() up to size, which must not
// exceed the committed log's size, and returns what disagrees. each, if not
// nil, is called with each chunk of entries read, in order, first being
// the index of entries[0] (a nil entry is missing), and the chunk's read
// transaction, so that the caller can read the events' contents, and the
// rows they are about, on the way without reading the log twice.
//
// A mismatch is reported once: past an edited entry the audit goes on
// with the hash its tile holds, so that the tiles above are checked
// against what is stored rather than all reported again.
func (s *Store) Audit(ctx context.Context, a *LogAudit, size int64, each func(tx *Tx, first int64, entries [][]byte) error) ([]LogMismatch, error) {
	var out []LogMismatch
	for a.tree.Size() < size {
		start := a.tree.Size()
		end := min(size, (start/auditChunk+1)*auditChunk)
		err := s.View(ctx, func(tx *Tx) error {
			entries, err := tx.indexedEntries(start, end)
			if err != nil {
				return err
			}
			if each != nil {
				if err := each(tx, start, entries); err != nil {
					return err
				}
			}
			ms, err := a.check(tx, start, entries)
			out = append(out, ms...)
			return err
		})
		if err != nil {
			return dedupTiles(out), fmt.Errorf("audit log entries [%d, %d): %w", start, end, err)
		}
	}
	return dedupTiles(out), nil
}

// dedupTiles keeps one mismatch per tile above the leaves: a partial tile
// is compared again at each chunk it grows in.
func dedupTiles(ms []LogMismatch) []LogMismatch {
	seen := map[tlog.TileID]bool{}
	return slices.DeleteFunc(ms, func(m LogMismatch) bool {
		if m.Index >= 0 {
			return false
		}
		dup := seen[m.Tile]
		seen[m.Tile] = true
		return dup
	})
}

// check appends the entries at start to the rebuilt tree and compares the
// tiles that changed with the stored ones, in tx.
func (a *LogAudit) check(tx *Tx, start int64, entries [][]byte) ([]LogMismatch, error) {
	end := start + int64(len(entries))
	var ids []tlog.TileID
	for i := start / tlog.TileWidth; i <= (end-1)/tlog.TileWidth; i++ {
		ids = append(ids, tlog.TileID{Level: 0, Index: i})
	}
	leaves, err := tx.ReadTiles(ids)
	if err != nil {
		return nil, err
	}
	var out []LogMismatch
	b := a.tree.Begin()
	for k, e := range entries {
		i := start + int64(k)
		id := tlog.TileID{Level: 0, Index: i / tlog.TileWidth}
		row := leaves[id.Index-ids[0].Index]
		at := int(i%tlog.TileWidth) * tlog.HashSize
		var stored *tlog.Hash
		if at+tlog.HashSize <= len(row) {
			h := tlog.Hash(row[at : at+tlog.HashSize])
			stored = &h
		}
		var got tlog.Hash
		switch {
		case e == nil:
			out = append(out, LogMismatch{Index: i, Tile: id, Detail: "the event is missing from the database"})
		case stored == nil:
			out = append(out, LogMismatch{Index: i, Tile: id, Detail: "its leaf hash is missing from the stored tiles"})
			got = tlog.LeafHash(e)
		default:
			if got = tlog.LeafHash(e); got != *stored {
				out = append(out, LogMismatch{Index: i, Tile: id, Detail: fmt.Sprintf(
					"the stored entry hashes to %s, the log's tree holds %s: the entry was edited", got, *stored)})
			}
		}
		if stored != nil {
			got = *stored // go on with what the tree holds: report each mismatch once
		}
		b.Append(got)
	}
	// The tiles above the leaves: each must hold the hashes rebuilt from
	// the tiles below.
	var upper []tlog.TileData
	for _, td := range b.Tiles() {
		if td.Level > 0 {
			upper = append(upper, td)
		}
	}
	ids = ids[:0]
	for _, td := range upper {
		ids = append(ids, td.TileID)
	}
	rows, err := tx.ReadTiles(ids)
	if err != nil {
		b.Rollback()
		return nil, err
	}
	for k, td := range upper {
		if len(rows[k]) < len(td.Data) || !bytes.Equal(rows[k][:len(td.Data)], td.Data) {
			out = append(out, LogMismatch{Index: -1, Tile: td.TileID,
				Detail: "the stored tile does not hold the hashes of the tiles below it: it was edited"})
		}
	}
	b.Commit()
	return out, nil
}

// indexedEntries returns the entries [start, end), nil where an index has
// no event.
func (tx *Tx) indexedEntries(start, end int64) ([][]byte, error) {
	rows, err := tx.query(`SELECT idx, entry FROM events WHERE idx >= $1 AND idx < $2 ORDER BY idx`, start, end)
	if err != nil {
		return nil, fmt.Errorf("read entries [%d, %d): %w", start, end, err)
	}
	defer rows.Close()
	out := make([][]byte, end-start)
	for rows.Next() {
		var i int64
		var e []byte
		if err := rows.Scan(&i, &e); err != nil {
			return nil, err
		}
		if e == nil {
			e = []byte{}
		}
		out[i-start] = e
	}
	return out, rows.Err()
}

// StoredState is what the integrity check compares with the log, read in
// one snapshot: the log's size, and each licence's and deployment's
// stored state, columns and document, how many operations are stored,
// and each licence's count of permits.
type StoredState struct {
	LogSize      int64
	Licenses     []StoredLicense
	Deployments  []StoredDeployment
	Operations   int64
	PermitCounts []StoredPermitCount
}

// StoredPermitCount is a licence's row of permit_counts, which decisions
// read their quota from (ActivePermits), with what the licence's permit
// rows give for it: a row is right when issued counts every permit,
// expired those that expired at or before swept_to, and next_expiry is
// the earliest expiry after swept_to. Unexpired and FirstUnexpired are
// read from the operation rows, which the integrity check compares one by
// one with their operation.decided entries.
type StoredPermitCount struct {
	LicenseID                string
	Issued, Expired, SweptTo int64
	NextExpiry               *int64 // Unix microseconds; nil when none
	// Unexpired is the number of permit rows of the licence that expire
	// after SweptTo, FirstUnexpired the earliest of their expiries.
	Unexpired      int64
	FirstUnexpired *int64
}

// StoredLicense is a licence row: its status column and its document.
type StoredLicense struct {
	ID     string
	Status oversight.LicenseStatus // the column, which lists and filters read
	Doc    oversight.License       // the document, which decisions and leases read
	// DocErr is set when the document is not a licence's JSON.
	DocErr error
}

// StoredDeployment is a deployment row: its columns and its document.
type StoredDeployment struct {
	ID        string
	LicenseID string
	Status    oversight.DeploymentStatus
	PublicKey string
	Doc       oversight.Deployment
	DocErr    error
}

// StoredState reads the state to compare with the log, in one snapshot
// (REPEATABLE READ on PostgreSQL), so that no row is newer than the log's
// size read with it: a change committed meanwhile would look like an edit.
func (s *Store) StoredState(ctx context.Context) (*StoredState, error) {
	st := &StoredState{}
	sqltx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: s.dialect.snapshot})
	if err != nil {
		return nil, fmt.Errorf("begin read: %w", err)
	}
	defer sqltx.Rollback()
	err = func(tx *Tx) error {
		var err error
		if st.LogSize, err = tx.LogSize(); err != nil {
			return fmt.Errorf("read log size: %w", err)
		}
		if err := tx.queryRow(`SELECT count(*) FROM operations`).Scan(&st.Operations); err != nil {
			return fmt.Errorf("count operations: %w", err)
		}
		err = scanRows(tx, `SELECT id, status, doc FROM licenses ORDER BY id`, func(rows *sql.Rows) error {
			var l StoredLicense
			var doc string
			if err := rows.Scan(&l.ID, &l.Status, &doc); err != nil {
				return err
			}
			l.DocErr = json.Unmarshal([]byte(doc), &l.Doc)
			st.Licenses = append(st.Licenses, l)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read licences: %w", err)
		}
		err = scanRows(tx, `SELECT id, license_id, status, public_key, doc FROM deployments ORDER BY id`, func(rows *sql.Rows) error {
			var d StoredDeployment
			var key sql.NullString
			var doc string
			if err := rows.Scan(&d.ID, &d.LicenseID, &d.Status, &key, &doc); err != nil {
				return err
			}
			d.PublicKey = key.String
			d.DocErr = json.Unmarshal([]byte(doc), &d.Doc)
			st.Deployments = append(st.Deployments, d)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read deployments: %w", err)
		}
		// Both subqueries read only the permits after swept_to, by the
		// operations_permits index: about those the quota counts.
		err = scanRows(tx, `SELECT c.license_id, c.issued, c.expired, c.swept_to, c.next_expiry,
				(SELECT count(*) FROM operations o WHERE o.license_id = c.license_id AND o.decision = 'permit' AND o.expires_at > c.swept_to),
				(SELECT min(o.expires_at) FROM operations o WHERE o.license_id = c.license_id AND o.decision = 'permit' AND o.expires_at > c.swept_to)
			FROM permit_counts c ORDER BY c.license_id`, func(rows *sql.Rows) error {
			var c StoredPermitCount
			if err := rows.Scan(&c.LicenseID, &c.Issued, &c.Expired, &c.SweptTo, &c.NextExpiry, &c.Unexpired, &c.FirstUnexpired); err != nil {
				return err
			}
			st.PermitCounts = append(st.PermitCounts, c)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read the counts of permits: %w", err)
		}
		return nil
	}(&Tx{s: s, ctx: ctx, tx: sqltx})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// scanRows runs query and calls f on each row.
func scanRows(tx *Tx, query string, f func(*sql.Rows) error, args ...any) error {
	rows, err := tx.query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// StoredOperation is an operation row's columns that decisions and quotas
// read.
type StoredOperation struct {
	LicenseID string
	Decision  oversight.Verdict
	ExpiresAt *int64 // Unix microseconds
}

// StoredOperations returns, by id, the operations whose operation.decided
// events are among the entries [start, end) by the events' columns: one
// indexed join, so that the integrity check reads the operations with the
// log, chunk by chunk (Audit's each).
func (tx *Tx) StoredOperations(start, end int64) (map[string]StoredOperation, error) {
	out := map[string]StoredOperation{}
	err := scanRows(tx, `SELECT o.id, o.license_id, o.decision, o.expires_at FROM events e JOIN operations o ON o.id = e.subject
			WHERE e.idx >= $1 AND e.idx < $2 AND e.type = $3`, func(rows *sql.Rows) error {
		var id string
		var o StoredOperation
		if err := rows.Scan(&id, &o.LicenseID, &o.Decision, &o.ExpiresAt); err != nil {
			return err
		}
		out[id] = o
		return nil
	}, start, end, oversight.EventOperationDecided)
	if err != nil {
		return nil, fmt.Errorf("read the operations of entries [%d, %d): %w", start, end, err)
	}
	return out, nil
}

// UnloggedOperations returns up to limit stored operations that no
// operation.decided event names, with their licences.
func (tx *Tx) UnloggedOperations(limit int) (map[string]string, error) {
	out := map[string]string{}
	err := scanRows(tx, `SELECT o.id, o.license_id FROM operations o
			WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = o.id AND e.type = $1) ORDER BY o.id LIMIT $2`, func(rows *sql.Rows) error {
		var id, lic string
		if err := rows.Scan(&id, &lic); err != nil {
			return err
		}
		out[id] = lic
		return nil
	}, oversight.EventOperationDecided, limit)
	if err != nil {
		return nil, fmt.Errorf("find operations without a log entry: %w", err)
	}
	return out, nil
}
