package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/oversight-dev/oversight"
)

// ErrClosed is returned by Update after Close.
var ErrClosed = &oversight.Error{Code: oversight.EUNAVAILABLE, Message: "the store is shutting down"}

// Tx is one caller's view of a transaction. Inside Update it writes within
// the caller's savepoint of a shared batch; inside View it reads a
// consistent snapshot. A Tx must not be used after its function returns.
type Tx struct {
	s        *Store
	ctx      context.Context
	tx       *sql.Tx
	log      *logState   // nil in View
	stmts    *batchStmts // the batch's prepared statements; nil in View
	onCommit []func()
}

// OnCommit registers f to run after the transaction has committed, in
// registration order, before Update returns. It is how in-memory state
// (caches, subscribers) follows the database without ever seeing a change
// that was rolled back.
func (tx *Tx) OnCommit(f func()) { tx.onCommit = append(tx.onCommit, f) }

// Dialect returns "sqlite" or "postgres".
func (tx *Tx) Dialect() string { return tx.s.dialect.name }

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	sqltx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer sqltx.Rollback()
	return fn(&Tx{s: s, ctx: ctx, tx: sqltx})
}

// Update runs fn in a read-write transaction, shared with other concurrent
// callers, and returns once the transaction has durably committed, or
// failed. If fn returns an error, only fn's own writes are rolled back.
// Update waits for the outcome even if ctx ends while fn is queued, so that
// a nil error always means the change is durable and a non-nil one that it
// is not there.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	r := &request{ctx: ctx, fn: fn, done: make(chan struct{})}
	if err := s.c.submit(r); err != nil {
		return err
	}
	<-r.done
	return r.err
}

type request struct {
	ctx      context.Context
	fn       func(*Tx) error
	err      error
	onCommit []func()
	done     chan struct{}
}

// committer is the single writer: it drains queued requests into batches
// and commits each batch in one transaction. While one batch commits the
// next one queues up, so the batch size follows the load: one request at a
// time when idle, hundreds under pressure, one fsync each.
type committer struct {
	s        *Store
	reqs     chan *request
	maxBatch int
	log      *logState
	prepared *preparedStmts // nil on PostgreSQL

	mu     sync.RWMutex // guards closed against submit racing close
	closed bool
	wg     sync.WaitGroup
}

func newCommitter(ctx context.Context, s *Store, maxBatch int) (*committer, error) {
	c := &committer{s: s, reqs: make(chan *request, maxBatch), maxBatch: maxBatch}
	var err error
	if c.log, err = loadLogState(ctx, s); err != nil {
		return nil, err
	}
	if c.prepared, err = prepareStmts(ctx, s); err != nil {
		return nil, err
	}
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

func (c *committer) submit(r *request) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return ErrClosed
	}
	c.reqs <- r
	return nil
}

func (c *committer) close() {
	// The checkpoint signer writes through the committer: stop it first.
	c.log.ck.stopSigner()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.reqs)
	c.mu.Unlock()
	c.wg.Wait()
	c.prepared.close()
}

func (c *committer) loop() {
	defer c.wg.Done()
	batch := make([]*request, 0, c.maxBatch)
	for r := range c.reqs {
		batch = append(batch[:0], r)
		// The writers the last commit released are runnable but may not
		// have run yet: yield once so that they can queue their next
		// request before this batch is drained. Without it, closed-loop
		// writers split into two cohorts that alternate, each paying its
		// own fsync; with it, the batches of 16 writers double and so does
		// their rate of durable appends on SQLite (BenchmarkAppendDurable).
		runtime.Gosched()
	fill:
		for len(batch) < c.maxBatch {
			select {
			case r, ok := <-c.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		c.run(batch)
	}
}

// run commits one batch and reports to every request in it.
func (c *committer) run(batch []*request) {
	ctx := context.Background()
	err := c.runBatch(ctx, batch)
	for _, r := range batch {
		if err != nil && r.err == nil {
			r.err = err
		}
		if r.err == nil {
			for _, f := range r.onCommit {
				f()
			}
		}
		close(r.done)
	}
}

func (c *committer) runBatch(ctx context.Context, batch []*request) (err error) {
	sqltx, err := c.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			sqltx.Rollback()
			// Undo the batch's appends in memory; if the COMMIT did
			// reach the disk after all, the next batch reloads.
			c.log.abort()
		}
	}()
	st := &batchStmts{ps: c.prepared}
	if err := c.log.begin(ctx, c.s, sqltx, st); err != nil {
		return err
	}
	ok := 0
	for _, r := range batch {
		if r.ctx.Err() != nil {
			r.err = r.ctx.Err()
			continue
		}
		if _, err := st.exec(ctx, sqltx, stmtSavepoint); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		sp := c.log.snapshot()
		tx := &Tx{s: c.s, ctx: ctx, tx: sqltx, log: c.log, stmts: st}
		r.err = call(r.fn, tx)
		if r.err != nil {
			if _, err := st.exec(ctx, sqltx, stmtRollbackTo); err != nil {
				return fmt.Errorf("rollback to savepoint: %w", err)
			}
			c.log.restore(sp)
		} else {
			r.onCommit = tx.onCommit
			ok++
		}
		if _, err := st.exec(ctx, sqltx, stmtRelease); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	if ok == 0 {
		sqltx.Rollback()
		c.log.abort()
		return nil
	}
	if err := c.log.flush(ctx, sqltx, st); err != nil {
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	c.log.committed()
	return nil
}

// call runs fn, turning a panic into an error so that one bad request
// cannot take the writer, and every other request of its batch, down.
func call(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in update: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(tx)
}
