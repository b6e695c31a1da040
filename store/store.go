// Package store persists Oversight's state in one schema that runs on
// embedded SQLite (modernc.org/sqlite, the default) and on PostgreSQL (pgx).
//
// Every write goes through Update, which group-commits: concurrent callers
// share one database transaction and one fsync, each inside its own
// savepoint so that one caller's failure does not undo another's work.
// Every state change records its event in the same transaction (Tx.Record),
// and every event becomes a leaf of the audit log, so that no change can
// bypass the log.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune a Store. The zero value is sensible.
type Options struct {
	// MaxBatch bounds how many Update calls share one transaction; 0 means
	// 512.
	MaxBatch int
	// ReadConns bounds concurrent readers; 0 means 8.
	ReadConns int
}

// Store is a handle on the database. It is safe for concurrent use.
type Store struct {
	dialect dialect
	wdb     *sql.DB // writes: one connection on SQLite, the committer's pool on PostgreSQL
	rdb     *sql.DB // reads
	// scans reads entry bundles, sequential scans of the events table
	// (LogTile): on SQLite, connections of their own with a small page
	// cache (see Open).
	scans *sql.DB
	c     *committer
	dsn   string

	licenseDocs sync.Map // licence id → *decodedLicense (operations.go)
}

// dialect holds the differences between SQLite and PostgreSQL: the rest
// of the store asks it, never the dialect's name.
type dialect struct {
	name string // "sqlite" or "postgres", for logs
	// goose is the migrations' dialect.
	goose goose.Dialect
	// lockHead is appended to the statement that reads the log head at the
	// start of a batch; on PostgreSQL it serialises the log's sequencer
	// across replicas.
	lockHead string
	// jsonField returns the SQL expression of a top-level string field of
	// a JSON document column.
	jsonField func(column, field string) string
	// noApproval is the condition that no approval in a licence's
	// document is by the ministry given as its parameter (its first $).
	noApproval string
	// prepares says whether the store prepares its statements: SQLite's
	// driver parses a statement at every execution otherwise; pgx caches
	// prepared statements itself.
	prepares bool
	// syncsWAL says whether the committer fsyncs the write-ahead log
	// itself after each batch (SQLite in WAL mode, synchronous=NORMAL),
	// where PostgreSQL's commit is durable on its own.
	syncsWAL bool
	// shared says whether several replicas may share the database, and so
	// whether changes fan out between them (LISTEN/NOTIFY) and migrations
	// take a lock.
	shared bool
	// snapshot is the isolation level at which a read sees one snapshot
	// across its statements: SQLite's read transactions do at the
	// default; PostgreSQL's READ COMMITTED takes one per statement.
	snapshot sql.IsolationLevel
}

var (
	sqliteDialect = dialect{name: "sqlite", goose: goose.DialectSQLite3, prepares: true, syncsWAL: true,
		jsonField:  func(column, field string) string { return "json_extract(" + column + ", '$." + field + "')" },
		noApproval: `$ NOT IN (SELECT json_extract(value, '$.ministry') FROM json_each(doc, '$.approvals'))`}
	postgresDialect = dialect{name: "postgres", goose: goose.DialectPostgres, lockHead: " FOR UPDATE", shared: true, snapshot: sql.LevelRepeatableRead,
		jsonField:  func(column, field string) string { return "(" + column + "::jsonb ->> '" + field + "')" },
		noApproval: `NOT COALESCE(doc::jsonb -> 'approvals', '[]'::jsonb) @> jsonb_build_array(jsonb_build_object('ministry', $::text))`}
)

