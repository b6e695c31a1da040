package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/screen"
)

// maxBatchBody bounds the body of a screening batch. The batch is read
// and answered row by row, so this is not memory but a bound on one
// request's work; the row limit (service.DefaultMaxBatchRows) is reached
// long before it with names of ordinary length.
const maxBatchBody = 128 << 20

// batchIdle is how long a batch may wait for its client, in either
// direction, before the server gives up on it: the server's read and
// write timeouts are lifted for a batch and replaced by this, renewed at
// each answer.
const batchIdle = time.Minute

// DefaultBatchTimeout bounds a whole screening batch, however steadily its
// client sends rows: a batch of the most rows a batch takes screens in a
// few minutes, and a client trickling rows cannot hold a connection and a
// screening open for ever. The rows screened by then are answered and
// recorded; one line says where the batch stopped.
const DefaultBatchTimeout = 15 * time.Minute

// batchGrace is how long after its deadline a batch may still write the
// line that says it stopped.
const batchGrace = 10 * time.Second

// routesScreening registers designations and visa screening.
func (s *Server) routesScreening() {
	s.handle("POST", "/v1/designations", s.handleCreateDesignation)
	s.handle("GET", "/v1/designations", s.handleDesignations)
	s.handle("GET", "/v1/designations/{id}", s.handleDesignation)
	s.handle("POST", "/v1/designations/{id}/delist", s.handleDelistDesignation)
	s.handle("POST", "/v1/designations:import", s.handleImportDesignations)
	s.handle("POST", "/v1/cases/{id}/designations", s.handleDesignateFromCase)
	s.handle("POST", "/v1/screen", s.handleScreen)
	s.handleStream("POST", "/v1/screen:batch", s.screenBatch)
	s.handle("GET", "/v1/screenings", s.handleScreenings)
	s.handle("GET", "/v1/screenings/{id}", s.handleScreening)
}

