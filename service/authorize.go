package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/monitor"
	"github.com/oversight-dev/oversight/policy"
	"github.com/oversight-dev/oversight/store"
)

// Authorization is the service's aggregate of per-use authorisation: the
// decisions on operations a deployment asks for before it acts (POST
// /v1/authorize), with their permits, the record of operations, and the
// protected-persons register those decisions are checked against. Service
// embeds it, so its methods are the Service's; it shares the Service's
// store, clock and policy engine.
type Authorization struct{ s *Service }

// authorizer decides operation requests with the policy engine, which
// caches each licence's compiled policy per policy version, and runs the
// misuse rules' part that belongs to the decision (monitor.Marker).
type authorizer struct {
	engine *policy.Engine
	marker *monitor.Marker
	// last holds, per deployment, the facts of its latest decision
	// (*decisionHint): the next request of the deployment is evaluated
	// with them before the writer's transaction, and the transaction only
	// checks that they still hold.
	last sync.Map
}

// decisionHint is what a deployment's latest decision read: its licence as
// the store shares it (the same pointer while the licence's document is
// unchanged) and the licence's unexpired permits.
type decisionHint struct {
	license *oversight.License
	active  int
}

func newAuthorizer(opts Options) (*authorizer, error) {
	eng, err := policy.NewEngine(policy.Options{PermitLifetime: opts.PermitLifetime, Templates: opts.Templates})
	if err != nil {
		return nil, fmt.Errorf("policy engine: %w", err)
	}
	rules := monitor.Defaults()
	if opts.Rules != nil {
		rules = *opts.Rules
	}
	return &authorizer{engine: eng, marker: monitor.NewMarker(rules)}, nil
}

