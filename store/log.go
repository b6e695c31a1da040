package store

import (
	"context"
	"database/sql"
	"fmt"
)

// logState is the writer's view of the audit log's head: how many leaves
// it holds, including those appended by the batch being built.
type logState struct {
	size      int64 // including this batch's appends
	committed int64 // as of the last commit
}

type logSnapshot struct{ size int64 }

func loadLogState(ctx context.Context, s *Store) (*logState, error) {
	l := &logState{}
	if err := l.reload(ctx, s, nil); err != nil {
		return nil, err
	}
	return l, nil
}

// reload reads the head from the database, through sqltx when not nil.
func (l *logState) reload(ctx context.Context, s *Store, sqltx *sql.Tx) error {
	q := "SELECT size FROM log_head WHERE id = 1" + s.dialect.lockHead
	var row *sql.Row
	if sqltx != nil {
		row = sqltx.QueryRowContext(ctx, q)
	} else {
		row = s.wdb.QueryRowContext(ctx, "SELECT size FROM log_head WHERE id = 1")
	}
	var size int64
	if err := row.Scan(&size); err != nil {
		return fmt.Errorf("read log head: %w", err)
	}
	l.size, l.committed = size, size
	return nil
}

// begin locks the head for the batch. On PostgreSQL another replica may
// have appended since this one last committed; the lock serialises the
// sequencer and the reload catches up.
func (l *logState) begin(ctx context.Context, s *Store, sqltx *sql.Tx) error {
	return l.reload(ctx, s, sqltx)
}

func (l *logState) snapshot() logSnapshot { return logSnapshot{size: l.size} }

func (l *logState) restore(s logSnapshot) { l.size = s.size }

// append assigns the next index to a leaf.
func (l *logState) append(leaf []byte) int64 {
	i := l.size
	l.size++
	return i
}

// flush writes the head at the end of a batch.
func (l *logState) flush(ctx context.Context, s *Store, sqltx *sql.Tx) error {
	if l.size == l.committed {
		return nil
	}
	if _, err := sqltx.ExecContext(ctx, "UPDATE log_head SET size = $1 WHERE id = 1", l.size); err != nil {
		return fmt.Errorf("write log head: %w", err)
	}
	return nil
}

// committed records that the batch is durable.
func (l *logState) markCommitted() { l.committed = l.size }
