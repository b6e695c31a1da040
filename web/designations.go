package web

import (
	"net/http"
	"strings"

	"github.com/oversight-dev/oversight"
)

// Designations: the people refused visas for their part in misuse, and
// their relatives; created, designated from a case, delisted (with a fresh
// passkey), each with its history in the log.

func (s *Server) routesDesignations() {
	readers := []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleConsular}
	designators := []oversight.Role{oversight.RoleDefense, oversight.RoleForeignAffairs}
	s.handle("GET", "/designations", s.designationsPage, readers...)
	s.handle("GET", "/designations/new", s.designationNewPage, designators...)
	s.handle("POST", "/designations", s.designationCreate, designators...)
	s.handle("GET", "/designations/{id}", s.designationPage, readers...)
	s.handle("POST", "/designations/{id}/delist", s.designationDelist, designators...)
}

var bases = []oversight.Basis{oversight.BasisMisuse, oversight.BasisFinancialGain, oversight.BasisImmediateRelative}

var relations = []oversight.Relation{oversight.RelationSpouse, oversight.RelationChild, oversight.RelationParent, oversight.RelationSibling}

type designationsData struct {
	Items  []oversight.Designation
	Next   string
	Filter oversight.DesignationFilter
	Bases  []oversight.Basis
}

func (s *Server) designationsPage(w http.ResponseWriter, r *request) error {
	f := oversight.DesignationFilter{Basis: oversight.Basis(param(r.Request, "basis")), CaseID: param(r.Request, "case"),
		RelatedTo: param(r.Request, "related_to"), Source: param(r.Request, "source"), Status: param(r.Request, "status")}
	pg := &page{Title: "Designations", Form: r.URL.Query()}
	d := designationsData{Filter: f, Bases: bases}
	l, err := s.svc.Designations(r.Context(), r.p, f, pageOf(r.Request))
	if err != nil {
		if formError(pg, err, nil) {
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "designations", pg.with(d))
		}
		return err
	}
	d.Items, d.Next = l.Items, l.Next
	return s.render(w, r.Request, r.p, "designations", pg.with(d))
}

type designationNewData struct {
	Bases     []oversight.Basis
	Relations []oversight.Relation
}

func (s *Server) designationNewPage(w http.ResponseWriter, r *request) error {
	return s.render(w, r.Request, r.p, "designation_new", &page{Title: "Designate a person",
		Form: map[string][]string{"basis": {string(oversight.BasisMisuse)}, "case_id": {param(r.Request, "case")}, "related_to": {param(r.Request, "related_to")}},
		Data: designationNewData{bases, relations}})
}

func (s *Server) designationCreate(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	// The service tidies the identity (Identity.Tidy).
	req := &oversight.DesignationRequest{Identity: oversight.Identity{Name: r.PostFormValue("name"), Aliases: lines(r.PostFormValue("aliases")),
		BirthDate: r.PostFormValue("birth_date"), Nationality: r.PostFormValue("nationality")},
		Basis: oversight.Basis(r.PostFormValue("basis")), CaseID: strings.TrimSpace(r.PostFormValue("case_id")),
		Program: strings.TrimSpace(r.PostFormValue("program")), Remarks: strings.TrimSpace(r.PostFormValue("remarks"))}
	if req.Basis == oversight.BasisImmediateRelative {
		req.RelatedTo, req.Relation = strings.TrimSpace(r.PostFormValue("related_to")), oversight.Relation(r.PostFormValue("relation"))
	}
	d, err := s.svc.CreateDesignation(r.Context(), r.p, req)
	if err != nil {
		pg := &page{Title: "Designate a person", Form: r.PostForm}
		if formError(pg, err, listField) {
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "designation_new", pg.with(designationNewData{bases, relations}))
		}
		return err
	}
	return redirect(w, r.Request, "/designations/"+d.ID, d.Name+" is designated: screening matches the name from now on.")
}

type designationData struct {
	D         *oversight.Designation
	Relatives []oversight.Designation
	History   []oversight.Event
}

func (s *Server) designationPage(w http.ResponseWriter, r *request) error {
	return s.renderDesignation(w, r, &page{}, http.StatusOK)
}

func (s *Server) renderDesignation(w http.ResponseWriter, r *request, pg *page, status int) error {
	d, err := s.svc.Designation(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	rels, err := s.svc.Designations(r.Context(), r.p, oversight.DesignationFilter{RelatedTo: d.ID}, oversight.Page{Limit: pageSize})
	if err != nil {
		return err
	}
	h, err := s.history(r, d.ID)
	if err != nil {
		return err
	}
	var actors []string
	for _, e := range h {
		actors = append(actors, e.Actor)
	}
	pg.Title, pg.Data, pg.Names = d.Name, designationData{d, rels.Items, h}, s.resolve(r.Context(), r.p, actors)
	return s.renderStatus(w, r.Request, r.p, status, "designation", pg)
}

// designationDelist lifts a designation, after a fresh passkey assertion:
// a delisting lets a person back in, so it is a person present who
// decides it.
func (s *Server) designationDelist(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	req := &oversight.DelistRequest{Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	err := req.Validate()
	if err == nil {
		err = s.stepUp(r)
	}
	if err == nil {
		_, err = s.svc.DelistDesignation(r.Context(), r.p, r.PathValue("id"), req)
	}
	if err != nil {
		pg := &page{Form: r.PostForm}
		if formError(pg, err, nil) {
			return s.renderDesignation(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	return redirect(w, r.Request, "/designations/"+r.PathValue("id"), "Delisted; its relatives designated because of it are delisted with it.")
}
