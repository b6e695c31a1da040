package httpapi

import (
	"net/http"
	"strconv"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
)

// Cache lifetimes of the log's resources. Full tiles, entry bundles,
// entries and proofs never change once served. A partial tile's bytes do
// not change either, but C2SP tlog-tiles lets a log drop it once the tile
// fills, so it is cached briefly; the checkpoint moves with every append.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cachePartial    = "public, max-age=60"
	cacheCheckpoint = "public, max-age=2"
	cacheKey        = "public, max-age=3600"
)

// routesLog registers the audit log's public read paths: the checkpoint,
// the verifier key, entries and proofs under /v1/log, and the C2SP
// tlog-tiles layout under /log (checkpoint, hash tiles, entry bundles), so
// that existing tiles clients can read and verify it. None needs a token.
func (s *Server) routesLog() {
	s.handlePublic("GET", "/v1/log/checkpoint", s.handleLogCheckpoint)
	s.handlePublic("GET", "/log/checkpoint", s.handleLogCheckpoint)
	s.handlePublic("GET", "/v1/log/key", s.handleLogVerifierKey)
	s.handlePublic("GET", "/v1/log/entries/{index}", s.handleLogEntry)
	s.handle("GET", "/v1/log/entries/{index}/private", s.handleDisclosure)
	s.handlePublic("GET", "/v1/log/entries", s.handleLogEntries)
	s.handlePublic("GET", "/v1/log/proof/inclusion", s.handleInclusionProof)
	s.handlePublic("GET", "/v1/log/proof/consistency", s.handleConsistencyProof)
	s.handlePublic("GET", "/log/tile/{path...}", s.handleLogTile)
}

// handleLogCheckpoint serves GET /v1/log/checkpoint and, where C2SP
// tlog-tiles clients look for it, GET /log/checkpoint.
func (s *Server) handleLogCheckpoint(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.svc.LogCheckpoint(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", cacheCheckpoint)
	_, err = w.Write(sc.Note)
	return err
}

// handleLogVerifierKey serves GET /v1/log/key.
func (s *Server) handleLogVerifierKey(w http.ResponseWriter, r *http.Request) error {
	vkey, err := s.svc.LogVerifierKey(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", cacheKey)
	_, err = w.Write([]byte(vkey + "\n"))
	return err
}

// handleLogEntry serves GET /v1/log/entries/{index}.
func (s *Server) handleLogEntry(w http.ResponseWriter, r *http.Request) error {
	index, err := logIndex("index", r.PathValue("index"))
	if err != nil {
		return err
	}
	e, err := s.svc.LogEntry(r.Context(), index)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", cacheImmutable)
	return writeJSON(w, http.StatusOK, e)
}

// handleDisclosure serves GET /v1/log/entries/{index}/private.
func (s *Server) handleDisclosure(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	index, err := logIndex("index", r.PathValue("index"))
	if err != nil {
		return err
	}
	d, err := s.svc.Disclosure(r.Context(), p, index)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, d)
}

// handleLogEntries serves GET /v1/log/entries.
func (s *Server) handleLogEntries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	after, limit := int64(-1), 100
	if v := q.Get("after"); v != "" {
		n, err := logIndex("after", v)
		if err != nil {
			return err
		}
		after = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > service.MaxLogEntriesPage {
			return oversight.Invalid("invalid limit", "limit", "must be a whole number from 1 to %d", service.MaxLogEntriesPage)
		}
		limit = n
	}
	items, err := s.svc.LogEntries(r.Context(), q.Get("subject"), after, limit)
	if err != nil {
		return err
	}
	page := struct {
		Items []oversight.LogEntry `json:"items"`
		Next  string               `json:"next,omitempty"`
	}{Items: items}
	if page.Items == nil {
		page.Items = []oversight.LogEntry{}
	}
	if len(items) == limit {
		page.Next = strconv.FormatInt(items[len(items)-1].Index, 10)
	}
	return writeJSON(w, http.StatusOK, page)
}

// handleInclusionProof serves GET /v1/log/proof/inclusion.
func (s *Server) handleInclusionProof(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	index, err := logIndex("index", q.Get("index"))
	if err != nil {
		return err
	}
	size, err := logIndex("tree_size", q.Get("tree_size"))
	if err != nil {
		return err
	}
	p, err := s.svc.InclusionProof(r.Context(), index, size)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", cacheImmutable)
	return writeJSON(w, http.StatusOK, p)
}

// handleConsistencyProof serves GET /v1/log/proof/consistency.
func (s *Server) handleConsistencyProof(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	oldSize, err := logIndex("old", q.Get("old"))
	if err != nil {
		return err
	}
	newSize, err := logIndex("new", q.Get("new"))
	if err != nil {
		return err
	}
	p, err := s.svc.ConsistencyProof(r.Context(), oldSize, newSize)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", cacheImmutable)
	return writeJSON(w, http.StatusOK, p)
}

// handleLogTile serves GET /log/tile/{path...}.
func (s *Server) handleLogTile(w http.ResponseWriter, r *http.Request) error {
	t, data, err := s.svc.LogTile(r.Context(), "tile/"+r.PathValue("path"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if t.Width < 256 {
		w.Header().Set("Cache-Control", cachePartial)
	} else {
		w.Header().Set("Cache-Control", cacheImmutable)
	}
	_, err = w.Write(data)
	return err
}

// logIndex parses a log index or tree size: a decimal from 0, without sign.
func logIndex(field, v string) (int64, error) {
	if v == "" {
		return 0, oversight.Invalid("invalid "+field, field, "is required")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || v[0] == '+' {
		return 0, oversight.Invalid("invalid "+field, field, "must be a whole number from 0, not %q", logTruncate(v, 30))
	}
	return n, nil
}

func logTruncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
