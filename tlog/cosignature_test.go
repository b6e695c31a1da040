package tlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// testWitness returns a fixed witness key pair, so that its verifier key is
// golden.
func testWitness(t testing.TB, name string, seed byte) (ed25519.PrivateKey, note.Verifier) {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	vkey, err := WitnessVerifierKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewWitnessVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return key, v
}

// cosign returns msg with name's cosignature added.
func cosign(t testing.TB, msg []byte, name string, key ed25519.PrivateKey) []byte {
	t.Helper()
	s, err := NewWitnessSigner(name, key)
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := bytes.Cut(msg, []byte("\n\n"))
	signed, err := note.Sign(&note.Note{Text: string(text) + "\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	_, sigs, _ := bytes.Cut(signed, []byte("\n\n"))
	out, err := AddCosignatures(msg, sigs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCosignatureFormat checks torchwood's cosignatures against C2SP
// tlog-cosignature itself: the key ID is SHA-256(name || "\n" || 0x04 ||
// key)[:4], and the signature is a big-endian timestamp followed by the
// Ed25519 signature of "cosignature/v1\ntime T\n" and the checkpoint text.
func TestCosignatureFormat(t *testing.T) {
	const name = "witness.example/w1"
	key, v := testWitness(t, name, 7)
	pub := key.Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte(name+"\n\x04"), pub...))
	if want := binary.BigEndian.Uint32(h[:4]); v.KeyHash() != want {
		t.Errorf("key hash %08x, C2SP says %08x", v.KeyHash(), want)
	}
	vkey, _ := WitnessVerifierKey(name, pub)
	golden(t, "witness-key.golden", []byte(vkey+"\n"))

	msg := signedCheckpoint(t, 3)
	cosigned := cosign(t, msg, name, key)
	lines := strings.Split(strings.TrimSuffix(string(cosigned), "\n"), "\n")
	last := lines[len(lines)-1]
	b64, ok := strings.CutPrefix(last, "— "+name+" ")
	if !ok {
		t.Fatalf("last line %q is not the witness's signature", last)
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(sig) != 4+8+ed25519.SignatureSize {
		t.Fatalf("signature %q: %d bytes, %v", b64, len(sig), err)
	}
	if binary.BigEndian.Uint32(sig) != v.KeyHash() {
		t.Errorf("signature key ID %x", sig[:4])
	}
	ts := binary.BigEndian.Uint64(sig[4:])
	text, _, _ := bytes.Cut(msg, []byte("\n\n"))
	signed := "cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + string(text) + "\n"
	if !ed25519.Verify(pub, []byte(signed), sig[12:]) {
		t.Errorf("the signature does not verify over %q", signed)
	}
	got, missing := Cosignatures(cosigned, []note.Verifier{v})
	if len(got) != 1 || got[0].Witness != name || got[0].Time.Unix() != int64(ts) || missing != nil {
		t.Errorf("Cosignatures = %v, %v", got, missing)
	}
	// The log's verifier still reads the cosigned note: x/mod ignores
	// signatures by keys it does not know.
	_, vkeyLog := testKey(t)
	if _, err := VerifyCheckpoint(cosigned, vkeyLog); err != nil {
		t.Errorf("VerifyCheckpoint of the cosigned note: %v", err)
	}
}

// signedCheckpoint returns the log's signed checkpoint of a tree of n
// leaves.
func signedCheckpoint(t testing.TB, n int64) []byte {
	t.Helper()
	skey, _ := testKey(t)
	s, err := NewSigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	tree, _, _ := buildLog(t, n)
	msg, err := s.Sign(Checkpoint{Size: tree.Size(), Root: tree.Root()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestNewWitnessVerifierErrors(t *testing.T) {
	_, logKey := testKey(t)
	key, v := testWitness(t, "witness.example/w1", 7)
	good, _ := WitnessVerifierKey(v.Name(), key.Public().(ed25519.PublicKey))
	name, rest, _ := strings.Cut(good, "+")
	hash, key64, _ := strings.Cut(rest, "+")
	raw, _ := base64.StdEncoding.DecodeString(key64)
	for _, tt := range []struct {
		name, vkey, says string
	}{
		{"log key", logKey, "log's key"},
		{"wrong hash", name + "+00000000+" + key64, "does not match"},
		{"other name", "witness.example/w2+" + hash + "+" + key64, "does not match"},
		{"short key", name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(raw[:20]), "not an Ed25519 cosignature"},
		{"no hash", name + "+" + key64, "not name+hash+key"},
		{"space in name", "a b+" + hash + "+" + key64, "name"},
		{"not base64", name + "+" + hash + "+!!!", "not base64"},
		{"empty", "", "not name+hash+key"},
	} {
		_, err := NewWitnessVerifier(tt.vkey)
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: NewWitnessVerifier(%q) = %v, want an error saying %q", tt.name, tt.vkey, err, tt.says)
		}
	}
	if _, err := NewWitnessVerifier(" " + good + "\n"); err != nil {
		t.Errorf("the key with spaces around: %v", err)
	}
}

func TestVerifyCosigned(t *testing.T) {
	_, vkey := testKey(t)
	k1, v1 := testWitness(t, "witness.example/w1", 1)
	k2, v2 := testWitness(t, "witness.example/w2", 2)
	_, v3 := testWitness(t, "witness.example/w3", 3)
	impostor, _ := testWitness(t, "witness.example/w2", 9) // w2's name, another key
	msg := signedCheckpoint(t, 5)
	one := cosign(t, msg, v1.Name(), k1)
	two := cosign(t, one, v2.Name(), k2)
	forged := cosign(t, one, v2.Name(), impostor)
	// A cosignature of another checkpoint, pasted on this one.
	other := cosign(t, signedCheckpoint(t, 6), v2.Name(), k2)
	pasted, _ := AddCosignatures(one, []byte(other[bytes.LastIndex(other, []byte("— ")):]))
	all := []note.Verifier{v1, v2, v3}
	for _, tt := range []struct {
		name  string
		msg   []byte
		min   int
		valid int    // cosignatures that verify
		fails string // "" if it must verify
	}{
		{"none required", msg, 0, 0, ""},
		{"one of three", one, 1, 1, ""},
		{"two of three", two, 2, 2, ""},
		{"two required, one there", one, 2, 1, "1 of the 2 required"},
		{"uncosigned", msg, 1, 0, "witness.example/w1: no cosignature"},
		{"impostor with w2's name", forged, 2, 1, "witness.example/w2: no cosignature"},
		{"cosignature of another checkpoint", pasted, 2, 1, "witness.example/w2: invalid signature"},
		{"more required than keys", two, 4, 0, "only 3 witness keys"},
	} {
		_, got, err := VerifyCosigned(tt.msg, vkey, all, tt.min)
		switch {
		case tt.fails == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.fails != "" && (err == nil || !strings.Contains(err.Error(), tt.fails)):
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.fails)
		case len(got) != tt.valid:
			t.Errorf("%s: %d cosignatures verify, want %d", tt.name, len(got), tt.valid)
		}
		if tt.fails != "" && tt.min <= len(all) && !errors.Is(err, ErrCosignatures) {
			t.Errorf("%s: %v does not wrap ErrCosignatures", tt.name, err)
		}
	}
	// A witness's cosignature does not stand in for the log's signature.
	witnessOnly := []byte(strings.Replace(string(two), string(msg[bytes.Index(msg, []byte("— ")):]), "", 1))
	if _, _, err := VerifyCosigned(witnessOnly, vkey, all, 2); !errors.Is(err, ErrSignature) {
		t.Errorf("cosigned note without the log's signature: %v, want ErrSignature", err)
	}
}

func TestAddCosignatures(t *testing.T) {
	msg := []byte("o\n1\nr\n\n— o abc=\n")
	for _, tt := range []struct {
		name, sigs, want, fails string
	}{
		{"one", "— w1 xyz=\n", "o\n1\nr\n\n— o abc=\n— w1 xyz=\n", ""},
		{"two", "— w1 xyz=\n— w2 uvw=\n", "o\n1\nr\n\n— o abc=\n— w1 xyz=\n— w2 uvw=\n", ""},
		{"already there", "— o abc=\n", string(msg), ""},
		{"none", "", string(msg), ""},
		{"no newline", "— w1 xyz=", "", "newline"},
		{"not a signature", "hello\n", "", "not a note signature line"},
		{"empty line", "— w1 xyz=\n\n", "", "not a note signature line"},
	} {
		got, err := AddCosignatures(msg, []byte(tt.sigs))
		switch {
		case tt.fails != "" && (err == nil || !strings.Contains(err.Error(), tt.fails)):
			t.Errorf("%s: %q, %v; want an error saying %q", tt.name, got, err, tt.fails)
		case tt.fails == "" && (err != nil || string(got) != tt.want):
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestAddCheckpointRequest(t *testing.T) {
	msg := signedCheckpoint(t, 3)
	h1, h2 := LeafHash([]byte("a")), LeafHash([]byte("b"))
	for _, r := range []AddCheckpoint{
		{OldSize: 0, Note: msg},
		{OldSize: 2, Proof: []Hash{h1, h2}, Note: msg},
	} {
		body := r.Marshal()
		got, err := ParseAddCheckpoint(body)
		if err != nil {
			t.Fatalf("ParseAddCheckpoint(%q): %v", body, err)
		}
		if got.OldSize != r.OldSize || len(got.Proof) != len(r.Proof) || !bytes.Equal(got.Note, r.Note) || !bytes.Equal(got.Marshal(), body) {
			t.Errorf("round trip of %q: %+v", body, got)
		}
	}
	if body := string((AddCheckpoint{OldSize: 2, Proof: []Hash{h1}, Note: msg}).Marshal()); !strings.HasPrefix(body, "old 2\n"+h1.String()+"\n\n"+testOrigin+"\n3\n") {
		t.Errorf("body %q is not in the C2SP layout", body)
	}
	many := "old 1\n" + strings.Repeat(h1.String()+"\n", MaxWitnessProof+1) + "\n" + string(msg)
	for _, tt := range []struct{ name, body, says string }{
		{"no empty line", "old 0\n" + testOrigin, "no empty line"},
		{"no checkpoint", "old 0\n\n", "no checkpoint"},
		{"no old line", "new 0\n\n" + string(msg), "old <size>"},
		{"leading zero", "old 01\n\n" + string(msg), "leading zeros"},
		{"negative", "old -1\n\n" + string(msg), "leading zeros"},
		{"two spaces", "old  1\n\n" + string(msg), "leading zeros"},
		{"bad hash", "old 1\nnot-a-hash\n\n" + string(msg), "proof line 1"},
		{"too long a proof", many, "at most 63"},
	} {
		_, err := ParseAddCheckpoint([]byte(tt.body))
		if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v, want ErrInvalidRequest saying %q", tt.name, err, tt.says)
		}
	}
}

// FuzzParseAddCheckpoint checks that whatever parses marshals back to the
// same bytes: one request has one encoding.
func FuzzParseAddCheckpoint(f *testing.F) {
	f.Add([]byte("old 0\n\nexample.com/log\n1\n" + EmptyRoot.String() + "\n\n— example.com/log AAAA\n"))
	f.Add([]byte("old 3\n" + EmptyRoot.String() + "\n\nx\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseAddCheckpoint(body)
		if err != nil {
			return
		}
		if got := r.Marshal(); !bytes.Equal(got, body) {
			t.Fatalf("ParseAddCheckpoint(%q).Marshal() = %q", body, got)
		}
	})
}
