package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/oversight-dev/oversight"
)

func (s *Server) routesDecisions() {
	readers := []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleVendor, oversight.RoleEndUser}
	s.handle("GET", "/decisions", s.decisionsPage, readers...)
	s.handle("GET", "/decisions/live", s.decisionsLive, readers...)
	s.handle("GET", "/decisions/{id}", s.decisionPage, readers...)
}

// decisionsData is a page of the feed of per-use decisions, newest first.
type decisionsData struct {
	Items  []oversight.OperationRecord
	Next   string
	Filter oversight.OperationFilter
	// Live is the address of the feed's live rows, on the first page only:
	// later pages are history.
	Live string
	// Clauses are the declaration clauses the reasons cite, by code.
	Clauses map[string]oversight.Clause
	// Licenses lists the party's licences when none is chosen: vendors and
	// agencies follow one licence's decisions at a time.
	Licenses []oversight.License
}

func decisionFilter(r *request) oversight.OperationFilter {
	return oversight.OperationFilter{LicenseID: param(r.Request, "license"), DeploymentID: param(r.Request, "deployment"),
		Decision: oversight.Verdict(param(r.Request, "decision"))}
}

// decisions reads one page of the feed, with the clauses its reasons cite.
func (s *Server) decisions(ctx context.Context, p *oversight.Principal, f oversight.OperationFilter, pg oversight.Page) (*decisionsData, error) {
	l, err := s.svc.Operations(ctx, p, f, pg)
	if err != nil {
		return nil, err
	}
	d := &decisionsData{Items: l.Items, Next: l.Next, Filter: f, Clauses: map[string]oversight.Clause{}}
	ts, err := s.svc.Templates(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, op := range l.Items {
		citedClauses(ts, op.Reasons, d.Clauses)
	}
	return d, nil
}

// citedClauses adds to m the declaration clauses that reasons cite: a
// reason's code is the id of the clause that decided (IL2021-2), or of a
// rule of the licence's scope (SCOPE-…), which no template holds.
func citedClauses(ts []*oversight.DeclarationTemplate, reasons []oversight.Reason, m map[string]oversight.Clause) {
	for _, r := range reasons {
		for _, t := range ts {
			if c, ok := t.Clause(r.Code); ok {
				m[r.Code] = c
			}
		}
	}
}

// decisionsPage is the feed of decisions with the clauses that decided
// each; its first page stays live.
func (s *Server) decisionsPage(w http.ResponseWriter, r *request) error {
	f := decisionFilter(r)
	pg := &page{Title: "Decisions", Form: r.URL.Query()}
	if f.LicenseID == "" && !r.p.Is(officials...) {
		ls, err := s.svc.Licenses(r.Context(), r.p, oversight.LicenseFilter{}, oversight.Page{Limit: pageSize, After: pageOf(r.Request).After})
		if err != nil {
			return err
		}
		var ids []string
		for _, l := range ls.Items {
			ids = append(ids, l.ProductID, l.EndUserID)
		}
		pg.Data, pg.Names = &decisionsData{Licenses: ls.Items, Next: ls.Next}, s.resolve(r.Context(), r.p, nil, ids...)
		return s.render(w, r.Request, r.p, "decisions", pg)
	}
	p := pageOf(r.Request)
	d, err := s.decisions(r.Context(), r.p, f, p)
	if err != nil {
		if formError(pg, err, nil) {
			pg.Data = &decisionsData{Filter: f}
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "decisions", pg)
		}
		return err
	}
	if p.After == "" {
		d.Live = "/decisions/live" + filterQuery(f)
	}
	pg.Data, pg.Names = d, s.resolve(r.Context(), r.p, nil, licencesOf(d.Items)...)
	return s.render(w, r.Request, r.p, "decisions", pg)
}

func filterQuery(f oversight.OperationFilter) string {
	v := url.Values{}
	for k, x := range map[string]string{"license": f.LicenseID, "deployment": f.DeploymentID, "decision": string(f.Decision)} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// decisionsLive streams the feed's first page as it grows.
func (s *Server) decisionsLive(w http.ResponseWriter, r *request) error {
	f := decisionFilter(r)
	return s.live(w, r, func(ctx context.Context) ([]byte, error) {
		d, err := s.decisions(ctx, r.p, f, oversight.Page{Limit: pageSize})
		if err != nil {
			return nil, err
		}
		return s.fragment("decisions", "rows", &page{User: r.p, Data: d, Names: s.resolve(ctx, r.p, nil, licencesOf(d.Items)...)})
	})
}

type decisionData struct {
	Op      *oversight.OperationRecord
	Clauses map[string]oversight.Clause
}

// decisionPage shows one decision: what was asked, on what grounds, and
// the clauses and rules that decided it.
func (s *Server) decisionPage(w http.ResponseWriter, r *request) error {
	op, err := s.svc.Operation(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := decisionData{Op: op, Clauses: map[string]oversight.Clause{}}
	ts, err := s.svc.Templates(r.Context(), r.p)
	if err != nil {
		return err
	}
	citedClauses(ts, op.Reasons, d.Clauses)
	return s.render(w, r.Request, r.p, "decision", &page{Title: "Decision: " + string(op.Operation) + " " + string(op.Decision), Data: d,
		Names: s.resolve(r.Context(), r.p, nil, op.LicenseID)})
}

// licencesOf returns the distinct licences of operations.
func licencesOf(ops []oversight.OperationRecord) []string {
	var ids []string
	for _, op := range ops {
		if !slices.Contains(ids, op.LicenseID) {
			ids = append(ids, op.LicenseID)
		}
	}
	return ids
}
