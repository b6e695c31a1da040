package httpapi

import (
	"net/http"
	"strings"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/internal/ratelimit"
)

// DefaultComplaintLimit bounds the complaints' public routes per client
// address, on this replica: a person writes a few, a script many.
var DefaultComplaintLimit = ratelimit.Complaints

// routesComplaints registers complaints: filed, read and added to without
// an account, with the secret the filing returned as the bearer token;
// listed and triaged by officers with their tokens.
func (s *Server) routesComplaints() {
	s.handlePublic("POST", "/v1/complaints", s.handleFileComplaint)
	s.handlePublic("GET", "/v1/complaints/{receipt}", s.handleComplaint)
	s.handlePublic("POST", "/v1/complaints/{receipt}", s.handleAddToComplaint)
	s.handle("GET", "/v1/complaints", s.handleComplaints)
	s.handle("POST", "/v1/complaints/{receipt}/triage", s.handleTriageComplaint)
}

// handleFileComplaint serves POST /v1/complaints.
func (s *Server) handleFileComplaint(w http.ResponseWriter, r *http.Request) error {
	var c oversight.ComplaintRequest
	if err := decode(r, &c); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.complaintLimits.Allow(w, s.addresses.Key(r)); err != nil {
		return err
	}
	out, secret, err := s.svc.FileComplaint(r.Context(), &c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, oversight.ComplaintReceipt{Receipt: out.ID, Secret: secret, Status: out.Status, CreatedAt: out.CreatedAt})
}

// handleComplaint serves GET /v1/complaints/{receipt}.
func (s *Server) handleComplaint(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("receipt")
	secret, ok := complaintSecret(r)
	if !ok {
		// An official's token: the whole complaint.
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if err := s.tokenLimits.Allow(w, p.TokenID); err != nil {
			return err
		}
		out, err := s.svc.Complaint(r.Context(), p, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
	if err := s.complaintLimits.Allow(w, s.addresses.Key(r)); err != nil {
		return err
	}
	out, err := s.svc.ComplaintStatus(r.Context(), id, secret)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleAddToComplaint serves POST /v1/complaints/{receipt}.
func (s *Server) handleAddToComplaint(w http.ResponseWriter, r *http.Request) error {
	var a oversight.ComplaintAdditionRequest
	if err := decode(r, &a); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	secret, ok := complaintSecret(r)
	if !ok {
		return oversight.Errorf(oversight.EUNAUTHORIZED, "give the complaint's secret (%s…) as the bearer token: only the complainant adds to a complaint", oversight.ComplaintSecretPrefix)
	}
	if err := s.complaintLimits.Allow(w, s.addresses.Key(r)); err != nil {
		return err
	}
	out, err := s.svc.AddToComplaint(r.Context(), r.PathValue("receipt"), secret, &a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleComplaints serves GET /v1/complaints.
func (s *Server) handleComplaints(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	out, err := s.svc.Complaints(r.Context(), p, oversight.ComplaintFilter{Status: oversight.ComplaintStatus(q.Get("status")), LicenseID: q.Get("license")}, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleTriageComplaint serves POST /v1/complaints/{receipt}/triage.
func (s *Server) handleTriageComplaint(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var t oversight.ComplaintTriage
	if err := decode(r, &t); err != nil {
		return err
	}
	c, cs, err := s.svc.TriageComplaint(r.Context(), p, r.PathValue("receipt"), &t)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, oversight.TriageResult{Complaint: c, Case: cs})
}

// complaintSecret returns the bearer token if it is a complaint's secret.
func complaintSecret(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(token, oversight.ComplaintSecretPrefix) {
		return "", false
	}
	return token, true
}
