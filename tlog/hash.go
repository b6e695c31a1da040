package tlog

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// HashSize is the size in bytes of a Merkle tree hash (SHA-256).
const HashSize = sha256.Size

// A Hash is a node of the RFC 6962 Merkle tree: a leaf hash or an interior
// node hash. Its text form (JSON, checkpoints) is standard base64.
type Hash [HashSize]byte

// EmptyRoot is the root hash of the empty tree, SHA-256 of the empty string
// (RFC 6962, section 2.1).
var EmptyRoot = Hash(sha256.Sum256(nil))

// LeafHash returns the RFC 6962 hash of a leaf holding data:
// SHA-256(0x00 || data).
func LeafHash(data []byte) Hash {
	// A stack buffer covers the common case (one event's JSON) without
	// the allocation of sha256.New.
	var buf [1024]byte
	if len(data) < len(buf) {
		buf[0] = 0
		n := copy(buf[1:], data)
		return sha256.Sum256(buf[:1+n])
	}
	d := sha256.New()
	d.Write([]byte{0})
	d.Write(data)
	var h Hash
	d.Sum(h[:0])
	return h
}

// NodeHash returns the RFC 6962 hash of an interior node with the given
// children: SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*HashSize]byte
	buf[0] = 1
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// String returns the standard base64 encoding of h.
func (h Hash) String() string {
	return base64.StdEncoding.EncodeToString(h[:])
}

// MarshalText encodes h as standard base64.
func (h Hash) MarshalText() ([]byte, error) {
	return base64.StdEncoding.AppendEncode(nil, h[:]), nil
}

// UnmarshalText decodes a standard base64 hash of exactly HashSize bytes.
func (h *Hash) UnmarshalText(text []byte) error {
	v, err := ParseHash(string(text))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ParseHash decodes the standard base64 encoding of a hash. It accepts only
// the canonical encoding of exactly HashSize bytes.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != base64.StdEncoding.EncodedLen(HashSize) {
		return h, fmt.Errorf("hash %.60q: want %d base64 characters, have %d", s, base64.StdEncoding.EncodedLen(HashSize), len(s))
	}
	// Strict rejects non-zero padding bits, so each hash has one encoding.
	var buf [HashSize + 1]byte // DecodedLen(44) is 33
	n, err := base64.StdEncoding.Strict().Decode(buf[:], []byte(s))
	if err != nil || n != HashSize {
		return h, fmt.Errorf("hash %q: not base64 of %d bytes", s, HashSize)
	}
	copy(h[:], buf[:HashSize])
	return h, nil
}

// hashes converts a list of hashes to the [][]byte form of the merkle
// package.
func hashes(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
