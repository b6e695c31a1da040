package oversight

import (
	"slices"
	"time"
)

// ActionKind is an enforcement action on a licence (IL2021-6: the
// exporting state may restrict use, revoke the licence and shut the system
// down).
type ActionKind string

// Enforcement actions.
const (
	ActionRestrict  ActionKind = "restrict"  // narrow the scope: a new rule RESTRICT-<id>
	ActionSuspend   ActionKind = "suspend"   // stop all use now; one defense officer's word
	ActionReinstate ActionKind = "reinstate" // lift a suspension; both ministries
	ActionRevoke    ActionKind = "revoke"    // end the licence for good; both ministries
)

// ActionStatus is where an action stands.
type ActionStatus string

// Action statuses.
const (
	ActionPending  ActionStatus = "pending"  // waiting for the second ministry
	ActionExecuted ActionStatus = "executed" // in force
	ActionRejected ActionStatus = "rejected" // refused by the second ministry
)

// Action is an enforcement action ordered against a licence.
type Action struct {
	ID        string     `json:"id"`
	LicenseID string     `json:"license_id"`
	Kind      ActionKind `json:"kind"`
	Reason    string     `json:"reason"`
	CaseID    string     `json:"case_id,omitempty"`
	// Restriction is the scope change of a restrict action; its ID is the
	// action's.
	Restriction *Restriction     `json:"restriction,omitempty"`
	Status      ActionStatus     `json:"status"`
	Approvals   []ActionApproval `json:"approvals"`
	CreatedAt   time.Time        `json:"created_at"`
	ExecutedAt  *time.Time       `json:"executed_at,omitempty"`
	LogIndex    int64            `json:"log_index"`
}

// ActionApproval is one officer's assent to an action (the requester's
// counts as the first).
type ActionApproval struct {
	Ministry Ministry  `json:"ministry"`
	Decision string    `json:"decision"` // approve or reject
	By       string    `json:"by"`
	Person   string    `json:"person"`
	At       time.Time `json:"at"`
	LogIndex int64     `json:"log_index"`
}

// ActionRequest is the body of POST /v1/licenses/{id}/actions.
type ActionRequest struct {
	Kind        ActionKind   `json:"kind"`
	Reason      string       `json:"reason"`
	CaseID      string       `json:"case_id"`
	Restriction *Restriction `json:"restriction"`
}

// Validate checks the request's fields on their own.
func (r *ActionRequest) Validate() error {
	var p Problems
	switch r.Kind {
	case ActionRestrict:
		if r.Restriction == nil {
			p.Add("restriction", "a restrict action must give the restriction: purposes, operations, blocked_country_codes, max_active_operations or valid_until")
		} else {
			if r.Restriction.ID != "" {
				p.Add("restriction.id", "set by the server: the restriction takes the action's id")
			}
			r.Restriction.Validate(&p, "restriction")
		}
	case ActionSuspend, ActionReinstate, ActionRevoke:
		if r.Restriction != nil {
			p.Add("restriction", "only a restrict action carries a restriction")
		}
	default:
		p.Add("kind", "must be restrict, suspend, reinstate or revoke")
	}
	p.Required("reason", r.Reason)
	if len(r.Reason) > 10_000 {
		p.Add("reason", "at most 10000 characters")
	}
	if r.CaseID != "" && !ValidID(PrefixCase, r.CaseID) {
		p.Add("case_id", "must be a case id (case_…)")
	}
	return p.Err("invalid enforcement action")
}

// NeedsBothMinistries reports whether an action of kind k takes effect only
// once officers of both ministries, two distinct people, have approved it.
func (k ActionKind) NeedsBothMinistries() bool { return k == ActionReinstate || k == ActionRevoke }

// CheckApplicable reports whether an action of kind k can act on a licence
// in status s now, naming the state when it cannot.
func (k ActionKind) CheckApplicable(l *License) error {
	var ok []LicenseStatus
	switch k {
	case ActionRestrict:
		ok = []LicenseStatus{LicenseActive, LicenseSuspended}
	case ActionSuspend:
		ok = []LicenseStatus{LicenseActive}
	case ActionReinstate:
		ok = []LicenseStatus{LicenseSuspended}
	case ActionRevoke:
		ok = []LicenseStatus{LicenseActive, LicenseSuspended}
	}
	if !slices.Contains(ok, l.Status) {
		return Conflictf(string(l.Status), "licence %s is %s; %s applies only to a licence that is %v", l.ID, l.Status, k, ok)
	}
	return nil
}

// Execute applies the action to the licence: the change of status or the
// new restriction. The caller has checked CheckApplicable.
func (a *Action) Execute(l *License, now time.Time) {
	switch a.Kind {
	case ActionRestrict:
		r := *a.Restriction
		r.ID = a.ID
		l.Restrictions = append(l.Restrictions, r)
	case ActionSuspend:
		l.Status = LicenseSuspended
	case ActionReinstate:
		l.Status = LicenseActive
	case ActionRevoke:
		l.Status = LicenseRevoked
	}
	l.PolicyVersion++
	l.UpdatedAt = now
	a.Status = ActionExecuted
	a.ExecutedAt = &now
}

// Approve records an officer's decision on a pending action. The two
// approvals of a two-ministry action come from officers of different
// ministries, two distinct people. It reports whether the action is now
// approved by both.
func (a *Action) Approve(decision string, by *Principal, now time.Time) (*ActionApproval, bool, error) {
	if a.Status != ActionPending {
		return nil, false, Conflictf(string(a.Status), "action %s is %s; only a pending action can be approved", a.ID, a.Status)
	}
	if decision != "approve" && decision != "reject" {
		return nil, false, Invalid("invalid approval", "decision", "must be approve or reject")
	}
	m := Ministry(by.Role)
	if m != MinistryDefense && m != MinistryForeignAffairs {
		return nil, false, Errorf(EFORBIDDEN, "only defense and foreign_affairs officers approve enforcement actions")
	}
	for _, x := range a.Approvals {
		if SamePerson(x.By, by) {
			return nil, false, Conflictf(string(a.Status), "action %s needs two distinct people; %s already approved it", a.ID, x.Person)
		}
		if x.Ministry == m {
			return nil, false, Conflictf(string(a.Status), "action %s already has the %s ministry's approval; it needs the other ministry's", a.ID, m)
		}
	}
	ap := ActionApproval{Ministry: m, Decision: decision, By: by.Actor(), Person: by.Name, At: now}
	a.Approvals = append(a.Approvals, ap)
	if decision == "reject" {
		a.Status = ActionRejected
		return &a.Approvals[len(a.Approvals)-1], false, nil
	}
	return &a.Approvals[len(a.Approvals)-1], len(a.Approvals) >= 2, nil
}

// ActionApprovalRequest is the body of POST /v1/actions/{id}/approvals.
type ActionApprovalRequest struct {
	Decision string `json:"decision"` // approve or reject
}
