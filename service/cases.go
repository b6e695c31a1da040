package service

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// Casework is the service's aggregate of misuse casework: the cases that
// officials open or the misuse rules and forensic reports open (the rule
// monitor, imported evidence), their lifecycle and timeline and the actions
// proposed from them, and the complaints that the public files and
// officials triage into cases. Service embeds it, so its methods are the
// Service's; it shares the Service's store and clock. It is not named
// Cases, after the method that lists them, which its field would hide.
type Casework struct{ s *Service }

// caseOpened is the payload of a case.opened event.
type caseOpened struct {
	Source       oversight.CaseSource `json:"source"`
	Rule         string               `json:"rule,omitempty"`
	LicenseID    string               `json:"license_id"`
	OperationIDs []string             `json:"operation_ids"`
	Evidence     int                  `json:"evidence"` // how many items
}

// caseUpdated is the payload of a case.updated event.
type caseUpdated struct {
	Status           oversight.CaseStatus `json:"status"`
	FindingsChanged  bool                 `json:"findings_changed,omitempty"`
	EvidenceAdded    int                  `json:"evidence_added,omitempty"`
	OperationsAdded  []string             `json:"operations_added,omitempty"`
	DesignationsLink []string             `json:"designations_linked,omitempty"`
}

// openCase records a new case and its event in tx.
func (cw *Casework) openCase(tx *store.Tx, actor string, c *oversight.Case) error {
	c.LogIndex = tx.NextIndex()
	if _, err := tx.Record(oversight.EventCaseOpened, actor, c.ID, c.CreatedAt, caseOpened{
		Source: c.Source, Rule: c.Rule, LicenseID: c.LicenseID, OperationIDs: c.OperationIDs, Evidence: len(c.Evidence),
	}); err != nil {
		return err
	}
	return tx.CreateCase(c)
}

// gathering is what the firings of a rule (or one forensic report) add to
// the open case of its rule on a licence.
type gathering struct {
	// CaseID is the id of the case this opens if none is open; "" means a
	// new one.
	CaseID     string
	LicenseID  string
	Rule       string
	Source     oversight.CaseSource
	Title      string // of the case, if this opens it
	Operations []string
	Evidence   []oversight.Evidence
	// Hits is how many firings (decisions, matched indicators) this is.
	Hits int
}

// maxGathered bounds the operations and the evidence a case lists: past
// it, the rule's repeats still count in the case's hits and add their
// events, not their ids or evidence, so that a flood of denials cannot
// grow a case without bound (nor the cost of writing it).
const maxGathered = 500

// gather adds g to the open case of g.Rule on g.LicenseID, or opens one
// when there is none (or the last one was closed), with its case.opened or
// case.updated event: one open case per rule and licence gathers the
// repeats instead of one case per firing.
func (cw *Casework) gather(tx *store.Tx, actor string, g gathering, now time.Time) (*oversight.Case, error) {
	s := cw.s
	c, err := tx.OpenCaseOf(g.LicenseID, g.Rule)
	if err != nil {
		return nil, err
	}
	return s.gatherInto(tx, c, actor, g, now)
}

// gatherInto is gather into c, the open case of g's rule on its licence
// that the caller read in tx, or nil to open one.
func (cw *Casework) gatherInto(tx *store.Tx, c *oversight.Case, actor string, g gathering, now time.Time) (*oversight.Case, error) {
	s := cw.s
	if c == nil {
		id := g.CaseID
		if id == "" {
			id = oversight.NewID(oversight.PrefixCase)
		}
		c = &oversight.Case{
			ID: id, Source: g.Source, Rule: g.Rule, LicenseID: g.LicenseID,
			OperationIDs: []string{}, Title: g.Title, Evidence: []oversight.Evidence{}, Status: oversight.CaseOpen,
			ActionIDs: []string{}, DesignationIDs: []string{}, OpenedBy: actor, CreatedAt: now, UpdatedAt: now,
		}
		addGathered(c, g)
		return c, s.openCase(tx, actor, c)
	}
	ev := caseUpdated{Status: c.Status}
	ev.OperationsAdded, ev.EvidenceAdded = addGathered(c, g)
	c.UpdatedAt = now
	if _, err := tx.Record(oversight.EventCaseUpdated, actor, c.ID, now, ev); err != nil {
		return nil, err
	}
	return c, tx.UpdateCase(c)
}

