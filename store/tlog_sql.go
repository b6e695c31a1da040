package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/oversight-dev/oversight/tlog"
)

// stmtID names one of the statements the committer runs for every request
// or every batch.
type stmtID int

const (
	stmtSavepoint stmtID = iota
	stmtRelease
	stmtRollbackTo
	stmtInsertEvent
	stmtWriteHead
	stmtUpsertTile
	stmtReadHead
	numStmts
)

var stmtText = [numStmts]string{
	stmtSavepoint:   "SAVEPOINT request",
	stmtRelease:     "RELEASE SAVEPOINT request",
	stmtRollbackTo:  "ROLLBACK TO SAVEPOINT request",
	stmtInsertEvent: "INSERT INTO events (idx, type, actor, subject, time, entry) VALUES ($1, $2, $3, $4, $5, $6)",
	stmtWriteHead:   "UPDATE log_head SET size = $1 WHERE id = 1",
	stmtUpsertTile:  "INSERT INTO tiles (level, idx, hashes) VALUES ($1, $2, $3) ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes",
	stmtReadHead:    "SELECT size FROM log_head WHERE id = 1",
}

// preparedStmts are the committer's statements prepared once, on SQLite
// only: its driver parses a statement at every execution otherwise, which
// was a fifth of the writer's time. pgx caches prepared statements itself.
type preparedStmts [numStmts]*sql.Stmt

func prepareStmts(ctx context.Context, s *Store) (*preparedStmts, error) {
	if s.dialect.name != "sqlite" {
		return nil, nil
	}
	ps := new(preparedStmts)
	for id, text := range stmtText {
		st, err := s.wdb.PrepareContext(ctx, text)
		if err != nil {
			ps.close()
			return nil, fmt.Errorf("prepare %q: %w", text, err)
		}
		ps[id] = st
	}
	return ps, nil
}

func (ps *preparedStmts) close() {
	if ps == nil {
		return
	}
	for _, st := range ps {
		if st != nil {
			st.Close()
		}
	}
}

// batchStmts binds the prepared statements to one batch's transaction, each
// at its first use. A nil *batchStmts, or one without prepared statements,
// executes the statement text.
type batchStmts struct {
	ps *preparedStmts
	tx [numStmts]*sql.Stmt
}

func (b *batchStmts) exec(ctx context.Context, tx *sql.Tx, id stmtID, args ...any) (sql.Result, error) {
	if b == nil || b.ps == nil {
		return tx.ExecContext(ctx, stmtText[id], args...)
	}
	st := b.tx[id]
	if st == nil {
		st = tx.StmtContext(ctx, b.ps[id])
		b.tx[id] = st
	}
	return st.ExecContext(ctx, args...)
}

// readHead reads the log's size at the start of a batch, locking the head
// row on PostgreSQL.
func (b *batchStmts) readHead(ctx context.Context, tx *sql.Tx, d dialect) (int64, error) {
	var row *sql.Row
	if b == nil || b.ps == nil {
		row = tx.QueryRowContext(ctx, stmtText[stmtReadHead]+d.lockHead)
	} else {
		st := b.tx[stmtReadHead]
		if st == nil {
			st = tx.StmtContext(ctx, b.ps[stmtReadHead])
			b.tx[stmtReadHead] = st
		}
		row = st.QueryRowContext(ctx)
	}
	var size int64
	if err := row.Scan(&size); err != nil {
		return 0, fmt.Errorf("read log head: %w", err)
	}
	return size, nil
}

// queryer is what reading tiles needs of a *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// sqlTiles is a tlog.TileReader over the tiles table.
type sqlTiles struct {
	q queryer
	d dialect
}

// ReadTiles reads the rows in one query.
func (t sqlTiles) ReadTiles(ctx context.Context, ids []tlog.TileID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var q strings.Builder
	q.WriteString("SELECT level, idx, hashes FROM tiles WHERE ")
	args := make([]any, 0, 2*len(ids))
	for i, id := range ids {
		if i > 0 {
			q.WriteString(" OR ")
		}
		fmt.Fprintf(&q, "(level = $%d AND idx = $%d)", 2*i+1, 2*i+2)
		args = append(args, id.Level, id.Index)
	}
	rows, err := t.q.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("read tiles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id tlog.TileID
		var data []byte
		if err := rows.Scan(&id.Level, &id.Index, &data); err != nil {
			return nil, fmt.Errorf("read tiles: %w", err)
		}
		for i := range ids {
			if ids[i] == id {
				out[i] = data
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tiles: %w", err)
	}
	return out, nil
}

// ReadTiles implements tlog.TileReader over the committed tiles, for
// proofs and the tile endpoints.
func (s *Store) ReadTiles(ctx context.Context, ids []tlog.TileID) ([][]byte, error) {
	return sqlTiles{s.rdb, s.dialect}.ReadTiles(ctx, ids)
}

// ReadTiles reads tile rows inside the transaction's snapshot.
func (tx *Tx) ReadTiles(ids []tlog.TileID) ([][]byte, error) {
	return sqlTiles{tx.tx, tx.s.dialect}.ReadTiles(tx.ctx, ids)
}
