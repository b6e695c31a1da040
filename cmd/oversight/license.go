package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/oversight-dev/oversight"
)

// LicenseCmd groups the licence commands.
type LicenseCmd struct {
	Apply     LicenseApplyCmd            `cmd:"" help:"Apply for a marketing or export licence (vendor)."`
	Approve   LicenseDecideCmd           `cmd:"" help:"Approve an applied licence for your ministry (defense, foreign_affairs)."`
	Deny      LicenseDecideCmd           `cmd:"" help:"Deny an applied licence for your ministry; the application ends."`
	Show      LicenseShowCmd             `cmd:"" help:"Show a licence: status, scope, restrictions, approvals, history."`
	List      LicenseListCmd             `cmd:"" help:"List licences."`
	Restrict  LicenseRestrictCmd         `cmd:"" help:"Narrow a licence's scope at once (defense)."`
	Suspend   LicenseActionCmd           `cmd:"" help:"Suspend a licence at once (defense)."`
	Reinstate LicenseActionCmd           `cmd:"" help:"Ask to lift a suspension; takes effect when the other ministry approves."`
	Revoke    LicenseActionCmd           `cmd:"" help:"Ask to revoke a licence; takes effect when the other ministry approves."`
	Actions   LicenseActionsCmd          `cmd:"" help:"List the enforcement actions on a licence."`
	Action    LicenseActionApproveParent `cmd:"" help:"Approve or reject a pending enforcement action."`
	Screening LicenseScreeningCmd        `cmd:"" help:"Show how the licence's parties matched the sanctions lists and designations, and whether approval is blocked (officials)."`
	Clear     LicensePartyMatchCmd       `cmd:"" help:"Clear a party's match with a reason: not the one listed (defense, foreign_affairs)."`
	Confirm   LicensePartyMatchCmd       `cmd:"" help:"Confirm a party's match: the one listed; an applied licence is denied (defense, foreign_affairs)."`
}

// LicenseScreeningCmd shows a licence's party matches.
type LicenseScreeningCmd struct {
	clientFlags
	ID   string `arg:"" help:"Licence id (lic_…)."`
	Open bool   `help:"Only the matches still open: those awaiting an officer's decision."`
}

// Help is shown by --help.
func (c *LicenseScreeningCmd) Help() string {
	return `The vendor, its owners, executives and directors, the end-user agency and the
declaration's signatory are screened against every list and designation when they are
registered, when a licence is applied for and approved, and again when a list is imported
or a designation made. A match at or above the review band (0.85) blocks approval until an
officer clears it (oversight license clear) or confirms it (oversight license confirm).

Example:
  oversight license screening lic_01h…`
}

// Run shows the matches.
func (c *LicenseScreeningCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().LicenseScreening(ctx, c.ID)
	if err != nil {
		return err
	}
	if c.Open {
		out.Matches = slices.DeleteFunc(out.Matches, func(m oversight.PartyMatch) bool { return m.Status != oversight.PartyMatchOpen })
	}
	ids := make([]string, len(out.Matches))
	for i, m := range out.Matches {
		ids[i] = m.ID
	}
	return c.print(env, out, ids, func(w io.Writer) {
		row(w, "license", out.LicenseID)
		row(w, "approval", map[bool]string{true: "blocked", false: "not blocked"}[out.Blocked])
		if len(out.Matches) == 0 {
			row(w, "matches", "none")
		}
		for _, m := range out.Matches {
			partyMatchTable(w, &m)
		}
	})
}

// partyMatchTable prints one party match, with why it matched.
func partyMatchTable(w io.Writer, m *oversight.PartyMatch) {
	row(w, "match", m.ID+" "+string(m.Status))
	row(w, "  party", fmt.Sprintf("%s %s %q", m.Party.Kind, m.Party.ID, m.Party.Name))
	row(w, "  listed", fmt.Sprintf("%s %q (%s)", m.Match.DesignationID, m.Match.MatchedAlias, m.Match.Provenance))
	row(w, "  score", fmt.Sprintf("%.2f", m.Match.Score))
	row(w, "  why", m.Match.Explanation.Summary)
	row(w, "  found", m.FoundOn+" "+m.FoundAt.Format(time.RFC3339))
	if m.DecidedAt != nil {
		row(w, "  decided", fmt.Sprintf("%s by %s on %s: %s", m.Status, m.DecidedBy, m.DecidedAt.Format(time.RFC3339), m.Reason))
	}
}

