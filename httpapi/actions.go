package httpapi

import (
	"net/http"

	"github.com/oversight-dev/oversight"
)

// routesActions registers enforcement actions.
func (s *Server) routesActions() {
	s.handle("POST", "/v1/licenses/{id}/actions", s.handleRequestAction)
	s.handle("GET", "/v1/licenses/{id}/actions", s.handleActions)
	s.handle("GET", "/v1/actions/{id}", s.handleAction)
	s.handle("POST", "/v1/actions/{id}/approvals", s.handleApproveAction)
}

// handleRequestAction serves POST /v1/licenses/{id}/actions.
func (s *Server) handleRequestAction(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var a oversight.ActionRequest
	if err := decode(r, &a); err != nil {
		return err
	}
	out, err := s.svc.RequestAction(r.Context(), p, r.PathValue("id"), &a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleActions serves GET /v1/licenses/{id}/actions.
func (s *Server) handleActions(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.svc.Actions(r.Context(), p, r.PathValue("id"), pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleAction serves GET /v1/actions/{id}.
func (s *Server) handleAction(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Action(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleApproveAction serves POST /v1/actions/{id}/approvals.
func (s *Server) handleApproveAction(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var a oversight.ActionApprovalRequest
	if err := decode(r, &a); err != nil {
		return err
	}
	out, err := s.svc.ApproveAction(r.Context(), p, r.PathValue("id"), &a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
