package tlog

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const testOrigin = "oversight.example/log"

// testKey returns a fixed key pair, so signed notes are golden: Ed25519
// signatures are deterministic.
func testKey(t testing.TB) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{42}, 32)), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got %q\nwant %q", path, got, want)
	}
}

func TestCheckpointGolden(t *testing.T) {
	skey, vkey := testKey(t)
	s, err := NewSigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.VerifierKey() != vkey || s.Origin() != testOrigin {
		t.Fatalf("signer: vkey %q origin %q", s.VerifierKey(), s.Origin())
	}
	tree, _, _ := buildLog(t, 1000)
	msg, err := s.Sign(Checkpoint{Size: tree.Size(), Root: tree.Root()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "checkpoint-1000.golden", msg)
	golden(t, "verifier-key.golden", []byte(vkey+"\n"))

	// The checker's way: x/mod's note with the pinned key.
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[0] != testOrigin || lines[1] != "1000" || lines[2] != tree.Root().String() || lines[3] != "" {
		t.Errorf("note text %q", n.Text)
	}
	c, err := VerifyCheckpoint(msg, vkey)
	if err != nil || c != (Checkpoint{testOrigin, 1000, tree.Root()}) {
		t.Errorf("VerifyCheckpoint = %v, %v", c, err)
	}
}

func TestGenerateKey(t *testing.T) {
	// Many keys, so that key data with '+' and '/' in its base64 occurs.
	for range 200 {
		skey, vkey, err := GenerateKey(testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(skey, "PRIVATE+KEY+"+testOrigin+"+") || !strings.HasPrefix(vkey, testOrigin+"+") {
			t.Fatalf("keys %q %q", skey, vkey)
		}
		if got, err := VerifierKey(skey); err != nil || got != vkey {
			t.Fatalf("VerifierKey(%q) = %q, %v; want %q", skey, got, err, vkey)
		}
		if _, err := NewSigner(skey, nil); err != nil {
			t.Fatalf("NewSigner(%q): %v", skey, err)
		}
	}
	_, vkey := testKey(t)
	for _, bad := range []string{"", "https://oversight.example/log", "a b", "a+b", "a\nb"} {
		if _, _, err := GenerateKey(bad); err == nil {
			t.Errorf("GenerateKey(%q) succeeded", bad)
		}
	}
	if _, err := VerifierKey(vkey); err == nil {
		t.Error("VerifierKey accepted a verifier key")
	}
}

func TestParseCheckpoint(t *testing.T) {
	root := LeafHash([]byte("r")).String()
	for _, tt := range []struct {
		text string
		ok   bool
	}{
		{testOrigin + "\n5\n" + root + "\n", true},
		{testOrigin + "\n0\n" + EmptyRoot.String() + "\n", true},
		{testOrigin + "\n0\n" + root + "\n", false}, // empty tree, wrong root
		{testOrigin + "\n5\n" + root, false},
		{testOrigin + "\n5\n" + root + "\nextension\n", false},
		{testOrigin + "\n05\n" + root + "\n", false},
		{testOrigin + "\n+5\n" + root + "\n", false},
		{testOrigin + "\n-5\n" + root + "\n", false},
		{testOrigin + "\n9223372036854775808\n" + root + "\n", false},
		{testOrigin + "\n5\n" + root[:43] + "\n", false},
		{"\n5\n" + root + "\n", false},
		{"a b\n5\n" + root + "\n", false},
		{testOrigin + "\n5\n\n" + root + "\n", false},
		{"", false},
	} {
		c, err := ParseCheckpoint(tt.text)
		if (err == nil) != tt.ok {
			t.Errorf("ParseCheckpoint(%q) = %v, want ok=%v", tt.text, err, tt.ok)
		} else if tt.ok && c.Text() != tt.text {
			t.Errorf("ParseCheckpoint(%q).Text() = %q", tt.text, c.Text())
		}
	}
}

// FuzzParseCheckpoint checks that whatever parses prints back identically.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add(testOrigin + "\n5\n" + EmptyRoot.String() + "\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		if c.Text() != text {
			t.Fatalf("ParseCheckpoint(%q).Text() = %q", text, c.Text())
		}
	})
}

