package httpapi

import (
	"context"
	"net/http"

	"github.com/oversight-dev/oversight"
)

// routesLicenses registers the licence lifecycle.
func (s *Server) routesLicenses() {
	s.handle("POST", "/v1/licenses", s.handleApplyLicense)
	s.handle("GET", "/v1/licenses", s.handleLicenses)
	s.handle("GET", "/v1/licenses/{id}", s.handleLicense)
	s.handle("POST", "/v1/licenses/{id}/approvals", s.handleDecideLicense)
	s.handle("GET", "/v1/licenses/{id}/party-matches", s.handleLicenseScreening)
	s.handle("POST", "/v1/licenses/{id}/party-matches/{match}/clear", s.handleClearPartyMatch)
	s.handle("POST", "/v1/licenses/{id}/party-matches/{match}/confirm", s.handleConfirmPartyMatch)
}

// handleApplyLicense serves POST /v1/licenses.
func (s *Server) handleApplyLicense(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var a oversight.LicenseApplication
	if err := decode(r, &a); err != nil {
		return err
	}
	out, err := s.svc.ApplyLicense(r.Context(), p, &a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleLicenses serves GET /v1/licenses.
func (s *Server) handleLicenses(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := oversight.LicenseFilter{
		VendorID: q.Get("vendor_id"), EndUserID: q.Get("end_user_id"), ProductID: q.Get("product_id"),
		Status: oversight.LicenseStatus(q.Get("status")), Kind: oversight.LicenseKind(q.Get("kind")),
	}
	out, err := s.svc.Licenses(r.Context(), p, f, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleLicense serves GET /v1/licenses/{id}.
func (s *Server) handleLicense(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.License(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDecideLicense serves POST /v1/licenses/{id}/approvals.
func (s *Server) handleDecideLicense(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var a oversight.ApprovalRequest
	if err := decode(r, &a); err != nil {
		return err
	}
	out, err := s.svc.DecideLicense(r.Context(), p, r.PathValue("id"), &a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleLicenseScreening serves GET /v1/licenses/{id}/party-matches.
func (s *Server) handleLicenseScreening(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.LicenseScreening(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleClearPartyMatch serves POST
// /v1/licenses/{id}/party-matches/{match}/clear.
func (s *Server) handleClearPartyMatch(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	return s.decidePartyMatch(w, r, p, s.svc.ClearPartyMatch)
}

// handleConfirmPartyMatch serves POST
// /v1/licenses/{id}/party-matches/{match}/confirm.
func (s *Server) handleConfirmPartyMatch(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	return s.decidePartyMatch(w, r, p, s.svc.ConfirmPartyMatch)
}

// decidePartyMatch decodes a decision on a licence's party match and has
// decide record it.
func (s *Server) decidePartyMatch(w http.ResponseWriter, r *http.Request, p *oversight.Principal,
	decide func(context.Context, *oversight.Principal, string, string, *oversight.PartyMatchDecision) (*oversight.PartyMatch, error)) error {
	var d oversight.PartyMatchDecision
	if err := decode(r, &d); err != nil {
		return err
	}
	out, err := decide(r.Context(), p, r.PathValue("id"), r.PathValue("match"), &d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