// LicensePartyMatchCmd clears or confirms a party match, by the command's
// name.
type LicensePartyMatchCmd struct {
	clientFlags
	ID     string `arg:"" help:"Licence id (lic_…)."`
	Match  string `arg:"" help:"The party match (pm_…), as oversight license screening lists it."`
	Reason string `required:"" help:"Why: what shows the party is, or is not, the one listed."`
}

// Run clears or confirms.
func (c *LicensePartyMatchCmd) Run(ctx context.Context, env *Env, kctx *kong.Context) error {
	verb := strings.Fields(kctx.Command())[1]
	out, err := c.client().DecidePartyMatch(ctx, c.ID, c.Match, verb, &oversight.PartyMatchDecision{Reason: c.Reason})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { partyMatchTable(w, out) })
}

// scopeFlags describe a scope on the command line.
type scopeFlags struct {
	Purpose    []string      `help:"A purpose: terrorism or serious_crime (repeatable)."`
	Operation  []string      `help:"An operation: intercept, extract, locate or monitor (repeatable; default all)."`
	Blocked    []string      `help:"A blocked target country calling code, such as +1 (repeatable)."`
	MaxActive  int           `name:"max-active" default:"50" help:"Most unexpired permits at once."`
	ValidFrom  string        `name:"valid-from" help:"Start, not in the past: an RFC 3339 time, or a date alone for 00:00 UTC (default now)."`
	ValidUntil string        `name:"valid-until" help:"End: an RFC 3339 time, or a date alone for 00:00 UTC (default --valid-for after the start)."`
	ValidFor   time.Duration `name:"valid-for" default:"8760h" help:"Validity when --valid-until is not given."`
}

func (f *scopeFlags) scope() (oversight.Scope, error) {
	s := oversight.Scope{MaxActiveOperations: f.MaxActive, BlockedCountryCodes: f.Blocked}
	for _, p := range f.Purpose {
		s.Purposes = append(s.Purposes, oversight.Category(p))
	}
	for _, o := range f.Operation {
		s.Operations = append(s.Operations, oversight.Operation(o))
	}
	if len(s.Operations) == 0 {
		s.Operations = oversight.Operations
	}
	from := time.Now().UTC().Truncate(time.Second)
	if f.ValidFrom != "" {
		t, err := parseTimeFlag("--valid-from", f.ValidFrom)
		if err != nil {
			return s, err
		}
		from = t
	}
	s.ValidFrom, s.ValidUntil = from, from.Add(f.ValidFor)
	if f.ValidUntil != "" {
		t, err := parseTimeFlag("--valid-until", f.ValidUntil)
		if err != nil {
			return s, err
		}
		s.ValidUntil = t
	}
	return s, nil
}

// parseTimeFlag parses the value of a time flag: an RFC 3339 time, or a
// date alone for 00:00 UTC that day. Its error names the flag and says
// what is wrong, a day that does not exist included.
func parseTimeFlag(flag, s string) (time.Time, error) {
	v := s
	if len(s) == len(time.DateOnly) {
		v += "T00:00:00Z"
	}
	t, err := oversight.ParseTime(v)
	if err != nil {
		return time.Time{}, &exitError{code: exitUsage, msg: flag + ": " + err.Error()}
	}
	return t, nil
}

// LicenseApplyCmd applies for a licence.
type LicenseApplyCmd struct {
	clientFlags
	scopeFlags
	File        string `short:"f" help:"Read the whole application from a JSON file (- for stdin), as POST /v1/licenses takes it."`
	Kind        string `enum:"marketing,export" default:"marketing" help:"Kind: marketing (first) or export."`
	Vendor      string `help:"Vendor id (a vendor token may leave it out)."`
	Product     string `help:"Product id (prd_…), approved at export_ready."`
	EndUser     string `name:"end-user" help:"End-user id (eu_…)."`
	Declaration string `help:"The end user's signed declaration (dec_…); required for export."`
}

