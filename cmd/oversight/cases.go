package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// CaseCmd groups the misuse-case commands (officials only).
type CaseCmd struct {
	Open     CaseOpenCmd     `cmd:"" help:"Open a misuse case from a forensic report or a complaint (defense, foreign_affairs)."`
	List     CaseListCmd     `cmd:"" help:"List misuse cases, newest first."`
	Show     CaseShowCmd     `cmd:"" help:"Show a misuse case: evidence, findings, linked actions and designations."`
	Update   CaseUpdateCmd   `cmd:"" help:"Record findings, add evidence, link operations and designations, move a case (open → investigating → substantiated | unsubstantiated → closed)."`
	Timeline CaseTimelineCmd `cmd:"" help:"A case's timeline from the log, and the time from its first evidence to the tool's stop."`
	Act      CaseActCmd      `cmd:"" help:"From a substantiated case, order an enforcement action on its licence naming it (defense, foreign_affairs)."`
}

// evidenceFlags give evidence on the command line as KIND:REF:DESCRIPTION.
type evidenceFlags struct {
	Evidence []string `help:"Evidence as KIND:REF:DESCRIPTION, KIND one of operation, report, document, statement, other; REF may be empty (repeatable)."`
}

func (f *evidenceFlags) evidence() ([]oversight.EvidenceInput, error) {
	var out []oversight.EvidenceInput
	for _, e := range f.Evidence {
		parts := strings.SplitN(e, ":", 3)
		if len(parts) != 3 {
			return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("--evidence %q: want KIND:REF:DESCRIPTION, such as report:FR-2026-031:forensic examination of the phone", e)}
		}
		out = append(out, oversight.EvidenceInput{Kind: parts[0], Ref: parts[1], Description: parts[2]})
	}
	return out, nil
}

// CaseOpenCmd opens a case.
type CaseOpenCmd struct {
	clientFlags
	evidenceFlags
	Source    string   `required:"" enum:"forensic_report,complaint" help:"forensic_report or complaint (the rules open their own cases)."`
	License   string   `required:"" help:"The licence under investigation (lic_…)."`
	Title     string   `required:"" help:"A short title."`
	Operation []string `help:"An operation of the licence the case concerns (op_…; repeatable)."`
}

// Run opens the case.
func (c *CaseOpenCmd) Run(ctx context.Context, env *Env) error {
	ev, err := c.evidence()
	if err != nil {
		return err
	}
	out, err := c.client().OpenCase(ctx, &oversight.CaseRequest{Source: oversight.CaseSource(c.Source), LicenseID: c.License,
		Title: c.Title, OperationIDs: c.Operation, Evidence: ev})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { caseTable(w, out) })
}

// CaseListCmd lists cases.
type CaseListCmd struct {
	clientFlags
	License string `help:"Only this licence's cases."`
	Status  string `enum:",open,investigating,substantiated,unsubstantiated,closed" default:"" help:"Only cases of this status."`
	Source  string `enum:",rule,forensic_report,complaint" default:"" help:"Only cases from this source."`
	Rule    string `help:"Only cases of this rule, such as EVIDENCE-INDICATOR or SCOPE-PROTECTED."`
	Limit   int    `default:"100" help:"Page size."`
	After   string `help:"Cursor from the previous page."`
}

// Run lists the cases.
func (c *CaseListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Cases(ctx, oversight.CaseFilter{LicenseID: c.License, Status: oversight.CaseStatus(c.Status), Source: oversight.CaseSource(c.Source), Rule: c.Rule},
		oversight.Page{Limit: c.Limit, After: c.After})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(x *oversight.Case) string { return x.ID }), func(w io.Writer) {
		row(w, "ID", "OPENED", "SOURCE", "LICENCE", "STATUS", "TITLE")
		for _, x := range out.Items {
			row(w, x.ID, x.CreatedAt.Format(time.DateOnly), string(x.Source)+prefixed(" ", x.Rule), x.LicenseID, x.Status, x.Title)
		}
		nextPage(w, out.Next)
	})
}

