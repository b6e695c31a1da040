package keyfile

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
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
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "junk", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q): no error", in)
		}
	}
}
