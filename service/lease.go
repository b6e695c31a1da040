package service

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/lease"
	"github.com/oversight-dev/oversight/reqsign"
	"github.com/oversight-dev/oversight/store"
)

// enforcement is the Service's lease issuer and push hub.
type enforcement struct {
	signer *lease.Signer
	key    ed25519.PrivateKey // the lease key, which also countersigns kit runs
	ttl    time.Duration
	hub    *hub
	origin string // this replica, in fan-out messages (lease_push.go)
}

// Bounds on the lease lifetime. A lease is at least a few seconds, so that
// a renewal at a third of it has time to arrive, and at most a day, so that
// a deployment cut off from the regulator stops the same day.
const (
	minLeaseTTL = 3 * time.Second
	maxLeaseTTL = 24 * time.Hour
)

// nonceTTL is how long the digest of a signed request is remembered: past
// it the request is refused for its time anyway.
const nonceTTL = 2 * reqsign.DefaultWindow

func newEnforcement(s *Service, opts Options) (*enforcement, error) {
	key := opts.LeaseKey
	if key == nil {
		var err error
		if _, key, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return nil, err
		}
	}
	signer, err := lease.NewSigner(key)
	if err != nil {
		return nil, err
	}
	ttl := opts.LeaseTTL
	if ttl == 0 {
		ttl = lease.DefaultTTL
	}
	e := &enforcement{signer: signer, key: key, ttl: ttl, hub: newHub(), origin: oversight.NewID("rep_")}
	s.Subscribe(e.hub.publish)
	return e, nil
}

// LeaseKey returns the public key that verifies the leases this service
// issues, as GET /v1/lease/key gives it.
func (en *Enforcement) LeaseKey() oversight.LeaseKey {
	s := en.s
	return oversight.LeaseKey{Algorithm: "v4.public", PublicKey: oversight.EncodeKey(s.enf.signer.PublicKey())}
}

// LeaseTTL returns the lifetime of a lease.
func (en *Enforcement) LeaseTTL() time.Duration { return en.s.enf.ttl }

// IssueLease issues an operating lease to the deployment that signed the
// request sig. A second request with the same digest is refused as a
// replay, in the same transaction that records the lease, so that one
// signed request yields at most one lease.
//
// There is no lease for a retired deployment or for a licence that is not
// active (ECONFLICT naming the state). A lease never outlives the licence's
// validity. Every lease is an event of the audit log.
func (en *Enforcement) IssueLease(ctx context.Context, sig *oversight.SignedRequest) (*oversight.Lease, error) {
	s := en.s
	if sig == nil {
		return nil, fmt.Errorf("issue lease: a signed request is required")
	}
	l, err := s.issueLease(ctx, sig.Deployment, sig.Digest[:])
	if err != nil {
		return nil, fmt.Errorf("issue lease to %s: %w", sig.Deployment, err)
	}
	return l, nil
}

// issueLease issues a lease; nonce is nil for the leases the server pushes
// on its own (after a reinstatement, on connecting).
func (en *Enforcement) issueLease(ctx context.Context, deploymentID string, nonce []byte) (*oversight.Lease, error) {
	s := en.s
	now := s.clock()
	var c lease.Claims
	out := &oversight.Lease{}
	err := s.update(ctx, func(tx *store.Tx) error {
		if nonce != nil {
			fresh, err := tx.UseNonce(nonce, now.Add(nonceTTL))
			if err != nil {
				return err
			}
			if !fresh {
				return oversight.Errorf(oversight.EUNAUTHORIZED, "replayed request: this signed request was already used; sign a new one")
			}
		}
		d, err := tx.Deployment(deploymentID)
		if err != nil {
			return err
		}
		if d.Status != oversight.DeploymentActive {
			return retiredDeployment(d.ID, d.Status)
		}
		l, err := tx.License(d.LicenseID)
		if err != nil {
			return err
		}
		if err := s.checkTainted(l.ID); err != nil {
			return err
		}
		if st := l.EffectiveStatus(now); st != oversight.LicenseActive {
			return oversight.Conflictf(string(st), "licence %s is %s; only the deployments of an active licence get a lease", l.ID, st)
		}
		iat := now.Truncate(time.Second)
		exp := iat.Add(s.enf.ttl)
		if end := validUntil(l); end.Before(exp) {
			exp = end.Truncate(time.Second)
		}
		if !exp.After(iat) {
			return oversight.Conflictf(string(oversight.LicenseExpired), "licence %s ends at %s; no lease can start now", l.ID, validUntil(l).Format(time.RFC3339))
		}
		c = lease.Claims{ID: oversight.NewID(oversight.PrefixLease), Deployment: d.ID, License: l.ID, PolicyVersion: l.PolicyVersion, IssuedAt: iat, Expires: exp}
		*out = oversight.Lease{ID: c.ID, DeploymentID: d.ID, LicenseID: l.ID, PolicyVersion: l.PolicyVersion, IssuedAt: iat, ExpiresAt: exp}
		// The log records that a lease was issued and until when, not the
		// token: a lease is useful only to its deployment, but it is a
		// credential all the same.
		out.LogIndex, err = tx.Record(oversight.EventLeaseIssued, d.ID, d.ID, now, IssuedLease{c.ID, l.ID, l.PolicyVersion, iat, exp})
		return err
	})
	if err != nil {
		return nil, err
	}
	if out.Token, err = s.enf.signer.Sign(&c); err != nil {
		return nil, err
	}
	return out, nil
}

// IssuedLease is what the audit log records of a lease (event
// lease.issued): that it was issued and until when, never the token.
type IssuedLease struct {
	LeaseID       string    `json:"lease_id"`
	LicenseID     string    `json:"license_id"`
	PolicyVersion int       `json:"policy_version"`
	IssuedAt      time.Time `json:"issued_at"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// DeploymentLease is a deployment's lease as the record shows it: the
// latest lease issued to it, and its licence, whose status says whether it
// may have another (a suspended or revoked licence's deployments were sent
// a shutdown and get no lease).
type DeploymentLease struct {
	Deployment *oversight.Deployment
	License    *oversight.License
	// Lease is the latest lease issued, nil when none was; LogIndex is its
	// lease.issued event.
	Lease    *IssuedLease
	LogIndex int64
	// At is when this state was read.
	At time.Time
}

// DeploymentLease returns a deployment's lease state, for whoever may read
// the deployment.
func (en *Enforcement) DeploymentLease(ctx context.Context, p *oversight.Principal, id string) (*DeploymentLease, error) {
	s := en.s
	d, err := s.Deployment(ctx, p, id)
	if err != nil {
		return nil, err
	}
	out := &DeploymentLease{Deployment: d, At: s.clock()}
	err = s.view(ctx, func(tx *store.Tx) error {
		var err error
		if out.License, err = tx.License(d.LicenseID); err != nil {
			return err
		}
		ev, err := tx.LastEvent(d.ID, oversight.EventLeaseIssued)
		if err != nil || ev == nil {
			return err
		}
		out.Lease, out.LogIndex = &IssuedLease{}, ev.Index
		return json.Unmarshal(ev.Payload, out.Lease)
	})
	if err != nil {
		return nil, fmt.Errorf("lease of deployment %s: %w", id, err)
	}
	return out, nil
}

// validUntil is the end of a licence's validity, restrictions included.
func validUntil(l *oversight.License) time.Time {
	end := l.Scope.ValidUntil
	for _, r := range l.Restrictions {
		if r.ValidUntil != nil && r.ValidUntil.Before(end) {
			end = *r.ValidUntil
		}
	}
	return end
}