// Help is shown by --help.
func (c *LicenseApplyCmd) Help() string {
	return `An export licence needs an active marketing licence for the same product and end user,
and the end user's signed declaration.

Example:
  oversight license apply --kind export --product prd_01h… --end-user eu_01h… \
      --declaration dec_01h… --purpose terrorism --purpose serious_crime --blocked +1 --max-active 25`
}

// Run applies.
func (c *LicenseApplyCmd) Run(ctx context.Context, env *Env) error {
	var a oversight.LicenseApplication
	if c.File != "" {
		if err := readJSONFile(env, c.File, &a); err != nil {
			return err
		}
	} else {
		s, err := c.scope()
		if err != nil {
			return err
		}
		a = oversight.LicenseApplication{Kind: oversight.LicenseKind(c.Kind), VendorID: c.Vendor, ProductID: c.Product,
			EndUserID: c.EndUser, DeclarationID: c.Declaration, Scope: s}
	}
	out, err := c.client().ApplyLicense(ctx, &a)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { licenseTable(w, out) })
}

func licenseTable(w io.Writer, l *oversight.License) {
	row(w, "id", l.ID)
	row(w, "kind", l.Kind)
	row(w, "status", l.Status)
	row(w, "vendor", l.VendorID)
	row(w, "product", l.ProductID)
	row(w, "end user", l.EndUserID+" ("+l.Country+")")
	row(w, "declaration", orDash(l.DeclarationID)+prefixed(" ", l.Template))
	s := l.Scope
	purposes := make([]string, len(s.Purposes))
	for i, p := range s.Purposes {
		purposes[i] = string(p)
	}
	ops := make([]string, len(s.Operations))
	for i, o := range s.Operations {
		ops[i] = string(o)
	}
	row(w, "purposes", join(purposes))
	row(w, "operations", join(ops))
	row(w, "blocked codes", join(s.BlockedCountryCodes))
	row(w, "max active", s.MaxActiveOperations)
	row(w, "valid", s.ValidFrom.Format(time.RFC3339)+" to "+s.ValidUntil.Format(time.RFC3339))
	for _, r := range l.Restrictions {
		row(w, "restriction", "RESTRICT-"+r.ID+": "+describeRestriction(&r))
	}
	for _, a := range l.Approvals {
		row(w, "approval", fmt.Sprintf("%s %s by %s at %s%s", a.Ministry, a.Decision, orDash(a.Person), a.At.Format(time.RFC3339), prefixed(": ", a.Reason)))
	}
	needed := map[oversight.Ministry]bool{oversight.MinistryDefense: true, oversight.MinistryForeignAffairs: true}
	for _, a := range l.Approvals {
		delete(needed, a.Ministry)
	}
	if l.Status == oversight.LicenseApplied {
		for _, m := range []oversight.Ministry{oversight.MinistryDefense, oversight.MinistryForeignAffairs} {
			if needed[m] {
				row(w, "awaiting", m)
			}
		}
	}
	row(w, "policy version", l.PolicyVersion)
	row(w, "log index", l.LogIndex)
}

func describeRestriction(r *oversight.Restriction) string {
	var parts []string
	if len(r.Purposes) > 0 {
		ps := make([]string, len(r.Purposes))
		for i, p := range r.Purposes {
			ps[i] = string(p)
		}
		parts = append(parts, "purposes "+strings.Join(ps, ","))
	}
	if len(r.Operations) > 0 {
		os := make([]string, len(r.Operations))
		for i, o := range r.Operations {
			os[i] = string(o)
		}
		parts = append(parts, "operations "+strings.Join(os, ","))
	}
	if len(r.BlockedCountryCodes) > 0 {
		parts = append(parts, "also blocked "+strings.Join(r.BlockedCountryCodes, ","))
	}
	if r.MaxActiveOperations != nil {
		parts = append(parts, fmt.Sprintf("at most %d active", *r.MaxActiveOperations))
	}
	if r.ValidUntil != nil {
		parts = append(parts, "ends "+r.ValidUntil.Format(time.RFC3339))
	}
	return strings.Join(parts, "; ")
}

