// Package storetest opens fresh stores for tests: an SQLite file in a
// temporary directory, and a PostgreSQL schema of its own on the server
// named by OVERSIGHT_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test).
//
// Without a reachable PostgreSQL the PostgreSQL tests skip with a message,
// except when CI=true: there they fail, so that CI can never pass by
// skipping them.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/oversight-dev/oversight/store"
)

// DefaultPostgres is the server the tests use when OVERSIGHT_TEST_POSTGRES
// is not set.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test"

// Kinds lists the databases every conformance test runs against.
var Kinds = []string{"sqlite", "postgres"}

// DSN returns a data source for a fresh, empty database of kind ("sqlite" or
// "postgres"), removed when the test ends.
func DSN(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case "sqlite":
		return filepath.Join(t.TempDir(), "oversight.db")
	case "postgres":
		return postgresSchema(t)
	}
	t.Fatalf("unknown store kind %q", kind)
	return ""
}

// Open opens a fresh store of kind, closed when the test ends.
func Open(t testing.TB, kind string) *store.Store {
	t.Helper()
	return OpenDSN(t, DSN(t, kind))
}

// OpenDSN opens a store on dsn, closed when the test ends.
func OpenDSN(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// BehindTheBack opens the database at dsn directly, as another tool would,
// for tests that edit it behind the store's back; it is closed when the
// test ends.
func BehindTheBack(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if store.IsPostgres(dsn) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Each runs f as a subtest against a fresh store of every kind.
func Each(t *testing.T, f func(t *testing.T, s *store.Store)) {
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) { f(t, Open(t, kind)) })
	}
}

// postgresSchema creates a schema of its own on the test server and returns
// a DSN whose search_path points at it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv("OVERSIGHT_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgres
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		msg := "PostgreSQL not reachable at " + store.RedactDSN(base) + " (set OVERSIGHT_TEST_POSTGRES): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true, so this is a failure, not a skip")
		}
		t.Skip(msg)
	}
	defer db.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", store.RedactDSN(base), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