// addGathered adds g's operations and evidence to c, up to maxGathered
// each, and its hits; it returns the operations and the number of items
// of evidence it added.
func addGathered(c *oversight.Case, g gathering) (ops []string, evidence int) {
	for _, op := range g.Operations {
		if len(c.OperationIDs) < maxGathered && !slices.Contains(c.OperationIDs, op) {
			c.OperationIDs = append(c.OperationIDs, op)
			ops = append(ops, op)
		}
	}
	n := min(len(g.Evidence), max(maxGathered-len(c.Evidence), 0))
	c.Evidence = append(c.Evidence, g.Evidence[:n]...)
	c.Hits += max(g.Hits, len(g.Evidence))
	return ops, n
}

// OpenCase opens a misuse case from a forensic report or a complaint
// (POST /v1/cases). The operations it names must be of its licence.
func (cw *Casework) OpenCase(ctx context.Context, p *oversight.Principal, r *oversight.CaseRequest) (*oversight.Case, error) {
	s := cw.s
	if err := allow(p, oversight.TaskCaseOpen); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := s.clock()
	c := &oversight.Case{
		ID: oversight.NewID(oversight.PrefixCase), Source: r.Source, LicenseID: r.LicenseID,
		OperationIDs: dedupe(r.OperationIDs), Title: strings.TrimSpace(r.Title),
		Evidence: evidence(r.Evidence, p.Actor(), now), Status: oversight.CaseOpen,
		ActionIDs: []string{}, DesignationIDs: []string{}, OpenedBy: p.Actor(), CreatedAt: now, UpdatedAt: now,
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		if _, err := tx.License(r.LicenseID); err != nil {
			if oversight.ErrorCode(err) == oversight.ENOTFOUND {
				return oversight.Invalid("invalid case", "license_id", "no licence %s", r.LicenseID)
			}
			return err
		}
		if err := checkOperations(tx, r.LicenseID, "operation_ids", c.OperationIDs); err != nil {
			return err
		}
		if err := checkEvidence(tx, r.LicenseID, "evidence", r.Evidence); err != nil {
			return err
		}
		return s.openCase(tx, p.Actor(), c)
	})
	if err != nil {
		return nil, fmt.Errorf("open case: %w", err)
	}
	return c, nil
}

// UpdateCase records findings, evidence, linked operations and
// designations, or closes or reopens a case (PATCH /v1/cases/{id}).
func (cw *Casework) UpdateCase(ctx context.Context, p *oversight.Principal, id string, u *oversight.CaseUpdate) (*oversight.Case, error) {
	s := cw.s
	if err := allow(p, oversight.TaskCaseUpdate); err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	now := s.clock()
	var c *oversight.Case
	err := s.update(ctx, func(tx *store.Tx) (err error) {
		if c, err = tx.Case(id); err != nil {
			return err
		}
		if err := checkOperations(tx, c.LicenseID, "add_operations", u.AddOperations); err != nil {
			return err
		}
		if err := checkEvidence(tx, c.LicenseID, "add_evidence", u.AddEvidence); err != nil {
			return err
		}
		ev := caseUpdated{EvidenceAdded: len(u.AddEvidence)}
		findings := c.Findings
		if u.Findings != nil {
			findings = *u.Findings
		}
		if u.Status != "" {
			if err := c.Status.CheckMove(u.Status, findings); err != nil {
				return err
			}
		}
		if u.Status != "" && u.Status != c.Status {
			c.Status = u.Status
			if c.Status == oversight.CaseClosed {
				c.ClosedAt = &now
			} else {
				c.ClosedAt = nil
			}
		}
		if u.Findings != nil && *u.Findings != c.Findings {
			c.Findings = *u.Findings
			ev.FindingsChanged = true
		}
		c.Evidence = append(c.Evidence, evidence(u.AddEvidence, p.Actor(), now)...)
		for _, op := range u.AddOperations {
			if !slices.Contains(c.OperationIDs, op) {
				c.OperationIDs = append(c.OperationIDs, op)
				ev.OperationsAdded = append(ev.OperationsAdded, op)
			}
		}
		for _, d := range u.LinkDesignations {
			if !slices.Contains(c.DesignationIDs, d) {
				c.DesignationIDs = append(c.DesignationIDs, d)
				ev.DesignationsLink = append(ev.DesignationsLink, d)
			}
		}
		ev.Status = c.Status
		c.UpdatedAt = now
		if _, err := tx.Record(oversight.EventCaseUpdated, p.Actor(), c.ID, now, ev); err != nil {
			return err
		}
		if err := tx.UpdateCase(c); err != nil {
			return err
		}
		return linkActions(tx, c)
	})
	if err != nil {
		return nil, fmt.Errorf("update case %s: %w", id, err)
	}
	return c, nil
}

