package oversight

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// LicenseKind says what a licence allows: marketing (negotiating a sale) or
// export. An export licence needs an active marketing licence for the same
// product and end user.
type LicenseKind string

// Licence kinds.
const (
	KindMarketing LicenseKind = "marketing"
	KindExport    LicenseKind = "export"
)

// LicenseStatus is where a licence is in its lifecycle.
type LicenseStatus string

// Licence statuses. A licence is applied until both ministries approve it
// (active) or one denies it (denied, final). An active licence can be
// suspended and reinstated, and revoked (final); it expires at the end of
// its validity.
const (
	LicenseApplied   LicenseStatus = "applied"
	LicenseActive    LicenseStatus = "active"
	LicenseDenied    LicenseStatus = "denied"
	LicenseSuspended LicenseStatus = "suspended"
	LicenseRevoked   LicenseStatus = "revoked"
	LicenseExpired   LicenseStatus = "expired"
)

// Ministry is one of the two ministries whose approval a licence needs.
type Ministry string

// The approving ministries; each maps to the role of its officers.
const (
	MinistryDefense        Ministry = "defense"
	MinistryForeignAffairs Ministry = "foreign_affairs"
)

// Role returns the role an officer of m holds.
func (m Ministry) Role() Role { return Role(m) }

// Category is the legal category of an operation's purpose.
type Category string

// Categories of the operation request.
const (
	CategoryTerrorism    Category = "terrorism"
	CategorySeriousCrime Category = "serious_crime"
	CategoryOther        Category = "other"
)

// Operation is what a deployed tool does to a target.
type Operation string

// Operations of the operation request.
const (
	OpIntercept Operation = "intercept"
	OpExtract   Operation = "extract"
	OpLocate    Operation = "locate"
	OpMonitor   Operation = "monitor"
)

// Operations lists every operation.
var Operations = []Operation{OpIntercept, OpExtract, OpLocate, OpMonitor}

// Scope is what a licence allows: purposes, operations, target country codes
// that are blocked, how many permits may be unexpired at once, and when.
type Scope struct {
	Purposes            []Category  `json:"purposes"`
	Operations          []Operation `json:"operations"`
	BlockedCountryCodes []string    `json:"blocked_country_codes"`
	MaxActiveOperations int         `json:"max_active_operations"`
	ValidFrom           time.Time   `json:"valid_from"`
	ValidUntil          time.Time   `json:"valid_until"`
}

// Validate checks s; field names are prefixed with prefix (e.g. "scope").
func (s *Scope) Validate(p *Problems, prefix string) {
	if len(s.Purposes) == 0 {
		p.Add(prefix+".purposes", "at least one purpose is required: terrorism, serious_crime")
	}
	for i, c := range s.Purposes {
		if c != CategoryTerrorism && c != CategorySeriousCrime {
			p.Add(fmt.Sprintf("%s.purposes[%d]", prefix, i), "must be terrorism or serious_crime")
		}
	}
	if len(s.Operations) == 0 {
		p.Add(prefix+".operations", "at least one operation is required: intercept, extract, locate, monitor")
	}
	for i, o := range s.Operations {
		if !slices.Contains(Operations, o) {
			p.Add(fmt.Sprintf("%s.operations[%d]", prefix, i), "must be intercept, extract, locate or monitor")
		}
	}
	checkCallingCodes(p, prefix+".blocked_country_codes", s.BlockedCountryCodes)
	checkRepeats(p, prefix+".purposes", s.Purposes)
	checkRepeats(p, prefix+".operations", s.Operations)
	checkRepeats(p, prefix+".blocked_country_codes", s.BlockedCountryCodes)
	if s.MaxActiveOperations < 1 || s.MaxActiveOperations > 1_000_000 {
		p.Add(prefix+".max_active_operations", "must be between 1 and 1000000")
	}
	if s.ValidFrom.IsZero() {
		p.Add(prefix+".valid_from", "required: an RFC 3339 time")
	}
	if s.ValidUntil.IsZero() {
		p.Add(prefix+".valid_until", "required: an RFC 3339 time")
	} else if !s.ValidUntil.After(s.ValidFrom) {
		p.Add(prefix+".valid_until", "must be after valid_from")
	}
}

// checkRepeats refuses a value listed twice: a scope that names a purpose
// twice was not written with care, and two readers might count it twice.
func checkRepeats[T comparable](p *Problems, field string, xs []T) {
	for i, x := range xs {
		if slices.Index(xs, x) < i {
			p.Add(fmt.Sprintf("%s[%d]", field, i), "repeats %v, listed before", x)
		}
	}
}

// Licence validity bounds.
const (
	// ValidFromSkew is how far in the past a licence's validity may start
	// when it is applied for: the applicant's clock and the server's may
	// differ by that much. A licence is never granted for a time gone by.
	ValidFromSkew = 10 * time.Minute
	// DefaultMaxTermMonths is the longest validity of a licence, and the
	// longest a declaration covers licences from its signing, when its
	// template says nothing (DeclarationTemplate.MaxTermMonths).
	DefaultMaxTermMonths = 36
)

