// Package keydir keeps a server's secrets in its keys directory ("oversight
// serve --keys"): the audit log's signing key, the lease signing key, the
// site pepper, the screening key and the integrity check's key, each made
// on first start.
//
// Replicas of one server share the directory. Started together on a fresh
// directory they agree on every key: each file is created whole by one of
// them and read by the others (keyfile.LoadOrCreate). The directory must be
// mode 0700 and every file in it 0600; anything more open is refused with
// the chmod that fixes it, since these keys sign the public record and
// keep personal data unreadable.
package keydir

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/oversight-dev/oversight/keyfile"
	"github.com/oversight-dev/oversight/tlog"
)

// Files of the keys directory.
const (
	// LogKeyFile holds the audit log's note signer key
	// (PRIVATE+KEY+origin+…).
	LogKeyFile = "log.key"
	// CheckpointFile holds the last checkpoint note the log key signed, so
	// that a database swapped or truncated behind the key's back is refused
	// at start instead of being signed over. It is not secret, but kept
	// beside the key it vouches for.
	CheckpointFile = "log.checkpoint"
	// LeaseKeyFile holds the Ed25519 key that signs operating leases.
	LeaseKeyFile = "lease.pem"
	// PepperFile holds the site pepper, 32 random bytes in hex: the key
	// with which deployments hash target identifiers, given to each at its
	// registration.
	PepperFile = "site-pepper"
	// ScreeningKeyFile holds the key of the hashes of screened names, 32
	// random bytes in hex.
	ScreeningKeyFile = "screening-key"
	// IntegrityKeyFile holds the key that authenticates the integrity
	// check's verified checkpoint (HMAC-SHA256), 32 random bytes in hex:
	// kept out of the database, so that someone with the database cannot
	// forge a checkpoint the server would take on its word.
	IntegrityKeyFile = "integrity-key"
	// IntegrityCheckpointFile holds the integrity check's last verified
	// checkpoint (service.Options.Checkpoints): the log's size and root
	// and the licence and deployment state its entries give, under
	// IntegrityKeyFile's MAC. It is not secret.
	IntegrityCheckpointFile = "integrity.checkpoint"
)

// secretSize is the size of the random secrets, in bytes.
const secretSize = 32

// Dir is a keys directory.
type Dir struct {
	path string
}

// Open opens the keys directory at path, creating it with mode 0700 if it
// does not exist. A directory that group or others may access is refused.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("keys directory: %w", err)
	}
	if err := keyfile.CheckDir(path); err != nil {
		return nil, fmt.Errorf("keys directory: %w", err)
	}
	return &Dir{path: path}, nil
}

// Path returns the directory's path.
func (d *Dir) Path() string { return d.path }

// Keys are the server's secrets.
type Keys struct {
	// LogKey is the audit log's note signer key.
	LogKey string
	// LeaseKey signs operating leases.
	LeaseKey ed25519.PrivateKey
	// SitePepper is the key with which deployments hash target
	// identifiers.
	SitePepper []byte
	// ScreeningKey keys the hashes of screened names.
	ScreeningKey []byte
	// IntegrityKey authenticates the integrity check's verified
	// checkpoints.
	IntegrityKey []byte
	// Created names the files this call created: empty after the first
	// start.
	Created []string
}

// Options say how to make a log key.
type Options struct {
	// LogOrigin names the audit log in its checkpoints. It cannot change:
	// a log key that signs for another origin is refused. Empty means the
	// existing key's origin, or DefaultLogOrigin for a new key.
	LogOrigin string
	// DefaultLogOrigin names a new log key when LogOrigin is empty.
	DefaultLogOrigin string
}

// Load reads the server's secrets, creating those the directory lacks.
func (d *Dir) Load(o Options) (*Keys, error) {
	var k Keys
	var err error
	if k.LogKey, err = d.logKey(o, &k.Created); err != nil {
		return nil, fmt.Errorf("audit log key: %w", err)
	}
	if k.LeaseKey, err = d.leaseKey(&k.Created); err != nil {
		return nil, fmt.Errorf("lease key: %w", err)
	}
	if k.SitePepper, err = d.secret(PepperFile, &k.Created); err != nil {
		return nil, fmt.Errorf("site pepper: %w", err)
	}
	if k.ScreeningKey, err = d.secret(ScreeningKeyFile, &k.Created); err != nil {
		return nil, fmt.Errorf("screening key: %w", err)
	}
	if k.IntegrityKey, err = d.secret(IntegrityKeyFile, &k.Created); err != nil {
		return nil, fmt.Errorf("integrity key: %w", err)
	}
	return &k, nil
}

