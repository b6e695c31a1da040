package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/oversight-dev/oversight"
)

// Screening: a consular officer screens an applicant, or a batch of them
// from a file, against the designations; each match says why it matched.
// The service records each screening (the names only as keyed hashes)
// before answering.

func (s *Server) routesScreening() {
	screeners := []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleConsular}
	s.handle("GET", "/screen", s.screenPage, screeners...)
	s.handle("POST", "/screen", s.screenOne, screeners...)
	s.handle("GET", "/screen/batch", s.batchPage, screeners...)
	s.handle("POST", "/screen/batch", s.batchRun, screeners...)
	s.handle("GET", "/screenings", s.screeningsPage, officials...)
	s.handle("GET", "/screenings/{id}", s.screeningPage, officials...)
}

type screenData struct {
	Result *oversight.ScreenResult
	Asked  *oversight.ScreenRequest
}

func (s *Server) screenPage(w http.ResponseWriter, r *request) error {
	return s.render(w, r.Request, r.p, "screen", &page{Title: "Screen an applicant", Data: screenData{}})
}

// screenRequest reads the screening form's fields; bad numbers are the
// fields' problems.
func screenRequest(r *request, pr *oversight.Problems) *oversight.ScreenRequest {
	q := &oversight.ScreenRequest{Name: strings.TrimSpace(r.PostFormValue("name")), BirthDate: strings.TrimSpace(r.PostFormValue("birth_date")),
		Nationality: strings.ToUpper(strings.TrimSpace(r.PostFormValue("nationality"))), IncludeDelisted: r.PostFormValue("include_delisted") != "",
		Type: oversight.PartyType(r.PostFormValue("type")), Country: strings.ToUpper(strings.TrimSpace(r.PostFormValue("country")))}
	q.Limit = intField(pr, r.Request, "limit")
	if v := strings.TrimSpace(r.PostFormValue("min_score")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			pr.Add("min_score", "must be a number between 0 and 1, such as 0.8")
		}
		q.MinScore = f
	}
	return q
}

// screenOne screens one applicant and shows each match with its
// explanation. It answers the post itself: the answer is not kept, only
// the record that the screening happened.
func (s *Server) screenOne(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	var pr oversight.Problems
	q := screenRequest(r, &pr)
	if pr.Len() > 0 {
		addProblems(&pr, q.Validate())
	}
	err := pr.Err("invalid screening request")
	var res *oversight.ScreenResult
	if err == nil {
		res, err = s.svc.Screen(r.Context(), r.p, q)
	}
	pg := &page{Title: "Screen an applicant", Form: r.PostForm}
	if err != nil {
		if formError(pg, err, nil) {
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "screen", pg.with(screenData{}))
		}
		return err
	}
	return s.render(w, r.Request, r.p, "screen", pg.with(screenData{Result: res, Asked: q}))
}

func (s *Server) batchPage(w http.ResponseWriter, r *request) error {
	return s.render(w, r.Request, r.p, "screen_batch", &page{Title: "Screen a batch", Form: map[string][]string{"format": {"csv"}}})
}

// maxBatchUpload bounds a batch sent through the console; larger lists
// go through the API (POST /v1/screen:batch), which streams them.
const maxBatchUpload = 4 << 20

// batchRun screens an uploaded file and answers row by row as it goes:
// the page is written as the service screens each chunk, with a line
// saying how far it got, so that a long batch shows its progress without
// script. Problems found before the first row (the header, the options)
// are shown on the form.
func (s *Server) batchRun(w http.ResponseWriter, r *request) error {
	pg := &page{Title: "Screen a batch"}
	if err := r.ParseMultipartForm(maxBatchUpload); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		pg.Problem, pg.Fields = "The file could not be read.", map[string]string{"file": "send it as a file upload, " + strconv.Itoa(maxBatchUpload>>20) + " MiB at most"}
		return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "screen_batch", pg)
	}
	pg.Form = r.PostForm
	var pr oversight.Problems
	data := []byte(r.PostFormValue("names"))
	if f, h, err := r.FormFile("file"); err == nil {
		defer f.Close()
		if h.Size > maxBatchUpload {
			pr.Add("file", "at most %d MiB; send larger lists through the API", maxBatchUpload>>20)
		} else if data, err = io.ReadAll(f); err != nil {
			return err
		}
		if strings.HasSuffix(h.Filename, ".jsonl") || strings.HasSuffix(h.Filename, ".ndjson") {
			pg.Form.Set("format", "jsonl")
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		pr.Add("file", "choose a file, or type the names below")
	}
	opts := oversight.BatchOptions{Limit: intField(&pr, r.Request, "limit"), IncludeDelisted: r.PostFormValue("include_delisted") != ""}
	if v := strings.TrimSpace(r.PostFormValue("min_score")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			pr.Add("min_score", "must be a number between 0 and 1, such as 0.8")
		}
		opts.MinScore = f
	}
	jsonl := pg.Form.Get("format") == "jsonl"
	if err := pr.Err("invalid batch"); err != nil {
		formError(pg, err, nil)
		return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "screen_batch", pg)
	}
	total := bytes.Count(bytes.TrimSpace(data), []byte("\n")) + 1
	if !jsonl {
		total-- // the header
	}
	out := &batchPage{s: s, w: w, r: r, total: total}
	// The service's batch formats, package screen's BatchJSONL and
	// BatchCSV, by their names.
	var sc *oversight.Screening
	var err error
	if jsonl {
		sc, err = s.svc.ScreenBatch(r.Context(), r.p, bytes.NewReader(data), "jsonl", opts, out)
	} else {
		sc, err = s.svc.ScreenBatch(r.Context(), r.p, bytes.NewReader(data), "csv", opts, out)
	}
	if !out.started {
		if err != nil && formError(pg, err, batchField) {
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "screen_batch", pg)
		}
		return err
	}
	if err != nil {
		s.log.Warn("console: screening batch stopped", "screening", sc.ID, "rows", sc.Rows, "err", err)
	}
	return out.finish(sc, err)
}

