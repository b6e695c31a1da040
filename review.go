package oversight

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Stage is a development stage at which the export-control authority reviews
// a product. A product advances one stage at a time, in the order of Stages.
type Stage string

// The development stages, in order.
const (
	StageConcept     Stage = "concept"
	StageDesign      Stage = "design"
	StagePrototype   Stage = "prototype"
	StageTesting     Stage = "testing"
	StageExportReady Stage = "export_ready"
)

// Stages lists the development stages in order.
var Stages = []Stage{StageConcept, StageDesign, StagePrototype, StageTesting, StageExportReady}

// Valid reports whether s is one of Stages.
func (s Stage) Valid() bool { return slices.Contains(Stages, s) }

// Next returns the stage after s; the stage after "" (nothing approved yet)
// is concept. ok is false after export_ready.
func (s Stage) Next() (next Stage, ok bool) {
	if s == "" {
		return StageConcept, true
	}
	i := slices.Index(Stages, s)
	if i < 0 || i == len(Stages)-1 {
		return "", false
	}
	return Stages[i+1], true
}

// Safeguards a vendor builds into a product. They are conditions of passing
// a stage: see RequiredSafeguards.
const (
	SafeguardLeaseEnforcement = "lease_enforcement" // the tool runs only on a valid operating lease
	SafeguardAuditHook        = "audit_hook"        // every use is authorised and logged
	SafeguardBlockedCountries = "blocked_countries" // blocked country codes are enforced
	SafeguardProtectedPersons = "protected_persons" // the protected-persons register is checked
)

// Safeguards lists every safeguard.
var Safeguards = []string{SafeguardLeaseEnforcement, SafeguardAuditHook, SafeguardBlockedCountries, SafeguardProtectedPersons}

// RequiredSafeguards returns the safeguards a review at stage must claim to
// be approved. Design must already plan the lease and the audit hook, while
// they are cheap to build in; from the prototype on, all are required.
func RequiredSafeguards(s Stage) []string {
	switch s {
	case StageConcept:
		return nil
	case StageDesign:
		return []string{SafeguardLeaseEnforcement, SafeguardAuditHook}
	default:
		return Safeguards
	}
}

// ProductStatus is where a product stands in development supervision.
type ProductStatus string

// Product statuses.
const (
	ProductRegistered      ProductStatus = "registered"       // no review yet
	ProductInReview        ProductStatus = "in_review"        // a review is open
	ProductChangesRequired ProductStatus = "changes_required" // the last review asked for changes
	ProductApproved        ProductStatus = "approved"         // the last review was approved; the next stage may be submitted
	ProductRejected        ProductStatus = "rejected"         // final
)

// ReviewStatus is the state of one review.
type ReviewStatus string

// Review statuses.
const (
	ReviewSubmitted       ReviewStatus = "submitted"
	ReviewApproved        ReviewStatus = "approved"
	ReviewChangesRequired ReviewStatus = "changes_required"
	ReviewRejected        ReviewStatus = "rejected"
)

// ReviewDecision is what the authority decides on a review.
type ReviewDecision string

// Review decisions.
const (
	DecideApprove         ReviewDecision = "approve"
	DecideChangesRequired ReviewDecision = "changes_required"
	DecideReject          ReviewDecision = "reject"
)

// Review is one development-stage review of a product.
type Review struct {
	ID         string   `json:"id"`
	ProductID  string   `json:"product_id"`
	Stage      Stage    `json:"stage"`
	Dossier    string   `json:"dossier"`
	Safeguards []string `json:"safeguards"`
	// ConditionsMet lists, on a resubmission, the conditions of the previous
	// review at this stage that the vendor says it has met.
	ConditionsMet []string     `json:"conditions_met,omitempty"`
	Status        ReviewStatus `json:"status"`
	// Conditions are set by a changes_required decision: what the vendor must
	// meet before resubmitting.
	Conditions  []string   `json:"conditions,omitempty"`
	Notes       string     `json:"notes,omitempty"`
	SubmittedBy string     `json:"submitted_by"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	SubmittedAt time.Time  `json:"submitted_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	LogIndex    int64      `json:"log_index"`
	// Evidence is the safeguards report attached to the review, as
	// verified; a review at export_ready is approved only if the latest
	// report attached to the product's reviews passes.
	Evidence *SafeguardEvidence `json:"evidence,omitempty"`
}

// ReviewSubmission is the body of POST /v1/products/{id}/reviews.
type ReviewSubmission struct {
	Stage         Stage    `json:"stage"`
	Dossier       string   `json:"dossier"`
	Safeguards    []string `json:"safeguards"`
	ConditionsMet []string `json:"conditions_met"`
	// Evidence is a safeguards report (oversight safeguards test), from
	// the testing stage on.
	Evidence *SafeguardReport `json:"evidence,omitempty"`
}

