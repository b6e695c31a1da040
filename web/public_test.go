package web_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"
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

// The log explorer in a real browser, as nobody: the latest checkpoint,
// entries searched by subject and by type, paged; one entry checked by the
// browser itself (WebCrypto) against the checkpoint and the key it
// pinned. Then the same entry through a server that alters one byte of
// the entry, of the proof or of the checkpoint, and under a key the
// reader pinned that is not the log's: each time the browser says that
// the check failed, and why.
func TestBrowserLogExplorer(t *testing.T) {
	w := newWorld(t)
	sc, err := w.svc.LogCheckpoint(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := w.browser(t)
	b.open("/transparency/log")
	b.contains("The latest checkpoint", sc.Root.String(), strconv.FormatInt(sc.Size, 10), "Older entries")
	b.audit("log")
	b.screenshot("log")

	// All entries, newest first, page after page.
	indexes := func() []int64 {
		return run(b, chromedp.Evaluate[[]int64](`[...document.querySelectorAll("tbody tr td:first-child a")].map(a => +a.textContent)`))
	}
	first := indexes()
	if len(first) != 50 || first[0] != sc.Size-1 || first[49] != sc.Size-50 {
		t.Fatalf("the first page lists %v, want the 50 newest of %d", first, sc.Size)
	}
	b.click(`a[rel=next]`)
	if second := indexes(); len(second) == 0 || second[0] != sc.Size-51 {
		t.Fatalf("the second page lists %v", second)
	}

	// By subject: the licence's entries, and no other.
	b.open("/transparency/log")
	b.do(chromedp.SetValue(chromedp.CSS(`#f-subject`), w.lic.ID))
	b.click(`form[aria-label="Search the log"] button[type=submit]`)
	subjects := run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tbody tr td:nth-child(4)")].map(td => td.textContent.trim())`))
	if len(subjects) < 2 || len(subjects) >= 50 {
		t.Fatalf("the licence's entries: %v", subjects)
	}
	for _, s := range subjects {
		if s != w.lic.ID {
			t.Errorf("an entry about %s among the licence's", s)
		}
	}
	// By type.
	b.open("/transparency/log?type=license.status")
	types := run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tbody tr td:nth-child(3)")].map(td => td.textContent.trim())`))
	if len(types) == 0 {
		t.Fatal("no license.status entry")
	}
	for _, ty := range types {
		if ty != "license.status" {
			t.Errorf("an entry of type %s among license.status", ty)
		}
	}
	b.audit("log-search")

	// One entry, checked in the browser.
	b.click(`tbody tr td:first-child a`)
	b.waitText("Verified in your browser: entry")
	b.contains("license.status", "signed by the key you pinned", "your browser pinned the key this server gives")
	b.audit("log-entry")
	b.screenshot("log-entry")
	index := strings.TrimPrefix(b.path(), "/transparency/log/")

	// Without a script, the page says that nothing was checked.
	if page := w.get(t, "/transparency/log/"+index); !strings.Contains(page, "Not checked: your browser checks this entry") {
		t.Error("the page as served claims a check")
	}

	// A server that alters what it serves, one byte at a time.
	var mode atomic.Value
	mode.Store("")
	target, _ := url.Parse(w.origin)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(res *http.Response) error {
		m := mode.Load().(string)
		p := res.Request.URL.Path
		tamper := (m == "entry" && strings.HasPrefix(p, "/v1/log/entries/")) ||
			(m == "proof" && p == "/v1/log/proof/inclusion") || (m == "checkpoint" && p == "/v1/log/checkpoint")
		if !tamper {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		switch m {
		case "entry", "proof":
			var doc map[string]any
			if err := json.Unmarshal(body, &doc); err != nil {
				return err
			}
			if m == "entry" {
				raw, _ := base64.StdEncoding.DecodeString(doc["entry"].(string))
				raw = bytes.Replace(raw, []byte(`"to":"`), []byte(`"to":"X`), 1) // one byte more
				doc["entry"] = base64.StdEncoding.EncodeToString(raw)
				doc["event"] = json.RawMessage(raw)
			} else {
				hs := doc["hashes"].([]any)
				h, _ := base64.StdEncoding.DecodeString(hs[0].(string))
				h[0] ^= 1
				hs[0] = base64.StdEncoding.EncodeToString(h)
			}
			body, _ = json.Marshal(doc)
		case "checkpoint":
			lines := strings.SplitN(string(body), "\n", 3)
			lines[1] = strconv.Itoa(atoiInt(t, lines[1]) - 1) // a smaller tree, same signature
			body = []byte(strings.Join(lines, "\n"))
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Del("Content-Length")
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	evil := &httptest.Server{Listener: ln, Config: &http.Server{Handler: proxy}}
	evil.Start()
	t.Cleanup(evil.Close)
	evilOrigin := "http://localhost:" + strings.Split(ln.Addr().String(), ":")[1]
	for _, tt := range []struct{ mode, why string }{
		{"", "Verified in your browser"},
		{"entry", "do not lead to the checkpoint's root"},
		{"proof", "do not lead to the checkpoint's root"},
		{"checkpoint", "signature is not valid for the key you pinned"},
	} {
		mode.Store(tt.mode)
		b.do(chromedp.Navigate(evilOrigin+"/transparency/log/"+index), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if tt.mode == "" {
			b.waitText(tt.why)
			continue
		}
		b.waitText("Verification failed in your browser")
		b.contains(tt.why, "Do not rely on this entry")
		if n := run(b, chromedp.Evaluate[int](`document.querySelectorAll(".verify-ok").length`)); n != 0 {
			t.Errorf("%s: the page shows a success too", tt.mode)
		}
		if tt.mode == "entry" {
			b.screenshot("log-entry-tampered")
		}
	}

	// A reader who pinned another key than the log's: refused, until the
	// reader pins the log's.
	_, other, err := note.GenerateKey(rand.Reader, sc.Origin)
	if err != nil {
		t.Fatal(err)
	}
	b.open("/transparency/log/" + index)
	b.waitText("Verified in your browser")
	b.do(chromedp.SetValue(chromedp.CSS(`#f-pin`), other), chromedp.Click(chromedp.CSS(`form.pin button`)))
	b.waitText("the checkpoint carries no signature by the key you pinned")
	key, err := w.svc.LogVerifierKey(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetValue(chromedp.CSS(`#f-pin`), key), chromedp.Click(chromedp.CSS(`form.pin button`)))
	b.waitText("Verified in your browser")
	b.contains("signed by the key you pinned (" + sc.Origin + ")")

	// On a phone.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, p := range []struct{ name, path string }{
		{"phone-transparency", "/transparency"}, {"phone-log", "/transparency/log"}, {"phone-log-entry", "/transparency/log/" + index},
	} {
		b.open(p.path)
		if p.name == "phone-log-entry" {
			b.waitText("Verified in your browser")
		}
		b.audit(p.name)
		b.screenshot(p.name)
	}
}

func atoiInt(t *testing.T, s string) int { return int(atoi(t, s)) }
