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
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/monitor"
	"github.com/oversight-dev/oversight/store"
)

// Options configure a Service. The zero value is usable; New refuses the
// values validate lists.
type Options struct {
	// Templates are declaration templates in addition to the built-in ones;
	// none may have the id of another (policy.NewEngine).
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
	// Rules are the misuse rules: the protected-persons rule and the marks
	// run with each decision, the others in a RuleMonitor; nil means
	// monitor.Defaults().
	Rules *monitor.Rules
	// Checkpoints keeps the integrity check's verified checkpoint out of
	// the database, and IntegrityKey (32 bytes, out of the database too)
	// authenticates it: with both, the check at start resumes from the
	// last state a check verified (CheckIntegrity). Nil means none: each
	// start checks the whole log.
	Checkpoints  CheckpointKeeper
	IntegrityKey []byte
}

// validate checks every option at once, before New uses any of them: a
// refusal names the option and the range it must be in.
func (o *Options) validate() error {
	var errs []error
	if o.SitePepper != nil && len(o.SitePepper) < 16 {
		errs = append(errs, fmt.Errorf("site pepper: %d bytes is too short; want 32", len(o.SitePepper)))
	}
	if o.ScreeningKey != nil && len(o.ScreeningKey) < 16 {
		errs = append(errs, fmt.Errorf("screening key: %d bytes is too short; want 32", len(o.ScreeningKey)))
	}
	if o.LeaseKey != nil && len(o.LeaseKey) != ed25519.PrivateKeySize {
		errs = append(errs, fmt.Errorf("lease key: %d bytes; an Ed25519 private key has %d", len(o.LeaseKey), ed25519.PrivateKeySize))
	}
	if ttl := o.LeaseTTL; ttl != 0 && (ttl < minLeaseTTL || ttl > maxLeaseTTL || ttl%time.Second != 0) {
		errs = append(errs, fmt.Errorf("lease lifetime %s: want whole seconds from %s to %s", ttl, minLeaseTTL, maxLeaseTTL))
	}
	if o.PermitLifetime < 0 {
		errs = append(errs, fmt.Errorf("permit lifetime %s: want 0 (the default) or more", o.PermitLifetime))
	}
	if o.Checkpoints != nil && len(o.IntegrityKey) < 16 {
		errs = append(errs, fmt.Errorf("integrity key: %d bytes is too short for checkpoints; want 32", len(o.IntegrityKey)))
	}
	if o.MaxBatchRows < 0 {
		errs = append(errs, fmt.Errorf("batch rows %d: want 0 (the default, %d) or more", o.MaxBatchRows, DefaultMaxBatchRows))
	}
	return errors.Join(errs...)
}

// Service implements the use cases over a store. Its use cases are the
// methods of the aggregates it embeds (Registry, Licensing, Enforcement,
// Authorization, Casework, VisaScreening, AuditLog, Accounts), which share
// this value's store, clock and engines through a pointer to it; Service
// itself keeps that shared core and the integrity check, which spans them
// all.
type Service struct {
	*Accounts
	*Casework
	*Authorization
	*Enforcement
	*Licensing
	*VisaScreening
	*Registry
	*AuditLog
	store *store.Store
	now   func() time.Time
	log   *slog.Logger

	pepper []byte

	// deployments caches what never changes about a deployment (its
	// licence and prepared public key), never its status.
	deployments sync.Map // deployment id → *cachedDeployment

	subsMu sync.RWMutex
	subs   []func(LicenseChange)

	enf   *enforcement // leases and push (lease.go)
	authz *authorizer  // per-use decisions (authorize.go)
	scr   *screener    // visa screening index (screening.go)
	rs    rescreener   // re-screenings of licensing parties (partyscreening.go)

	report transparency // the transparency report's counts (report.go)
	integ  *integrity   // the stored state checked against the log (integrity.go)
}

// New returns a Service over s. It reads the designations in s to build
// the screening index, under ctx.
func New(ctx context.Context, s *store.Store, opts Options) (*Service, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("service options: %w", err)
	}
	svc := &Service{store: s, now: opts.Now, log: opts.Logger, integ: newIntegrity(opts)}
	svc.Accounts = &Accounts{svc}
	svc.Casework = &Casework{svc}
	svc.Authorization = &Authorization{svc}
	svc.Enforcement = &Enforcement{svc}
	svc.Licensing = &Licensing{svc}
	svc.VisaScreening = &VisaScreening{svc}
	svc.Registry = &Registry{svc}
	svc.AuditLog = &AuditLog{svc}
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
	if svc.scr, err = newScreener(ctx, svc, opts); err != nil {
		return nil, err
	}
	return svc, nil
}

// Store returns the underlying store.
func (s *Service) Store() *store.Store { return s.store }

// Ready reports, as an error, whether the service can serve (GET
// /readyz): whether its database answers, and whether its stored state
// agrees with the audit log (EINTEGRITY, naming the first mismatches, see
// CheckIntegrity).
func (s *Service) Ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return err
	}
	return s.integrityError()
}

// Now returns the service's clock (Options.Now): the time its decisions,
// records and events are stamped with, and the one a deployment's
// signature time is checked against.
func (s *Service) Now() time.Time { return s.clock() }

// clock returns the current time in UTC at microsecond precision, the
// precision the store keeps.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// allow fails with EFORBIDDEN unless p holds one of the roles that may do
// a (oversight.Task.Permission: the one table of who may do what), and
// with EUNAUTHORIZED when there is no principal at all.
func allow(p *oversight.Principal, a oversight.Task) error {
	if p == nil {
		return oversight.Errorf(oversight.EUNAUTHORIZED, "authentication required")
	}
	perm := a.Permission()
	if p.Is(perm.Roles...) {
		return nil
	}
	names := make([]string, len(perm.Roles))
	for i, r := range perm.Roles {
		names[i] = string(r)
	}
	return oversight.Errorf(oversight.EFORBIDDEN, "%s is for %s, not %s", perm.What, strings.Join(names, ", "), p.Role)
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

// view runs fn in a read transaction.
func (s *Service) view(ctx context.Context, fn func(*store.Tx) error) error {
	return s.store.View(ctx, fn)
}

// update runs fn in a write transaction.
func (s *Service) update(ctx context.Context, fn func(*store.Tx) error) error {
	return s.store.Update(ctx, fn)
}