// CheckTerm checks that s, the scope of an application made at now, starts
// no earlier than now less ValidFromSkew, lasts at most maxTermMonths, and
// ends no later than until (the end of its declaration's term; zero for
// none). Field names are prefixed with prefix.
func (s *Scope) CheckTerm(p *Problems, prefix string, now time.Time, maxTermMonths int, until time.Time) {
	if s.ValidFrom.IsZero() || !s.ValidUntil.After(s.ValidFrom) {
		return // Validate has said so
	}
	if earliest := now.Add(-ValidFromSkew); s.ValidFrom.Before(earliest) {
		p.Add(prefix+".valid_from", "must not be in the past (now is %s; a licence is not granted for a time gone by)", now.UTC().Format(time.RFC3339))
	}
	if last := s.ValidFrom.AddDate(0, maxTermMonths, 0); s.ValidUntil.After(last) {
		p.Add(prefix+".valid_until", "must be at most %d months after valid_from (by %s), the longest term the declaration's template allows", maxTermMonths, last.UTC().Format(time.RFC3339))
	} else if !until.IsZero() && s.ValidUntil.After(until) {
		p.Add(prefix+".valid_until", "must not be after %s, when the declaration's term ends", until.UTC().Format(time.RFC3339))
	}
}

// Restriction narrows a licence's scope; it is ordered as an enforcement
// action and becomes rule RESTRICT-<ID>. Each field that is set narrows:
// purposes and operations to those listed, more blocked country codes, a
// lower quota, an earlier end. A restriction can never widen a scope.
type Restriction struct {
	ID                  string      `json:"id"` // the action id, act_…
	Purposes            []Category  `json:"purposes,omitempty"`
	Operations          []Operation `json:"operations,omitempty"`
	BlockedCountryCodes []string    `json:"blocked_country_codes,omitempty"`
	MaxActiveOperations *int        `json:"max_active_operations,omitempty"`
	ValidUntil          *time.Time  `json:"valid_until,omitempty"`
}

// Validate checks r; field names are prefixed with prefix.
func (r *Restriction) Validate(p *Problems, prefix string) {
	if len(r.Purposes) == 0 && len(r.Operations) == 0 && len(r.BlockedCountryCodes) == 0 &&
		r.MaxActiveOperations == nil && r.ValidUntil == nil {
		p.Add(prefix, "a restriction must narrow at least one of purposes, operations, blocked_country_codes, max_active_operations, valid_until")
	}
	for i, c := range r.Purposes {
		if c != CategoryTerrorism && c != CategorySeriousCrime {
			p.Add(fmt.Sprintf("%s.purposes[%d]", prefix, i), "must be terrorism or serious_crime")
		}
	}
	for i, o := range r.Operations {
		if !slices.Contains(Operations, o) {
			p.Add(fmt.Sprintf("%s.operations[%d]", prefix, i), "must be intercept, extract, locate or monitor")
		}
	}
	checkCallingCodes(p, prefix+".blocked_country_codes", r.BlockedCountryCodes)
	checkRepeats(p, prefix+".purposes", r.Purposes)
	checkRepeats(p, prefix+".operations", r.Operations)
	checkRepeats(p, prefix+".blocked_country_codes", r.BlockedCountryCodes)
	if r.MaxActiveOperations != nil && (*r.MaxActiveOperations < 0 || *r.MaxActiveOperations > 1_000_000) {
		p.Add(prefix+".max_active_operations", "must be between 0 and 1000000")
	}
}

// Approval is one ministry's decision on a licence application.
type Approval struct {
	Ministry Ministry  `json:"ministry"`
	Decision string    `json:"decision"` // approve or deny
	By       string    `json:"by"`       // actor: role and user id
	Person   string    `json:"person"`   // the officer's name
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
	LogIndex int64     `json:"log_index"`
}

