package oversight

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// CaseSource is how a misuse case came to be opened.
type CaseSource string

// Case sources.
const (
	SourceRule           CaseSource = "rule"            // a rule fired on a decision, such as SCOPE-PROTECTED
	SourceForensicReport CaseSource = "forensic_report" // a forensic examination found the tool on a device
	SourceComplaint      CaseSource = "complaint"       // a person or organisation complained
)

// Valid reports whether s is a known source.
func (s CaseSource) Valid() bool {
	return s == SourceRule || s == SourceForensicReport || s == SourceComplaint
}

// CaseStatus is how far a case has gone: open → investigating →
// substantiated or unsubstantiated → closed. A closed case may be opened
// again; a finding may be reconsidered (back to investigating).
type CaseStatus string

// Case statuses.
const (
	CaseOpen            CaseStatus = "open"
	CaseInvestigating   CaseStatus = "investigating"
	CaseSubstantiated   CaseStatus = "substantiated"   // the findings establish misuse: enforcement and designations follow
	CaseUnsubstantiated CaseStatus = "unsubstantiated" // the findings do not
	CaseClosed          CaseStatus = "closed"
)

// CaseStatuses lists the statuses in their order.
var CaseStatuses = []CaseStatus{CaseOpen, CaseInvestigating, CaseSubstantiated, CaseUnsubstantiated, CaseClosed}

// Valid reports whether s is a known status.
func (s CaseStatus) Valid() bool { return slices.Contains(CaseStatuses, s) }

// caseMoves are the statuses each status may move to.
var caseMoves = map[CaseStatus][]CaseStatus{
	CaseOpen:            {CaseInvestigating, CaseClosed},
	CaseInvestigating:   {CaseSubstantiated, CaseUnsubstantiated, CaseClosed},
	CaseSubstantiated:   {CaseInvestigating, CaseClosed},
	CaseUnsubstantiated: {CaseInvestigating, CaseClosed},
	CaseClosed:          {CaseOpen},
}

// CheckMove returns a conflict if a case cannot go from s to next, and an
// error naming findings if next is a finding and the case has none.
func (s CaseStatus) CheckMove(next CaseStatus, findings string) error {
	if next == s {
		return nil
	}
	if !slices.Contains(caseMoves[s], next) {
		return Conflictf(string(s), "a case %s cannot become %s; from %s it becomes %s", s, next, s, joinStatuses(caseMoves[s]))
	}
	if (next == CaseSubstantiated || next == CaseUnsubstantiated) && strings.TrimSpace(findings) == "" {
		return Invalid("invalid case update", "findings", "a case is %s on its findings: give them", next)
	}
	return nil
}

// CheckFollowUp returns a conflict unless consequences may follow from the
// case: an enforcement action ordered from it or designations made from it
// (what names which). Both follow from a substantiated case only, so that a
// licence is revoked and people, with their families, are refused visas on
// findings an officer recorded, not on an allegation still open.
func (c *Case) CheckFollowUp(what string) error {
	if c.Status != CaseSubstantiated {
		return Conflictf(string(c.Status), "case %s is %s; %s follow from a substantiated case (move it to investigating, then to substantiated with its findings)", c.ID, c.Status, what)
	}
	return nil
}

func joinStatuses(ss []CaseStatus) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, " or ")
}

// Evidence is one item in a misuse case.
type Evidence struct {
	// Kind is operation (Ref is an operation id), report, document,
	// statement or other.
	Kind string `json:"kind"`
	// Ref points at the item: an operation id, a report number, a file
	// name; it is optional for a statement.
	Ref         string `json:"ref,omitempty"`
	Description string `json:"description"`
	// SHA256 is the hex digest of a document kept outside Oversight, so
	// that the case binds its exact content.
	SHA256  string    `json:"sha256,omitempty"`
	AddedBy string    `json:"added_by"`
	AddedAt time.Time `json:"added_at"`
}

// EvidenceKinds lists the values Evidence.Kind takes.
var EvidenceKinds = []string{"operation", "report", "document", "statement", "other"}

