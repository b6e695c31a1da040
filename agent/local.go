package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
)

// AuthorizeRequest is what the tool sends to the local endpoint (POST
// /v1/authorize on the agent's socket): the operation request of
// DECLARATION.md, with the raw target identifier in place of its hash.
type AuthorizeRequest struct {
	Operation     oversight.Operation  `json:"operation"`
	Target        LocalTarget          `json:"target"`
	LegalBasis    oversight.LegalBasis `json:"legal_basis"`
	Grounds       []string             `json:"grounds"`
	CaseRef       string               `json:"case_ref"`
	WarrantRef    string               `json:"warrant_ref"`
	Justification string               `json:"justification"`
}

// LocalTarget is the target as the tool knows it. The identifier stays on
// the site: only its keyed hash is sent on.
type LocalTarget struct {
	Type       string `json:"type"`       // phone, email, imsi or imei
	Identifier string `json:"identifier"` // raw, as the tool has it
	// CountryCode is the E.164 calling code of the target's country, such
	// as "+44". It is found from a phone number; other identifiers must
	// give it.
	CountryCode string `json:"country_code,omitempty"`
}

// maxLocalBody bounds a request on the local endpoint.
const maxLocalBody = 64 << 10

// serveLocal listens on the unix socket at path and serves the local
// endpoint until the returned function is called. The socket is made
// readable and writable by the agent's user only: the tool runs as that
// user.
func (a *Agent) serveLocal(path string) (stop func(), err error) {
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("local endpoint: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("local endpoint: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/authorize", a.handleAuthorize)
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeLocal(w, http.StatusOK, a.status())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		localProblem(w, http.StatusNotFound, "no such endpoint on the agent: POST /v1/authorize, GET /v1/status", nil)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go srv.Serve(ln)
	a.log.Info("local endpoint listening", "socket", path)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		os.Remove(path)
	}, nil
}

// removeStaleSocket removes a socket file left by an agent that died, and
// refuses to take over one that another agent still serves.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("local endpoint: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("local endpoint: %s exists and is not a socket", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("local endpoint: another agent is serving %s", path)
	}
	return os.Remove(path)
}

// handleAuthorize normalises and hashes the target, and forwards the
// operation request, signed, to the regulator; it answers with the
// regulator's decision as it came.
func (a *Agent) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLocalBody))
	if err != nil {
		localProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", maxLocalBody), nil)
		return
	}
	var in AuthorizeRequest
	if err := oversight.DecodeJSON(body, &in); err != nil {
		localError(w, err)
		return
	}
	req, err := a.operationRequest(&in)
	if err != nil {
		localError(w, err)
		return
	}
	if a.current() == nil {
		// Fail closed: without a lease the tool may do nothing, whatever
		// the server would say.
		localProblem(w, http.StatusServiceUnavailable, "no valid lease: the licence is not active or the regulator cannot be reached; do not proceed", nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	d, err := a.api.Authorize(ctx, req)
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) {
			// The regulator's refusal, passed on as it came.
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(ce.Status)
			json.NewEncoder(w).Encode(ce.Problem)
			return
		}
		a.log.Error("authorisation request failed", "err", err)
		localProblem(w, http.StatusBadGateway, "the regulator cannot be reached: do not proceed", nil)
		return
	}
	attrs := []any{"operation", req.Operation, "decision", d.Decision, "operation_id", d.OperationID}
	if d.LogIndex != nil {
		attrs = append(attrs, "log_index", *d.LogIndex)
	}
	for _, r := range d.Reasons {
		attrs = append(attrs, "reason", r.Code)
	}
	a.log.Info("decision", attrs...)
	writeLocal(w, http.StatusOK, d)
}

// operationRequest turns the tool's request into the one the regulator
// gets: the identifier normalised and hashed, the country code found.
func (a *Agent) operationRequest(in *AuthorizeRequest) (*oversight.OperationRequest, error) {
	var p oversight.Problems
	t := &in.Target
	if !slices.Contains(TargetKinds, t.Type) {
		p.Add("target.type", "must be one of phone, email, imsi, imei")
	}
	canonical, err := NormalizeTarget(t.Type, t.Identifier)
	if err != nil && slices.Contains(TargetKinds, t.Type) {
		p.Add("target.identifier", "%v", err)
	}
	cc := t.CountryCode
	if t.Type == TargetPhone && err == nil {
		found := CallingCode(canonical, a.cfg.CallingCodes)
		switch {
		case cc == "" && found == "":
			p.Add("target.country_code", "required: no country calling code is known for this number")
		case cc == "":
			cc = found
		case found != "" && found != cc:
			p.Add("target.country_code", "%s does not match the number's calling code %s", cc, found)
		}
	} else if cc == "" && slices.Contains(TargetKinds, t.Type) && t.Type != TargetPhone {
		p.Add("target.country_code", "required for a %s: the E.164 calling code of the target's country, such as +44", t.Type)
	}
	if len(a.cfg.Pepper) == 0 {
		return nil, &oversight.Error{Code: oversight.EUNAVAILABLE, Message: "the agent has no site pepper (--pepper): it cannot hash identifiers"}
	}
	if err := p.Err("invalid authorisation request"); err != nil {
		return nil, err
	}
	return &oversight.OperationRequest{
		DeploymentID:  a.cfg.DeploymentID,
		Operation:     in.Operation,
		Target:        oversight.Target{IDHash: HashTarget(a.cfg.Pepper, canonical), CountryCode: cc},
		LegalBasis:    in.LegalBasis,
		Grounds:       in.Grounds,
		CaseRef:       in.CaseRef,
		WarrantRef:    in.WarrantRef,
		Justification: in.Justification,
	}, nil
}

// localProblem writes an RFC 9457 problem document, as the regulator's
// API does.
func localProblem(w http.ResponseWriter, status int, detail string, fields []oversight.FieldError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(oversight.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Errors: fields})
}

func localError(w http.ResponseWriter, err error) {
	var e *oversight.Error
	switch {
	case errors.As(err, &e) && e.Code == oversight.EINVALID:
		localProblem(w, http.StatusBadRequest, e.Message, e.Fields)
	case errors.As(err, &e) && e.Code == oversight.EUNAVAILABLE:
		localProblem(w, http.StatusServiceUnavailable, e.Message, nil)
	default:
		localProblem(w, http.StatusBadRequest, err.Error(), nil)
	}
}

func writeLocal(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
