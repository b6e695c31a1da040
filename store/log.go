package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"github.com/oversight-dev/oversight/tlog"
)

// LogHead is the audit log's committed state: the number of leaves and the
// Merkle tree's root hash.
type LogHead struct {
	Size int64
	Root tlog.Hash
}

// logState is the committer's side of the audit log: the writable right
// edge of the Merkle tree, the batch of appends of the transaction being
// built, and the head published after each commit. Only the committer's
// goroutine touches tree and batch.
type logState struct {
	tree  *tlog.Tree
	batch *tlog.Batch // open between begin and committed or abort
	head  atomic.Pointer[LogHead]

	prover *tlog.Prover // reads committed tiles, for proofs and checkpoints
	ck     checkpointer
}

// loadLogState reads the log's size and the tiles of its right edge, so
// that appends go on from there without reading any old leaf.
func loadLogState(ctx context.Context, s *Store) (*logState, error) {
	l := &logState{prover: tlog.NewProver(s, 0)}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("load audit log: %w", err)
	}
	defer tx.Rollback()
	// The lock keeps other replicas' appends out until the right edge
	// is read, so that the tiles match the size.
	size, err := readLogSize(ctx, tx, s.dialect.lockHead)
	if err != nil {
		return nil, err
	}
	if size > 0 {
		var tiles int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tiles`).Scan(&tiles); err != nil {
			return nil, fmt.Errorf("load audit log: %w", err)
		}
		if tiles == 0 {
			// A database from before the tiles table: hash its events
			// once, in this transaction.
			if err := rebuildTiles(ctx, s, tx, size); err != nil {
				return nil, err
			}
		}
	}
	if l.tree, err = tlog.Load(ctx, sqlTiles{tx, s.dialect}, size); err != nil {
		return nil, fmt.Errorf("load audit log: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("load audit log: %w", err)
	}
	l.publish(&LogHead{Size: l.tree.Size(), Root: l.tree.Root()})
	return l, nil
}

// readLogSize reads the log head's size; suffix locks the row on
// PostgreSQL.
func readLogSize(ctx context.Context, tx *sql.Tx, suffix string) (int64, error) {
	var size int64
	if err := tx.QueryRowContext(ctx, "SELECT size FROM log_head WHERE id = 1"+suffix).Scan(&size); err != nil {
		return 0, fmt.Errorf("read log head: %w", err)
	}
	return size, nil
}

// rebuildTiles hashes the size first events into tile rows.
func rebuildTiles(ctx context.Context, s *Store, tx *sql.Tx, size int64) error {
	tree := tlog.NewTree()
	const chunk = 4096
	for start := int64(0); start < size; start += chunk {
		b := tree.Begin()
		rows, err := tx.QueryContext(ctx, `SELECT idx, entry FROM events WHERE idx >= $1 AND idx < $2 ORDER BY idx`, start, min(start+chunk, size))
		if err != nil {
			b.Rollback()
			return fmt.Errorf("rebuild audit log tiles: %w", err)
		}
		for rows.Next() {
			var idx int64
			var entry []byte
			err := rows.Scan(&idx, &entry)
			if err == nil && idx != b.Size() {
				err = fmt.Errorf("event %d is missing", b.Size())
			}
			if err == nil {
				_, err = b.AppendEntry(entry)
			}
			if err != nil {
				rows.Close()
				b.Rollback()
				return fmt.Errorf("rebuild audit log tiles: %w", err)
			}
		}
		if err := rows.Err(); err != nil {
			b.Rollback()
			return fmt.Errorf("rebuild audit log tiles: %w", err)
		}
		if err := upsertTiles(ctx, tx, nil, b.Tiles()); err != nil {
			b.Rollback()
			return err
		}
		b.Commit()
	}
	if tree.Size() != size {
		return fmt.Errorf("rebuild audit log tiles: %d events, the log head says %d", tree.Size(), size)
	}
	return nil
}

// begin opens the batch of a group-commit transaction. It reads the log
// head under the transaction's write lock (FOR UPDATE on PostgreSQL, where
// it serialises the appends of every replica; SQLite's BEGIN IMMEDIATE on
// the embedded store). A size other than the tree's means someone else
// appended since this process last committed (another replica, or
// "oversight token create" on the same file), or that the outcome of our
// last COMMIT was unknown: the right edge is reloaded from the tiles the
// other writer committed, which costs a few rows, not a rescan.
func (l *logState) begin(ctx context.Context, s *Store, tx *sql.Tx, st *batchStmts) error {
	size, err := st.readHead(ctx, tx, s.dialect)
	if err != nil {
		return err
	}
	if size != l.tree.Size() {
		tree, err := tlog.Load(ctx, sqlTiles{tx, s.dialect}, size)
		if err != nil {
			return fmt.Errorf("reload audit log: %w", err)
		}
		l.tree = tree
	}
	l.batch = l.tree.Begin()
	return nil
}

// snapshot and restore follow a request's savepoint.
func (l *logState) snapshot() tlog.Savepoint { return l.batch.Savepoint() }

func (l *logState) restore(sp tlog.Savepoint) { l.batch.RollbackTo(sp) }

// nextIndex is the index the next leaf takes.
func (l *logState) nextIndex() int64 { return l.batch.Size() }

// flush writes the tiles that changed and the new size, in the batch's
// transaction, before COMMIT.
func (l *logState) flush(ctx context.Context, tx *sql.Tx, st *batchStmts) error {
	b := l.batch
	if b.Size() == b.Start() {
		return nil
	}
	if err := upsertTiles(ctx, tx, st, b.Tiles()); err != nil {
		return err
	}
	if _, err := st.exec(ctx, tx, stmtWriteHead, b.Size()); err != nil {
		return fmt.Errorf("write log head: %w", err)
	}
	return nil
}

func upsertTiles(ctx context.Context, tx *sql.Tx, st *batchStmts, tiles []tlog.TileData) error {
	for _, td := range tiles {
		if _, err := st.exec(ctx, tx, stmtUpsertTile, td.Level, td.Index, td.Data); err != nil {
			return fmt.Errorf("write tile %s: %w", td.TileID, err)
		}
	}
	return nil
}

// committed ends the batch once COMMIT succeeded and returns the head to
// publish once the batch is durable, or nil if it is unchanged.
func (l *logState) committed() *LogHead {
	grew := l.batch.Size() != l.batch.Start()
	l.batch.Commit()
	l.batch = nil
	if grew || l.head.Load().Size != l.tree.Size() {
		return &LogHead{Size: l.tree.Size(), Root: l.tree.Root()}
	}
	return nil
}

// abort ends the batch, undoing its appends in memory, when the
// transaction rolled back or its COMMIT failed. If a failed COMMIT did
// reach the disk after all, the next begin sees the larger size and
// reloads.
func (l *logState) abort() {
	if l.batch != nil {
		l.batch.Rollback()
		l.batch = nil
	}
}

// publish makes h the head that LogHead returns and the signer signs.
func (l *logState) publish(h *LogHead) { l.head.Store(h) }

// LogHead returns the audit log's head as of this process's last commit.
// Other replicas sharing a PostgreSQL database may have appended since;
// Tx.LogSize reads the database.
func (s *Store) LogHead() LogHead { return *s.c.log.head.Load() }
