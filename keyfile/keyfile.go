// Package keyfile is the project's one reader and writer of secret files:
// private keys, peppers, the keys a server signs and hashes with.
//
// A secret file is written whole or not at all: to a temporary file of mode
// 0600 beside it, synced, then linked into place (Create, which never
// overwrites) or renamed over the old one (Replace), and the directory is
// synced. A reader therefore never sees a half-written file, and two
// processes creating the same file at once (replicas starting together on
// a fresh keys directory) end up with one file that both read: the loser
// of the race gets ErrExists and reads the winner's (LoadOrCreate).
//
// A secret file is read only if no one but its owner may read or write it
// (mode 0600 or stricter); a directory of secrets only if it is 0700 or
// stricter. Anything else is refused with the chmod that fixes it.
//
// Ed25519 private keys are kept as PEM-encoded PKCS #8 ("PRIVATE KEY"),
// the form openssl reads.
package keyfile

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ErrExists is returned by Create when the file already exists: a secret
// is never overwritten by accident.
var ErrExists = errors.New("key file already exists")

// ModeError is a secret file or directory that others than its owner may
// read or write.
type ModeError struct {
	Path string
	Mode fs.FileMode
}

func (e *ModeError) Error() string {
	want, what := "600", "a secret file"
	if e.Mode.IsDir() {
		want, what = "700", "a directory of secrets"
	}
	return fmt.Sprintf("%s is %s that group or others may access (mode %04o); only its owner may: chmod %s %s",
		e.Path, what, e.Mode.Perm(), want, e.Path)
}

// checkModes is false where permission bits do not say who may read a
// file.
var checkModes = runtime.GOOS != "windows" && runtime.GOOS != "plan9"

// CheckMode refuses fi, the file or directory at path, if group or others
// have any access to it.
func CheckMode(path string, fi fs.FileInfo) error {
	if checkModes && fi.Mode().Perm()&0o077 != 0 {
		return &ModeError{Path: path, Mode: fi.Mode()}
	}
	return nil
}

// CheckDir refuses the directory at path if it is not a directory or if
// group or others have any access to it.
func CheckDir(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", path)
	}
	return CheckMode(path, fi)
}

// ReadFile reads the secret file at path, refusing it if group or others
// have any access to it.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat() // the file opened, not whatever path names now
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if err := CheckMode(path, fi); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// Create writes data to a new secret file at path, mode 0600, durably. If
// path exists, it returns an error wrapping ErrExists and leaves the file
// as it was.
func Create(path string, data []byte) error {
	return write(path, data, true)
}

// Replace writes data to the file at path, mode 0600, replacing it
// durably: a crash leaves the old content or the new, never a mix.
func Replace(path string, data []byte) error {
	return write(path, data, false)
}

func write(path string, data []byte, exclusive bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*") // mode 0600
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a link, the temporary name; after a rename, nothing
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if exclusive {
		// link, unlike rename, fails if path exists: of two processes
		// creating the same secret, one wins and the other reads its file.
		if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrExists)
		} else if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	} else if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: sync the directory: %w", path, err)
	}
	return nil
}

// syncDir makes a new name in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LoadOrCreate reads the secret file at path or, if there is none, creates
// it with the content generate returns. Of processes calling it at once
// on the same path, one creates the file and all return its content;
// created says whether this call made it.
func LoadOrCreate(path string, generate func() ([]byte, error)) (data []byte, created bool, err error) {
	data, err = ReadFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return data, false, err
	}
	if data, err = generate(); err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	err = Create(path, data)
	if errors.Is(err, ErrExists) {
		// Another process created it since we looked: theirs stands.
		data, err = ReadFile(path)
		return data, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// NewKey makes a new Ed25519 private key and its key file's content.
func NewKey() (ed25519.PrivateKey, []byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	return priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Generate creates a new key, writes it to a new key file at path (see
// Create) and returns it. It refuses to overwrite an existing file.
func Generate(path string) (ed25519.PrivateKey, error) {
	priv, b, err := NewKey()
	if err != nil {
		return nil, err
	}
	if err := Create(path, b); err != nil {
		return nil, err
	}
	return priv, nil
}

// LoadOrGenerate reads the Ed25519 key file at path or, if there is none,
// creates one with a new key (see LoadOrCreate).
func LoadOrGenerate(path string) (ed25519.PrivateKey, error) {
	b, _, err := LoadOrCreate(path, func() ([]byte, error) {
		_, b, err := NewKey()
		return b, err
	})
	if err != nil {
		return nil, err
	}
	k, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Read reads an Ed25519 private key from the key file at path (see
// ReadFile).
func Read(path string) (ed25519.PrivateKey, error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse decodes a PEM PKCS #8 Ed25519 private key.
func Parse(b []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" file")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("not an Ed25519 key but %T", k)
	}
	return priv, nil
}
