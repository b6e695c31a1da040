// Package lease issues and verifies operating leases: short-lived PASETO
// v4.public tokens (Ed25519) with which the regulator lets one deployment
// of a licensed tool run for a while.
//
// A lease names the deployment, the licence, the licence's policy version
// and its expiry. The deployment id is also bound in as the PASETO implicit
// assertion: it is signed but not carried, so a lease copied to another
// deployment does not verify there, whatever its claims say. A holder
// verifies a lease offline, with the regulator's public key alone.
//
// Revocation is refusal to renew: there is no revocation list and no
// online status check. A deployment that cannot renew its lease before it
// expires must stop (fail closed), so a licence the regulator suspends or
// revokes stops the tool within one lease lifetime even when every push
// message is lost.
//
// Claims, as PASETO registered claims where one exists:
//
//	iss             "oversight"
//	sub             the deployment id (dep_…)
//	jti             a unique id of this lease (lse_…)
//	iat, nbf, exp   RFC 3339 times, whole seconds
//	license_id      the licence the deployment is registered to (lic_…)
//	policy_version  the licence's policy version when the lease was issued
package lease

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"aidanwoods.dev/go-paseto"

	"github.com/oversight-dev/oversight"
)

// DefaultTTL is how long a lease lasts unless the issuer is told otherwise.
const DefaultTTL = 60 * time.Second

// Issuer is the "iss" claim of every lease.
const Issuer = "oversight"

// Skew is how far in the future a lease's issue time may be on the
// verifier's clock: the regulator's and the deployment's clocks differ a
// little. It matches the window of signed requests (package reqsign).
const Skew = 30 * time.Second

// Errors Verify returns. A lease that fails any check is not a lease: the
// holder must act as if it had none.
var (
	// ErrMalformed: not a PASETO v4.public token, or its claims are not a
	// lease's.
	ErrMalformed = errors.New("lease: malformed token")
	// ErrForged: the signature does not verify with the regulator's key.
	ErrForged = errors.New("lease: signature does not verify with the regulator's key")
	// ErrOtherDeployment: a genuine lease, issued to another deployment.
	ErrOtherDeployment = errors.New("lease: issued to another deployment")
	// ErrExpired: the lease's lifetime is over.
	ErrExpired = errors.New("lease: expired")
	// ErrNotYetValid: the lease starts later than the verifier's clock
	// allows, even with Skew.
	ErrNotYetValid = errors.New("lease: not valid yet")
)

// Claims are what a lease says.
type Claims struct {
	ID            string    // jti, lse_…
	Deployment    string    // sub, and the implicit assertion
	License       string    // license_id
	PolicyVersion int       // policy_version
	IssuedAt      time.Time // iat, also nbf
	Expires       time.Time // exp
}

// Lifetime is how long the lease was issued for.
func (c *Claims) Lifetime() time.Duration { return c.Expires.Sub(c.IssuedAt) }

// Lease is a verified lease: its claims and the token they came from.
type Lease struct {
	Claims
	Token string
}

// Signer issues leases with the regulator's lease key.
type Signer struct {
	key paseto.V4AsymmetricSecretKey
	pub ed25519.PublicKey
}

// NewSigner returns a Signer that signs with priv.
func NewSigner(priv ed25519.PrivateKey) (*Signer, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("lease key: an Ed25519 private key is %d bytes, got %d", ed25519.PrivateKeySize, len(priv))
	}
	key, err := paseto.NewV4AsymmetricSecretKeyFromEd25519(priv)
	if err != nil {
		return nil, fmt.Errorf("lease key: %w", err)
	}
	return &Signer{key: key, pub: priv.Public().(ed25519.PublicKey)}, nil
}

// PublicKey returns the key that verifies the signer's leases.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.pub }

// Sign signs c and returns the token. Times are kept to whole seconds, as
// the claims carry them; an empty ID gets a new one. It fails when a claim
// is missing or the lease would be empty.
func (s *Signer) Sign(c *Claims) (string, error) {
	if c.ID == "" {
		c.ID = oversight.NewID(oversight.PrefixLease)
	}
	c.IssuedAt = c.IssuedAt.UTC().Truncate(time.Second)
	c.Expires = c.Expires.UTC().Truncate(time.Second)
	if err := c.check(); err != nil {
		return "", err
	}
	t := paseto.NewToken()
	t.SetIssuer(Issuer)
	t.SetSubject(c.Deployment)
	t.SetJti(c.ID)
	t.SetIssuedAt(c.IssuedAt)
	t.SetNotBefore(c.IssuedAt)
	t.SetExpiration(c.Expires)
	t.SetString("license_id", c.License)
	if err := t.Set("policy_version", c.PolicyVersion); err != nil {
		return "", fmt.Errorf("sign lease: %w", err)
	}
	return t.V4Sign(s.key, implicit(c.Deployment)), nil
}

