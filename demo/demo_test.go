package demo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A second claim on a directory whose demo runs is refused and removes
// nothing; once the first is released, a claim starts from nothing.
func TestClaim(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	release, err := Claim(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(dir, DB), filepath.Join(dir, DB+"-wal"), filepath.Join(dir, Keys, "log.key")}
	os.Mkdir(filepath.Join(dir, Keys), 0o700)
	for _, f := range files {
		if err := os.WriteFile(f, []byte("running demo"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := Claim(dir); !errors.Is(err, ErrRunning) {
		t.Fatalf("second claim: err = %v, want ErrRunning", err)
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err != nil || string(b) != "running demo" {
			t.Errorf("%s after a refused claim: %q, %v", f, b, err)
		}
	}

	release()
	release, err = Claim(dir)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	defer release()
	for _, f := range files {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived a new demo: %v", f, err)
		}
	}
}
