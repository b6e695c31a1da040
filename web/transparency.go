package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/report"
)

// The public pages need no sign-in: the transparency report with its
// charts (this file) and the log explorer (logexplorer.go). They show only
// what the public log already shows.
func (s *Server) routesTransparency() {
	s.handlePublic("GET", "/transparency", s.transparency)
	s.handlePublic("GET", "/transparency/charts/{file}", s.transparencyChart)
}

// cachePublic: the report moves with the log's checkpoint, as the API's.
const cachePublic = "public, max-age=5"

// transparencyData is the report page: the report, its charts with their
// tables, and the period's query for the links.
type transparencyData struct {
	Report *report.Report
	Charts []*chart
	Query  template.URL // from=…&to=…, as asked
	Origin string       // this server, for the commands that check the report
	Key    string       // the log's verifier key, as this server says
}

// period reads the report's period from the query.
func period(q url.Values) (from, to time.Time, err error) {
	return report.ParsePeriod(q.Get("from"), q.Get("to"))
}

// periodQuery is the query naming the period asked for, for the page's
// links (charts, CSV): the same period, nothing else of the query.
func periodQuery(q url.Values) string {
	v := url.Values{}
	for _, k := range []string{"from", "to"} {
		if q.Get(k) != "" {
			v.Set(k, q.Get(k))
		}
	}
	return v.Encode()
}

// transparency shows the report of a period: charts drawn on the server,
// each with its table and CSV, then the report's other tables, the
// checkpoint it counts and what each figure counts.
func (s *Server) transparency(w http.ResponseWriter, r *http.Request) error {
	_, p, _ := s.session(r)
	q := r.URL.Query()
	pg := &page{Title: "Transparency report", Form: q}
	from, to, err := period(q)
	if err == nil {
		var rep *report.Report
		if rep, err = s.svc.TransparencyReport(r.Context(), from, to); err == nil {
			key, err := s.svc.LogVerifierKey(r.Context())
			if err != nil {
				return err
			}
			pg.Data = &transparencyData{Report: rep, Charts: reportCharts(rep), Query: template.URL(periodQuery(q)), Origin: s.origin.String(), Key: key}
			return s.render(w, r, p, "transparency", pg)
		}
	}
	if !formError(pg, err, nil) {
		return err
	}
	return s.renderStatus(w, r, p, http.StatusBadRequest, "transparency", pg)
}

// transparencyChart serves one chart of the report of the period asked
// for, as SVG or as the CSV of its table.
func (s *Server) transparencyChart(w http.ResponseWriter, r *http.Request) error {
	file := r.PathValue("file")
	name, ext, _ := strings.Cut(file, ".")
	if ext != "svg" && ext != "csv" {
		return oversight.Errorf(oversight.ENOTFOUND, "There is no chart %s: a chart is NAME.svg or NAME.csv.", file)
	}
	from, to, err := period(r.URL.Query())
	if err != nil {
		return err
	}
	rep, err := s.svc.TransparencyReport(r.Context(), from, to)
	if err != nil {
		return err
	}
	for _, c := range reportCharts(rep) {
		if c.Name != name {
			continue
		}
		var buf bytes.Buffer
		h := w.Header()
		if ext == "csv" {
			if err := c.writeCSV(&buf); err != nil {
				return err
			}
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="oversight-`+c.Name+`-`+rep.From+`-`+rep.To+`.csv"`)
		} else {
			if err := c.writeSVG(&buf); err != nil {
				return err
			}
			h.Set("Content-Type", "image/svg+xml")
			// gonum/plot styles its shapes with style attributes; an
			// image runs no script whatever its policy says, and this one
			// allows nothing else.
			h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		}
		h.Set("Cache-Control", cachePublic)
		_, err := w.Write(buf.Bytes())
		return err
	}
	return oversight.Errorf(oversight.ENOTFOUND, "There is no chart %s.", name)
}
