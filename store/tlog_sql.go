package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/oversight-dev/oversight/tlog"
)

// stmtID names one of the statements the committer runs for every request
// or every batch, and those of every decision (POST /v1/authorize): the
// store's one table of prepared statements.
type stmtID int

const (
	stmtSavepoint stmtID = iota
	stmtRelease
	stmtRollbackTo
	stmtInsertEvent
	stmtWriteHead
	stmtUpsertTile
	stmtReadHead
	stmtDecisionFacts
	stmtInsertOperation
	stmtCountPermit
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
	stmtDecisionFacts: `SELECT d.license_id, d.status, l.doc, p.category, p.added_by, p.added_at, p.log_index,
			c.issued, c.expired, c.swept_to, c.next_expiry
		FROM deployments d
		JOIN licenses l ON l.id = d.license_id
		LEFT JOIN protected_persons p ON p.id_hash = $2
		LEFT JOIN permit_counts c ON c.license_id = d.license_id
		WHERE d.id = $1`,
	stmtInsertOperation: `INSERT INTO operations (id, license_id, deployment_id, decision, expires_at, marks, doc) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
	// $5 is the new permit's expiry.
	stmtCountPermit: `INSERT INTO permit_counts (license_id, issued, expired, swept_to, next_expiry) VALUES ($1, 1, $2, $3, $4)
		ON CONFLICT (license_id) DO UPDATE SET
			issued = permit_counts.issued + 1,
			expired = permit_counts.expired + CASE WHEN permit_counts.swept_to >= CAST($5 AS BIGINT) THEN 1 ELSE 0 END,
			next_expiry = CASE
				WHEN permit_counts.swept_to >= CAST($5 AS BIGINT) THEN permit_counts.next_expiry
				WHEN permit_counts.next_expiry IS NULL OR permit_counts.next_expiry > CAST($5 AS BIGINT) THEN CAST($5 AS BIGINT)
				ELSE permit_counts.next_expiry END`,
}

// preparedStmts are the statements of stmtText prepared once, when the
// store opens, on SQLite only: its driver parses a statement at every
// execution otherwise, which was a fifth of the writer's time (and as much
// again of a decision's). pgx caches prepared statements itself.
type preparedStmts [numStmts]*sql.Stmt

func prepareStmts(ctx context.Context, s *Store) (*preparedStmts, error) {
	if !s.dialect.prepares {
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

// stmt returns statement id bound to tx, or nil when tx should run its
// text.
func (b *batchStmts) stmt(ctx context.Context, tx *sql.Tx, id stmtID) *sql.Stmt {
	if b == nil || b.ps == nil {
		return nil
	}
	st := b.tx[id]
	if st == nil {
		st = tx.StmtContext(ctx, b.ps[id])
		b.tx[id] = st
	}
	return st
}

func (b *batchStmts) exec(ctx context.Context, tx *sql.Tx, id stmtID, args ...any) (sql.Result, error) {
	if st := b.stmt(ctx, tx, id); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, stmtText[id], args...)
}

func (b *batchStmts) queryRow(ctx context.Context, tx *sql.Tx, id stmtID, args ...any) *sql.Row {
	if st := b.stmt(ctx, tx, id); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, stmtText[id], args...)
}

// readHead reads the log's size at the start of a batch, locking the head
// row on PostgreSQL.
func (b *batchStmts) readHead(ctx context.Context, tx *sql.Tx, d dialect) (int64, error) {
	var row *sql.Row
	if st := b.stmt(ctx, tx, stmtReadHead); st != nil {
		row = st.QueryRowContext(ctx)
	} else {
		row = tx.QueryRowContext(ctx, stmtText[stmtReadHead]+d.lockHead)
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
