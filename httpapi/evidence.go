package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/stix"
)

// routesEvidence registers forensic evidence: STIX bundles imported and
// matched against the infrastructure deployments declared.
func (s *Server) routesEvidence() {
	s.handleLimit("POST", "/v1/evidence", stix.MaxBundle+4096, s.handleImportEvidence)
	s.handle("GET", "/v1/evidence", s.handleEvidenceReports)
	s.handle("GET", "/v1/evidence/{id}", s.handleEvidenceReport)
}

// handleImportEvidence serves POST /v1/evidence.
//
// The bundle is read as a stream by the STIX decoder, which states the
// limit (stix.MaxBundle); the body's own limit is a little above it so
// that the decoder is the one to say so. It is decoded here, like every
// body, so that bad input is a 400 whoever sends it.
func (s *Server) handleImportEvidence(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	if err := checkStixType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	b, err := stix.Decode(bodyReader{r.Body})
	if err != nil {
		return err
	}
	out, created, err := s.svc.ImportEvidence(r.Context(), p, b)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, out)
}

// handleEvidenceReports serves GET /v1/evidence.
func (s *Server) handleEvidenceReports(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.svc.EvidenceReports(r.Context(), p, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleEvidenceReport serves GET /v1/evidence/{id}.
func (s *Server) handleEvidenceReport(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.EvidenceReport(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// checkStixType accepts the STIX media type (with its version parameter)
// and plain JSON.
func checkStixType(ct string) error {
	if ct == "" || oversight.IsMediaType(ct, "application/json") {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/stix+json" {
		if v, ok := params["version"]; !ok || v == "2.1" {
			return nil
		}
	}
	return oversight.Invalid("invalid request", "Content-Type", "must be application/stix+json;version=2.1 or application/json")
}

// bodyReader turns the body's size limit into the domain's ETOOLARGE.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return n, oversight.Errorf(oversight.ETOOLARGE, "request body exceeds %d bytes", mbe.Limit)
	}
	return n, err
}
