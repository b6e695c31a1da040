package httpapi

import (
	"net/http"

	"github.com/oversight-dev/oversight"
)

// routesProtected registers the protected-persons register. It can be
// added to, singly or by the list, and not read: the register is
// consulted only by the decisions themselves.
func (s *Server) routesProtected() {
	s.handle("POST", "/v1/protected", s.handleAddProtected)
	s.handle("POST", "/v1/protected:import", s.handleImportProtected)
}

// handleAddProtected serves POST /v1/protected.
func (s *Server) handleAddProtected(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var reg oversight.ProtectedRegistration
	if err := decode(r, &reg); err != nil {
		return err
	}
	out, added, err := s.svc.AddProtected(r.Context(), p, &reg)
	if err != nil {
		return err
	}
	status := http.StatusOK // already on the register
	if added {
		status = http.StatusCreated
	}
	return writeJSON(w, status, out)
}

// handleImportProtected serves POST /v1/protected:import.
func (s *Server) handleImportProtected(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	// The body is text/plain, one hash a line; it is read as such
	// whatever its Content-Type, and a line that is not a hash is named.
	body, err := readBody(r)
	if err != nil {
		return err
	}
	out, err := s.svc.ImportProtected(r.Context(), p, oversight.ProtectedCategory(r.URL.Query().Get("category")), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
