package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

// A person files a complaint through the public form and is shown the
// receipt and the secret once; the status page opens it with both, not
// with a wrong secret, and takes an addition; an officer finds it among
// the complaints and triages it into a case, and the complainant then
// reads that it was taken up.
func TestComplaintPages(t *testing.T) {
	w := newWorld(t)
	rec := w.do("", "POST", "/complaint", url.Values{"text": {"They followed me after my article. Xochimilco-9"}, "license_id": {w.lic.ID}, "country": {"mx"}})
	if rec.Code != http.StatusCreated || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("filing: %d %q:\n%s", rec.Code, rec.Header().Get("Cache-Control"), rec.Body)
	}
	receipt := regexp.MustCompile(`id="receipt">(cmp_[0-9a-z]+)<`).FindStringSubmatch(rec.Body.String())
	secret := regexp.MustCompile(`id="secret">(ovc_[A-Za-z0-9_-]+)<`).FindStringSubmatch(rec.Body.String())
	if receipt == nil || secret == nil {
		t.Fatalf("no receipt or secret shown:\n%s", rec.Body)
	}
	open := func(s, text string) string {
		t.Helper()
		rec := w.do("", "POST", "/complaint/status", url.Values{"receipt": {receipt[1]}, "secret": {s}, "text": {text}})
		noTrace(t, "status page", rec)
		return rec.Body.String()
	}
	if body := open(secret[1], ""); !strings.Contains(body, "Xochimilco-9") || !strings.Contains(body, `id="complaint-status">received<`) {
		t.Errorf("status page with the secret:\n%s", body)
	}
	if body := open("ovc_wrong", ""); strings.Contains(body, "Xochimilco-9") || !strings.Contains(body, `id="e-secret"`) {
		t.Errorf("status page with a wrong secret:\n%s", body)
	}
	if body := open(secret[1], "A car waits outside."); !strings.Contains(body, "A car waits outside.") {
		t.Errorf("addition not shown:\n%s", body)
	}

	rec = w.do(oversight.RoleDefense, "GET", "/complaints?status=received", nil)
	if !strings.Contains(rec.Body.String(), receipt[1]) {
		t.Errorf("the officer's list lacks the complaint:\n%s", rec.Body)
	}
	rec = w.do(oversight.RoleDefense, "GET", "/complaints/"+receipt[1], nil)
	if !strings.Contains(rec.Body.String(), "A car waits outside.") || !strings.Contains(rec.Body.String(), "Triage") {
		t.Errorf("the officer's complaint page:\n%s", rec.Body)
	}
	rec = w.do(oversight.RoleDefense, "POST", "/complaints/"+receipt[1]+"/triage", url.Values{"action": {"new_case"}, "title": {"Surveillance of a reporter"}, "note": {"We opened an investigation."}})
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/case_") {
		t.Fatalf("triage: %d to %q:\n%s", rec.Code, loc, rec.Body)
	}
	rec = w.do(oversight.RoleDefense, "GET", strings.SplitN(loc, "?", 2)[0], nil)
	if !strings.Contains(rec.Body.String(), "Surveillance of a reporter") || !strings.Contains(rec.Body.String(), "Xochimilco-9") {
		t.Errorf("the case from the complaint:\n%s", rec.Body)
	}
	if body := open(secret[1], ""); !strings.Contains(body, "We opened an investigation.") || !strings.Contains(body, `id="complaint-status">triaged<`) || strings.Contains(body, "case_") {
		t.Errorf("status after triage:\n%s", body)
	}
}
