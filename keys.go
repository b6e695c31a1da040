package oversight

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
)

// ParsePublicKey decodes an Ed25519 public key written in standard base64,
// the form every key takes in the API and on the command line.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	if s == "" {
		return nil, errors.New("required: an Ed25519 public key in base64")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("an Ed25519 public key is %d bytes, got %d", ed25519.PublicKeySize, len(b))
	}
	return ed25519.PublicKey(b), nil
}

// EncodeKey writes a key or signature in standard base64.
func EncodeKey(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
