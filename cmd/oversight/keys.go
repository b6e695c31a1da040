package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// defaultKeys is the keys directory used when --keys is not given.
const defaultKeys = "data/keys"

// demoKeys is the keys directory of "serve --demo", recreated with the
// demo database: the demo's audit log is a new log each time.
const demoKeys = "data/demo-keys"

// keysDir resolves and creates the directory of the server's secrets: the
// audit log's signing key, the lease signing key and the site pepper. It
// is created with mode 0700; every file in it is 0600.
func (c *ServeCmd) keysDir() (string, error) {
	dir := c.Keys
	if dir == "" {
		dir = defaultKeys
		if c.Demo && c.DB == "" {
			dir = demoKeys
			if err := os.RemoveAll(dir); err != nil {
				return "", fmt.Errorf("reset demo keys: %w", err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("keys directory: %w", err)
	}
	return dir, nil
}

// loadOrCreateSecret reads a random secret of n bytes, hex-encoded, from
// name in dir, creating it on first use.
func loadOrCreateSecret(dir, name string, n int) ([]byte, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		s, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(s) != n {
			return nil, fmt.Errorf("%s: want %d bytes in hex", path, n)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	s := make([]byte, n)
	rand.Read(s)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(s)); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return s, f.Close()
}