// Case is a misuse case: a suspicion that a licensed tool was misused,
// the evidence for it, what the investigation found, and what followed:
// enforcement actions on the licence and visa designations of the people
// involved.
type Case struct {
	ID     string     `json:"id"`
	Source CaseSource `json:"source"`
	// Rule is the code of the rule that opened a case of source rule, such
	// as SCOPE-PROTECTED.
	Rule      string `json:"rule,omitempty"`
	LicenseID string `json:"license_id"`
	// OperationIDs are the operations the case concerns.
	OperationIDs []string   `json:"operation_ids"`
	Title        string     `json:"title"`
	Evidence     []Evidence `json:"evidence"`
	// Hits is how many firings of its rule a case of a rule or a forensic
	// report gathered (decisions, matched indicators): its operations and
	// evidence stop at 500 items each, this count does not.
	Hits     int        `json:"hits,omitempty"`
	Findings string     `json:"findings,omitempty"`
	Status   CaseStatus `json:"status"`
	// ActionIDs are the enforcement actions that name this case, and
	// DesignationIDs the visa designations linked to it.
	ActionIDs      []string   `json:"action_ids"`
	DesignationIDs []string   `json:"designation_ids"`
	OpenedBy       string     `json:"opened_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	LogIndex       int64      `json:"log_index"`
}

// EvidenceInput is an item of evidence as a caller submits it.
type EvidenceInput struct {
	Kind        string `json:"kind"`
	Ref         string `json:"ref"`
	Description string `json:"description"`
	SHA256      string `json:"sha256"`
}

// CaseRequest is the body of POST /v1/cases. Cases of source rule are
// opened by the system, not by callers.
type CaseRequest struct {
	Source       CaseSource      `json:"source"`
	LicenseID    string          `json:"license_id"`
	Title        string          `json:"title"`
	OperationIDs []string        `json:"operation_ids"`
	Evidence     []EvidenceInput `json:"evidence"`
}

// Limits on a case's free text and lists.
const (
	maxCaseText  = 20000
	maxCaseItems = 200
)

// Validate checks the request's fields on their own.
func (r *CaseRequest) Validate() error {
	var p Problems
	switch r.Source {
	case SourceForensicReport, SourceComplaint:
	case SourceRule:
		p.Add("source", "cases of source rule are opened by the rules themselves; use forensic_report or complaint")
	default:
		p.Add("source", "must be forensic_report or complaint")
	}
	if !ValidID(PrefixLicense, r.LicenseID) {
		p.Add("license_id", "must be a licence id (lic_…)")
	}
	if p.Required("title", r.Title) && len(r.Title) > 500 {
		p.Add("title", "at most 500 characters")
	}
	checkIDs(&p, "operation_ids", PrefixOperation, "an operation id (op_…)", r.OperationIDs)
	validateEvidence(&p, "evidence", r.Evidence)
	return p.Err("invalid case")
}

// CaseUpdate is the body of PATCH /v1/cases/{id}: each field that is set
// changes the case. Findings replace the previous findings; evidence,
// operations and designations are added to those already linked.
type CaseUpdate struct {
	Status           CaseStatus      `json:"status"`
	Findings         *string         `json:"findings"`
	AddEvidence      []EvidenceInput `json:"add_evidence"`
	AddOperations    []string        `json:"add_operations"`
	LinkDesignations []string        `json:"link_designations"`
}

// Validate checks the update's fields on their own.
func (u *CaseUpdate) Validate() error {
	var p Problems
	if u.Status != "" && !u.Status.Valid() {
		p.Add("status", "must be open, investigating, substantiated, unsubstantiated or closed")
	}
	if u.Findings != nil && len(*u.Findings) > maxCaseText {
		p.Add("findings", "at most %d characters", maxCaseText)
	}
	validateEvidence(&p, "add_evidence", u.AddEvidence)
	checkIDs(&p, "add_operations", PrefixOperation, "an operation id (op_…)", u.AddOperations)
	checkIDs(&p, "link_designations", PrefixDesignation, "a designation id (des_…)", u.LinkDesignations)
	if u.Status == "" && u.Findings == nil && len(u.AddEvidence) == 0 && len(u.AddOperations) == 0 && len(u.LinkDesignations) == 0 {
		p.Add("body", "nothing to change: give status, findings, add_evidence, add_operations or link_designations")
	}
	return p.Err("invalid case update")
}

func checkIDs(p *Problems, field, prefix, what string, ids []string) {
	if len(ids) > maxCaseItems {
		p.Add(field, "at most %d items", maxCaseItems)
		return
	}
	for i, id := range ids {
		if !ValidID(prefix, id) {
			p.Add(fmt.Sprintf("%s[%d]", field, i), "must be %s", what)
		}
	}
}

func validateEvidence(p *Problems, field string, ev []EvidenceInput) {
	if len(ev) > maxCaseItems {
		p.Add(field, "at most %d items", maxCaseItems)
		return
	}
	for i, e := range ev {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !slices.Contains(EvidenceKinds, e.Kind) {
			p.Add(f+".kind", "must be operation, report, document, statement or other")
		}
		if e.Kind == "operation" && !ValidID(PrefixOperation, e.Ref) {
			p.Add(f+".ref", "evidence of kind operation must give the operation id (op_…)")
		}
		if len(e.Ref) > 500 {
			p.Add(f+".ref", "at most 500 characters")
		}
		if p.Required(f+".description", e.Description) && len(e.Description) > maxCaseText {
			p.Add(f+".description", "at most %d characters", maxCaseText)
		}
		if e.SHA256 != "" {
			if _, ok := NormalizeIDHash(e.SHA256); !ok {
				p.Add(f+".sha256", "must be 64 hex digits")
			}
		}
	}
}

// CaseTimeline is what happened in a case and what followed, from the log:
// the case's own entries, the enforcement actions that name it and the
// designations linked to it, oldest first.
type CaseTimeline struct {
	CaseID  string          `json:"case_id"`
	Entries []TimelineEntry `json:"entries"`
	// EvidenceToStop is the interval from the first evidence to the
	// moment the tool was stopped: the first suspension or revocation
	// naming the case took effect, which every deployment of the licence
	// is told at once. Absent until then.
	EvidenceToStop *Interval `json:"evidence_to_stop,omitempty"`
}

// TimelineEntry is one log entry of a case's timeline.
type TimelineEntry struct {
	Index   int64     `json:"index"`
	Time    time.Time `json:"time"`
	Type    string    `json:"type"`
	Subject string    `json:"subject"`
	Actor   string    `json:"actor"`
	// What says it in words: "status substantiated", "revoke executed".
	What string `json:"what"`
}

// Interval is a measured interval between two moments.
type Interval struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Seconds float64   `json:"seconds"`
}

// CaseActionRequest is the body of POST /v1/cases/{id}/actions: the
// enforcement action a substantiated case proposes on its licence, with
// the quorum of its kind.
type CaseActionRequest struct {
	Kind        ActionKind   `json:"kind"`
	Reason      string       `json:"reason"`
	Restriction *Restriction `json:"restriction"`
}
