// Package policy turns an end-user declaration and a licence into executable
// policy and decides operation requests with it.
//
// A declaration template (such as IL-2021) and a licence's scope and
// restrictions compile into Cedar policies, one per clause or rule, each
// annotated with the code a decision cites: IL2021-1…7, SCOPE-STATUS,
// SCOPE-VALIDITY, SCOPE-PURPOSE, SCOPE-COUNTRY, SCOPE-PROTECTED,
// SCOPE-QUOTA, SCOPE-OPERATION and RESTRICT-<action id>. Cedar's semantics
// give forbid precedence over permit, and a deny lists every rule that
// forbids. The engine fails closed: a policy that errors while it is
// evaluated counts as a forbid.
//
// An Engine holds the templates and caches one compiled Policy per licence
// version; Policy.Evaluate does no I/O and is safe for concurrent use.
package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/oversight-dev/oversight"
)

// DefaultPermitLifetime is how long a permit stays valid when the engine is
// not told otherwise.
const DefaultPermitLifetime = time.Hour

// License is what a policy is compiled from: the parts of a licence that
// decide what it allows. ID and PolicyVersion key the engine's cache; the
// service changes PolicyVersion whenever anything else here changes.
type License struct {
	// ID is the licence id (lic_…); it may be empty for offline evaluation,
	// and a policy with no id is never cached.
	ID            string
	PolicyVersion int
	Status        oversight.LicenseStatus
	// Template is the id of the declaration template, such as IL-2021.
	Template     string
	Scope        oversight.Scope
	Restrictions []oversight.Restriction
}

// FromLicense returns the policy view of l.
func FromLicense(l *oversight.License) *License {
	return &License{
		ID:            l.ID,
		PolicyVersion: l.PolicyVersion,
		Status:        l.Status,
		Template:      l.Template,
		Scope:         l.Scope,
		Restrictions:  l.Restrictions, // shared: Compile copies what it keeps
	}
}

// clone returns a deep copy of l.
func (l *License) clone() *License {
	c := *l
	c.Scope.Purposes = slices.Clone(l.Scope.Purposes)
	c.Scope.Operations = slices.Clone(l.Scope.Operations)
	c.Scope.BlockedCountryCodes = slices.Clone(l.Scope.BlockedCountryCodes)
	c.Restrictions = make([]oversight.Restriction, len(l.Restrictions))
	for i, r := range l.Restrictions {
		r.Purposes = slices.Clone(r.Purposes)
		r.Operations = slices.Clone(r.Operations)
		r.BlockedCountryCodes = slices.Clone(r.BlockedCountryCodes)
		if r.MaxActiveOperations != nil {
			n := *r.MaxActiveOperations
			r.MaxActiveOperations = &n
		}
		if r.ValidUntil != nil {
			u := *r.ValidUntil
			r.ValidUntil = &u
		}
		c.Restrictions[i] = r
	}
	return &c
}

// statuses are the licence statuses a policy can be compiled for.
var statuses = []oversight.LicenseStatus{
	oversight.LicenseApplied, oversight.LicenseActive, oversight.LicenseDenied,
	oversight.LicenseSuspended, oversight.LicenseRevoked, oversight.LicenseExpired,
}

// Validate checks that l can be compiled: a known status, a valid scope and
// restrictions that each name an enforcement action. Field names are those
// of the licence file of "oversight policy eval".
func (l *License) Validate() error {
	var p oversight.Problems
	if l.ID != "" && !oversight.ValidID(oversight.PrefixLicense, l.ID) {
		p.Add("id", "must be a licence id (lic_…)")
	}
	if !slices.Contains(statuses, l.Status) {
		p.Add("status", "must be applied, active, denied, suspended, revoked or expired")
	}
	l.Scope.Validate(&p, "scope")
	for i := range l.Restrictions {
		r := &l.Restrictions[i]
		f := fmt.Sprintf("restrictions[%d]", i)
		if !oversight.ValidID(oversight.PrefixAction, r.ID) {
			p.Add(f+".id", "must be the id of the enforcement action that ordered it (act_…)")
		} else if slices.IndexFunc(l.Restrictions[:i], func(o oversight.Restriction) bool { return o.ID == r.ID }) >= 0 {
			p.Add(f+".id", "duplicate restriction %s", r.ID)
		}
		r.Validate(&p, f)
	}
	return p.Err("invalid licence")
}

// Facts are what the caller knows at decision time beyond the request
// itself. The engine trusts them; the service establishes them from its
// store before it evaluates.
type Facts struct {
	// Now is the time of the decision.
	Now time.Time
	// ActivePermits is the number of unexpired permits the licence holds,
	// not counting this request.
	ActivePermits int
	// ProtectedTarget is whether the request's target.id_hash is on the
	// protected-persons register.
	ProtectedTarget bool
	// DeploymentRegistered is whether the request's deployment is
	// registered to this licence.
	DeploymentRegistered bool
}
