// Package reqsign signs and verifies the HTTP requests a deployment makes
// with its Ed25519 key: authorisation requests, lease renewals, event
// subscriptions.
//
// The signature covers the deployment id, the method, the path with its
// query, the time, a random nonce and the SHA-256 of the body, in this
// order, one per line, after a version line:
//
//	oversight-request-v2
//	dep_01m9…
//	POST
//	/v1/authorize
//	2026-11-23T18:00:00.123Z
//	<nonce: 24 hex digits>
//	<hex SHA-256 of the body>
//
// and travels in four headers: Oversight-Deployment (the deployment id),
// Oversight-Time (RFC 3339, UTC, milliseconds), Oversight-Nonce and
// Oversight-Signature (base64). The verifier refuses a request outside a
// short window around its own clock; within the window, refusing a replay
// is the caller's job, with the digest Verify returns as the key. The nonce
// keeps two identical requests made in the same second apart: Ed25519 is
// deterministic, so without it they would share a signature and the second
// would look like a replay of the first.
//
// No maintained Go implementation of RFC 9421 (HTTP Message Signatures)
// could be used here; this scheme signs the same components in the same
// spirit and is small enough to audit.
package reqsign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
	"github.com/oversight-dev/oversight"
)

// Header names.
const (
	HeaderDeployment = "Oversight-Deployment"
	HeaderTime       = "Oversight-Time"
	HeaderNonce      = "Oversight-Nonce"
	HeaderSignature  = "Oversight-Signature"
)

// DefaultWindow is how far a request's time may be from the verifier's.
const DefaultWindow = 30 * time.Second

// Errors Verify returns; callers map them to 401.
var (
	ErrMissing   = errors.New("request is not signed: Oversight-Deployment, Oversight-Time, Oversight-Nonce and Oversight-Signature are required")
	ErrBadTime   = errors.New("Oversight-Time is not an RFC 3339 time")
	ErrBadNonce  = errors.New("Oversight-Nonce is not 24 hex digits")
	ErrStale     = errors.New("request time is outside the accepted window")
	ErrSignature = errors.New("signature does not verify with the deployment's key")
)

// message builds the signed bytes. The deployment id is signed too, so
// that a request cannot be passed off as another deployment's, even one
// registered with the same key.
func message(id, method, pathQuery, ts, nonce string, bodySum [32]byte) []byte {
	var b bytes.Buffer
	b.WriteString("oversight-request-v2\n")
	b.WriteString(id)
	b.WriteByte('\n')
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(pathQuery)
	b.WriteByte('\n')
	b.WriteString(ts)
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.WriteString(hex.EncodeToString(bodySum[:]))
	return b.Bytes()
}

// Sign signs req, whose body is body (nil for none), as deployment id with
// key at time now, with a fresh nonce. It sets the four headers; the body
// must be sent as given.
func Sign(req *http.Request, id string, key ed25519.PrivateKey, body []byte, now time.Time) {
	var n [12]byte
	rand.Read(n[:])
	nonce := hex.EncodeToString(n[:])
	ts := now.UTC().Truncate(time.Millisecond).Format(timeLayout)
	// curve25519-voi signs in less than half the time crypto/ed25519 takes;
	// Ed25519 is deterministic, so the signature is the same bytes.
	sig := voi.Sign(voi.PrivateKey(key), message(id, req.Method, req.URL.RequestURI(), ts, nonce, sha256.Sum256(body)))
	req.Header.Set(HeaderDeployment, id)
	req.Header.Set(HeaderTime, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}

// Key is a deployment's public key, prepared for verifying many
// signatures: its point is decompressed once. Verification uses
// curve25519-voi with the standard library's rules (the same signatures
// pass and fail as with crypto/ed25519), at about half the cost; it is the
// most expensive step of every authorisation.
type Key struct {
	pub ed25519.PublicKey
	ek  *voi.ExpandedPublicKey
}

// NewKey prepares pub for verification.
func NewKey(pub ed25519.PublicKey) (*Key, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("an Ed25519 public key is %d bytes, got %d", ed25519.PublicKeySize, len(pub))
	}
	ek, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return &Key{pub: pub, ek: ek}, nil
}

// verifyOptions reproduce crypto/ed25519's acceptance rules.
var verifyOptions = &voi.Options{Verify: voi.VerifyOptionsStdLib}

func (k *Key) verify(msg, sig []byte) bool {
	return voi.VerifyExpandedWithOptions(k.ek, msg, sig, verifyOptions)
}

// timeLayout writes Oversight-Time in RFC 3339 with milliseconds. The
// precision matters beyond the window check: ids derived from a signed
// request start with its time, and millisecond order keeps the inserts of
// concurrent requests at the end of their indexes instead of scattered
// over the last second's pages.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Parse reads the signature headers without verifying them, so that the
// caller can look up the deployment's key.
func Parse(h http.Header) (id string, err error) {
	id = h.Get(HeaderDeployment)
	if id == "" || h.Get(HeaderTime) == "" || h.Get(HeaderNonce) == "" || h.Get(HeaderSignature) == "" {
		return "", ErrMissing
	}
	return id, nil
}

// Verify checks the signature of req with body against key, and that its
// time is within window of now, and returns what the signature
// establishes.
func Verify(req *http.Request, body []byte, key *Key, now time.Time, window time.Duration) (*oversight.SignedRequest, error) {
	id, err := Parse(req.Header)
	if err != nil {
		return nil, err
	}
	ts := req.Header.Get(HeaderTime)
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return nil, ErrBadTime
	}
	if d := now.Sub(t); d > window || d < -window {
		return nil, fmt.Errorf("%w: %s is %s from the server's clock (window %s)", ErrStale, ts, d.Round(time.Second), window)
	}
	nonce := req.Header.Get(HeaderNonce)
	if n, err := hex.DecodeString(nonce); err != nil || len(n) != 12 || strings.ToLower(nonce) != nonce {
		return nil, ErrBadNonce
	}
	sig, err := base64.StdEncoding.DecodeString(req.Header.Get(HeaderSignature))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, ErrSignature
	}
	if !key.verify(message(id, req.Method, req.URL.RequestURI(), ts, nonce, sha256.Sum256(body)), sig) {
		return nil, ErrSignature
	}
	return &oversight.SignedRequest{Deployment: id, Time: t, Digest: sha256.Sum256(sig)}, nil
}

// NewRequest builds a signed request with a JSON body (nil for none).
func NewRequest(method, url string, body []byte, id string, key ed25519.PrivateKey, now time.Time) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	Sign(req, id, key, body, now)
	return req, nil
}
