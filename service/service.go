// Package service holds Oversight's use cases: register, review, apply,
// approve, and the rest. Each method checks the caller's role and scope,
// validates input, applies the domain transition and writes the change with
// its audit-log event in one store transaction. The HTTP API and the
// command line are thin layers over it.
package service

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// Options configure a Service. The zero value is usable.
type Options struct {
	// Templates are declaration templates in addition to the built-in ones.
	Templates []*oversight.DeclarationTemplate
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational logs; nil means slog.Default().
	Logger *slog.Logger
	// SitePepper is the HMAC key with which deployments hash target
	// identifiers (32 bytes); nil means an ephemeral one, for tests.
	SitePepper []byte
	// LeaseKey signs operating leases (Ed25519); nil means an ephemeral
	// one, for tests. LeaseTTL is their lifetime; 0 means lease.DefaultTTL.
	LeaseKey ed25519.PrivateKey
	LeaseTTL time.Duration
	// PermitLifetime is how long a permit of POST /v1/authorize stays
	// valid; 0 means policy.DefaultPermitLifetime.
	PermitLifetime time.Duration
	// ScreeningKey keys the hashes of screened names (32 bytes); nil means
	// an ephemeral one, for tests. MaxBatchRows bounds a screening batch;
	// 0 means DefaultMaxBatchRows.
	ScreeningKey []byte
	MaxBatchRows int
}

// Service implements the use cases over a store.
type Service struct {
	store     *store.Store
	now       func() time.Time
	log       *slog.Logger
	templates map[string]*oversight.DeclarationTemplate

	pepper []byte

	// deployments caches what never changes about a deployment (its
	// licence and prepared public key), never its status.
	deployments sync.Map // deployment id → *cachedDeployment

	subsMu sync.RWMutex
	subs   []func(LicenseChange)

	enf   *enforcement // leases and push (lease.go)
	authz *authorizer  // per-use decisions (authorize.go)
	scr   *screener    // visa screening index (screening.go)
}

// New returns a Service over s.
func New(s *store.Store, opts Options) (*Service, error) {
	svc := &Service{store: s, now: opts.Now, log: opts.Logger, templates: map[string]*oversight.DeclarationTemplate{}}
	if svc.now == nil {
		svc.now = time.Now
	}
	if svc.log == nil {
		svc.log = slog.Default()
	}
	svc.pepper = opts.SitePepper
	if svc.pepper == nil {
		svc.pepper = make([]byte, 32)
		rand.Read(svc.pepper)
	}
	if len(svc.pepper) < 16 {
		return nil, fmt.Errorf("site pepper: %d bytes is too short; want 32", len(svc.pepper))
	}
	enf, err := newEnforcement(svc, opts)
	if err != nil {
		return nil, err
	}
	svc.enf = enf
	authz, err := newAuthorizer(opts)
	if err != nil {
		return nil, err
	}
	svc.authz = authz
	if svc.scr, err = newScreener(svc, opts); err != nil {
		return nil, err
	}
	for _, t := range append(oversight.BuiltinTemplates(), opts.Templates...) {
		if _, dup := svc.templates[t.ID]; dup {
			return nil, fmt.Errorf("declaration template %s defined twice", t.ID)
		}
		svc.templates[t.ID] = t
	}
	return svc, nil
}

// Store returns the underlying store.
func (s *Service) Store() *store.Store { return s.store }

// Ready reports, as an error, whether the service can serve: whether its
// database answers (GET /readyz).
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }

// clock returns the current time in UTC at microsecond precision, the
// precision the store keeps.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// allow fails with EFORBIDDEN unless p holds one of roles, and with
// EUNAUTHORIZED when there is no principal at all.
func allow(p *oversight.Principal, what string, roles ...oversight.Role) error {
	if p == nil {
		return oversight.Errorf(oversight.EUNAUTHORIZED, "authentication required")
	}
	if p.Is(roles...) {
		return nil
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return oversight.Errorf(oversight.EFORBIDDEN, "%s is for %s, not %s", what, strings.Join(names, ", "), p.Role)
}

// ownVendor fails unless a vendor principal acts for vendorID; other roles
// pass. A vendor asking for another vendor's resource is told it does not
// exist, so that ids cannot be probed.
func ownVendor(p *oversight.Principal, vendorID, kind, id string) error {
	if p.Role == oversight.RoleVendor && p.VendorID != vendorID {
		return oversight.NotFound(kind, id)
	}
	return nil
}

// ownEndUser is ownVendor for end-user agencies.
func ownEndUser(p *oversight.Principal, endUserID, kind, id string) error {
	if p.Role == oversight.RoleEndUser && p.EndUserID != endUserID {
		return oversight.NotFound(kind, id)
	}
	return nil
}

// Officials are the roles that see the whole registry.
var officials = []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs}