// Authorize decides an operation request that deployment d signed, before
// the deployment's tool acts (POST /v1/authorize). sig is what the
// request's signature established. The operation's id is derived from the
// signature (its time and digest), so a second request with the same
// signature would create the same operation: the id's unique index refuses
// it as a replay (EUNAUTHORIZED), in the transaction that would record the
// decision, and one signed request yields at most one decision, within the
// signature's window and after it. (A separate nonce table would cost the
// decision one more indexed write.)
//
// The request must name d as its deployment (EFORBIDDEN otherwise). It is
// decided against the current policy of d's licence, with the facts read
// in the same transaction: the deployment's status, the licence's status,
// scope and restrictions, whether the target is on the protected-persons
// register, and the licence's unexpired permits, so that concurrent
// requests cannot exceed its quota. The operation is stored with its
// decision and reasons, the target only as its keyed hash, and its
// operation.decided event is appended to the audit log in the same
// transaction (see oversight.OperationDecided for what the public log
// shows). A request against a protected person is denied (SCOPE-PROTECTED)
// and, by the misuse rules' protected-persons rule (monitor.Marker), opens
// a misuse case naming the licence and the operation, or adds to the open
// one of that rule on the licence, with its case event, also in the same
// transaction: the decision names the case. The marks the rules behind the
// cursor read (RuleMonitor) are computed here too, and stored with the
// operation.
//
// The policy is evaluated before the single writer's transaction, with the
// facts the deployment's previous decision read, so that the writer does
// not wait on it; the transaction keeps that decision only when what it
// reads agrees (the same licence document, the target off the register,
// the same quota outcome: policy.Policy.SameQuota) and evaluates again
// otherwise. The decision is the one the transaction's facts give either
// way.
//
// A retired deployment is refused (ECONFLICT naming its status), read in
// the same transaction, so that a deployment retired on another replica a
// moment ago gets no decision here. A request that is not well-formed is
// EINVALID naming the field, and nothing is stored. Any decision, permit or deny, is a nil error.
func (az *Authorization) Authorize(ctx context.Context, d *oversight.Deployment, sig *oversight.SignedRequest, r *oversight.OperationRequest) (*oversight.Decision, error) {
	s := az.s
	if sig == nil || sig.Deployment != d.ID {
		return nil, fmt.Errorf("authorize: the request's signature by %s is required", d.ID)
	}
	hash, err := r.Check()
	if err != nil {
		return nil, err
	}
	if r.DeploymentID != d.ID {
		return nil, oversight.Errorf(oversight.EFORBIDDEN, "deployment %s signed this request; it cannot ask for deployment %s", d.ID, r.DeploymentID)
	}
	now := s.clock()
	op, err := newOperation(operationID(sig), d.ID, hash, r, now)
	if err != nil {
		return nil, err
	}
	// Evaluating the policy is most of a decision's work and needs no
	// lock: it is done here, with the facts of the deployment's latest
	// decision and the target assumed off the register, and the writer's
	// transaction keeps it only if the facts it reads agree (the same
	// licence document, the target off the register, the same quota
	// outcome); otherwise it evaluates again, inside.
	var (
		hint   *decisionHint
		early  oversight.Decision
		evalOK bool
	)
	if v, ok := s.authz.last.Load(d.ID); ok {
		hint = v.(*decisionHint)
		early, evalOK = s.evaluate(hint.license, r, now, hint.active)
	}
	var dec oversight.Decision
	err = s.update(ctx, func(tx *store.Tx) error {
		f, err := tx.DecisionFacts(d.ID, hash, now)
		if err != nil {
			return err
		}
		if f.DeploymentStatus != oversight.DeploymentActive {
			return retiredDeployment(d.ID, f.DeploymentStatus)
		}
		l, pp := f.License, f.Protected
		if err := s.checkTainted(l.ID); err != nil {
			return err
		}
		s.authz.last.Store(d.ID, &decisionHint{license: l, active: f.ActivePermits})
		if evalOK && hint.license == l && pp == nil && s.sameQuota(l, hint.active, f.ActivePermits) {
			dec = early
		} else if dec, err = s.authz.engine.Evaluate(policy.FromLicense(l), r, policy.Facts{
			Now:                  now,
			ActivePermits:        f.ActivePermits,
			ProtectedTarget:      pp != nil,
			DeploymentRegistered: true, // checked above, in this transaction
		}); err != nil {
			if oversight.ErrorCode(err) == oversight.EINVALID {
				return err
			}
			// An unknown template is the server's fault, not the
			// deployment's: no decision, and no permit (fail closed).
			return fmt.Errorf("policy of licence %s: %v", l.ID, err)
		}
		op.LicenseID = l.ID
		op.PolicyVersion = l.PolicyVersion
		op.Decision, op.Reasons, op.ExpiresAt, op.Review = dec.Decision, dec.Reasons, dec.ExpiresAt, dec.Review
		var (
			hit       monitor.Hit
			protected bool
			open      *oversight.Case
		)
		if hit, protected = s.authz.marker.Protected(op, pp); protected {
			// The decision names the case its rule gathers into: the
			// licence's open one, or the one it opens.
			if open, err = tx.OpenCaseOf(op.LicenseID, hit.Rule); err != nil {
				return err
			}
			op.MisuseCaseID = oversight.NewID(oversight.PrefixCase)
			if open != nil {
				op.MisuseCaseID = open.ID
			}
		}
		op.LogIndex = tx.NextIndex()
		created, err := tx.CreateOperation(op, uint8(s.authz.marker.Mark(op)))
		if err != nil {
			return err
		}
		if !created {
			return oversight.Errorf(oversight.EUNAUTHORIZED, "replayed request: this signed request was already used; sign a new one")
		}
		if _, err := tx.Record(oversight.EventOperationDecided, d.ID, op.ID, now, op.Decided()); err != nil {
			return err
		}
		if protected {
			_, err = s.gatherInto(tx, open, "system", s.gathering(hit, op, now, op.MisuseCaseID), now)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("authorize: %w", err)
	}
	dec.OperationID = op.ID
	dec.LogIndex = &op.LogIndex
	return &dec, nil
}

// evaluate decides r for licence l before the writer's transaction, with
// active unexpired permits and the target off the register; false if the
// policy cannot decide (the transaction then evaluates, and says why).
func (az *Authorization) evaluate(l *oversight.License, r *oversight.OperationRequest, now time.Time, active int) (oversight.Decision, bool) {
	s := az.s
	dec, err := s.authz.engine.Evaluate(policy.FromLicense(l), r, policy.Facts{
		Now: now, ActivePermits: active, DeploymentRegistered: true})
	return dec, err == nil
}

// sameQuota reports whether a decision of l's policy taken with a
// unexpired permits stands with b (policy.Policy.SameQuota).
func (az *Authorization) sameQuota(l *oversight.License, a, b int) bool {
	s := az.s
	p, err := s.authz.engine.Policy(policy.FromLicense(l))
	return err == nil && p.SameQuota(a, b)
}

// operationID derives the id of the operation a signed request asks for
// from its signature: its time and digest, and the deployment.
func operationID(sig *oversight.SignedRequest) string {
	seed := make([]byte, 0, len(sig.Deployment)+len(sig.Digest))
	seed = append(append(seed, sig.Deployment...), sig.Digest[:]...)
	return oversight.DerivedID(oversight.PrefixOperation, sig.Time, seed)
}

// newOperation builds the record of a request, before its decision, with
// the commitment that the public log will show of its private part.
func newOperation(id, deploymentID string, hash oversight.TargetHash, r *oversight.OperationRequest, now time.Time) (*oversight.OperationRecord, error) {
	op := &oversight.OperationRecord{
		ID:           id,
		DeploymentID: deploymentID,
		Operation:    r.Operation,
		// The register and every comparison use lower case.
		Target:        oversight.Target{IDHash: hash.String(), CountryCode: r.Target.CountryCode},
		LegalBasis:    r.LegalBasis,
		Grounds:       r.Grounds,
		CaseRef:       r.CaseRef,
		WarrantRef:    r.WarrantRef,
		Justification: r.Justification,
		DecidedAt:     now,
	}
	if op.Grounds == nil {
		op.Grounds = []string{}
	}
	var salt [16]byte
	rand.Read(salt[:])
	op.Salt = hex.EncodeToString(salt[:])
	c, err := oversight.OperationCommitment(op)
	if err != nil {
		return nil, err
	}
	op.Commitment = c
	return op, nil
}

// Operation returns a decided operation. Officials see every one; the
// vendor and the end user of its licence see those of their licences.
func (az *Authorization) Operation(ctx context.Context, p *oversight.Principal, id string) (*oversight.OperationRecord, error) {
	s := az.s
	if err := allow(p, oversight.TaskOperationRead); err != nil {
		return nil, err
	}
	var op *oversight.OperationRecord
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if op, err = tx.Operation(id); err != nil {
			return err
		}
		return ownLicense(tx, p, op.LicenseID, "operation", id)
	})
	return op, err
}