// LicenseDecideCmd approves or denies (the command's name says which).
type LicenseDecideCmd struct {
	clientFlags
	ID       string `arg:"" help:"Licence id (lic_…)."`
	Ministry string `enum:",defense,foreign_affairs" default:"" help:"Ministry decided for (default: the token's own)."`
	Reason   string `help:"Reason; required to deny."`
}

// Run approves or denies, by the command's name.
func (c *LicenseDecideCmd) Run(ctx context.Context, env *Env, kctx *kong.Context) error {
	decision := "approve"
	if kctx.Command() == "license deny <id>" {
		decision = "deny"
	}
	// Without --ministry the server takes the officer's own.
	out, err := c.client().DecideLicense(ctx, c.ID, &oversight.ApprovalRequest{Ministry: oversight.Ministry(c.Ministry), Decision: decision, Reason: c.Reason})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { licenseTable(w, out) })
}

// LicenseShowCmd shows a licence.
type LicenseShowCmd struct {
	clientFlags
	ID      string `arg:"" help:"Licence id (lic_…)."`
	History bool   `default:"true" negatable:"" help:"Show the licence's history from the audit log."`
}

// Run shows the licence.
func (c *LicenseShowCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().License(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) {
		licenseTable(w, out.License)
		if c.History {
			for _, ev := range out.History {
				row(w, "history", fmt.Sprintf("#%d %s %s by %s", ev.Index, ev.Time.Format(time.RFC3339), ev.Type, ev.Actor))
			}
		}
	})
}

// LicenseListCmd lists licences.
type LicenseListCmd struct {
	clientFlags
	Status  string `enum:",applied,active,denied,suspended,revoked,expired" default:"" help:"Only licences in this status."`
	Kind    string `enum:",marketing,export" default:"" help:"Only licences of this kind."`
	Vendor  string `help:"Only this vendor's licences."`
	EndUser string `name:"end-user" help:"Only licences naming this end user."`
	Product string `help:"Only licences for this product."`
	Limit   int    `default:"100" help:"Page size."`
	After   string `help:"Cursor from the previous page."`
}

// Run lists licences.
func (c *LicenseListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Licenses(ctx, oversight.LicenseFilter{VendorID: c.Vendor, EndUserID: c.EndUser, ProductID: c.Product,
		Status: oversight.LicenseStatus(c.Status), Kind: oversight.LicenseKind(c.Kind)}, oversight.Page{Limit: c.Limit, After: c.After})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(l *oversight.License) string { return l.ID }), func(w io.Writer) {
		row(w, "ID", "KIND", "STATUS", "PRODUCT", "END USER", "COUNTRY", "VALID UNTIL")
		for _, l := range out.Items {
			row(w, l.ID, l.Kind, l.Status, l.ProductID, l.EndUserID, l.Country, l.Scope.ValidUntil.Format(time.DateOnly))
		}
		nextPage(w, out.Next)
	})
}

// LicenseRestrictCmd narrows a licence's scope.
type LicenseRestrictCmd struct {
	clientFlags
	ID         string   `arg:"" help:"Licence id (lic_…)."`
	Reason     string   `required:"" help:"Why, for the record."`
	Case       string   `help:"The misuse case it answers (case_…)."`
	Purpose    []string `help:"Allow only these purposes (repeatable)."`
	Operation  []string `help:"Allow only these operations (repeatable)."`
	Blocked    []string `help:"Block these target calling codes too (repeatable)."`
	MaxActive  *int     `name:"max-active" help:"Lower the quota of unexpired permits."`
	ValidUntil string   `name:"valid-until" help:"End the licence's validity earlier: an RFC 3339 time, or a date alone for 00:00 UTC."`
}

