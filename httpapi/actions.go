package httpapi

import (
	"net/http"

	"github.com/oversight-dev/oversight"
)

// routesActions registers enforcement actions.
func (s *Server) routesActions() {
	s.handle("POST", "/v1/licenses/{id}/actions", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		var a oversight.ActionRequest
		if err := decode(r, &a); err != nil {
			return err
		}
		out, err := s.svc.RequestAction(r.Context(), p, r.PathValue("id"), &a)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, out)
	})
	s.handle("GET", "/v1/licenses/{id}/actions", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		pg, err := page(r)
		if err != nil {
			return err
		}
		out, err := s.svc.Actions(r.Context(), p, r.PathValue("id"), pg)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	})
	s.handle("GET", "/v1/actions/{id}", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		out, err := s.svc.Action(r.Context(), p, r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	})
	s.handle("POST", "/v1/actions/{id}/approvals", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		var a oversight.ActionApprovalRequest
		if err := decode(r, &a); err != nil {
			return err
		}
		out, err := s.svc.ApproveAction(r.Context(), p, r.PathValue("id"), &a)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	})
}
