package service

import (
	"context"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// Enforcement is the service's aggregate of enforcement: the deployments
// of export licences and their lifecycle, the enforcement actions ordered on
// a licence (restriction, suspension, reinstatement, revocation), the
// operating leases issued to deployments, and the push of licence changes
// to them, across replicas too. Service embeds it, so its methods are the
// Service's; it shares the Service's store, clock and lease issuer.
type Enforcement struct{ s *Service }

// LicenseChange tells subscribers that what a licence allows has changed:
// its status or its restrictions. The enforcement layer pushes it to the
// licence's deployments.
type LicenseChange struct {
	LicenseID     string
	Status        oversight.LicenseStatus
	PolicyVersion int
	// Action is the enforcement action that caused the change, if any.
	Action *oversight.Action
	// Retired is set when the change is one deployment's retirement: the
	// licence is unchanged, and only that deployment is told to stop.
	Retired *oversight.Deployment
}

// Subscribe registers f to be called after every committed licence change,
// in commit order. f must not block.
func (en *Enforcement) Subscribe(f func(LicenseChange)) {
	s := en.s
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	s.subs = append(s.subs, f)
}

// changed schedules subscribers for after the transaction commits. retired
// is the deployment a retirement is about, nil for a licence change.
func (en *Enforcement) changed(tx *store.Tx, l *oversight.License, a *oversight.Action, retired *oversight.Deployment) {
	s := en.s
	c := LicenseChange{LicenseID: l.ID, Status: l.Status, PolicyVersion: l.PolicyVersion, Action: a, Retired: retired}
	tx.OnCommit(func() {
		s.subsMu.RLock()
		defer s.subsMu.RUnlock()
		for _, f := range s.subs {
			f(c)
		}
	})
}

// RequestAction orders an enforcement action on a licence. A restriction
// or a suspension takes effect at once on a defense officer's word. A
// reinstatement or a revocation is pending until an officer of the other
// ministry, a different person, approves it (ApproveAction).
func (en *Enforcement) RequestAction(ctx context.Context, p *oversight.Principal, licenseID string, r *oversight.ActionRequest) (*oversight.Action, error) {
	s := en.s
	if err := allow(p, oversight.TaskActionOrder); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if !r.Kind.NeedsBothMinistries() && p.Role != oversight.RoleDefense {
		return nil, oversight.Errorf(oversight.EFORBIDDEN, "%s takes effect on a defense officer's word; a %s officer cannot order it", r.Kind, p.Role)
	}
	now := s.clock()
	a := &oversight.Action{
		ID: oversight.NewID(oversight.PrefixAction), LicenseID: licenseID, Kind: r.Kind, Reason: r.Reason, CaseID: r.CaseID,
		Restriction: r.Restriction, Status: oversight.ActionPending, CreatedAt: now,
		Approvals: []oversight.ActionApproval{{Ministry: oversight.Ministry(p.Role), Decision: "approve", By: p.Actor(), Person: p.Name, At: now}},
	}
	if a.Restriction != nil {
		a.Restriction.ID = a.ID
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		l, err := tx.License(licenseID)
		if err != nil {
			return err
		}
		if err := r.Kind.CheckApplicable(l); err != nil {
			return err
		}
		a.LogIndex = tx.NextIndex()
		a.Approvals[0].LogIndex = a.LogIndex
		if _, err := tx.RecordPrivate(oversight.EventActionRequested, p.Actor(), a.ID, now, a, oversight.PersonalAction...); err != nil {
			return err
		}
		if !r.Kind.NeedsBothMinistries() {
			if err := s.execute(tx, p.Actor(), l, a, now); err != nil {
				return err
			}
		}
		return tx.CreateAction(a)
	})
	if err != nil {
		return nil, fmt.Errorf("%s licence %s: %w", r.Kind, licenseID, err)
	}
	return a, nil
}

