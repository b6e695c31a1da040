package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

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
	return s.view(ctx, s.rdb, fn)
}

// view runs fn in a read-only transaction on db, the store's readers or
// its scans.
func (s *Store) view(ctx context.Context, db *sql.DB, fn func(*Tx) error) error {
	sqltx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
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

	// On SQLite, batches that committed wait here for the fsync of the
	// WAL that makes them durable; see syncLoop.
	durable chan *committedBatch
	wal     *os.File // the WAL, opened on first use by syncLoop
	walPath string   // "" on PostgreSQL, whose COMMIT is durable itself
	failed  atomic.Pointer[error]
}

// committedBatch is a batch whose COMMIT returned, waiting to be made
// durable before its callers are told.
type committedBatch struct {
	batch []*request
	head  *LogHead // the log head to publish once durable; nil if unchanged
}

func newCommitter(ctx context.Context, s *Store, maxBatch int) (*committer, error) {
	c := &committer{s: s, reqs: make(chan *request, maxBatch), maxBatch: maxBatch}
	if s.dialect.syncsWAL {
		c.walPath = s.dsn + "-wal"
		c.durable = make(chan *committedBatch, 64)
		c.wg.Add(1)
		go c.syncLoop()
	}
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
	if errp := c.failed.Load(); errp != nil {
		return &oversight.Error{Code: oversight.EUNAVAILABLE, Message: "the store stopped after a failed fsync; restart the server: " + (*errp).Error()}
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
	if c.durable != nil {
		defer close(c.durable)
	}
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

// run commits one batch and reports to every request in it: at once when
// the batch failed or wrote nothing, or when its COMMIT is durable by
// itself (PostgreSQL); after the WAL's fsync otherwise.
func (c *committer) run(batch []*request) {
	ctx := context.Background()
	wrote, head, err := c.runBatch(ctx, batch)
	if err == nil && wrote && c.durable != nil {
		// The batch is not finished: it is copied, since the loop reuses
		// the slice for the next one.
		c.durable <- &committedBatch{batch: append([]*request(nil), batch...), head: head}
		return
	}
	if head != nil {
		c.log.publish(head)
	}
	finish(batch, err)
}

// finish reports the outcome to every request of a batch: the commit
// hooks of those that succeeded run, in order, then all are told.
func finish(batch []*request, err error) {
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

// syncLoop makes committed SQLite batches durable: it fsyncs the WAL once
// for every batch that committed since the last fsync, then publishes
// their log heads and tells their callers, in commit order. Meanwhile the
// writer goes on with the next batch. Readers may see a batch's rows
// before its fsync ends (as with any database's group commit, for at most
// one fsync's time); its callers, its commit hooks and the log's signer do
// not, so nothing is acknowledged, pushed or signed that a power loss could
// still take back.
func (c *committer) syncLoop() {
	defer c.wg.Done()
	for cb := range c.durable {
		pending := []*committedBatch{cb}
	drain:
		for {
			select {
			case cb, ok := <-c.durable:
				if !ok {
					break drain
				}
				pending = append(pending, cb)
			default:
				break drain
			}
		}
		err := c.syncWAL()
		if err != nil {
			// After a failed fsync nothing is known of what reached the
			// disk (the kernel may have dropped the dirty pages): stop
			// taking writes rather than acknowledge on top of a hole.
			err = fmt.Errorf("fsync %s: %w", c.walPath, err)
			c.failed.CompareAndSwap(nil, &err)
		}
		for _, cb := range pending {
			if err == nil && cb.head != nil {
				c.log.publish(cb.head)
			}
			finish(cb.batch, err)
		}
	}
	if c.wal != nil {
		c.wal.Close()
	}
}

// syncWAL fsyncs the SQLite WAL. fsync flushes the file's data whichever
// descriptor asks, so a descriptor of our own serves; SQLite rewrites the
// WAL in place after a checkpoint and only removes it when its last
// connection closes, after the committer has stopped.
func (c *committer) syncWAL() error {
	if c.wal == nil {
		f, err := os.OpenFile(c.walPath, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		c.wal = f
	}
	return c.wal.Sync()
}

// runBatch runs a batch in one transaction and reports whether it wrote
// anything and the log head it committed (nil if the log did not change).
func (c *committer) runBatch(ctx context.Context, batch []*request) (wrote bool, head *LogHead, err error) {
	sqltx, err := c.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return false, nil, fmt.Errorf("begin: %w", err)
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
		return false, nil, err
	}
	ok := 0
	for _, r := range batch {
		if r.ctx.Err() != nil {
			r.err = r.ctx.Err()
			continue
		}
		if _, err := st.exec(ctx, sqltx, stmtSavepoint); err != nil {
			return false, nil, fmt.Errorf("savepoint: %w", err)
		}
		sp := c.log.snapshot()
		tx := &Tx{s: c.s, ctx: ctx, tx: sqltx, log: c.log, stmts: st}
		r.err = call(r.fn, tx)
		if r.err != nil {
			if _, err := st.exec(ctx, sqltx, stmtRollbackTo); err != nil {
				return false, nil, fmt.Errorf("rollback to savepoint: %w", err)
			}
			c.log.restore(sp)
		} else {
			r.onCommit = tx.onCommit
			ok++
		}
		if _, err := st.exec(ctx, sqltx, stmtRelease); err != nil {
			return false, nil, fmt.Errorf("release savepoint: %w", err)
		}
	}
	if ok == 0 {
		sqltx.Rollback()
		c.log.abort()
		return false, nil, nil
	}
	if err := c.log.flush(ctx, sqltx, st); err != nil {
		return false, nil, err
	}
	if err := sqltx.Commit(); err != nil {
		return false, nil, fmt.Errorf("commit: %w", err)
	}
	return true, c.log.committed(), nil
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