// Validate checks the submission's fields on their own.
func (s *ReviewSubmission) Validate() error {
	var p Problems
	if !s.Stage.Valid() {
		p.Add("stage", "must be one of concept, design, prototype, testing, export_ready")
	}
	p.Required("dossier", s.Dossier)
	if len(s.Dossier) > 100_000 {
		p.Add("dossier", "at most 100000 characters")
	}
	for i, g := range s.Safeguards {
		if !slices.Contains(Safeguards, g) {
			p.Add(fmt.Sprintf("safeguards[%d]", i), "unknown safeguard %q; one of %s", g, strings.Join(Safeguards, ", "))
		}
	}
	if s.Evidence != nil {
		if s.Stage != StageTesting && s.Stage != StageExportReady {
			p.Add("evidence", "a safeguards report is attached at the testing or export_ready stage, not %s", s.Stage)
		} else if err := s.Evidence.Validate(); err != nil {
			var e *Error
			if errors.As(err, &e) {
				for _, f := range e.Fields {
					p.Add("evidence."+f.Field, "%s", f.Message)
				}
			}
		}
	}
	return p.Err("invalid review submission")
}

// CheckSubmission decides whether a product may submit s now. prev is the
// product's latest review (nil if none). A product advances one stage at a
// time: it may submit the stage after its last approved stage, or resubmit
// the same stage after changes were required, having met every condition.
func CheckSubmission(p *Product, prev *Review, s *ReviewSubmission) error {
	if p.Status == ProductRejected {
		return Conflictf(string(p.Status), "product %s was rejected; it cannot be reviewed again", p.ID)
	}
	if prev != nil && prev.Status == ReviewSubmitted {
		return Conflictf(string(ProductInReview), "product %s already has review %s open at stage %s", p.ID, prev.ID, prev.Stage)
	}
	if prev != nil && prev.Status == ReviewChangesRequired {
		if s.Stage != prev.Stage {
			return Conflictf(string(p.Status), "product %s must resubmit stage %s after changes were required, not %s", p.ID, prev.Stage, s.Stage)
		}
		var missing []string
		for _, c := range prev.Conditions {
			if !slices.Contains(s.ConditionsMet, c) {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			return Invalid("invalid review submission", "conditions_met", "conditions of review %s not met: %s", prev.ID, strings.Join(missing, "; "))
		}
		return nil
	}
	next, ok := p.Stage.Next()
	if !ok {
		return Conflictf(string(p.Stage), "product %s is already approved at export_ready", p.ID)
	}
	if s.Stage != next {
		at := string(p.Stage)
		if at == "" {
			at = "no stage"
		}
		return Conflictf(at, "product %s is approved at %s; the next review must be at stage %s, not %s", p.ID, at, next, s.Stage)
	}
	return nil
}

// ReviewDecisionRequest is the body of POST /v1/reviews/{id}/decision.
type ReviewDecisionRequest struct {
	Decision   ReviewDecision `json:"decision"`
	Conditions []string       `json:"conditions"`
	Notes      string         `json:"notes"`
}

// Validate checks the decision's fields on their own.
func (d *ReviewDecisionRequest) Validate() error {
	var p Problems
	switch d.Decision {
	case DecideApprove, DecideReject:
		if len(d.Conditions) > 0 {
			p.Add("conditions", "only a changes_required decision carries conditions")
		}
	case DecideChangesRequired:
		if len(d.Conditions) == 0 {
			p.Add("conditions", "a changes_required decision must name at least one condition")
		}
		for i, c := range d.Conditions {
			p.Required(fmt.Sprintf("conditions[%d]", i), c)
		}
	default:
		p.Add("decision", "must be approve, changes_required or reject")
	}
	return p.Err("invalid review decision")
}

// Decide applies d to the open review r of product p, changing both. It
// refuses to approve a review that lacks a safeguard its stage requires,
// and a review at export_ready unless ev, the latest safeguards report
// attached to the product's reviews, passes every check.
func Decide(p *Product, r *Review, d *ReviewDecisionRequest, ev *SafeguardEvidence, by string, now time.Time) error {
	if r.Status != ReviewSubmitted {
		return Conflictf(string(r.Status), "review %s is already decided: %s", r.ID, r.Status)
	}
	switch d.Decision {
	case DecideApprove:
		var missing []string
		for _, g := range RequiredSafeguards(r.Stage) {
			if !slices.Contains(r.Safeguards, g) {
				missing = append(missing, g)
			}
		}
		if len(missing) > 0 {
			return Conflictf(string(r.Status), "review %s at stage %s cannot be approved without safeguards: %s; decide changes_required instead",
				r.ID, r.Stage, strings.Join(missing, ", "))
		}
		if r.Stage == StageExportReady {
			if err := CheckExportEvidence(r, ev); err != nil {
				return err
			}
		}
		r.Status = ReviewApproved
		p.Stage = r.Stage
		p.Status = ProductApproved
	case DecideChangesRequired:
		r.Status = ReviewChangesRequired
		r.Conditions = d.Conditions
		p.Status = ProductChangesRequired
	case DecideReject:
		r.Status = ReviewRejected
		p.Status = ProductRejected
	}
	r.Notes = d.Notes
	r.DecidedBy = by
	r.DecidedAt = &now
	return nil
}