// handleCreateDesignation serves POST /v1/designations.
func (s *Server) handleCreateDesignation(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var in oversight.DesignationRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.svc.CreateDesignation(r.Context(), p, &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleDesignations serves GET /v1/designations.
func (s *Server) handleDesignations(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := oversight.DesignationFilter{Basis: oversight.Basis(q.Get("basis")), CaseID: q.Get("case"), RelatedTo: q.Get("related_to"),
		Source: q.Get("source"), Status: q.Get("status")}
	out, err := s.svc.Designations(r.Context(), p, f, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDesignation serves GET /v1/designations/{id}.
func (s *Server) handleDesignation(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Designation(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDelistDesignation serves POST /v1/designations/{id}/delist.
func (s *Server) handleDelistDesignation(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var in oversight.DelistRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.svc.DelistDesignation(r.Context(), p, r.PathValue("id"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleImportDesignations serves POST /v1/designations:import.
func (s *Server) handleImportDesignations(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var in oversight.DesignationImport
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.svc.ImportDesignations(r.Context(), p, &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDesignateFromCase serves POST /v1/cases/{id}/designations.
func (s *Server) handleDesignateFromCase(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var in oversight.CaseDesignationRequest
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	out, err := s.svc.DesignateFromCase(r.Context(), p, r.PathValue("id"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleScreen serves POST /v1/screen.
func (s *Server) handleScreen(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var in oversight.ScreenRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.svc.Screen(r.Context(), p, &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleScreenings serves GET /v1/screenings.
func (s *Server) handleScreenings(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	out, err := s.svc.Screenings(r.Context(), p, oversight.ScreeningFilter{Actor: q.Get("actor"), Name: q.Get("name")}, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleScreening serves GET /v1/screenings/{id}.
func (s *Server) handleScreening(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Screening(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// decodeOptional is decode for a body that may be left out.
func decodeOptional(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	if err := oversight.CheckContentType(r.Header.Get("Content-Type"), "application/json"); err != nil {
		return err
	}
	return oversight.DecodeJSON(body, v)
}

// handleStream registers an authenticated route whose body is read as a
// stream while the answer is written: unlike handle, it does not bound the
// body by the server's MaxBody, which the handler replaces with a bound of
// its own.
func (s *Server) handleStream(method, pattern string, h handlerFunc) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern})
	ps := wildcards(pattern)
	s.mux.Handle(method+" "+pattern, s.instrument(pattern, func(w http.ResponseWriter, r *http.Request) {
		err := ps.check(r)
		var p *oversight.Principal
		if err == nil {
			p, err = s.authenticate(r)
		}
		if err == nil {
			err = s.tokenLimits.Allow(w, p.TokenID)
		}
		if err == nil {
			err = h(w, r, p)
		}
		if err != nil {
			s.problem(w, r, err)
		}
	}))
}

// screenBatch serves POST /v1/screen:batch: CSV or JSON lines in (by
// Content-Type), JSON lines out, one per row in input order, written and
// flushed as rows are screened. The options apply to every row and come
// in the query string.
func (s *Server) screenBatch(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	if err := s.svc.CanScreen(p); err != nil {
		return err
	}
	format, err := screen.BatchFormatFor(r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	opts, err := batchOptions(r)
	if err != nil {
		return err
	}
	// HTTP/1.1 servers stop reading a request once the answer starts,
	// unless told otherwise; a batch answers while it reads.
	rc := http.NewResponseController(w)
	if err := rc.EnableFullDuplex(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	deadline := time.Now().Add(s.batchTimeout)
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()
	out := &batchStream{w: w, rc: rc, deadline: deadline}
	out.enc = json.NewEncoder(w)
	out.enc.SetEscapeHTML(false)
	body := http.MaxBytesReader(w, r.Body, maxBatchBody)
	sc, err := s.svc.ScreenBatch(ctx, p, body, format, opts, out)
	if err == nil {
		return nil
	}
	if !out.started {
		return err
	}
	// The answer has begun: a problem document cannot follow. The last
	// line says where the batch stopped; the cause goes to the log.
	s.log.Warn("screening batch stopped", "screening", sc.ID, "rows", sc.Rows, "err", err)
	// (A read that failed at the deadline ends the request's context too,
	// so the client may well be there still: say it.)
	timedOut := errors.Is(err, context.DeadlineExceeded)
	if r.Context().Err() == nil || timedOut {
		msg := "the batch stopped here on a server error; the rows from this one on were not screened"
		if timedOut {
			msg = fmt.Sprintf("the batch reached its time limit of %s here; the rows from this one on were not screened", s.batchTimeout)
		}
		out.Line(&oversight.BatchLine{Row: int(sc.Rows) + 1, Error: msg})
		out.Flush()
	}
	return nil
}

// batchOptions reads limit, min_score and include_delisted from the query
// string.
func batchOptions(r *http.Request) (oversight.BatchOptions, error) {
	var (
		o  oversight.BatchOptions
		pr oversight.Problems
	)
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			pr.Add("limit", "must be a whole number from 1 to 100")
		}
		o.Limit = n
	}
	if v := q.Get("min_score"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			pr.Add("min_score", "must be a number between 0 and 1")
		}
		o.MinScore = f
	}
	if v := q.Get("include_delisted"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			pr.Add("include_delisted", "must be true or false")
		}
		o.IncludeDelisted = b
	}
	if err := pr.Err("invalid query"); err != nil {
		return o, err
	}
	if err := o.Validate(); err != nil {
		var de *oversight.Error
		if errors.As(err, &de) {
			de.Message = "invalid query"
		}
		return o, err
	}
	return o, nil
}

// batchStream writes a batch's answer lines to the client.
type batchStream struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	enc      *json.Encoder
	started  bool
	deadline time.Time // of the whole batch
}

func (b *batchStream) Begin(id string) error {
	h := b.w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Cache-Control", "no-store")
	h.Set("Oversight-Screening-Id", id)
	b.w.WriteHeader(http.StatusOK)
	b.started = true
	b.extend()
	return nil
}

func (b *batchStream) Line(l *oversight.BatchLine) error { return b.enc.Encode(l) }

func (b *batchStream) Flush() error {
	if err := b.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	b.extend()
	return nil
}

// extend moves the connection's deadlines batchIdle ahead, never past the
// batch's own: a read waiting for a row fails just after the batch's
// context has ended, so that the batch knows why, and a write has the
// grace to say where the batch stopped.
func (b *batchStream) extend() {
	t := time.Now().Add(batchIdle)
	b.rc.SetReadDeadline(earlier(t, b.deadline.Add(100*time.Millisecond)))
	b.rc.SetWriteDeadline(earlier(t, b.deadline.Add(batchGrace)))
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
