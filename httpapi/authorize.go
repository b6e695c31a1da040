package httpapi

import (
	"net/http"

	"github.com/oversight-dev/oversight"
)

// routesAuthorize registers per-use authorisation and the record of
// decided operations.
func (s *Server) routesAuthorize() {
	s.handleSigned("POST", "/v1/authorize", s.handleAuthorize)
	s.handle("GET", "/v1/operations", s.handleOperations)
	s.handle("GET", "/v1/operations/{id}", s.handleOperation)
}

// handleAuthorize serves POST /v1/authorize.
//
// A deployment asks before every use. The signature (handleSigned)
// proves which deployment asks; a request it already sent is refused
// with 401, like a stale one: either way the deployment must sign a
// new request.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request, d *oversight.Deployment, sig *oversight.SignedRequest, body []byte) error {
	if err := oversight.CheckContentType(r.Header.Get("Content-Type"), "application/json"); err != nil {
		return err
	}
	// Decoded here, validated once, by the service.
	var req oversight.OperationRequest
	if err := oversight.DecodeJSON(body, &req); err != nil {
		return err
	}
	dec, err := s.svc.Authorize(r.Context(), d, sig, &req)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, dec)
}

// handleOperations serves GET /v1/operations.
func (s *Server) handleOperations(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := oversight.OperationFilter{LicenseID: q.Get("license"), DeploymentID: q.Get("deployment"), Decision: oversight.Verdict(q.Get("decision"))}
	out, err := s.svc.Operations(r.Context(), p, f, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleOperation serves GET /v1/operations/{id}.
func (s *Server) handleOperation(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Operation(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
