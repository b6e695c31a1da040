package httpapi

import (
	"net/http"

	"github.com/oversight-dev/oversight"
)

// routesCases registers misuse cases.
func (s *Server) routesCases() {
	s.handle("POST", "/v1/cases", s.handleOpenCase)
	s.handle("GET", "/v1/cases", s.handleCases)
	s.handle("GET", "/v1/cases/{id}", s.handleCase)
	s.handle("PATCH", "/v1/cases/{id}", s.handleUpdateCase)
	s.handle("GET", "/v1/cases/{id}/timeline", s.handleCaseTimeline)
	s.handle("POST", "/v1/cases/{id}/actions", s.handleProposeCaseAction)
}

// handleOpenCase serves POST /v1/cases.
func (s *Server) handleOpenCase(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var c oversight.CaseRequest
	if err := decode(r, &c); err != nil {
		return err
	}
	out, err := s.svc.OpenCase(r.Context(), p, &c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleCases serves GET /v1/cases.
func (s *Server) handleCases(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := oversight.CaseFilter{LicenseID: q.Get("license"), Status: oversight.CaseStatus(q.Get("status")), Source: oversight.CaseSource(q.Get("source")), Rule: q.Get("rule")}
	out, err := s.svc.Cases(r.Context(), p, f, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleCase serves GET /v1/cases/{id}.
func (s *Server) handleCase(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Case(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleUpdateCase serves PATCH /v1/cases/{id}.
func (s *Server) handleUpdateCase(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var u oversight.CaseUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	out, err := s.svc.UpdateCase(r.Context(), p, r.PathValue("id"), &u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleCaseTimeline serves GET /v1/cases/{id}/timeline.
func (s *Server) handleCaseTimeline(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.CaseTimeline(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleProposeCaseAction serves POST /v1/cases/{id}/actions.
func (s *Server) handleProposeCaseAction(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var a oversight.CaseActionRequest
	if err := decode(r, &a); err != nil {
		return err
	}
	out, err := s.svc.ProposeCaseAction(r.Context(), p, r.PathValue("id"), &a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}