// Case returns a misuse case with the enforcement actions that name it.
func (cw *Casework) Case(ctx context.Context, p *oversight.Principal, id string) (*oversight.Case, error) {
	s := cw.s
	if err := allow(p, oversight.TaskCaseRead); err != nil {
		return nil, err
	}
	var c *oversight.Case
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if c, err = tx.Case(id); err != nil {
			return err
		}
		return linkActions(tx, c)
	})
	return c, err
}

// Cases lists misuse cases, newest first.
func (cw *Casework) Cases(ctx context.Context, p *oversight.Principal, f oversight.CaseFilter, page oversight.Page) (*oversight.List[oversight.Case], error) {
	s := cw.s
	if err := allow(p, oversight.TaskCaseRead); err != nil {
		return nil, err
	}
	var pr oversight.Problems
	if f.Status != "" && !f.Status.Valid() {
		pr.Add("status", "must be open, investigating, substantiated, unsubstantiated or closed")
	}
	if f.Source != "" && !f.Source.Valid() {
		pr.Add("source", "must be rule, forensic_report or complaint")
	}
	if err := pr.Err("invalid query"); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.Case]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if out.Items, out.Next, err = tx.Cases(f, page); err != nil {
			return err
		}
		for i := range out.Items {
			if err := linkActions(tx, &out.Items[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// linkActions fills in the enforcement actions that name c: an action
// names its case when it is ordered, so the case learns of it here.
func linkActions(tx *store.Tx, c *oversight.Case) error {
	ids, err := tx.ActionsNamingCase(c.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.Contains(c.ActionIDs, id) {
			c.ActionIDs = append(c.ActionIDs, id)
		}
	}
	return nil
}

// checkOperations checks that each operation exists and is of licenseID.
func checkOperations(tx *store.Tx, licenseID, field string, ids []string) error {
	for i, id := range ids {
		op, err := tx.Operation(id)
		if oversight.ErrorCode(err) == oversight.ENOTFOUND {
			return oversight.Invalid("invalid case", fmt.Sprintf("%s[%d]", field, i), "no operation %s", id)
		}
		if err != nil {
			return err
		}
		if op.LicenseID != licenseID {
			return oversight.Invalid("invalid case", fmt.Sprintf("%s[%d]", field, i), "operation %s is of licence %s, not of the case's licence %s", id, op.LicenseID, licenseID)
		}
	}
	return nil
}

// checkEvidence checks the operations that evidence of kind operation
// points at.
func checkEvidence(tx *store.Tx, licenseID, field string, ev []oversight.EvidenceInput) error {
	for i, e := range ev {
		if e.Kind != "operation" {
			continue
		}
		if err := checkOperations(tx, licenseID, fmt.Sprintf("%s[%d].ref", field, i), []string{e.Ref}); err != nil {
			// checkOperations named the field with an index of its own.
			if de, ok := err.(*oversight.Error); ok && len(de.Fields) == 1 {
				de.Fields[0].Field = fmt.Sprintf("%s[%d].ref", field, i)
			}
			return err
		}
	}
	return nil
}

func evidence(in []oversight.EvidenceInput, actor string, now time.Time) []oversight.Evidence {
	out := make([]oversight.Evidence, len(in))
	for i, e := range in {
		out[i] = oversight.Evidence{Kind: e.Kind, Ref: e.Ref, Description: e.Description, SHA256: strings.ToLower(e.SHA256), AddedBy: actor, AddedAt: now}
	}
	return out
}

func dedupe(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// ProposeCaseAction orders, in one step from a substantiated case, an
// enforcement action on its licence that names the case: the action has
// the quorum of its kind (a suspension takes effect at once, a revocation
// waits for the other ministry).
func (cw *Casework) ProposeCaseAction(ctx context.Context, p *oversight.Principal, id string, r *oversight.CaseActionRequest) (*oversight.Action, error) {
	s := cw.s
	if err := allow(p, oversight.TaskActionOrder); err != nil {
		return nil, err
	}
	c, err := s.Case(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := c.CheckFollowUp("enforcement actions"); err != nil {
		return nil, err
	}
	return s.RequestAction(ctx, p, c.LicenseID, &oversight.ActionRequest{Kind: r.Kind, Reason: r.Reason, CaseID: c.ID, Restriction: r.Restriction})
}

// CaseTimeline builds a case's timeline from the log: its own entries,
// those of the enforcement actions that name it and of the designations
// linked to it; and the interval from its first evidence to the tool's
// stop, when a suspension or revocation naming it took effect.
func (cw *Casework) CaseTimeline(ctx context.Context, p *oversight.Principal, id string) (*oversight.CaseTimeline, error) {
	s := cw.s
	c, err := s.Case(ctx, p, id)
	if err != nil {
		return nil, err
	}
	out := &oversight.CaseTimeline{CaseID: c.ID, Entries: []oversight.TimelineEntry{}}
	subjects := append(append([]string{c.ID}, c.ActionIDs...), c.DesignationIDs...)
	for _, subject := range subjects {
		entries, err := s.LogEntries(ctx, subject, -1, MaxLogEntriesPage)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			var ev struct {
				oversight.Event
				Payload struct {
					Status string               `json:"status"`
					Kind   oversight.ActionKind `json:"kind"`
					Rule   string               `json:"rule"`
				} `json:"payload"`
			}
			if json.Unmarshal(e.Event, &ev) != nil {
				continue
			}
			out.Entries = append(out.Entries, oversight.TimelineEntry{Index: e.Index, Time: ev.Time, Type: ev.Type, Subject: ev.Subject, Actor: ev.Actor,
				What: timelineWhat(ev.Type, ev.Payload.Status, string(ev.Payload.Kind), ev.Payload.Rule)})
		}
	}
	slices.SortFunc(out.Entries, func(a, b oversight.TimelineEntry) int { return cmp.Compare(a.Index, b.Index) })
	first := c.CreatedAt
	for _, e := range c.Evidence {
		if e.AddedAt.Before(first) {
			first = e.AddedAt
		}
	}
	var stopped *time.Time
	for _, aid := range c.ActionIDs {
		a, err := s.Action(ctx, p, aid)
		if err != nil {
			return nil, err
		}
		if (a.Kind == oversight.ActionSuspend || a.Kind == oversight.ActionRevoke) && a.ExecutedAt != nil && (stopped == nil || a.ExecutedAt.Before(*stopped)) {
			stopped = a.ExecutedAt
		}
	}
	if stopped != nil {
		out.EvidenceToStop = &oversight.Interval{From: first, To: *stopped, Seconds: stopped.Sub(first).Seconds()}
	}
	return out, nil
}

// timelineWhat says an entry of a case's timeline in words.
func timelineWhat(typ, status, kind, rule string) string {
	switch typ {
	case oversight.EventCaseOpened:
		if rule != "" {
			return "case opened by rule " + rule
		}
		return "case opened"
	case oversight.EventCaseUpdated:
		return "case updated, status " + status
	case oversight.EventActionRequested:
		return "enforcement proposed"
	case oversight.EventActionApproved:
		return "enforcement approved by the second ministry"
	case oversight.EventActionRejected:
		return "enforcement rejected by the second ministry"
	case oversight.EventActionExecuted:
		return kind + " took effect"
	case oversight.EventDesignationListed:
		return "person designated for visa restriction"
	case oversight.EventDesignationDelisted:
		return "designation delisted"
	}
	return strings.ReplaceAll(typ, "_", " ")
}