// check reports whether c is a lease's claims.
func (c *Claims) check() error {
	switch {
	case !oversight.ValidID(oversight.PrefixDeployment, c.Deployment):
		return fmt.Errorf("%w: sub is not a deployment id", ErrMalformed)
	case !oversight.ValidID(oversight.PrefixLicense, c.License):
		return fmt.Errorf("%w: license_id is not a licence id", ErrMalformed)
	case c.ID == "":
		return fmt.Errorf("%w: no jti", ErrMalformed)
	case c.PolicyVersion < 0:
		return fmt.Errorf("%w: negative policy_version", ErrMalformed)
	case !c.Expires.After(c.IssuedAt):
		return fmt.Errorf("%w: exp is not after iat", ErrMalformed)
	}
	return nil
}

// implicit is the implicit assertion that binds a lease to its deployment.
func implicit(deployment string) []byte { return []byte(deployment) }

// Verify checks token with the regulator's public key and returns the
// lease if it was issued to deployment and is valid at now. It needs
// nothing but its arguments: no network, no database.
//
// The errors are ErrMalformed, ErrForged, ErrOtherDeployment, ErrExpired
// and ErrNotYetValid, wrapped with detail; test them with errors.Is.
func Verify(pub ed25519.PublicKey, token, deployment string, now time.Time) (*Lease, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("lease: the regulator's key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	key, err := paseto.NewV4AsymmetricPublicKeyFromEd25519(pub)
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	if !strings.HasPrefix(token, "v4.public.") {
		return nil, fmt.Errorf("%w: not a v4.public token", ErrMalformed)
	}
	sub, ok := unverifiedSubject(token)
	if !ok {
		return nil, fmt.Errorf("%w: the payload is not base64url-encoded JSON claims and a signature", ErrMalformed)
	}
	// Times are checked below, against the caller's clock, with Skew.
	parser := paseto.NewParserWithoutExpiryCheck()
	t, err := parser.ParseV4Public(key, token, implicit(deployment))
	if err != nil {
		// Tell a lease of another deployment from a forgery: the token's
		// own subject, which is not trusted until a signature with it as
		// the implicit assertion verifies.
		if sub != "" && sub != deployment {
			if _, err2 := parser.ParseV4Public(key, token, implicit(sub)); err2 == nil {
				return nil, fmt.Errorf("%w: issued to %s, not %s", ErrOtherDeployment, sub, deployment)
			}
		}
		return nil, fmt.Errorf("%w: %v", ErrForged, err)
	}
	c, err := claimsOf(t)
	if err != nil {
		return nil, err
	}
	if c.Deployment != deployment {
		// The implicit assertion verified, so this cannot happen unless the
		// issuer signed inconsistent claims; refuse it all the same.
		return nil, fmt.Errorf("%w: sub is %s, not %s", ErrOtherDeployment, c.Deployment, deployment)
	}
	if !now.Before(c.Expires) {
		return nil, fmt.Errorf("%w at %s", ErrExpired, c.Expires.Format(time.RFC3339))
	}
	if c.IssuedAt.After(now.Add(Skew)) {
		return nil, fmt.Errorf("%w: issued at %s, now is %s", ErrNotYetValid, c.IssuedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return &Lease{Claims: *c, Token: token}, nil
}

// claimsOf reads and checks the claims of a verified token.
func claimsOf(t *paseto.Token) (*Claims, error) {
	var c Claims
	var err error
	bad := func(claim string, e error) (*Claims, error) {
		return nil, fmt.Errorf("%w: claim %s: %v", ErrMalformed, claim, e)
	}
	if iss, err := t.GetIssuer(); err != nil || iss != Issuer {
		return nil, fmt.Errorf("%w: iss is not %q", ErrMalformed, Issuer)
	}
	if c.Deployment, err = t.GetSubject(); err != nil {
		return bad("sub", err)
	}
	if c.ID, err = t.GetJti(); err != nil {
		return bad("jti", err)
	}
	if c.License, err = t.GetString("license_id"); err != nil {
		return bad("license_id", err)
	}
	if err = t.Get("policy_version", &c.PolicyVersion); err != nil {
		return bad("policy_version", err)
	}
	if c.IssuedAt, err = t.GetIssuedAt(); err != nil {
		return bad("iat", err)
	}
	if c.Expires, err = t.GetExpiration(); err != nil {
		return bad("exp", err)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// unverifiedSubject returns the sub claim of a v4.public token without
// verifying anything, and whether the token has the form of one at all:
// base64url of a JSON object followed by a signature. Only to explain a
// failure; nothing in it is trusted.
func unverifiedSubject(token string) (string, bool) {
	body, _, _ := strings.Cut(strings.TrimPrefix(token, "v4.public."), ".")
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(b) < ed25519.SignatureSize {
		return "", false
	}
	var c map[string]json.RawMessage
	if json.Unmarshal(b[:len(b)-ed25519.SignatureSize], &c) != nil {
		return "", false
	}
	var sub string
	json.Unmarshal(c["sub"], &sub)
	return sub, true
}
