package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/oversight-dev/oversight"
)

// Misuse cases: the suspicion, its evidence, what the investigation found,
// and what followed (enforcement actions, designations).

func (s *Server) routesCases() {
	investigators := []oversight.Role{oversight.RoleDefense, oversight.RoleForeignAffairs}
	s.handle("GET", "/cases", s.casesPage, officials...)
	s.handle("GET", "/cases/new", s.caseNewPage, investigators...)
	s.handle("POST", "/cases", s.caseOpen, investigators...)
	s.handle("GET", "/cases/{id}", s.casePage, officials...)
	s.handle("POST", "/cases/{id}", s.caseUpdate, investigators...)
	s.handle("POST", "/cases/{id}/designations", s.caseDesignate, investigators...)
	s.handle("POST", "/cases/{id}/actions", s.caseAct, investigators...)
}

// caseStatuses are the statuses a case is filtered on and moved to.
var caseStatuses = oversight.CaseStatuses

var caseSources = []oversight.CaseSource{oversight.SourceRule, oversight.SourceForensicReport, oversight.SourceComplaint}

type casesData struct {
	Items    []oversight.Case
	Next     string
	Filter   oversight.CaseFilter
	Statuses []oversight.CaseStatus
	Sources  []oversight.CaseSource
}

func (s *Server) casesPage(w http.ResponseWriter, r *request) error {
	f := oversight.CaseFilter{LicenseID: param(r.Request, "license"), Status: oversight.CaseStatus(param(r.Request, "status")),
		Source: oversight.CaseSource(param(r.Request, "source")), Rule: param(r.Request, "rule")}
	pg := &page{Title: "Misuse cases", Form: r.URL.Query()}
	d := casesData{Filter: f, Statuses: caseStatuses, Sources: caseSources}
	l, err := s.svc.Cases(r.Context(), r.p, f, pageOf(r.Request))
	if err != nil {
		if formError(pg, err, nil) {
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "cases", pg.with(d))
		}
		return err
	}
	d.Items, d.Next = l.Items, l.Next
	var ids []string
	for _, c := range l.Items {
		if !slices.Contains(ids, c.LicenseID) {
			ids = append(ids, c.LicenseID)
		}
	}
	pg.Names = s.resolve(r.Context(), r.p, nil, ids...)
	return s.render(w, r.Request, r.p, "cases", pg.with(d))
}

type caseNewData struct {
	Sources []oversight.CaseSource
	Kinds   []string
}

func (s *Server) caseNewPage(w http.ResponseWriter, r *request) error {
	return s.render(w, r.Request, r.p, "case_new", &page{Title: "Open a misuse case",
		Form: map[string][]string{"license_id": {param(r.Request, "license")}, "operation_ids": {param(r.Request, "operation")}, "source": {string(oversight.SourceComplaint)}},
		Data: caseNewData{[]oversight.CaseSource{oversight.SourceComplaint, oversight.SourceForensicReport}, oversight.EvidenceKinds}})
}

// evidenceItem reads the form's one item of evidence, if any was given.
func evidenceItem(r *request, prefix string) []oversight.EvidenceInput {
	e := oversight.EvidenceInput{Kind: r.PostFormValue(prefix + "kind"), Ref: strings.TrimSpace(r.PostFormValue(prefix + "ref")),
		Description: strings.TrimSpace(r.PostFormValue(prefix + "description")), SHA256: strings.TrimSpace(r.PostFormValue(prefix + "sha256"))}
	if e.Ref == "" && e.Description == "" && e.SHA256 == "" {
		return nil
	}
	return []oversight.EvidenceInput{e}
}

// evidenceField maps evidence[0].description to the form's
// evidence_description.
func evidenceField(f string) string {
	for _, list := range []string{"evidence", "add_evidence", "add_operations", "operation_ids", "link_designations"} {
		if rest, ok := strings.CutPrefix(f, list+"["); ok {
			if _, sub, found := strings.Cut(rest, "]."); found {
				return "evidence_" + sub
			}
			return list
		}
	}
	return f
}

func (s *Server) caseOpen(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	req := &oversight.CaseRequest{Source: oversight.CaseSource(r.PostFormValue("source")), LicenseID: strings.TrimSpace(r.PostFormValue("license_id")),
		Title: strings.TrimSpace(r.PostFormValue("title")), OperationIDs: fields(r.PostFormValue("operation_ids")), Evidence: evidenceItem(r, "evidence_")}
	c, err := s.svc.OpenCase(r.Context(), r.p, req)
	if err != nil {
		pg := &page{Title: "Open a misuse case", Form: r.PostForm}
		if formError(pg, err, evidenceField) {
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "case_new", pg.with(
				caseNewData{[]oversight.CaseSource{oversight.SourceComplaint, oversight.SourceForensicReport}, oversight.EvidenceKinds}))
		}
		return err
	}
	return redirect(w, r.Request, "/cases/"+c.ID, "Case opened.")
}

type caseData struct {
	C *oversight.Case
	// Timeline is the case's and what followed it, from the log.
	Timeline *oversight.CaseTimeline
	Statuses []oversight.CaseStatus
	Kinds    []string
	Licence  *oversight.License
}

