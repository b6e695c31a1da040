package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestGenerateRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.pem")
	priv, err := Generate(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(priv) {
		t.Error("read key differs from generated key")
	}
	sig := ed25519.Sign(got, []byte("m"))
	if !ed25519.Verify(priv.Public().(ed25519.PublicKey), []byte("m"), sig) {
		t.Error("signature does not verify")
	}
	if _, err := Generate(path); !errors.Is(err, ErrExists) {
		t.Errorf("Generate over existing file: err = %v, want ErrExists", err)
	}
	if again, _ := Read(path); !again.Equal(priv) {
		t.Error("a refused Generate changed the key file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want the key file alone (no temporary file left)", len(entries))
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "junk", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q): no error", in)
		}
	}
}

// Processes creating the same secret at once all end up with the one that
// was created, never with an error, a half-written file or a secret of
// their own.
func TestLoadOrCreateConcurrent(t *testing.T) {
	const rounds, callers = 50, 8
	for round := range rounds {
		path := filepath.Join(t.TempDir(), "secret")
		got := make([][]byte, callers)
		created := make([]bool, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range callers {
			wg.Go(func() {
				<-start
				got[i], created[i], errs[i] = LoadOrCreate(path, func() ([]byte, error) {
					// Large enough that a reader could catch it half-written.
					return bytes.Repeat(fmt.Appendf(nil, "caller %d\n", i), 4096), nil
				})
			})
		}
		close(start)
		wg.Wait()
		n := 0
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("round %d, caller %d: %v", round, i, errs[i])
			}
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("round %d: callers 0 and %d read different secrets", round, i)
			}
			if created[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d callers say they created the file, want 1", round, n)
		}
	}
}

// A secret file or directory that group or others may access is refused,
// with the chmod that fixes it.
func TestModesRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.pem")
	if _, err := Generate(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o700} {
		os.Chmod(path, mode)
		_, err := Read(path)
		var me *ModeError
		if mode&0o077 == 0 {
			if err != nil {
				t.Errorf("mode %v: %v", mode, err)
			}
			continue
		}
		if !errors.As(err, &me) || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %v: err = %v, want a ModeError saying chmod 600", mode, err)
		}
	}
	os.Chmod(dir, 0o755)
	if err := CheckDir(dir); err == nil || !strings.Contains(err.Error(), "chmod 700 "+dir) {
		t.Errorf("directory 0755: err = %v, want chmod 700", err)
	}
	os.Chmod(dir, 0o700)
	if err := CheckDir(dir); err != nil {
		t.Errorf("directory 0700: %v", err)
	}
	if err := CheckDir(path); err == nil {
		t.Error("a file taken for a directory")
	}
}

// Replace swaps the content whole, with mode 0600.
func TestReplace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "note")
	for _, s := range []string{"first\n", "second, longer\n", "3\n"} {
		if err := Replace(path, []byte(s)); err != nil {
			t.Fatal(err)
		}
		b, err := ReadFile(path)
		if err != nil || string(b) != s {
			t.Fatalf("after Replace(%q): %q, %v", s, b, err)
		}
	}
	if err := Create(path, []byte("x")); !errors.Is(err, ErrExists) {
		t.Errorf("Create over a file: %v", err)
	}
}
