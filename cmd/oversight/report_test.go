package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	transparency "github.com/oversight-dev/oversight/report"
	"github.com/oversight-dev/oversight/store"
)

// recordStory appends licences of two countries and n decisions, a
// third denied, as the service records them.
func (ls *logServer) recordStory(n int) {
	ls.t.Helper()
	err := ls.st.Update(ls.t.Context(), func(tx *store.Tx) error {
		for _, l := range []struct{ id, country string }{{"lic_fr", "FR"}, {"lic_ke", "KE"}} {
			if _, err := tx.Record(oversight.EventLicenseApplied, "vendor:usr_1", l.id, time.Now(), map[string]string{"country": l.country, "status": "applied"}); err != nil {
				return err
			}
			if _, err := tx.Record(oversight.EventLicenseStatus, "system", l.id, time.Now(), map[string]string{"from": "applied", "to": "active"}); err != nil {
				return err
			}
		}
		for i := range n {
			d := map[string]any{"license_id": []string{"lic_fr", "lic_ke"}[i%2], "decision": "permit", "codes": []string{"IL2021-2"}}
			if i%3 == 0 {
				d["decision"], d["codes"] = "deny", []string{"IL2021-4"}
			}
			if _, err := tx.Record(oversight.EventOperationDecided, "dep_1", fmt.Sprintf("op_%d", i), time.Now(), d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		ls.t.Fatal(err)
	}
}

// TestReportRecomputed: "oversight report" recomputes the server's report
// from the log's tiles and finds it equal; a server that changes one
// figure of its report is caught, the figure named.
func TestReportRecomputed(t *testing.T) {
	ls := newLogServer(t)
	ls.recordStory(600)
	ls.waitCheckpoint()
	code, out, errOut := ls.oversight("report")
	if code != 0 || !strings.Contains(out, "equals the one recomputed from the log") {
		t.Fatalf("report: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = ls.oversight("report", "-o", "json")
	var r transparency.Report
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("report -o json: exit %d\n%s%s", code, out, errOut)
	}
	var denied int64
	for _, row := range r.Rows {
		denied += row.UsesDenied
	}
	if denied != 200 {
		t.Errorf("recomputed %d denials, want 200", denied)
	}

	// The lying server: its log is the true one, its report says France
	// had one denial fewer.
	target, _ := url.Parse(ls.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(res *http.Response) error {
		if res.Request.URL.Path != "/v1/reports/transparency" {
			return nil
		}
		var r transparency.Report
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			return err
		}
		res.Body.Close()
		for i := range r.Rows {
			if r.Rows[i].Country == "FR" {
				r.Rows[i].UsesDenied--
				break
			}
		}
		b, _ := json.Marshal(r)
		res.Body = ioNopCloser{bytes.NewReader(b)}
		res.ContentLength = int64(len(b))
		res.Header.Del("Content-Length")
		return nil
	}
	liar := httptest.NewServer(proxy)
	defer liar.Close()
	honest := ls.url
	ls.url = liar.URL
	code, out, errOut = ls.oversight("report")
	ls.url = honest
	quarter := r.Rows[0].Quarter
	want := fmt.Sprintf("rows[FR %s].uses_denied: the server says 99, the log gives 100", quarter)
	if code != 1 || !strings.Contains(errOut, "differs from what its log shows, in 1 figures") || !strings.Contains(errOut, want) {
		t.Fatalf("report against the lying server: exit %d\n%s%s\nwant it to say %q", code, out, errOut, want)
	}
}

type ioNopCloser struct{ *bytes.Reader }

func (ioNopCloser) Close() error { return nil }