func (s *Server) casePage(w http.ResponseWriter, r *request) error {
	return s.renderCase(w, r, &page{}, http.StatusOK)
}

func (s *Server) renderCase(w http.ResponseWriter, r *request, pg *page, status int) error {
	c, err := s.svc.Case(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := caseData{C: c, Statuses: caseStatuses, Kinds: oversight.EvidenceKinds}
	if l, err := s.svc.License(r.Context(), r.p, c.LicenseID); err == nil {
		d.Licence = l.License
	}
	if d.Timeline, err = s.svc.CaseTimeline(r.Context(), r.p, c.ID); err != nil {
		return err
	}
	actors := []string{c.OpenedBy}
	for _, e := range c.Evidence {
		actors = append(actors, e.AddedBy)
	}
	for _, e := range d.Timeline.Entries {
		actors = append(actors, e.Actor)
	}
	var ids []string
	if d.Licence != nil {
		ids = append(ids, d.Licence.ProductID, d.Licence.EndUserID, d.Licence.VendorID)
	}
	pg.Title, pg.Data, pg.Names = "Case: "+c.Title, d, s.resolve(r.Context(), r.p, actors, ids...)
	return s.renderStatus(w, r.Request, r.p, status, "case", pg)
}

// historyLimit bounds the history a page shows of one subject.
const historyLimit = 100

// history returns the audit-log events about subject, oldest first, at
// most historyLimit of them.
func (s *Server) history(r *request, subject string) ([]oversight.Event, error) {
	entries, err := s.svc.LogEntries(r.Context(), subject, -1, historyLimit)
	if err != nil {
		return nil, err
	}
	out := make([]oversight.Event, 0, len(entries))
	for _, e := range entries {
		var ev oversight.Event
		if json.Unmarshal(e.Event, &ev) == nil {
			out = append(out, ev)
		}
	}
	return out, nil
}

// caseUpdate records findings, evidence, operations and designations, or
// moves the case to another status.
func (s *Server) caseUpdate(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	u := &oversight.CaseUpdate{Status: oversight.CaseStatus(r.PostFormValue("status")), AddEvidence: evidenceItem(r, "evidence_"),
		AddOperations: fields(r.PostFormValue("add_operations")), LinkDesignations: fields(r.PostFormValue("link_designations"))}
	if _, ok := r.PostForm["findings"]; ok {
		f := strings.TrimSpace(r.PostFormValue("findings"))
		u.Findings = &f
	}
	c, err := s.svc.Case(r.Context(), r.p, r.PathValue("id"))
	if err == nil && u.Status == c.Status {
		u.Status = "" // unchanged
	}
	if err == nil && u.Findings != nil && *u.Findings == c.Findings {
		u.Findings = nil
	}
	if err == nil {
		_, err = s.svc.UpdateCase(r.Context(), r.p, r.PathValue("id"), u)
	}
	if err != nil {
		pg := &page{Form: r.PostForm}
		if formError(pg, err, evidenceField) {
			return s.renderCase(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	return redirect(w, r.Request, "/cases/"+r.PathValue("id"), "Case updated.")
}

// caseDesignate designates the persons of the case's vendor on record, and
// their relatives, with any person the form adds, for visa restriction.
func (s *Server) caseDesignate(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	req := &oversight.CaseDesignationRequest{}
	if name := strings.TrimSpace(r.PostFormValue("name")); name != "" || r.PostFormValue("birth_date") != "" || r.PostFormValue("nationality") != "" {
		// The service tidies the identity (Identity.Tidy).
		req.Persons = []oversight.InvolvedPerson{{Identity: oversight.Identity{Name: name, Aliases: lines(r.PostFormValue("aliases")),
			BirthDate: r.PostFormValue("birth_date"), Nationality: r.PostFormValue("nationality")}}}
	}
	out, err := s.svc.DesignateFromCase(r.Context(), r.p, r.PathValue("id"), req)
	if err != nil {
		pg := &page{Form: r.PostForm}
		if formError(pg, err, personField) {
			return s.renderCase(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	return redirect(w, r.Request, "/designations?case="+out.CaseID,
		pluralf(out.Added, "person designated", "persons designated")+", "+pluralf(out.Existing, "already designated", "already designated")+", "+pluralf(out.Relisted, "listed again", "listed again")+".")
}

// personField maps persons[0].name to the form's name.
func personField(f string) string {
	if rest, ok := strings.CutPrefix(f, "persons[0]."); ok {
		if i := strings.IndexByte(rest, '['); i >= 0 {
			rest = rest[:i]
		}
		return rest
	}
	return f
}

// fields splits a list of ids written with spaces, commas or lines.
func fields(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
}

// caseAct orders, from a substantiated case, an enforcement action on its
// licence naming it.
func (s *Server) caseAct(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	a, err := s.svc.ProposeCaseAction(r.Context(), r.p, r.PathValue("id"), &oversight.CaseActionRequest{
		Kind: oversight.ActionKind(r.PostFormValue("kind")), Reason: strings.TrimSpace(r.PostFormValue("reason"))})
	if err != nil {
		pg := &page{Form: r.PostForm}
		if formError(pg, err, nil) {
			return s.renderCase(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	return redirect(w, r.Request, "/actions/"+a.ID, "Enforcement action ordered from the case.")
}
