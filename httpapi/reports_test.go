package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight/report"
)

// The report, public, names the latest checkpoint and equals the report
// recomputed from that checkpoint's entries as the API serves them; in
// CSV and HTML too; bad parameters are 400s naming them.
func TestTransparencyReport(t *testing.T) {
	e := newEnv(t)
	e.world()
	var r report.Report
	e.must("", "GET", "/v1/reports/transparency", nil, 200, &r)
	c, _ := e.logCheckpoint()
	if r.Checkpoint.Size < c.Size-1 || r.Checkpoint.Size == 0 {
		t.Fatalf("report of checkpoint %d, the log's is %d", r.Checkpoint.Size, c.Size)
	}
	b := report.NewBuilder()
	for i := range r.Checkpoint.Size {
		var le logEntry
		e.must("", "GET", fmt.Sprintf("/v1/log/entries/%d", i), nil, 200, &le)
		if err := b.Add(i, le.Entry); err != nil {
			t.Fatal(err)
		}
	}
	from, _ := time.Parse(report.DateLayout, r.From)
	to, _ := time.Parse(report.DateLayout, r.To)
	again, err := b.Report(r.Checkpoint, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if d := report.Compare(&r, again); len(d) != 0 {
		t.Errorf("the server's report differs from its log's: %v", d)
	}
	var applied, granted int64
	for _, row := range r.Rows {
		applied += row.Applied
		granted += row.Granted
	}
	if applied < 2 || granted < 1 {
		t.Errorf("licences applied %d, granted %d; the world has an active licence and an applied one:\n%+v", applied, granted, r.Rows)
	}

	today := time.Now().UTC().Format(report.DateLayout)
	code, csv := e.call("", "GET", "/v1/reports/transparency?format=csv&from="+today+"&to="+today, nil)
	if code != 200 || !strings.HasPrefix(string(csv), "table,country,quarter,figure,key,count\n") || !strings.Contains(string(csv), "licences_applied") {
		t.Errorf("CSV: %d\n%s", code, csv)
	}
	code, html := e.call("", "GET", "/v1/reports/transparency?format=html", nil)
	if code != 200 || !strings.Contains(string(html), "<h1>Transparency report</h1>") || !strings.Contains(string(html), r.Checkpoint.Origin) {
		t.Errorf("HTML: %d\n%.500s", code, html)
	}
	for _, tt := range []struct{ query, field string }{
		{"from=2026-02-30", "from"},
		{"to=yesterday", "to"},
		{"from=2026-03-01&to=2026-02-01", "to"},
		{"format=pdf", "format"},
	} {
		code, body := e.call("", "GET", "/v1/reports/transparency?"+tt.query, nil)
		var p struct {
			Errors []struct{ Field string } `json:"errors"`
		}
		json.Unmarshal(body, &p)
		if code != 400 || len(p.Errors) != 1 || p.Errors[0].Field != tt.field {
			t.Errorf("%s: %d %s, want 400 naming %s", tt.query, code, body, tt.field)
		}
	}
}
