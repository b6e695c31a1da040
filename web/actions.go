package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/oversight-dev/oversight"
)

func (s *Server) routesActions() {
	officers := []oversight.Role{oversight.RoleDefense, oversight.RoleForeignAffairs}
	s.handle("GET", "/actions", s.actionsPage, oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs)
	s.handle("GET", "/actions/{id}", s.actionPage, oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleVendor, oversight.RoleEndUser)
	s.handle("GET", "/licenses/{id}/actions/new", s.actionNewPage, officers...)
	s.handle("POST", "/licenses/{id}/actions", s.actionPropose, officers...)
	s.handle("POST", "/actions/{id}/decision", s.actionDecide, officers...)
}

type actionsData struct {
	Items  []oversight.Action
	Next   string
	Status string
}

// actionsPage is the enforcement desk: actions by status, pending first.
func (s *Server) actionsPage(w http.ResponseWriter, r *request) error {
	st := r.URL.Query().Get("status")
	if st == "" {
		st = string(oversight.ActionPending)
	}
	if st == "all" {
		st = ""
	}
	l, err := s.svc.ActionsByStatus(r.Context(), r.p, oversight.ActionStatus(st), pageOf(r.Request))
	if err != nil {
		return err
	}
	if st == "" {
		st = "all"
	}
	var actors, ids []string
	for _, a := range l.Items {
		for _, x := range a.Approvals {
			actors = append(actors, x.By)
		}
		if !slices.Contains(ids, a.LicenseID) {
			ids = append(ids, a.LicenseID)
		}
	}
	return s.render(w, r.Request, r.p, "actions", &page{Title: "Enforcement", Data: actionsData{l.Items, l.Next, st}, Names: s.resolve(r.Context(), r.p, actors, ids...)})
}

type actionData struct {
	A         *oversight.Action
	CanDecide bool
}

func (s *Server) actionPage(w http.ResponseWriter, r *request) error {
	return s.renderAction(w, r, &page{})
}

func (s *Server) renderAction(w http.ResponseWriter, r *request, pg *page) error {
	a, err := s.svc.Action(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	can := a.Status == oversight.ActionPending && r.p.Is(oversight.RoleDefense, oversight.RoleForeignAffairs)
	for _, x := range a.Approvals {
		if oversight.SamePerson(x.By, r.p) || x.Ministry == oversight.Ministry(r.p.Role) {
			can = false
		}
	}
	var actors []string
	for _, x := range a.Approvals {
		actors = append(actors, x.By)
	}
	pg.Title, pg.Data, pg.Names = "Enforcement action: "+string(a.Kind), actionData{a, can}, s.resolve(r.Context(), r.p, actors, a.LicenseID)
	status := http.StatusOK
	if pg.Problem != "" {
		status = http.StatusConflict
	}
	return s.renderStatus(w, r.Request, r.p, status, "action", pg)
}

func (s *Server) actionNewPage(w http.ResponseWriter, r *request) error {
	l, err := s.svc.License(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r.Request, r.p, "action_new", &page{Title: "Propose an enforcement action", Data: l,
		Form: map[string][]string{"case_id": {param(r.Request, "case")}}})
}

// actionPropose proposes restrict, suspend, reinstate or revoke. A
// suspension takes effect at once on a defense officer's word; the
// proposer's own approval counts as the first, so it asks for a passkey.
func (s *Server) actionPropose(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	req := &oversight.ActionRequest{Kind: oversight.ActionKind(r.PostFormValue("kind")), Reason: strings.TrimSpace(r.PostFormValue("reason")),
		CaseID: strings.TrimSpace(r.PostFormValue("case_id"))}
	if req.Kind == oversight.ActionRestrict {
		req.Restriction = &oversight.Restriction{}
		for _, v := range r.PostForm["operations"] {
			req.Restriction.Operations = append(req.Restriction.Operations, oversight.Operation(v))
		}
		for _, v := range r.PostForm["purposes"] {
			req.Restriction.Purposes = append(req.Restriction.Purposes, oversight.Category(v))
		}
	}
	err := req.Validate()
	if err == nil {
		err = s.stepUp(r)
	}
	var a *oversight.Action
	if err == nil {
		a, err = s.svc.RequestAction(r.Context(), r.p, r.PathValue("id"), req)
	}
	if err != nil {
		pg := &page{Title: "Propose an enforcement action", Form: r.PostForm}
		if formError(pg, err, listField) {
			l, lerr := s.svc.License(r.Context(), r.p, r.PathValue("id"))
			if lerr != nil {
				return lerr
			}
			pg.Data = l
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "action_new", pg)
		}
		return err
	}
	msg := "Proposed; it waits for an officer of the other ministry."
	if a.Status == oversight.ActionExecuted {
		msg = "In force now: deployments of the licence are told at once."
	}
	return redirect(w, r.Request, "/actions/"+a.ID, msg)
}

// actionDecide approves or rejects a pending action, after a fresh passkey
// assertion.
func (s *Server) actionDecide(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	err := s.stepUp(r)
	if err == nil {
		_, err = s.svc.ApproveAction(r.Context(), r.p, r.PathValue("id"), &oversight.ActionApprovalRequest{Decision: r.PostFormValue("decision")})
	}
	if err != nil {
		pg := &page{Form: r.PostForm}
		if formError(pg, err, nil) {
			return s.renderAction(w, r, pg)
		}
		return err
	}
	return redirect(w, r.Request, "/actions/"+r.PathValue("id"), "Your decision is recorded.")
}
