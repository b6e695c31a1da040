package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/oversight-dev/oversight"
)

// problem writes err as a problem document. Internal errors are logged
// with their detail and shown only as "Internal error."
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	code := oversight.ErrorCode(err)
	p := oversight.NewProblem(err)
	p.Instance = r.URL.Path
	// The route's pattern, like the request logger's, not the path: a
	// path names a complaint's receipt or a person's record.
	route := r.Pattern
	if route == "" {
		route = "(no route)"
	}
	if code == oversight.EINTERNAL {
		s.log.Error("internal error", "route", route, "err", err)
	} else {
		s.log.Debug("request refused", "route", route, slog.String("code", code))
	}
	if code == oversight.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="oversight"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
