package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
)

// routesEvidence registers forensic evidence: STIX bundles imported and
// matched against the infrastructure deployments declared.
func (s *Server) routesEvidence() {
	// The bundle is read as a stream by the STIX decoder, which states the
	// limit (service.MaxEvidenceBundle); the body's own limit is a little
	// above it so that the decoder is the one to say so.
	s.handleLimit("POST", "/v1/evidence", service.MaxEvidenceBundle+4096, func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || (mt != "application/json" && mt != "application/stix+json") {
				return &oversight.Error{Code: oversight.EINVALID, Message: "invalid request", Fields: []oversight.FieldError{{
					Field: "Content-Type", Message: "must be application/stix+json or application/json"}}}
			}
		}
		out, created, err := s.svc.ImportEvidence(r.Context(), p, bodyReader{r.Body})
		if err != nil {
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		return writeJSON(w, status, out)
	})
	s.handle("GET", "/v1/evidence", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		pg, err := page(r)
		if err != nil {
			return err
		}
		out, err := s.svc.EvidenceReports(r.Context(), p, pg)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	})
	s.handle("GET", "/v1/evidence/{id}", func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
		out, err := s.svc.EvidenceReport(r.Context(), p, r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	})
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
