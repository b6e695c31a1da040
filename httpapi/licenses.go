package httpapi

import (
	"context"
	"net/http"

	"github.com/oversight-dev/oversight"
)

// routesLicenses registers the licence lifecycle.
func (s *Server) routesLicenses() {
	s.handle("POST", "/v1/licenses", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		var a oversight.LicenseApplication
		if err := decode(r, &a); err != nil {
			return err
		}
		out, err := s.svc.ApplyLicense(r.Context(), p, &a)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, out)
	})
	s.handle("GET", "/v1/licenses", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
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
	})
	s.handle("GET", "/v1/licenses/{id}", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		out, err := s.svc.License(r.Context(), p, r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	})
	s.handle("POST", "/v1/licenses/{id}/approvals", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		var a oversight.ApprovalRequest
		if err := decode(r, &a); err != nil {
			return err
		}
		out, err := s.svc.DecideLicense(r.Context(), p, r.PathValue("id"), &a)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	})
	s.handle("GET", "/v1/licenses/{id}/party-matches", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		out, err := s.svc.LicenseScreening(r.Context(), p, r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	})
	for verb, decide := range map[string]func(context.Context, *oversight.Principal, string, string, *oversight.PartyMatchDecision) (*oversight.PartyMatch, error){
		"clear": s.svc.ClearPartyMatch, "confirm": s.svc.ConfirmPartyMatch,
	} {
		s.handle("POST", "/v1/licenses/{id}/party-matches/{match}/"+verb, func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
			var d oversight.PartyMatchDecision
			if err := decode(r, &d); err != nil {
				return err
			}
			out, err := decide(r.Context(), p, r.PathValue("id"), r.PathValue("match"), &d)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, out)
		})
	}
}