// CaseShowCmd shows a case.
type CaseShowCmd struct {
	clientFlags
	ID string `arg:"" help:"Case id (case_…)."`
}

// Run shows the case.
func (c *CaseShowCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Case(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { caseTable(w, out) })
}

// CaseUpdateCmd updates a case.
type CaseUpdateCmd struct {
	clientFlags
	evidenceFlags
	ID          string   `arg:"" help:"Case id (case_…)."`
	Status      string   `enum:",open,investigating,substantiated,unsubstantiated,closed" default:"" help:"Move the case: open → investigating → substantiated or unsubstantiated (with --findings) → closed; a closed case reopens."`
	Findings    *string  `help:"The findings, replacing any before."`
	Operation   []string `help:"An operation of the licence to add (op_…; repeatable)."`
	Designation []string `help:"A visa designation to link (des_…; repeatable)."`
}

// Run updates the case.
func (c *CaseUpdateCmd) Run(ctx context.Context, env *Env) error {
	ev, err := c.evidence()
	if err != nil {
		return err
	}
	out, err := c.client().UpdateCase(ctx, c.ID, &oversight.CaseUpdate{Status: oversight.CaseStatus(c.Status), Findings: c.Findings,
		AddEvidence: ev, AddOperations: c.Operation, LinkDesignations: c.Designation})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { caseTable(w, out) })
}

func caseTable(w io.Writer, x *oversight.Case) {
	row(w, "id", x.ID)
	row(w, "status", x.Status)
	row(w, "source", string(x.Source)+prefixed(" ", x.Rule))
	row(w, "licence", x.LicenseID)
	row(w, "title", x.Title)
	row(w, "operations", join(x.OperationIDs))
	for _, e := range x.Evidence {
		row(w, "evidence", e.Kind+prefixed(" ", e.Ref)+": "+e.Description+prefixed(" sha256:", e.SHA256))
	}
	if x.Findings != "" {
		row(w, "findings", x.Findings)
	}
	row(w, "actions", join(x.ActionIDs))
	row(w, "designations", join(x.DesignationIDs))
	row(w, "opened", x.CreatedAt.Format(time.RFC3339)+" by "+x.OpenedBy)
	if x.ClosedAt != nil {
		row(w, "closed", x.ClosedAt.Format(time.RFC3339))
	}
	row(w, "log index", x.LogIndex)
}

// CaseTimelineCmd shows a case's timeline.
type CaseTimelineCmd struct {
	clientFlags
	ID string `arg:"" help:"Case id (case_…)."`
}

// Run shows the timeline.
func (c *CaseTimelineCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().CaseTimeline(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, out, nil, func(w io.Writer) {
		row(w, "INDEX", "TIME", "WHAT", "SUBJECT", "BY")
		for _, x := range out.Entries {
			row(w, x.Index, x.Time.Format(time.RFC3339), x.What, x.Subject, x.Actor)
		}
		if s := out.EvidenceToStop; s != nil {
			fmt.Fprintf(w, "evidence received → tool stopped: %s (%s → %s)\n", time.Duration(s.Seconds*float64(time.Second)).Round(time.Second),
				s.From.Format(time.RFC3339), s.To.Format(time.RFC3339))
		} else {
			fmt.Fprintln(w, "evidence received → tool stopped: not stopped yet")
		}
	})
}

// CaseActCmd orders an enforcement action from a substantiated case.
type CaseActCmd struct {
	clientFlags
	ID     string `arg:"" help:"Case id (case_…)."`
	Kind   string `required:"" enum:"suspend,revoke,reinstate" help:"suspend (a defense officer's word), revoke or reinstate (both ministries)."`
	Reason string `required:"" help:"Why, for the record."`
}

// Run orders the action.
func (c *CaseActCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().ProposeCaseAction(ctx, c.ID, &oversight.CaseActionRequest{Kind: oversight.ActionKind(c.Kind), Reason: c.Reason})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { actionTable(w, out) })
}
