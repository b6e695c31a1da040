package tlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// Errors that callers branch on. The messages that wrap them say what
// mismatched.
var (
	// ErrInconsistent reports two checkpoints that no append-only log can
	// have signed both of: a smaller size after a larger one, two roots for
	// one size, or a consistency proof that does not verify.
	ErrInconsistent = errors.New("inconsistent checkpoints")
	// ErrInvalidProof reports a proof that does not lead to the root of
	// the checkpoint it is checked against.
	ErrInvalidProof = errors.New("proof does not verify")
	// ErrSignature reports a checkpoint without a valid signature by the
	// pinned key.
	ErrSignature = errors.New("checkpoint signature does not verify")
)

// A Checkpoint is the signed statement of a tree head, per C2SP
// tlog-checkpoint: the log's origin, the tree size and the root hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   Hash
}

// Text returns the checkpoint's note text: the origin line, the decimal
// size, the base64 root, each ending in a newline. This log writes no
// extension lines.
func (c Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + c.Root.String() + "\n"
}

// String returns "origin size root" on one line, for messages.
func (c Checkpoint) String() string {
	return fmt.Sprintf("%s %d %s", c.Origin, c.Size, c.Root)
}

// ParseCheckpoint parses a checkpoint's note text strictly: exactly the
// three lines Text writes, a size without sign or leading zeros, the
// canonical base64 of a 32-byte root, and for size 0 the root of the empty
// tree. Extension lines, which C2SP allows but this log never writes, are
// refused so that one tree head has one text.
func ParseCheckpoint(text string) (Checkpoint, error) {
	var c Checkpoint
	body, ok := strings.CutSuffix(text, "\n")
	if !ok {
		return c, errors.New("parse checkpoint: text does not end in a newline")
	}
	lines := strings.Split(body, "\n")
	switch {
	case len(lines) < 3:
		return c, fmt.Errorf("parse checkpoint: %d lines, want origin, size and root", len(lines))
	case len(lines) > 3:
		return c, fmt.Errorf("parse checkpoint: %d extension lines after the root; this log writes none", len(lines)-3)
	}
	if err := checkOrigin(lines[0]); err != nil {
		return c, fmt.Errorf("parse checkpoint: %w", err)
	}
	c.Origin = lines[0]
	size, ok := parseDecimal(lines[1], math.MaxInt64)
	if !ok {
		return c, fmt.Errorf("parse checkpoint: size %.30q is not a decimal without sign or leading zeros", lines[1])
	}
	c.Size = size
	root, err := ParseHash(lines[2])
	if err != nil {
		return c, fmt.Errorf("parse checkpoint: root: %w", err)
	}
	c.Root = root
	if size == 0 && root != EmptyRoot {
		return c, fmt.Errorf("parse checkpoint: size 0 with root %s, not the empty tree's %s", root, EmptyRoot)
	}
	return c, nil
}

// checkOrigin applies C2SP's advice: a non-empty schema-less URL with
// neither spaces nor '+'. The same rules make it a valid note key name,
// which this log keeps equal to the origin.
func checkOrigin(origin string) error {
	switch {
	case origin == "":
		return errors.New("empty origin")
	case strings.ContainsAny(origin, "+ \t\n\r\v\f\u0085\u00a0"):
		return fmt.Errorf("origin %q contains a space or '+'", origin)
	case strings.Contains(origin, "://"):
		return fmt.Errorf("origin %q has a URL scheme; C2SP origins have none", origin)
	}
	return nil
}

// GenerateKey returns a new Ed25519 note key pair for the log named origin
// (for example "oversight.example/log"): the signer key
// "PRIVATE+KEY+<origin>+<hash>+<key>", to keep secret, and the verifier key
// "<origin>+<hash>+<key>" that clients pin. The key name is the origin, as
// C2SP tlog-checkpoint recommends.
func GenerateKey(origin string) (skey, vkey string, err error) {
	if err := checkOrigin(origin); err != nil {
		return "", "", fmt.Errorf("generate log key: %w", err)
	}
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", fmt.Errorf("generate log key: %w", err)
	}
	// note accepts every Unicode non-space; refuse what it would not verify.
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", "", fmt.Errorf("generate log key for origin %q: %w", origin, err)
	}
	return skey, vkey, nil
}

// VerifierKey returns the verifier key that matches a signer key, so the
// public key can be printed from the stored private one.
func VerifierKey(skey string) (string, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return "", fmt.Errorf("verifier key: signer key: %w", err)
	}
	// NewSigner checked the layout PRIVATE+KEY+name+hash+base64(alg||seed)
	// and that the hash matches the derived public key. The name has no
	// '+'; the base64 key data may.
	rest := strings.TrimPrefix(strings.TrimSpace(skey), "PRIVATE+KEY+")
	_, rest, _ = strings.Cut(rest, "+")   // name
	_, key64, _ := strings.Cut(rest, "+") // hash
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", errors.New("verifier key: signer key is not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return "", fmt.Errorf("verifier key: %w", err)
	}
	return vkey, nil
}

// VerifyCheckpoint checks that msg is a signed note carrying a valid
// signature by the verifier key vkey (other signatures, such as witness
// cosignatures, are ignored), that its text is a checkpoint, and that the
// checkpoint's origin is the key's name. Signature errors wrap ErrSignature.
func VerifyCheckpoint(msg []byte, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("verify checkpoint: verifier key %.80q: %w", vkey, err)
	}
	return verifyCheckpoint(msg, v)
}

func verifyCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			var names []string
			for _, s := range unverified.Note.UnverifiedSigs {
				names = append(names, s.Name+"+"+fmt.Sprintf("%08x", s.Hash))
			}
			return Checkpoint{}, fmt.Errorf("verify checkpoint: %w: no signature by %s+%08x (signed by: %s)",
				ErrSignature, v.Name(), v.KeyHash(), strings.Join(names, ", "))
		case errors.As(err, &invalid):
			return Checkpoint{}, fmt.Errorf("verify checkpoint: %w: the signature by %s+%08x does not match the text: the checkpoint was altered",
				ErrSignature, invalid.Name, invalid.Hash)
		}
		return Checkpoint{}, fmt.Errorf("verify checkpoint: %w", err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("verify checkpoint: %w", err)
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("verify checkpoint: origin %q is not the key's name %q", c.Origin, v.Name())
	}
	return c, nil
}

// A Signer signs checkpoints for one log and enforces the C2SP rule that a
// log never signs two inconsistent checkpoints: it refuses a size smaller
// than the last signed one, a different root for the same size, and a
// larger size without a consistency proof from the last signed checkpoint.
//
// The rule holds across restarts only if the caller persists each note Sign
// returns before publishing it, and passes the last persisted note to
// NewSigner. Signing takes about 50µs; keep it off the append path (sign
// after commits, at most every few hundred milliseconds).
// A Signer is safe for concurrent use.
type Signer struct {
	mu       sync.Mutex
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	last     Checkpoint
	lastNote []byte
}

// NewSigner returns a Signer for the signer key skey (from GenerateKey);
// the log's origin is the key's name. last is the last checkpoint note the
// log signed, as persisted, or nil if it never signed one; it must verify
// with the key.
func NewSigner(skey string, last []byte) (*Signer, error) {
	signer, err := note.NewSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("checkpoint signer: signer key: %w", err)
	}
	if err := checkOrigin(signer.Name()); err != nil {
		return nil, fmt.Errorf("checkpoint signer: key name: %w", err)
	}
	vkey, err := VerifierKey(skey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint signer: %w", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint signer: %w", err)
	}
	s := &Signer{signer: signer, verifier: verifier, vkey: vkey}
	if last != nil {
		c, err := verifyCheckpoint(last, verifier)
		if err != nil {
			return nil, fmt.Errorf("checkpoint signer: last signed checkpoint: %w", err)
		}
		s.last, s.lastNote = c, last
	} else {
		s.last = Checkpoint{Origin: signer.Name(), Size: 0, Root: EmptyRoot}
	}
	return s, nil
}

// Origin returns the log's origin, the signer key's name.
func (s *Signer) Origin() string { return s.signer.Name() }

// VerifierKey returns the verifier key for the signer's key.
func (s *Signer) VerifierKey() string { return s.vkey }

// Last returns the last checkpoint signed (or given to NewSigner) and its
// note; before any, the empty tree and a nil note.
func (s *Signer) Last() (Checkpoint, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.lastNote
}

// Sign signs c and returns the checkpoint note. c.Origin may be empty (the
// signer's origin is used) or must equal it. consistency is the proof from
// the last signed checkpoint's size to c.Size (Prover.ConsistencyProof);
// it is ignored when the last size is 0 or equals c.Size. Errors that
// protect the log's consistency wrap ErrInconsistent.
func (s *Signer) Sign(c Checkpoint, consistency []Hash) ([]byte, error) {
	if c.Origin == "" {
		c.Origin = s.Origin()
	}
	if c.Origin != s.Origin() {
		return nil, fmt.Errorf("sign checkpoint: origin %q is not the key's name %q", c.Origin, s.Origin())
	}
	if c.Size < 0 {
		return nil, fmt.Errorf("sign checkpoint: negative size %d", c.Size)
	}
	if c.Size == 0 && c.Root != EmptyRoot {
		return nil, fmt.Errorf("sign checkpoint: size 0 with root %s, not the empty tree's", c.Root)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.last
	switch {
	case c.Size < last.Size:
		return nil, fmt.Errorf("sign checkpoint: %w: size %d is smaller than the last signed size %d", ErrInconsistent, c.Size, last.Size)
	case c.Size == last.Size && c.Root != last.Root:
		return nil, fmt.Errorf("sign checkpoint: %w: root %s for size %d, but the last signed root for that size is %s", ErrInconsistent, c.Root, c.Size, last.Root)
	case c.Size == last.Size && s.lastNote != nil:
		return s.lastNote, nil // Ed25519 is deterministic: the same note
	case last.Size > 0:
		err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(last.Size), uint64(c.Size), hashes(consistency), last.Root[:], c.Root[:])
		if err != nil {
			return nil, fmt.Errorf("sign checkpoint: %w: size %d root %s does not extend the last signed size %d root %s: %v",
				ErrInconsistent, c.Size, c.Root, last.Size, last.Root, err)
		}
	}
	msg, err := note.Sign(&note.Note{Text: c.Text()}, s.signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	s.last, s.lastNote = c, msg
	return msg, nil
}
