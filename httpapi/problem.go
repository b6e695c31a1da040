package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/oversight-dev/oversight"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string                 `json:"type"`
	Title    string                 `json:"title"`
	Status   int                    `json:"status"`
	Detail   string                 `json:"detail"`
	Instance string                 `json:"instance,omitempty"`
	Errors   []oversight.FieldError `json:"errors,omitempty"`
	// CurrentState names the resource's state on a 409.
	CurrentState string `json:"current_state,omitempty"`
}

// statuses maps domain error codes to HTTP statuses and titles.
var statuses = map[string]struct {
	status int
	title  string
}{
	oversight.EINVALID:      {http.StatusBadRequest, "Invalid request"},
	oversight.EUNAUTHORIZED: {http.StatusUnauthorized, "Unauthorized"},
	oversight.EFORBIDDEN:    {http.StatusForbidden, "Forbidden"},
	oversight.ENOTFOUND:     {http.StatusNotFound, "Not found"},
	oversight.EMETHOD:       {http.StatusMethodNotAllowed, "Method not allowed"},
	oversight.ECONFLICT:     {http.StatusConflict, "Conflict with the current state"},
	oversight.ETOOLARGE:     {http.StatusRequestEntityTooLarge, "Request too large"},
	oversight.ERATELIMIT:    {http.StatusTooManyRequests, "Too many requests"},
	oversight.EUNAVAILABLE:  {http.StatusServiceUnavailable, "Service unavailable"},
	oversight.EINTERNAL:     {http.StatusInternalServerError, "Internal error"},
}

// ProblemTypeBase prefixes the type URI of every problem document.
const ProblemTypeBase = "https://oversight.example/problems/"

// problem writes err as a problem document. Internal errors are logged
// with their detail and shown only as "Internal error."
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	code := oversight.ErrorCode(err)
	st, ok := statuses[code]
	if !ok {
		st = statuses[oversight.EINTERNAL]
	}
	p := Problem{Type: ProblemTypeBase + code, Title: st.title, Status: st.status, Detail: oversight.ErrorMessage(err), Instance: r.URL.Path}
	var de *oversight.Error
	if errors.As(err, &de) {
		p.Errors = de.Fields
		p.CurrentState = de.State
	}
	if code == oversight.EINTERNAL {
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, slog.String("code", code))
	}
	if code == oversight.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="oversight"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