func TestVerifyCheckpointErrors(t *testing.T) {
	skey, vkey := testKey(t)
	s, err := NewSigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	root := LeafHash([]byte("x"))
	msg, err := s.Sign(Checkpoint{Size: 1, Root: root}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, otherV, err := GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	otherS, _, err := GenerateKey("other.example/log")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := NewSigner(otherS, nil)
	if err != nil {
		t.Fatal(err)
	}
	foreignMsg, err := foreign.Sign(Checkpoint{Size: 1, Root: root}, nil)
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Replace(msg, []byte("\n1\n"), []byte("\n2\n"), 1)

	for _, tt := range []struct {
		name string
		msg  []byte
		vkey string
		is   error
		says string
	}{
		{"other key, same name", msg, otherV, ErrSignature, "no signature by " + testOrigin},
		{"altered size", altered, vkey, ErrSignature, "does not match the text"},
		{"other log", foreignMsg, vkey, ErrSignature, "signed by: other.example/log"},
		{"bad key", msg, "not-a-key", nil, "verifier key"},
		{"not a note", []byte("hello\n"), vkey, nil, "malformed"},
	} {
		_, err := VerifyCheckpoint(tt.msg, tt.vkey)
		if err == nil {
			t.Errorf("%s: verified", tt.name)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: %v does not wrap %v", tt.name, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.says)
		}
	}

	// A key whose name is not the checkpoint's origin.
	liarS, liarV, _ := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 32)), "liar.example")
	signer, _ := note.NewSigner(liarS)
	liar, _ := note.Sign(&note.Note{Text: Checkpoint{testOrigin, 1, root}.Text()}, signer)
	if _, err := VerifyCheckpoint(liar, liarV); err == nil || !strings.Contains(err.Error(), "is not the key's name") {
		t.Errorf("origin mismatch: %v", err)
	}
}

func TestSignerRefusesInconsistency(t *testing.T) {
	ctx := context.Background()
	skey, vkey := testKey(t)
	tree, store, _ := buildLog(t, 500)
	p := NewProver(store, 0)
	s, err := NewSigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sign(Checkpoint{Size: 0, Root: LeafHash(nil)}, nil); err == nil {
		t.Error("signed an empty tree with a non-empty root")
	}
	root := func(n int64) Hash {
		h, err := p.RootHash(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	first, err := s.Sign(Checkpoint{Size: 300, Root: root(300)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Restart: a new signer from the persisted note.
	s, err = NewSigner(skey, first)
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := s.Last(); last.Size != 300 {
		t.Fatalf("Last after restart = %v", last)
	}
	proof, _ := p.ConsistencyProof(ctx, 300, 500)
	badProof, _ := p.ConsistencyProof(ctx, 299, 500)
	for _, tt := range []struct {
		name  string
		c     Checkpoint
		proof []Hash
	}{
		{"smaller size", Checkpoint{Size: 299, Root: root(299)}, nil},
		{"same size, other root", Checkpoint{Size: 300, Root: root(299)}, nil},
		{"no proof", Checkpoint{Size: 500, Root: root(500)}, nil},
		{"wrong proof", Checkpoint{Size: 500, Root: root(500)}, badProof},
		{"forked root", Checkpoint{Size: 500, Root: root(499)}, proof},
	} {
		if _, err := s.Sign(tt.c, tt.proof); !errors.Is(err, ErrInconsistent) {
			t.Errorf("%s: Sign error %v, want ErrInconsistent", tt.name, err)
		}
	}
	if _, err := s.Sign(Checkpoint{Origin: "other.example/log", Size: 500, Root: root(500)}, proof); err == nil {
		t.Error("signed another origin")
	}
	again, err := s.Sign(Checkpoint{Size: 300, Root: root(300)}, nil)
	if err != nil || !bytes.Equal(again, first) {
		t.Errorf("re-signing the last checkpoint: %v", err)
	}
	next, err := s.Sign(Checkpoint{Size: 500, Root: tree.Root()}, proof)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := VerifyCheckpoint(next, vkey); err != nil || c.Size != 500 {
		t.Fatalf("signed checkpoint: %v %v", c, err)
	}
	if last, note := s.Last(); last.Size != 500 || !bytes.Equal(note, next) {
		t.Errorf("Last = %v", last)
	}
	// A persisted note that does not verify with the key is refused.
	if _, err := NewSigner(skey, bytes.Replace(next, []byte("500"), []byte("501"), 1)); err == nil {
		t.Error("NewSigner accepted an altered last checkpoint")
	}
	if _, err := NewSigner("PRIVATE+KEY+nonsense", nil); err == nil {
		t.Error("NewSigner accepted a bad key")
	}
}
