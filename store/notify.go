package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Fanout reports whether the database can carry notifications between
// processes (PostgreSQL's LISTEN/NOTIFY). SQLite serves one process, which
// needs none.
func (s *Store) Fanout() bool { return s.dialect.shared }

// Notify sends payload on channel to every process listening on the
// database (PostgreSQL NOTIFY), at once rather than at the end of a
// transaction. A payload is at most 8000 bytes. On SQLite it does nothing.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if !s.Fanout() {
		return nil
	}
	if _, err := s.wdb.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen calls f with the payload of every notification sent on channel,
// in order, until ctx ends; f must not block for long. It holds a
// connection of its own, and reconnects after losing it (notifications
// sent meanwhile are lost: listeners must not depend on each one). On
// SQLite it returns at once.
func (s *Store) Listen(ctx context.Context, channel string, f func(payload string), logf func(msg string, args ...any)) {
	if !s.Fanout() {
		return
	}
	for wait := time.Second; ctx.Err() == nil; {
		err := s.listen(ctx, channel, f)
		if ctx.Err() != nil {
			return
		}
		logf("listen on the database: reconnecting", "channel", channel, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (s *Store) listen(ctx context.Context, channel string, f func(string)) error {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		f(n.Payload)
	}
}
