package httpapi

import (
	"bytes"
	"net/http"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/report"
)

// cacheReport: the report moves with the log's checkpoint.
const cacheReport = "public, max-age=5"

// routesReports registers the public transparency report, which needs no
// token: it shows only what the public log already shows.
func (s *Server) routesReports() {
	s.handlePublic("GET", "/v1/reports/transparency", s.handleTransparencyReport)
}

// handleTransparencyReport serves GET /v1/reports/transparency.
func (s *Server) handleTransparencyReport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, to, err := report.ParsePeriod(q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	format := q.Get("format")
	switch format {
	case "", "json", "csv", "html":
	default:
		return oversight.Invalid("invalid format", "format", "must be json, csv or html")
	}
	rep, err := s.svc.TransparencyReport(r.Context(), from, to)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", cacheReport)
	var buf bytes.Buffer
	switch format {
	case "csv":
		if err := rep.WriteCSV(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="oversight-transparency-`+rep.From+`-`+rep.To+`.csv"`)
	case "html":
		if err := rep.WriteHTML(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	default:
		return writeJSON(w, http.StatusOK, rep)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
