package keydir_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/oversight-dev/oversight/keydir"
	"github.com/oversight-dev/oversight/tlog"
)

var opts = keydir.Options{DefaultLogOrigin: "test.example/log"}

// Replicas started together on a fresh keys directory all load the same
// keys, and none fails: each file is created whole by one of them and read
// by the others. Each round stands for eight servers starting at once.
func TestConcurrentLoadersAgree(t *testing.T) {
	const rounds, loaders = 40, 8
	for round := range rounds {
		dir := filepath.Join(t.TempDir(), "keys")
		var wg sync.WaitGroup
		keys := make([]*keydir.Keys, loaders)
		errs := make([]error, loaders)
		start := make(chan struct{})
		for i := range loaders {
			wg.Go(func() {
				<-start
				d, err := keydir.Open(dir)
				if err != nil {
					errs[i] = err
					return
				}
				keys[i], errs[i] = d.Load(opts)
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for i := range loaders {
			if errs[i] != nil {
				t.Fatalf("round %d, loader %d: %v", round, i, errs[i])
			}
			created += len(keys[i].Created)
			a, b := keys[0], keys[i]
			if a.LogKey != b.LogKey || !a.LeaseKey.Equal(b.LeaseKey) ||
				!bytes.Equal(a.SitePepper, b.SitePepper) || !bytes.Equal(a.ScreeningKey, b.ScreeningKey) ||
				!bytes.Equal(a.IntegrityKey, b.IntegrityKey) {
				t.Fatalf("round %d: loaders 0 and %d disagree on the keys", round, i)
			}
		}
		if created != 5 {
			t.Fatalf("round %d: %d files reported created, want 5 (one per secret)", round, created)
		}
	}
}

// A second start reads what the first made; the files are 0600 and the
// directory 0700.
func TestLoadIsStable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	d, err := keydir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := d.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{keydir.LogKeyFile, keydir.LeaseKeyFile, keydir.PepperFile, keydir.ScreeningKeyFile, keydir.IntegrityKeyFile}
	for i, f := range want {
		want[i] = filepath.Join(dir, f)
	}
	if strings.Join(first.Created, " ") != strings.Join(want, " ") {
		t.Errorf("created %v, want %v", first.Created, want)
	}
	again, err := d.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Created) != 0 || again.LogKey != first.LogKey || !again.LeaseKey.Equal(first.LeaseKey) ||
		!bytes.Equal(again.SitePepper, first.SitePepper) || !bytes.Equal(again.ScreeningKey, first.ScreeningKey) ||
		!bytes.Equal(again.IntegrityKey, first.IntegrityKey) {
		t.Error("a second load differs from the first")
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	for _, f := range want {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", f, fi.Mode(), err)
		}
	}
	vkey, err := keydir.VerifierKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := tlog.VerifierKey(first.LogKey); v != vkey {
		t.Errorf("VerifierKey = %s, want %s", vkey, v)
	}
}

// A key file or a keys directory that group or others may read is refused
// with the chmod that fixes it.
func TestOpenModesRefused(t *testing.T) {
	for _, tc := range []struct {
		file string // "" for the directory
		mode os.FileMode
		want string
	}{
		{"", 0o750, "chmod 700"},
		{"", 0o702, "chmod 700"},
		{keydir.LeaseKeyFile, 0o640, "chmod 600"},
		{keydir.PepperFile, 0o644, "chmod 600"},
		{keydir.LogKeyFile, 0o604, "chmod 600"},
		{keydir.ScreeningKeyFile, 0o620, "chmod 600"},
	} {
		t.Run(fmt.Sprintf("%s %v", tc.file, tc.mode), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			d, err := keydir.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Load(opts); err != nil {
				t.Fatal(err)
			}
			opened := filepath.Join(dir, tc.file)
			if err := os.Chmod(opened, tc.mode); err != nil {
				t.Fatal(err)
			}
			d, err = keydir.Open(dir)
			if err == nil {
				_, err = d.Load(opts)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want+" "+opened) {
				t.Fatalf("err = %v, want the advice %q", err, tc.want+" "+opened)
			}
		})
	}
}

// The log key's origin names the log: a new keys directory takes the one
// asked for, and an existing key refuses another.
func TestLogOrigin(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	d, err := keydir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, err := d.Load(keydir.Options{LogOrigin: "registry.example/oversight-log", DefaultLogOrigin: "unused.example/log"})
	if err != nil {
		t.Fatal(err)
	}
	if vkey, _ := tlog.VerifierKey(k.LogKey); !strings.HasPrefix(vkey, "registry.example/oversight-log+") {
		t.Fatalf("verifier key %s", vkey)
	}
	if _, err := d.Load(opts); err != nil {
		t.Fatalf("no origin asked: the key's stands: %v", err)
	}
	if _, err := d.Load(keydir.Options{LogOrigin: "other.example/log"}); err == nil || !strings.Contains(err.Error(), "cannot change") {
		t.Fatalf("origin change: %v", err)
	}
}

// A corrupt secret is refused, not replaced: replacing it would change the
// keys the record was made with.
func TestCorruptSecretRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	d, err := keydir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, keydir.PepperFile), []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load(opts); err == nil || !strings.Contains(err.Error(), "want 32 bytes in hex") {
		t.Fatalf("err = %v", err)
	}
}

// The checkpoint kept beside the log key: none at first, then the last
// saved.
func TestCheckpoint(t *testing.T) {
	d, err := keydir.Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := d.Checkpoint(); err != nil || b != nil {
		t.Fatalf("fresh directory: %q, %v", b, err)
	}
	for _, note := range []string{"one\n", "two\n"} {
		if err := d.SaveCheckpoint([]byte(note)); err != nil {
			t.Fatal(err)
		}
		if b, err := d.Checkpoint(); err != nil || string(b) != note {
			t.Fatalf("after saving %q: %q, %v", note, b, err)
		}
	}
}