// Run restricts.
func (c *LicenseRestrictCmd) Run(ctx context.Context, env *Env) error {
	r := &oversight.Restriction{BlockedCountryCodes: c.Blocked, MaxActiveOperations: c.MaxActive}
	for _, p := range c.Purpose {
		r.Purposes = append(r.Purposes, oversight.Category(p))
	}
	for _, o := range c.Operation {
		r.Operations = append(r.Operations, oversight.Operation(o))
	}
	if c.ValidUntil != "" {
		t, err := parseTimeFlag("--valid-until", c.ValidUntil)
		if err != nil {
			return err
		}
		r.ValidUntil = &t
	}
	out, err := c.client().RequestAction(ctx, c.ID, &oversight.ActionRequest{Kind: oversight.ActionRestrict, Reason: c.Reason, CaseID: c.Case, Restriction: r})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { actionTable(w, out) })
}

// LicenseActionCmd suspends, reinstates or revokes (the command's name
// says which).
type LicenseActionCmd struct {
	clientFlags
	ID     string `arg:"" help:"Licence id (lic_…)."`
	Reason string `required:"" help:"Why, for the record."`
	Case   string `help:"The misuse case it answers (case_…)."`
}

// Run orders the action.
func (c *LicenseActionCmd) Run(ctx context.Context, env *Env, kctx *kong.Context) error {
	kind := oversight.ActionKind(strings.Fields(kctx.Command())[1])
	out, err := c.client().RequestAction(ctx, c.ID, &oversight.ActionRequest{Kind: kind, Reason: c.Reason, CaseID: c.Case})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { actionTable(w, out) })
}

func actionTable(w io.Writer, a *oversight.Action) {
	row(w, "id", a.ID)
	row(w, "licence", a.LicenseID)
	row(w, "kind", a.Kind)
	row(w, "status", a.Status)
	row(w, "reason", a.Reason)
	if a.CaseID != "" {
		row(w, "case", a.CaseID)
	}
	if a.Restriction != nil {
		row(w, "rule", "RESTRICT-"+a.ID+": "+describeRestriction(a.Restriction))
	}
	for _, ap := range a.Approvals {
		row(w, "approval", fmt.Sprintf("%s %s by %s", ap.Ministry, ap.Decision, orDash(ap.Person)))
	}
	if a.Status == oversight.ActionPending {
		row(w, "awaiting", "an officer of the other ministry: oversight license action approve "+a.ID)
	}
	row(w, "log index", a.LogIndex)
}

// LicenseActionsCmd lists a licence's actions.
type LicenseActionsCmd struct {
	clientFlags
	ID string `arg:"" help:"Licence id (lic_…)."`
}

// Run lists the actions.
func (c *LicenseActionsCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Actions(ctx, c.ID, oversight.Page{Limit: 1000})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(a *oversight.Action) string { return a.ID }), func(w io.Writer) {
		row(w, "ID", "KIND", "STATUS", "REASON")
		for _, a := range out.Items {
			row(w, a.ID, a.Kind, a.Status, a.Reason)
		}
	})
}

// LicenseActionApproveParent groups approve and reject of actions.
type LicenseActionApproveParent struct {
	Approve ActionDecideCmd `cmd:"" help:"Approve a pending action; it takes effect."`
	Reject  ActionDecideCmd `cmd:"" help:"Reject a pending action; it never takes effect."`
}

// ActionDecideCmd approves or rejects an action (by the command's name).
type ActionDecideCmd struct {
	clientFlags
	ID string `arg:"" help:"Action id (act_…)."`
}

// Run decides the action.
func (c *ActionDecideCmd) Run(ctx context.Context, env *Env, kctx *kong.Context) error {
	decision := "approve"
	if strings.Contains(kctx.Command(), "reject") {
		decision = "reject"
	}
	out, err := c.client().ApproveAction(ctx, c.ID, &oversight.ActionApprovalRequest{Decision: decision})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { actionTable(w, out) })
}