// Operations lists decided operations, newest first. Officials may list
// every operation; the vendor and the end user of a licence must name it
// and see its operations only.
func (az *Authorization) Operations(ctx context.Context, p *oversight.Principal, f oversight.OperationFilter, page oversight.Page) (*oversight.List[oversight.OperationRecord], error) {
	s := az.s
	if err := allow(p, oversight.TaskOperationRead); err != nil {
		return nil, err
	}
	var pr oversight.Problems
	if f.LicenseID == "" && !p.Is(officials...) {
		pr.Add("license", "required: the licence whose operations to list (lic_…)")
	}
	if f.Decision != "" && f.Decision != oversight.Permit && f.Decision != oversight.Deny {
		pr.Add("decision", "must be permit or deny")
	}
	if err := pr.Err("invalid query"); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.OperationRecord]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if f.LicenseID != "" {
			if err := ownLicense(tx, p, f.LicenseID, "licence", f.LicenseID); err != nil {
				return err
			}
		}
		out.Items, out.Next, err = tx.Operations(f, page)
		return err
	})
	return out, err
}

// ownLicense fails unless the licence exists and, for a vendor or an end
// user, is theirs; what is not theirs does not exist for them (kind and id
// name the resource asked for).
func ownLicense(tx *store.Tx, p *oversight.Principal, licenseID, kind, id string) error {
	_, err := ownedLicense(tx, p, licenseID, kind, id)
	return err
}

// ownedLicense is ownLicense that returns the licence.
func ownedLicense(tx *store.Tx, p *oversight.Principal, licenseID, kind, id string) (*oversight.License, error) {
	l, err := tx.License(licenseID)
	if oversight.ErrorCode(err) == oversight.ENOTFOUND {
		return nil, oversight.NotFound(kind, id)
	}
	if err != nil {
		return nil, err
	}
	if err := ownVendor(p, l.VendorID, kind, id); err != nil {
		return nil, err
	}
	if err := ownEndUser(p, l.EndUserID, kind, id); err != nil {
		return nil, err
	}
	return l, nil
}