func with(roles []oversight.Role, more ...oversight.Role) []oversight.Role {
	return append(append([]oversight.Role(nil), roles...), more...)
}

// view runs fn in a read transaction.
func (s *Service) view(ctx context.Context, fn func(*store.Tx) error) error {
	return s.store.View(ctx, fn)
}

// update runs fn in a write transaction.
func (s *Service) update(ctx context.Context, fn func(*store.Tx) error) error {
	return s.store.Update(ctx, fn)
}

// TokenSecretPrefix starts every API token, so that secret scanners and
// people recognise one.
const TokenSecretPrefix = "ovt_"

// CreateToken creates a token for a role, bound to a vendor or an end user
// where the role requires it, and returns the token and its secret. The
// secret is shown once; only its hash is stored. It is used by the
// "oversight token create" command, which has direct database access, and
// by the demo loader.
func (s *Service) CreateToken(ctx context.Context, p oversight.Principal) (*oversight.Token, string, error) {
	var pr oversight.Problems
	if !p.Role.Valid() {
		pr.Add("role", "must be one of admin, defense, foreign_affairs, vendor, end_user, consular")
	}
	if p.Role == oversight.RoleVendor && !oversight.ValidID(oversight.PrefixVendor, p.VendorID) {
		pr.Add("vendor", "a vendor token must name its vendor (ven_…)")
	}
	if p.Role != oversight.RoleVendor && p.VendorID != "" {
		pr.Add("vendor", "only a vendor token is bound to a vendor")
	}
	if p.Role == oversight.RoleEndUser && !oversight.ValidID(oversight.PrefixEndUser, p.EndUserID) {
		pr.Add("end_user", "an end_user token must name its agency (eu_…)")
	}
	if p.Role != oversight.RoleEndUser && p.EndUserID != "" {
		pr.Add("end_user", "only an end_user token is bound to an end user")
	}
	if err := pr.Err("invalid token request"); err != nil {
		return nil, "", err
	}
	var raw [32]byte
	rand.Read(raw[:])
	secret := TokenSecretPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	sum := sha256.Sum256([]byte(secret))
	p.TokenID = oversight.NewID(oversight.PrefixToken)
	tok := &oversight.Token{ID: p.TokenID, Hash: sum[:], Principal: p, CreatedAt: s.clock()}
	err := s.update(ctx, func(tx *store.Tx) error {
		if p.VendorID != "" {
			if _, err := tx.Vendor(p.VendorID); err != nil {
				return err
			}
		}
		if p.EndUserID != "" {
			if _, err := tx.EndUser(p.EndUserID); err != nil {
				return err
			}
		}
		if err := tx.CreateToken(tok); err != nil {
			return err
		}
		// The log names who holds which role, never the secret.
		_, err := tx.Record(oversight.EventTokenCreated, "system", tok.ID, struct {
			Role      oversight.Role `json:"role"`
			VendorID  string         `json:"vendor_id,omitempty"`
			EndUserID string         `json:"end_user_id,omitempty"`
			Name      string         `json:"name,omitempty"`
		}{p.Role, p.VendorID, p.EndUserID, p.Name})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("create token: %w", err)
	}
	return tok, secret, nil
}

// Authenticate returns the principal holding secret. The token is read
// from the database on every request, never from memory: a token revoked
// on one replica is refused by the next request on any other. (A cache
// checked against a change counter would cost the same one indexed read.)
func (s *Service) Authenticate(ctx context.Context, secret string) (*oversight.Principal, error) {
	if !strings.HasPrefix(secret, TokenSecretPrefix) || len(secret) > 128 {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "malformed token")
	}
	sum := sha256.Sum256([]byte(secret))
	var tok *oversight.Token
	err := s.view(ctx, func(tx *store.Tx) error {
		var err error
		tok, err = tx.TokenByHash(sum[:])
		return err
	})
	if err != nil {
		return nil, err
	}
	p := tok.Principal
	return &p, nil
}
