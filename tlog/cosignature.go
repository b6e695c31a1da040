package tlog

import (
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// Witness cosignatures, per C2SP tlog-cosignature (cosignature/v1, Ed25519):
// a witness that checked a checkpoint's consistency with every earlier one
// it saw adds a note signature over "cosignature/v1\ntime T\n" and the
// checkpoint text. The signatures themselves are torchwood's, the Go
// transparency-log ecosystem's implementation; this file adds what it lacks
// (a verifier built from a verifier key alone) and the checks the log's
// clients make.

// cosignatureAlg is the key ID algorithm byte of Ed25519 cosignature/v1
// keys.
const cosignatureAlg = 0x04

// ErrCosignatures reports a checkpoint that does not carry the
// cosignatures a client requires.
var ErrCosignatures = errors.New("not enough witness cosignatures")

// NewWitnessSigner returns the note signer with which the witness named
// name (a schema-less URL, like a log origin) cosigns checkpoints with key.
// Each signature carries the time it was made.
func NewWitnessSigner(name string, key ed25519.PrivateKey) (*torchwood.CosignatureSigner, error) {
	if err := checkOrigin(name); err != nil {
		return nil, fmt.Errorf("witness signer: name: %w", err)
	}
	s, err := torchwood.NewCosignatureSigner(name, key)
	if err != nil {
		return nil, fmt.Errorf("witness signer: %w", err)
	}
	return s, nil
}

// WitnessVerifierKey returns the verifier key of a witness, the line that
// logs and clients are configured with: name+hash+base64(0x04 || key).
func WitnessVerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	v, err := witnessVerifier(name, pub)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// NewWitnessVerifier parses a witness verifier key (from
// WitnessVerifierKey, or any C2SP Ed25519 cosignature/v1 vkey) into the
// note verifier that checks its cosignatures. A log's own key (algorithm
// 0x01) is refused: a witness key has algorithm 0x04.
func NewWitnessVerifier(vkey string) (note.Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || len(hash16) != 8 {
		return nil, fmt.Errorf("witness key %.80q: not name+hash+key", vkey)
	}
	if err := checkOrigin(name); err != nil {
		return nil, fmt.Errorf("witness key %.80q: name: %w", vkey, err)
	}
	hash, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil {
		return nil, fmt.Errorf("witness key %.80q: key hash %q is not 8 hex digits", vkey, hash16)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(key64)
	switch {
	case err != nil || len(key) == 0:
		return nil, fmt.Errorf("witness key %.80q: key is not base64", vkey)
	case key[0] == 0x01:
		return nil, fmt.Errorf("witness key %.80q: this is a log's key (algorithm 1), not a witness's cosignature key (algorithm 4)", vkey)
	case key[0] != cosignatureAlg || len(key) != 1+ed25519.PublicKeySize:
		return nil, fmt.Errorf("witness key %.80q: not an Ed25519 cosignature/v1 key (algorithm 4, 32 bytes)", vkey)
	}
	v, err := witnessVerifier(name, ed25519.PublicKey(key[1:]))
	if err != nil {
		return nil, err
	}
	if v.KeyHash() != uint32(hash) {
		return nil, fmt.Errorf("witness key %.80q: key hash %s does not match the name and key (%08x)", vkey, hash16, v.KeyHash())
	}
	return v, nil
}

// witnessVerifier builds torchwood's verifier, which only a signer can
// make, from a signer that holds the public key alone.
func witnessVerifier(name string, pub ed25519.PublicKey) (*torchwood.CosignatureVerifier, error) {
	if err := checkOrigin(name); err != nil {
		return nil, fmt.Errorf("witness key: name: %w", err)
	}
	s, err := torchwood.NewCosignatureSigner(name, publicOnly(pub))
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	return s.Verifier(), nil
}

// publicOnly is a crypto.Signer that cannot sign: it lends its public key
// to torchwood.NewCosignatureSigner, whose Verifier is all that is used.
type publicOnly ed25519.PublicKey

func (k publicOnly) Public() crypto.PublicKey { return ed25519.PublicKey(k) }

func (publicOnly) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("a witness verifier cannot sign")
}

// A Cosignature is a witness's cosignature found on a checkpoint.
type Cosignature struct {
	Witness string    // the witness's name
	Time    time.Time // when the witness cosigned, as it states
}

// Cosignatures returns the cosignatures of msg, a checkpoint note, that
// verify with the witness verifiers, in the order of witnesses, and the
// witnesses whose cosignature is missing or does not verify, each with the
// reason. It does not check the log's signature: use VerifyCheckpoint.
func Cosignatures(msg []byte, witnesses []note.Verifier) (valid []Cosignature, missing []string) {
	for _, w := range witnesses {
		n, err := note.Open(msg, note.VerifierList(w))
		var unverified *note.UnverifiedNoteError
		switch {
		case errors.As(err, &unverified):
			missing = append(missing, w.Name()+": no cosignature")
			continue
		case err != nil:
			missing = append(missing, w.Name()+": "+err.Error())
			continue
		}
		for _, sig := range n.Sigs {
			t, err := torchwood.CosignatureTimestamp(sig)
			if err != nil {
				missing = append(missing, w.Name()+": "+err.Error())
				break
			}
			valid = append(valid, Cosignature{Witness: w.Name(), Time: time.Unix(t, 0).UTC()})
		}
	}
	return valid, missing
}

// VerifyCosigned checks that msg is a checkpoint signed by the log's key
// vkey and cosigned by at least min of the witnesses. With no witnesses
// and min 0, it is VerifyCheckpoint. Too few cosignatures wrap
// ErrCosignatures and say which witnesses did not cosign.
func VerifyCosigned(msg []byte, vkey string, witnesses []note.Verifier, min int) (Checkpoint, []Cosignature, error) {
	c, err := VerifyCheckpoint(msg, vkey)
	if err != nil {
		return c, nil, err
	}
	if min > len(witnesses) {
		return c, nil, fmt.Errorf("verify cosignatures: %d required, but only %d witness keys given", min, len(witnesses))
	}
	valid, missing := Cosignatures(msg, witnesses)
	if len(valid) < min {
		return c, valid, fmt.Errorf("checkpoint of size %d: %w: %d of the %d required (%s); "+
			"without them nothing shows that other readers see the same log",
			c.Size, ErrCosignatures, len(valid), min, strings.Join(missing, "; "))
	}
	return c, valid, nil
}

// AddCosignatures appends the signature lines sigs, as a witness answers
// add-checkpoint, to the note msg, skipping lines msg already has. Every
// line must be a note signature line; whether it verifies is the caller's
// check (Cosignatures).
func AddCosignatures(msg, sigs []byte) ([]byte, error) {
	if len(sigs) == 0 {
		return msg, nil
	}
	if sigs[len(sigs)-1] != '\n' {
		return nil, errors.New("cosignatures: the last line does not end in a newline")
	}
	out := append([]byte(nil), msg...)
	for _, line := range strings.SplitAfter(string(sigs[:len(sigs)-1]), "\n") {
		line = strings.TrimSuffix(line, "\n") + "\n"
		if !strings.HasPrefix(line, "— ") {
			return nil, fmt.Errorf("cosignatures: %.60q is not a note signature line", line)
		}
		if strings.Contains("\n"+string(msg), "\n"+line) {
			continue
		}
		out = append(out, line...)
	}
	return out, nil
}
