package web_test

import (
	"encoding/csv"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The public report in a real browser, signed in as nobody: each chart is
// an image the browser drew (the server's SVG), with the table of its
// numbers under it, which are the report's; the page passes the
// accessibility audit and is saved as a screenshot. Each chart's CSV is
// its table; without a script, the page already holds all of it.
func TestBrowserTransparencyReport(t *testing.T) {
	w := newWorld(t)
	rep, err := w.svc.TransparencyReport(w.ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var decided, denied int64
	for _, r := range rep.Rows {
		decided += r.Decided
		denied += r.UsesDenied
	}
	if decided == 0 || denied == 0 || len(rep.Denials) == 0 {
		t.Fatalf("the world has no denied use to chart: %+v", rep.Rows)
	}

	b := w.browser(t)
	b.open("/transparency")
	b.contains("Licences per purchasing country and quarter", "Uses decided per purchasing country and quarter", "Denied uses by clause",
		rep.Checkpoint.Root, rep.Denials[0].Clause, "oversight report --log "+w.origin)
	// Every chart drawn: the browser decoded each SVG into an image.
	drawn := run(b, chromedp.Evaluate[[]int](`[...document.querySelectorAll("figure.chart img")].map(i => i.complete ? i.naturalWidth : -1)`))
	if len(drawn) != 3 {
		t.Fatalf("%d charts on the page, want 3", len(drawn))
	}
	for i, wd := range drawn {
		if wd <= 0 {
			t.Errorf("chart %d was not drawn (natural width %d)", i, wd)
		}
	}
	b.audit("transparency")
	b.screenshot("transparency")

	// The uses chart's table and CSV say what the report says.
	table := run(b, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#c-uses ~ .table-wrap tbody tr")].map(tr => [...tr.children].map(c => c.textContent.trim()))`))
	rows := readCSV(t, w.get(t, "/transparency/charts/uses.csv"))
	if len(rows) != len(table)+1 || rows[0][0] != "Country and quarter" {
		t.Fatalf("CSV %v, table %v", rows, table)
	}
	var sumDenied int64
	for i, rec := range rows[1:] {
		if strings.Join(rec, "|") != strings.Join(table[i], "|") {
			t.Errorf("CSV row %v, table row %v", rec, table[i])
		}
		sumDenied += atoi(t, rec[2])
	}
	if sumDenied != denied {
		t.Errorf("the chart's denials add up to %d, the report's to %d", sumDenied, denied)
	}

	// The SVG is an image with nothing to run, with its title drawn.
	res, err := http.Get(w.origin + "/transparency/charts/denials.svg")
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("Content-Type %q", ct)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
		t.Errorf("the chart's policy %q", csp)
	}
	if err := xml.Unmarshal(svg, new(struct{ XMLName xml.Name })); err != nil || strings.Contains(string(svg), "<script") || !strings.Contains(string(svg), "Denied uses by clause") {
		t.Errorf("the chart is not a plain SVG with its title (%v):\n%.300s", err, svg)
	}

	// Without a script: the same page, as the server sends it, holds the
	// charts as images, their tables, and the CSV links.
	page := w.get(t, "/transparency?from="+rep.From+"&to="+rep.To)
	for _, want := range []string{`<img src="/transparency/charts/uses.svg?from=` + rep.From, `<caption>Denied uses by clause: the numbers of the chart.`,
		`/v1/reports/transparency?format=csv&amp;from=` + rep.From, rep.Denials[0].Clause} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The whole report's CSV, from the API the page links to.
	if all := w.get(t, "/v1/reports/transparency?format=csv"); !strings.Contains(all, "denials_by_clause,") {
		t.Errorf("the report's CSV:\n%s", all)
	}

	// A period that cannot be is refused next to its field.
	b.open("/transparency?from=2026-02-30")
	b.contains("From", "2026-02-30 does not exist")
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (w *world) get(t *testing.T, path string) string {
	t.Helper()
	res, err := http.Get(w.origin + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, b)
	}
	return string(b)
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