// batchField maps the service's batch problems (the CSV header) to the
// form's file field.
func batchField(f string) string {
	if f == "header" || f == "Content-Type" {
		return "file"
	}
	return f
}

// batchPage is the answer to a batch as a page written while the service
// screens: the layout and form first, then each row, then the end.
type batchPage struct {
	s       *Server
	w       http.ResponseWriter
	r       *request
	total   int
	done    int
	matched int
	started bool
	tail    []byte
}

// rowsMark is where the rows go in the rendered page.
const rowsMark = "⁂ROWS⁂"

// Begin writes the page up to its results table.
func (b *batchPage) Begin(id string) error {
	pg := &page{Title: "Screen a batch", Form: b.r.PostForm, Data: batchData{ID: id, Total: b.total, Mark: rowsMark}}
	t := b.s.views.pages["screen_batch"]
	pg.User, pg.Demo, pg.Path, pg.Rendered = b.r.p, b.s.demo, b.r.URL.Path, renders.Add(1)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		return err
	}
	head, tail, ok := bytes.Cut(buf.Bytes(), []byte(rowsMark))
	if !ok {
		return errors.New("web: the batch page has no place for its rows")
	}
	b.tail = tail
	h := b.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	b.w.WriteHeader(http.StatusOK)
	b.started = true
	_, err := b.w.Write(head)
	return err
}

type batchData struct {
	ID    string
	Total int
	Mark  string
	Line  *oversight.BatchLine
	Done  int
}

// Line writes one row of the answer.
func (b *batchPage) Line(l *oversight.BatchLine) error {
	b.done++
	if len(l.Matches) > 0 {
		b.matched++
	}
	frag, err := b.s.fragment("screen_batch", "batch-row", &page{Data: batchData{Line: l}})
	if err != nil {
		return err
	}
	_, err = b.w.Write(frag)
	return err
}

// Flush says how far the batch got and sends what was written.
func (b *batchPage) Flush() error {
	fmt.Fprintf(b.w, `<tr class="progress"><td colspan="3" role="status">%d of about %d rows screened…</td></tr>`, b.done, b.total)
	return http.NewResponseController(b.w).Flush()
}

// finish writes the end of the page.
func (b *batchPage) finish(sc *oversight.Screening, err error) error {
	msg := fmt.Sprintf("All %d rows screened: %d with matches. The screening is recorded as %s.", b.done, b.matched, sc.ID)
	if err != nil {
		msg = fmt.Sprintf("The batch stopped after %d rows: the rows after them were not screened. Try again.", b.done)
	}
	fmt.Fprintf(b.w, `<tr class="progress done"><td colspan="3" role="status">%s</td></tr>`, msg)
	_, werr := b.w.Write(b.tail)
	return werr
}

// Screenings: the record of who screened, when, and what came up.

type screeningsData struct {
	Items []oversight.Screening
	Next  string
	Actor string
	Name  string
}

func (s *Server) screeningsPage(w http.ResponseWriter, r *request) error {
	f := oversight.ScreeningFilter{Actor: param(r.Request, "actor"), Name: param(r.Request, "name")}
	pg := &page{Title: "Record of screenings", Form: r.URL.Query()}
	l, err := s.svc.Screenings(r.Context(), r.p, f, pageOf(r.Request))
	if err != nil {
		if formError(pg, err, nil) {
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "screenings", pg.with(screeningsData{Actor: f.Actor, Name: f.Name}))
		}
		return err
	}
	var actors []string
	for _, x := range l.Items {
		actors = append(actors, x.Actor)
	}
	pg.Names = s.resolve(r.Context(), r.p, actors)
	return s.render(w, r.Request, r.p, "screenings", pg.with(screeningsData{l.Items, l.Next, f.Actor, f.Name}))
}

func (s *Server) screeningPage(w http.ResponseWriter, r *request) error {
	rec, err := s.svc.Screening(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r.Request, r.p, "screening", &page{Title: "Screening " + rec.ID, Data: rec, Names: s.resolve(r.Context(), r.p, []string{rec.Actor})})
}