// License is a marketing or export licence for one product to one end-user
// agency of one purchasing state.
type License struct {
	ID            string      `json:"id"`
	Kind          LicenseKind `json:"kind"`
	VendorID      string      `json:"vendor_id"`
	ProductID     string      `json:"product_id"`
	EndUserID     string      `json:"end_user_id"`
	Country       string      `json:"country"`
	DeclarationID string      `json:"declaration_id,omitempty"`
	// Template is the declaration template the licence's policy is built
	// from, such as IL-2021.
	Template     string        `json:"template"`
	Status       LicenseStatus `json:"status"`
	Scope        Scope         `json:"scope"`
	Restrictions []Restriction `json:"restrictions"`
	Approvals    []Approval    `json:"approvals"`
	// PolicyVersion counts changes to what the licence allows (approval,
	// restriction, suspension…). Compiled policies and leases name it.
	PolicyVersion int       `json:"policy_version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	LogIndex      int64     `json:"log_index"`
}

// LicenseApplication is the body of POST /v1/licenses.
type LicenseApplication struct {
	Kind          LicenseKind `json:"kind"`
	VendorID      string      `json:"vendor_id"`
	ProductID     string      `json:"product_id"`
	EndUserID     string      `json:"end_user_id"`
	DeclarationID string      `json:"declaration_id"`
	Scope         Scope       `json:"scope"`
}

// Validate checks the application's fields on their own; whether the
// product, end user and declaration allow it is checked against the store.
func (a *LicenseApplication) Validate() error {
	var p Problems
	if a.Kind != KindMarketing && a.Kind != KindExport {
		p.Add("kind", "must be marketing or export")
	}
	if !ValidID(PrefixVendor, a.VendorID) {
		p.Add("vendor_id", "must be a vendor id (ven_…)")
	}
	if !ValidID(PrefixProduct, a.ProductID) {
		p.Add("product_id", "must be a product id (prd_…)")
	}
	if !ValidID(PrefixEndUser, a.EndUserID) {
		p.Add("end_user_id", "must be an end-user id (eu_…)")
	}
	if a.Kind == KindExport && a.DeclarationID == "" {
		p.Add("declaration_id", "an export licence requires the end user's signed declaration (dec_…)")
	} else if a.DeclarationID != "" && !ValidID(PrefixDeclaration, a.DeclarationID) {
		p.Add("declaration_id", "must be a declaration id (dec_…)")
	}
	a.Scope.Validate(&p, "scope")
	return p.Err("invalid licence application")
}

// ApprovalRequest is the body of POST /v1/licenses/{id}/approvals.
type ApprovalRequest struct {
	Ministry Ministry `json:"ministry"`
	Decision string   `json:"decision"`
	Reason   string   `json:"reason"`
}

// Validate checks the request's fields on their own.
func (r *ApprovalRequest) Validate() error {
	var p Problems
	if r.Ministry != MinistryDefense && r.Ministry != MinistryForeignAffairs {
		p.Add("ministry", "must be defense or foreign_affairs")
	}
	if r.Decision != "approve" && r.Decision != "deny" {
		p.Add("decision", "must be approve or deny")
	}
	if r.Decision == "deny" && r.Reason == "" {
		p.Add("reason", "a denial must give a reason")
	}
	return p.Err("invalid approval")
}

// Approve records a ministry's decision on an applied licence. Only an
// officer of that ministry decides for it, each ministry decides once, and
// the two approvals must come from two distinct people. The licence becomes
// active when both approve, and denied when either denies.
func (l *License) Approve(r *ApprovalRequest, by *Principal, now time.Time) (*Approval, error) {
	if l.Status != LicenseApplied {
		return nil, Conflictf(string(l.Status), "licence %s is %s; only an applied licence can be approved or denied", l.ID, l.Status)
	}
	if by.Role != r.Ministry.Role() {
		return nil, Errorf(EFORBIDDEN, "only a %s officer decides for the %s ministry", r.Ministry, r.Ministry)
	}
	for _, a := range l.Approvals {
		if a.Ministry == r.Ministry {
			return nil, Conflictf(string(l.Status), "the %s ministry already decided on licence %s", r.Ministry, l.ID)
		}
		if SamePerson(a.By, by) {
			return nil, Conflictf(string(l.Status), "licence %s needs two distinct people; %s already decided for the %s ministry", l.ID, a.Person, a.Ministry)
		}
	}
	a := Approval{Ministry: r.Ministry, Decision: r.Decision, By: by.Actor(), Person: by.Name, Reason: r.Reason, At: now}
	l.Approvals = append(l.Approvals, a)
	switch {
	case r.Decision == "deny":
		l.Status = LicenseDenied
	case len(l.Approvals) == 2:
		l.Status = LicenseActive
		l.PolicyVersion++
	}
	l.UpdatedAt = now
	return &l.Approvals[len(l.Approvals)-1], nil
}

// SamePerson reports whether an earlier decision recorded as actor came
// from the user acting as p. Users are compared by id, never by name: a
// person is one user, whatever token or session they use.
func SamePerson(actor string, p *Principal) bool {
	_, id, _ := strings.Cut(actor, ":")
	switch {
	case id == "":
		return false
	case p.UserID != "" && id == p.UserID:
		return true
	case p.TokenID != "" && id == p.TokenID:
		return true
	}
	// A decision recorded before users existed names its token; migration
	// 00070 made each such token the user with the same id suffix.
	legacy, ok := strings.CutPrefix(id, PrefixToken)
	return ok && p.UserID == PrefixUser+legacy
}

// EffectiveStatus is the licence's status at t: an active or suspended
// licence past its validity has expired even before a job marks it so.
func (l *License) EffectiveStatus(t time.Time) LicenseStatus {
	if (l.Status == LicenseActive || l.Status == LicenseSuspended) && !t.Before(l.Scope.ValidUntil) {
		return LicenseExpired
	}
	return l.Status
}
