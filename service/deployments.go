package service

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reqsign"
	"github.com/oversight-dev/oversight/store"
)

// RegisterDeployment registers an installation of a licensed tool with its
// Ed25519 public key, for an active export licence. The vendor installing
// it, the end user operating it, or a defense officer may register it. The
// answer carries the site pepper, given only here.
func (en *Enforcement) RegisterDeployment(ctx context.Context, p *oversight.Principal, r *oversight.DeploymentRegistration) (*oversight.RegisteredDeployment, error) {
	s := en.s
	if err := allow(p, oversight.TaskDeploymentRegister); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	d := &oversight.Deployment{ID: oversight.NewID(oversight.PrefixDeployment), LicenseID: r.LicenseID, Label: r.Label,
		PublicKey: r.PublicKey, Status: oversight.DeploymentActive, CreatedAt: s.clock()}
	err := s.update(ctx, func(tx *store.Tx) error {
		l, err := tx.License(r.LicenseID)
		if err != nil {
			return err
		}
		if err := ownVendor(p, l.VendorID, "licence", l.ID); err != nil {
			return err
		}
		if err := ownEndUser(p, l.EndUserID, "licence", l.ID); err != nil {
			return err
		}
		if l.Kind != oversight.KindExport {
			return oversight.Conflictf(string(l.Kind), "licence %s is a marketing licence; only an export licence has deployments", l.ID)
		}
		if l.Status != oversight.LicenseActive {
			return oversight.Conflictf(string(l.Status), "licence %s is %s; deployments are registered to an active licence", l.ID, l.Status)
		}
		if other, err := tx.DeploymentByKey(d.PublicKey); err == nil {
			// One key, one deployment: a request signed for one would
			// otherwise verify as the other's.
			return oversight.Conflictf(string(other.Status), "this public key is already registered to deployment %s; generate a key for each deployment (oversight agent keygen)", other.ID)
		} else if oversight.ErrorCode(err) != oversight.ENOTFOUND {
			return err
		}
		d.LogIndex = tx.NextIndex()
		if _, err := tx.Record(oversight.EventDeploymentRegistered, p.Actor(), d.ID, d.CreatedAt, d); err != nil {
			return err
		}
		if err := tx.CreateDeployment(d); err != nil {
			return err
		}
		return s.declareInfrastructure(tx, p, d, r.Infrastructure)
	})
	if err != nil {
		return nil, fmt.Errorf("register deployment: %w", err)
	}
	if p.Is(officials...) {
		d.Infrastructure = r.Infrastructure
	}
	return &oversight.RegisteredDeployment{Deployment: *d, SitePepper: hex.EncodeToString(s.pepper)}, nil
}

// infrastructureDeclared is the payload of the event of a declaration: how
// many entries of each kind, not the entries, which only officers read.
type infrastructureDeclared struct {
	LicenseID  string `json:"license_id"`
	Domains    int    `json:"domains"`
	IPRanges   int    `json:"ip_ranges"`
	CertSHA256 int    `json:"cert_sha256"`
	AppIDs     int    `json:"app_ids"`
}

// declareInfrastructure records in (normalised; nil is nothing to declare)
// as d's infrastructure, with its event.
func (en *Enforcement) declareInfrastructure(tx *store.Tx, p *oversight.Principal, d *oversight.Deployment, in *oversight.Infrastructure) error {
	s := en.s
	if in == nil {
		return nil
	}
	if _, err := tx.Record(oversight.EventInfrastructureDeclared, p.Actor(), d.ID, s.clock(), infrastructureDeclared{
		LicenseID: d.LicenseID, Domains: len(in.Domains), IPRanges: len(in.IPRanges), CertSHA256: len(in.CertSHA256), AppIDs: len(in.AppIDs),
	}); err != nil {
		return err
	}
	return tx.SetInfrastructure(d.ID, d.LicenseID, in, s.clock())
}

// UpdateDeployment declares a deployment's infrastructure, replacing what
// it declared before (PATCH /v1/deployments/{id}). Those who may register
// the deployment may declare it; only officials read it back.
func (en *Enforcement) UpdateDeployment(ctx context.Context, p *oversight.Principal, id string, u *oversight.DeploymentUpdate) (*oversight.Deployment, error) {
	s := en.s
	if err := allow(p, oversight.TaskDeploymentDeclare); err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	var d *oversight.Deployment
	err := s.update(ctx, func(tx *store.Tx) (err error) {
		if d, _, err = ownDeployment(tx, p, id); err != nil {
			return err
		}
		if d.Status != oversight.DeploymentActive {
			return oversight.Conflictf(string(d.Status), "deployment %s is %s; only an active deployment declares its infrastructure", id, d.Status)
		}
		return s.declareInfrastructure(tx, p, d, u.Infrastructure)
	})
	if err != nil {
		return nil, fmt.Errorf("update deployment %s: %w", id, err)
	}
	if p.Is(officials...) {
		d.Infrastructure = u.Infrastructure
	}
	return d, nil
}

// Deployment returns a deployment; vendors and agencies see those of their
// own licences.
func (en *Enforcement) Deployment(ctx context.Context, p *oversight.Principal, id string) (*oversight.Deployment, error) {
	s := en.s
	if err := allow(p, oversight.TaskDeploymentRead); err != nil {
		return nil, err
	}
	var d *oversight.Deployment
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if d, _, err = ownDeployment(tx, p, id); err != nil {
			return err
		}
		if p.Is(officials...) {
			d.Infrastructure, err = tx.Infrastructure(id)
		}
		return err
	})
	return d, err
}