func (d *Dir) file(name string) string { return filepath.Join(d.path, name) }

func (d *Dir) logKey(o Options, created *[]string) (string, error) {
	path := d.file(LogKeyFile)
	b, made, err := keyfile.LoadOrCreate(path, func() ([]byte, error) {
		origin := o.LogOrigin
		if origin == "" {
			origin = o.DefaultLogOrigin
		}
		skey, _, err := tlog.GenerateKey(origin)
		return []byte(skey + "\n"), err
	})
	if err != nil {
		return "", err
	}
	if made {
		*created = append(*created, path)
	}
	skey := strings.TrimSpace(string(b))
	s, err := note.NewSigner(skey)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if o.LogOrigin != "" && o.LogOrigin != s.Name() {
		return "", fmt.Errorf("%s signs for the origin %q, not %q: the origin names the log and cannot change; "+
			"drop --log-origin, or use another keys directory for a new log", path, s.Name(), o.LogOrigin)
	}
	return skey, nil
}

func (d *Dir) leaseKey(created *[]string) (ed25519.PrivateKey, error) {
	path := d.file(LeaseKeyFile)
	b, made, err := keyfile.LoadOrCreate(path, func() ([]byte, error) {
		_, b, err := keyfile.NewKey()
		return b, err
	})
	if err != nil {
		return nil, err
	}
	if made {
		*created = append(*created, path)
	}
	k, err := keyfile.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// secret reads a random secret kept in hex, one line.
func (d *Dir) secret(name string, created *[]string) ([]byte, error) {
	path := d.file(name)
	b, made, err := keyfile.LoadOrCreate(path, func() ([]byte, error) {
		s := make([]byte, secretSize)
		rand.Read(s)
		return []byte(hex.EncodeToString(s) + "\n"), nil
	})
	if err != nil {
		return nil, err
	}
	if made {
		*created = append(*created, path)
	}
	s, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(s) != secretSize {
		return nil, fmt.Errorf("%s: want %d bytes in hex", path, secretSize)
	}
	return s, nil
}

// Checkpoint returns the last checkpoint note the log key signed, or nil
// if it has signed none yet.
func (d *Dir) Checkpoint() ([]byte, error) { return d.optional(CheckpointFile) }

// optional reads the file name of the directory, nil if there is none.
func (d *Dir) optional(name string) ([]byte, error) {
	b, err := keyfile.ReadFile(d.file(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// SaveCheckpoint replaces the last checkpoint note, durably: a crash
// leaves the old note or the new one, never a torn one.
func (d *Dir) SaveCheckpoint(note []byte) error {
	return keyfile.Replace(d.file(CheckpointFile), note)
}

// IntegrityCheckpoint returns the integrity check's last verified
// checkpoint, or nil if none was recorded.
func (d *Dir) IntegrityCheckpoint() ([]byte, error) { return d.optional(IntegrityCheckpointFile) }

// SaveIntegrityCheckpoint replaces the integrity check's verified
// checkpoint, durably and whole (replicas sharing the directory each
// write theirs; any of them is a true statement about the log).
func (d *Dir) SaveIntegrityCheckpoint(b []byte) error {
	return keyfile.Replace(d.file(IntegrityCheckpointFile), b)
}

// VerifierKey returns the audit log's verifier key, derived from the
// signing key in the keys directory at path, without creating anything.
func VerifierKey(path string) (string, error) {
	file := filepath.Join(path, LogKeyFile)
	b, err := keyfile.ReadFile(file)
	if err != nil {
		return "", err
	}
	vkey, err := tlog.VerifierKey(strings.TrimSpace(string(b)))
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	return vkey, nil
}
