package httpapi

import (
	"net/http"

	"github.com/oversight-dev/oversight"
)

// routesSafeguards registers the countersignature of safeguards kit runs,
// asked for by the deployment the run used.
func (s *Server) routesSafeguards() {
	s.handleSigned("POST", "/v1/deployments/{id}/countersign", s.handleCountersignReport)
}

// handleCountersignReport serves POST /v1/deployments/{id}/countersign.
func (s *Server) handleCountersignReport(w http.ResponseWriter, r *http.Request, d *oversight.Deployment, sig *oversight.SignedRequest, body []byte) error {
	if err := sameDeployment(r, d); err != nil {
		return err
	}
	if err := oversight.CheckContentType(r.Header.Get("Content-Type"), "application/json"); err != nil {
		return err
	}
	var rep oversight.SafeguardReport
	if err := oversight.DecodeJSON(body, &rep); err != nil {
		return err
	}
	out, err := s.svc.CountersignReport(r.Context(), sig, &rep)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
