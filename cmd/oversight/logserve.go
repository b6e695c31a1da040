package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/tlog"
)

// Files of the audit log in the keys directory.
const (
	// logKeyFile holds the log's note signer key (PRIVATE+KEY+origin+…),
	// mode 0600.
	logKeyFile = "log.key"
	// logCheckpointFile holds the last checkpoint note the key signed, so
	// that a database swapped or truncated behind the key's back is
	// refused at start instead of being signed over.
	logCheckpointFile = "log.checkpoint"
)

// startLog loads the audit log's signing key from the keys directory,
// creating it on first start for origin (store.DefaultLogOrigin if empty),
// and starts the store's checkpoint signer with the last checkpoint kept
// beside the key. It returns the verifier key. A database that does not
// extend what the key signed is refused.
func startLog(ctx context.Context, st *store.Store, dir, origin string, logger *slog.Logger) (string, error) {
	skey, err := loadOrCreateLogKey(dir, origin, logger)
	if err != nil {
		return "", err
	}
	witnessPath := filepath.Join(dir, logCheckpointFile)
	witness, err := os.ReadFile(witnessPath)
	if errors.Is(err, fs.ErrNotExist) {
		witness = nil
	} else if err != nil {
		return "", fmt.Errorf("audit log: %w", err)
	}
	w := &witnessFile{path: witnessPath}
	err = st.StartLog(ctx, store.LogConfig{SignerKey: skey, Witness: witness, Publish: w.write, Logger: logger})
	if errors.Is(err, store.ErrLogFork) {
		return "", fmt.Errorf("%w\n(database %s, keys directory %s; to begin a new log on purpose, use a new keys directory: "+
			"verifiers that pinned the old key will see a new log)", err, st.Redacted(), dir)
	}
	if err != nil {
		return "", fmt.Errorf("%w\n(database %s, keys directory %s)", err, st.Redacted(), dir)
	}
	return tlog.VerifierKey(skey)
}

// loadOrCreateLogKey reads the signer key, or generates one with mode 0600
// if the directory has none.
func loadOrCreateLogKey(dir, origin string, logger *slog.Logger) (string, error) {
	path := filepath.Join(dir, logKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if origin == "" {
			origin = store.DefaultLogOrigin
		}
		skey, _, err := tlog.GenerateKey(origin)
		if err != nil {
			return "", fmt.Errorf("audit log key: %w", err)
		}
		if err := writeFileSync(path, []byte(skey+"\n"), true); errors.Is(err, fs.ErrExist) {
			// Another server on this directory created it first.
			return loadOrCreateLogKey(dir, origin, logger)
		} else if err != nil {
			return "", fmt.Errorf("audit log key: %w", err)
		}
		logger.Info("audit log: generated a signing key", "file", path, "origin", origin)
		return skey, nil
	}
	if err != nil {
		return "", fmt.Errorf("audit log key: %w", err)
	}
	skey := strings.TrimSpace(string(b))
	s, err := note.NewSigner(skey)
	if err != nil {
		return "", fmt.Errorf("audit log key %s: %w", path, err)
	}
	if origin != "" && origin != s.Name() {
		return "", fmt.Errorf("audit log key %s signs for the origin %q, not %q: the origin names the log and cannot change; "+
			"drop --log-origin, or use another keys directory for a new log", path, s.Name(), origin)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		logger.Warn("audit log: the signing key is readable by others; chmod 600 it", "file", path, "mode", fi.Mode().Perm().String())
	}
	return skey, nil
}

// witnessFile keeps the last checkpoint note beside the key.
type witnessFile struct {
	path string
	mu   sync.Mutex
}

// write replaces the file with note, durably: a crash leaves the old note
// or the new one, never a torn one.
func (w *witnessFile) write(note []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return writeFileSync(w.path, note, false)
}

// writeFileSync writes data to path with mode 0600 through a temporary file
// renamed into place, syncing the file and the directory. With exclusive,
// an existing file is an error.
func writeFileSync(path string, data []byte, exclusive bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename, a no-op
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if exclusive {
		// Link fails if path exists: two servers starting together on one
		// directory cannot both create a key.
		if err := os.Link(tmp, path); err != nil {
			return err
		}
	} else if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
