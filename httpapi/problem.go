package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/oversight-dev/oversight"
)

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

// problem writes err as a problem document. Internal errors are logged
// with their detail and shown only as "Internal error."
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	code := oversight.ErrorCode(err)
	st, ok := statuses[code]
	if !ok {
		st = statuses[oversight.EINTERNAL]
	}
	p := oversight.NewProblem(err, st.status, st.title)
	p.Instance = r.URL.Path
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