// execute puts an approved action into force, with its events.
func (en *Enforcement) execute(tx *store.Tx, actor string, l *oversight.License, a *oversight.Action, now time.Time) error {
	s := en.s
	if err := a.Kind.CheckApplicable(l); err != nil {
		return err
	}
	before := l.Status
	a.Execute(l, now)
	var err error
	if a.LogIndex, err = tx.Record(oversight.EventActionExecuted, actor, a.ID, now, struct {
		LicenseID     string                 `json:"license_id"`
		Kind          oversight.ActionKind   `json:"kind"`
		Restriction   *oversight.Restriction `json:"restriction,omitempty"`
		PolicyVersion int                    `json:"policy_version"`
	}{l.ID, a.Kind, a.Restriction, l.PolicyVersion}); err != nil {
		return err
	}
	l.LogIndex = a.LogIndex
	if l.Status != before {
		if l.LogIndex, err = s.recordStatus(tx, actor, l, before, string(a.Kind)+" "+a.ID+": "+a.Reason); err != nil {
			return err
		}
	}
	s.changed(tx, l, a, nil)
	return tx.UpdateLicense(l)
}

// ApproveAction records the second ministry's decision on a pending
// action: with its approval the action takes effect (action.approved);
// with its rejection it never does (action.rejected).
func (en *Enforcement) ApproveAction(ctx context.Context, p *oversight.Principal, id string, r *oversight.ActionApprovalRequest) (*oversight.Action, error) {
	s := en.s
	if err := allow(p, oversight.TaskActionApprove); err != nil {
		return nil, err
	}
	var a *oversight.Action
	err := s.update(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.Action(id); err != nil {
			return err
		}
		now := s.clock()
		ap, done, err := a.Approve(r.Decision, p, now)
		if err != nil {
			return err
		}
		typ := oversight.EventActionApproved
		if a.Status == oversight.ActionRejected {
			typ = oversight.EventActionRejected
		}
		ap.LogIndex = tx.NextIndex() // the decision names its own event
		if _, err = tx.RecordPrivate(typ, p.Actor(), a.ID, now, ap, oversight.PersonalApproval...); err != nil {
			return err
		}
		a.LogIndex = ap.LogIndex
		if done {
			l, err := tx.License(a.LicenseID)
			if err != nil {
				return err
			}
			if err := s.execute(tx, p.Actor(), l, a, now); err != nil {
				return err
			}
		}
		return tx.UpdateAction(a)
	})
	if err != nil {
		return nil, fmt.Errorf("approve action %s: %w", id, err)
	}
	return a, nil
}

// Action returns an action; vendors and agencies see the actions on their
// own licences.
func (en *Enforcement) Action(ctx context.Context, p *oversight.Principal, id string) (*oversight.Action, error) {
	s := en.s
	if err := allow(p, oversight.TaskActionRead); err != nil {
		return nil, err
	}
	var a *oversight.Action
	err := s.view(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.Action(id); err != nil {
			return err
		}
		l, err := tx.License(a.LicenseID)
		if err != nil {
			return err
		}
		if err := ownVendor(p, l.VendorID, "action", id); err != nil {
			return err
		}
		return ownEndUser(p, l.EndUserID, "action", id)
	})
	return a, err
}

// Actions lists the actions on a licence.
func (en *Enforcement) Actions(ctx context.Context, p *oversight.Principal, licenseID string, page oversight.Page) (*oversight.List[oversight.Action], error) {
	s := en.s
	if _, err := s.License(ctx, p, licenseID); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.Action]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.Actions(licenseID, page)
		return err
	})
	return out, err
}

// ActionsByStatus lists enforcement actions on every licence, of one
// status when status is not empty: the enforcement desk of officials.
func (en *Enforcement) ActionsByStatus(ctx context.Context, p *oversight.Principal, status oversight.ActionStatus, page oversight.Page) (*oversight.List[oversight.Action], error) {
	s := en.s
	if err := allow(p, oversight.TaskActionList); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.Action]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.ActionsByStatus(status, page)
		return err
	})
	return out, err
}
