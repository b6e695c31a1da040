// Package demo is "oversight serve --demo": a fictional data set loaded
// through the service as officers and vendors would load it (Load), and the
// demo's files in a data directory, started afresh at each start (Claim).
//
// A demo starts from nothing so that the tokens it prints are the ones
// that work. It must not start from nothing under a demo that is running:
// Claim takes a lock first, and a second demo in the same directory is
// refused before it touches a file.
package demo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Files of the demo, in its data directory.
const (
	// DB is the demo's SQLite database.
	DB = "demo.db"
	// Keys is the demo's keys directory.
	Keys = "demo-keys"
	// TokensFile holds the demo's tokens as shell exports, for "source".
	TokensFile = "demo-tokens.env"
	// LockFile is locked while a demo runs.
	LockFile = "demo.lock"
)

// ErrRunning is returned by Claim when a demo is running on the directory.
var ErrRunning = errors.New("another demo is running in this directory")

// Claim takes the demo's lock in the data directory dir, creating dir, and
// then, holding it, removes the last demo's database and keys. If another
// process holds the lock, it returns an error wrapping ErrRunning and
// removes nothing. The lock is held until release is called or the process
// ends, however it ends.
func Claim(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	unlock, err := lock(path)
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", path, err)
	}
	db := filepath.Join(dir, DB)
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			unlock()
			return nil, fmt.Errorf("reset demo database: %w", err)
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, Keys)); err != nil {
		unlock()
		return nil, fmt.Errorf("reset demo keys: %w", err)
	}
	return unlock, nil
}

// Exports returns the content of the tokens file: shell exports of the
// server's URL, the lease key agents pin and one token per role.
func Exports(server, leaseKey string, tokens []Token) string {
	var b strings.Builder
	fmt.Fprintf(&b, "export OVERSIGHT_SERVER=%s\n", server)
	fmt.Fprintf(&b, "export OVERSIGHT_LEASE_KEY=%s  # the lease key agents pin\n", leaseKey)
	for _, t := range tokens {
		fmt.Fprintf(&b, "export %s=%s  # %s\n", t.Env, t.Secret, t.Who)
	}
	return b.String()
}