// RetireDeployment takes a deployment out of service for good, without
// touching its licence or its other deployments: from the commit on, its
// signed requests are refused on every replica (each signed operation
// reads its status in its own transaction), its open event streams get a
// shutdown, and it never gets a lease again. A defense officer, or the
// vendor or agency whose licence it runs under, may retire it.
func (en *Enforcement) RetireDeployment(ctx context.Context, p *oversight.Principal, id string, r *oversight.RetireRequest) (*oversight.Deployment, error) {
	s := en.s
	if err := allow(p, oversight.TaskDeploymentRetire); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var d *oversight.Deployment
	err := s.update(ctx, func(tx *store.Tx) error {
		var (
			l   *oversight.License
			err error
		)
		if d, l, err = ownDeployment(tx, p, id); err != nil {
			return err
		}
		if d.Status != oversight.DeploymentActive {
			return oversight.Conflictf(string(d.Status), "deployment %s is %s already", d.ID, d.Status)
		}
		d.Status = oversight.DeploymentRetired
		d.Retired = &oversight.Retirement{At: s.clock(), By: p.Actor(), Reason: r.Reason, LogIndex: tx.NextIndex()}
		if _, err := tx.Record(oversight.EventDeploymentRetired, p.Actor(), d.ID, d.Retired.At, struct {
			LicenseID string `json:"license_id"`
			Reason    string `json:"reason"`
		}{d.LicenseID, r.Reason}); err != nil {
			return err
		}
		s.changed(tx, l, nil, d)
		return tx.UpdateDeployment(d)
	})
	if err != nil {
		return nil, fmt.Errorf("retire deployment %s: %w", id, err)
	}
	return d, nil
}

// ownDeployment reads a deployment and its licence; to a vendor or an
// agency, a deployment of another's licence does not exist.
func ownDeployment(tx *store.Tx, p *oversight.Principal, id string) (*oversight.Deployment, *oversight.License, error) {
	d, err := tx.Deployment(id)
	if err != nil {
		return nil, nil, err
	}
	l, err := ownedLicense(tx, p, d.LicenseID, "deployment", id)
	if err != nil {
		return nil, nil, err
	}
	return d, l, nil
}

// Deployments lists the deployments of a licence.
func (en *Enforcement) Deployments(ctx context.Context, p *oversight.Principal, licenseID string, page oversight.Page) (*oversight.List[oversight.Deployment], error) {
	s := en.s
	if licenseID == "" {
		if err := allow(p, oversight.TaskDeploymentListAll); err != nil {
			return nil, err
		}
	} else if _, err := s.License(ctx, p, licenseID); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.Deployment]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if out.Items, out.Next, err = tx.Deployments(licenseID, page); err != nil || !p.Is(officials...) {
			return err
		}
		for i := range out.Items {
			if out.Items[i].Infrastructure, err = tx.Infrastructure(out.Items[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

type cachedDeployment struct {
	d   oversight.Deployment
	key *reqsign.Key
}

// DeploymentKey returns a deployment and its public key, prepared for
// verifying the deployment's signed requests. An unknown deployment is
// EUNAUTHORIZED: it cannot sign for anything.
//
// What it returns is cached for the life of the process, which is safe
// because a deployment's id, licence and key never change; its Status is
// as it was when first read and must not be relied on. Whether the
// deployment may still act (it may have been retired on another replica a
// moment ago) is decided by each operation in its own transaction
// (Authorize, IssueLease, WatchDeployment), so that no replica answers
// from a stale status.
func (en *Enforcement) DeploymentKey(ctx context.Context, id string) (*oversight.Deployment, *reqsign.Key, error) {
	s := en.s
	if c, ok := s.deployments.Load(id); ok {
		c := c.(*cachedDeployment)
		return &c.d, c.key, nil
	}
	var d *oversight.Deployment
	err := s.view(ctx, func(tx *store.Tx) (err error) { d, err = tx.Deployment(id); return err })
	if oversight.ErrorCode(err) == oversight.ENOTFOUND {
		return nil, nil, oversight.Errorf(oversight.EUNAUTHORIZED, "unknown deployment %s", id)
	}
	if err != nil {
		return nil, nil, err
	}
	pub, err := oversight.ParsePublicKey(d.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("deployment %s key: %w", id, err)
	}
	key, err := reqsign.NewKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("deployment %s key: %w", id, err)
	}
	s.deployments.Store(id, &cachedDeployment{d: *d, key: key})
	return d, key, nil
}

// retiredDeployment is the refusal of a request by a deployment that is no
// longer active.
func retiredDeployment(id string, st oversight.DeploymentStatus) error {
	return oversight.Conflictf(string(st), "deployment %s is %s; its requests are refused", id, st)
}

// PruneNonces forgets the digests of signed requests whose time has left
// the window: such a request is refused for its time already. The server
// runs it periodically.
func (en *Enforcement) PruneNonces(ctx context.Context) (int64, error) {
	s := en.s
	var n int64
	err := s.update(ctx, func(tx *store.Tx) (err error) {
		n, err = tx.PruneNonces(s.clock())
		return err
	})
	return n, err
}