// IsPostgres reports whether dsn names a PostgreSQL database rather than an
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn, a PostgreSQL URL or the path of an
// SQLite file (created with its directory if missing), and applies any
// pending migrations.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = 8
	}
	s := &Store{dsn: dsn}
	var err error
	if IsPostgres(dsn) {
		s.dialect = postgresDialect
		if s.wdb, err = sql.Open("pgx", dsn); err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		s.wdb.SetMaxOpenConns(opts.ReadConns + 2)
		s.rdb, s.scans = s.wdb, s.wdb
	} else {
		s.dialect = sqliteDialect
		if err := os.MkdirAll(filepath.Dir(dsn), 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		// Create the file ourselves, mode 0600: SQLite would make it 0644
		// less the umask, readable by every user of the machine, and its
		// -wal and -shm files take the database's mode.
		f, err := os.OpenFile(dsn, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		f.Close()
		// synchronous(NORMAL): COMMIT writes the WAL but does not fsync
		// it; the committer fsyncs the WAL itself, once for every batch
		// that committed meanwhile, before any of their callers hears
		// back. That is synchronous(FULL)'s guarantee (an acknowledged
		// write survives power loss), with the fsync off the writer's
		// path: the next batch runs while the last one reaches the disk.
		pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"
		if s.wdb, err = sql.Open("sqlite", "file:"+dsn+"?"+pragmas+"&_txlock=immediate"); err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		s.wdb.SetMaxOpenConns(1) // SQLite has one writer; the committer is it
		if s.rdb, err = sql.Open("sqlite", "file:"+dsn+"?"+pragmas+"&_pragma=query_only(1)"); err != nil {
			s.wdb.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		s.rdb.SetMaxOpenConns(opts.ReadConns)
		// SQLite empties a connection's page cache when its transaction
		// begins if the database changed since the last one, which on a
		// server taking decisions is always; every page read then takes
		// an allocation of its own (with modernc's allocator, page faults
		// and madvise calls as it is freed). An entry bundle is a scan of
		// about 40 pages read once: with a cache of 20 pages, those SQLite
		// allocates at once when a connection opens, pages are recycled
		// instead. Measured with 8 readers beside a writer: 2.0 ms of CPU
		// a bundle before, 1.1 ms after.
		if s.scans, err = sql.Open("sqlite", "file:"+dsn+"?"+pragmas+"&_pragma=query_only(1)&_pragma=cache_size(20)"); err != nil {
			s.closeDBs()
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		s.scans.SetMaxOpenConns(opts.ReadConns)
	}
	s.wdb.SetConnMaxIdleTime(5 * time.Minute)
	if err := s.wdb.PingContext(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("connect to %s: %w", s.Redacted(), err)
	}
	if err := s.migrate(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	if err := s.seed(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	if err := s.fillColumns(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.c, err = newCommitter(ctx, s, opts.MaxBatch)
	if err != nil {
		s.closeDBs()
		return nil, err
	}
	return s, nil
}

// Redacted returns the DSN with any password removed, for logs.
func (s *Store) Redacted() string { return RedactDSN(s.dsn) }

// RedactDSN returns dsn with any password masked, for logs and messages.
func RedactDSN(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparseable URL)"
	}
	return u.Redacted()
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name }

func (s *Store) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	d := s.dialect.goose
	// Migrations are written in parallel on branches and numbered by
	// range (00100s, 00150s…): one that lands after a higher number has
	// reached a database must still apply there. Each stands alone (a
	// table, a column), so the order between ranges does not matter.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if s.dialect.shared {
		// Replicas starting together must not migrate twice. The lock is
		// per schema, so that databases in other schemas of the same
		// server (tests, other installations) do not wait on each other.
		var schema string
		if err := s.wdb.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte("oversight-migrate:" + schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(d, s.wdb, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", s.Redacted(), err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.rdb.PingContext(ctx)
}

// Close stops the committer, waiting for batches in flight, and closes the
// database.
func (s *Store) Close() error {
	if s.c != nil {
		s.c.close()
	}
	return s.closeDBs()
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.scans != nil && s.scans != s.wdb {
		errs = append(errs, s.scans.Close())
	}
	if s.rdb != nil && s.rdb != s.wdb {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	return errors.Join(errs...)
}
