package httpapi_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/httpapi"
)

// A complaint, filed without an account: the secret reads it and adds to
// it, no secret or another complaint's does not; officials read the whole
// complaint, the others are refused; an officer triages it into a case,
// whose evidence carries its text while the log carries none of it.
func TestComplaints(t *testing.T) {
	e := newEnv(t)
	e.world()
	const text = "My phone was infected after I wrote about the contract; Amnesty's lab confirmed it. Quetzalcoatl-7"
	var rc oversight.ComplaintReceipt
	e.must("", "POST", "/v1/complaints", map[string]any{"text": text, "license_id": e.ids["license"], "country": "MX"}, 201, &rc)
	if !strings.HasPrefix(rc.Receipt, "cmp_") || !strings.HasPrefix(rc.Secret, oversight.ComplaintSecretPrefix) || rc.Status != oversight.ComplaintReceived {
		t.Fatalf("receipt %+v", rc)
	}
	var other oversight.ComplaintReceipt
	e.must("", "POST", "/v1/complaints", map[string]any{"text": "another"}, 201, &other)
	e.tokens["complainant"] = rc.Secret
	e.tokens["other"] = other.Secret
	e.tokens["forged"] = oversight.ComplaintSecretPrefix + "AAAA"

	path := "/v1/complaints/" + rc.Receipt
	var view map[string]any
	e.must("complainant", "GET", path, nil, 200, &view)
	if view["text"] != text || view["status"] != "received" {
		t.Errorf("complainant reads %v", view)
	}
	for _, who := range []string{"", "other", "forged"} {
		if code, b := e.call(who, "GET", path, nil); code != 401 {
			t.Errorf("GET %s as %q: %d %s, want 401", path, who, code, b)
		}
		if code, b := e.call(who, "POST", path, map[string]any{"text": "more"}); code != 401 {
			t.Errorf("POST %s as %q: %d %s, want 401", path, who, code, b)
		}
	}
	if code, b := e.call("defense", "POST", path, map[string]any{"text": "more"}); code != 401 {
		t.Errorf("an officer adds to a complaint: %d %s, want 401", code, b)
	}
	for _, role := range []string{"consular"} {
		if code, b := e.call(role, "GET", path, nil); code != 403 {
			t.Errorf("GET %s as %s: %d %s, want 403", path, role, code, b)
		}
	}
	var full oversight.Complaint
	e.must("foreign_affairs", "GET", path, nil, 200, &full)
	if full.Text != text || full.LicenseID != e.ids["license"] || full.Country != "MX" {
		t.Errorf("officer reads %+v", full)
	}

	e.must("complainant", "POST", path, map[string]any{"text": "They also read my messages."}, 200, &view)
	if adds, _ := view["additions"].([]any); len(adds) != 1 {
		t.Errorf("after adding: %v", view)
	}

	var list oversight.List[oversight.Complaint]
	e.must("defense", "GET", "/v1/complaints?status=received&license="+e.ids["license"], nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != rc.Receipt {
		t.Errorf("received complaints on the licence: %+v", list.Items)
	}

	var tr oversight.TriageResult
	e.must("defense", "POST", path+"/triage", map[string]any{"action": "new_case", "note": "We are looking into it."}, 200, &tr)
	if tr.Case == nil || tr.Case.Source != oversight.SourceComplaint || tr.Case.LicenseID != e.ids["license"] ||
		len(tr.Case.Evidence) != 1 || !strings.Contains(tr.Case.Evidence[0].Description, text) || tr.Complaint.CaseID != tr.Case.ID {
		t.Fatalf("triage: %+v", tr)
	}
	if code, b := e.call("defense", "POST", path+"/triage", map[string]any{"action": "dismiss", "note": "n"}); code != 409 {
		t.Errorf("triage twice: %d %s, want 409", code, b)
	}
	// The complainant sees the status and the note, not the case.
	e.must("complainant", "GET", path, nil, 200, &view)
	if view["status"] != "triaged" || view["note"] != "We are looking into it." || view["case_id"] != nil {
		t.Errorf("complainant reads after triage: %v", view)
	}
	// What the complainant adds now reaches the case.
	e.must("complainant", "POST", path, map[string]any{"text": "A second message arrived."}, 200, &view)
	var cs oversight.Case
	e.must("defense", "GET", "/v1/cases/"+tr.Case.ID, nil, 200, &cs)
	if len(cs.Evidence) != 2 || !strings.Contains(cs.Evidence[1].Description, "A second message arrived.") {
		t.Errorf("case evidence after an addition: %+v", cs.Evidence)
	}

	// The other one is dismissed with a note; attaching needs an open case.
	tr = oversight.TriageResult{}
	e.must("defense", "POST", "/v1/complaints/"+other.Receipt+"/triage", map[string]any{"action": "dismiss", "note": "Nothing we can act on."}, 200, &tr)
	if tr.Case != nil || tr.Complaint.Status != oversight.ComplaintDismissed {
		t.Errorf("dismissal: %+v", tr)
	}
	var third oversight.ComplaintReceipt
	e.must("", "POST", "/v1/complaints", map[string]any{"text": "same operation"}, 201, &third)
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"action": "new_case"}, "license_id"},
		{map[string]any{"action": "attach", "case_id": "case_nothere"}, "case_id"},
		{map[string]any{"action": "dismiss"}, "note"},
		{map[string]any{"action": "escalate"}, "action"},
	} {
		code, b := e.call("defense", "POST", "/v1/complaints/"+third.Receipt+"/triage", c.body)
		refusal(t, "triage "+c.field, code, b, c.field)
	}
	e.must("defense", "POST", "/v1/complaints/"+third.Receipt+"/triage", map[string]any{"action": "attach", "case_id": cs.ID}, 200, &tr)
	if tr.Case == nil || tr.Case.ID != cs.ID || len(tr.Case.Evidence) != 3 {
		t.Errorf("attach: %+v", tr.Case)
	}

	// The public log says that complaints were filed and triaged, never
	// what they say.
	var all []oversight.LogEntry
	for _, subject := range []string{rc.Receipt, other.Receipt, third.Receipt, cs.ID} {
		var entries struct {
			Items []oversight.LogEntry `json:"items"`
		}
		e.must("", "GET", "/v1/log/entries?limit=1000&subject="+subject, nil, 200, &entries)
		all = append(all, entries.Items...)
	}
	slices.SortFunc(all, func(a, b oversight.LogEntry) int { return cmp.Compare(a.Index, b.Index) })
	var types []string
	for _, en := range all {
		if bytes.Contains(en.Entry, []byte("Quetzalcoatl")) || bytes.Contains(en.Entry, []byte("second message")) || bytes.Contains(en.Entry, []byte("MX")) {
			t.Errorf("log entry %d carries the complaint: %s", en.Index, en.Entry)
		}
		var ev oversight.Event
		json.Unmarshal(en.Entry, &ev)
		if strings.HasPrefix(ev.Type, "complaint.") {
			types = append(types, ev.Type)
		}
	}
	if got := strings.Join(types, " "); got != "complaint.filed complaint.filed complaint.added complaint.triaged complaint.added complaint.triaged complaint.filed complaint.triaged" {
		t.Errorf("complaint events: %s", got)
	}
}

// A complaint is refused, naming the field, when its text is missing or
// too long or what it names does not exist.
func TestComplaintRefused(t *testing.T) {
	e := newEnv(t)
	e.world()
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"text": "  "}, "text"},
		{map[string]any{"text": strings.Repeat("x", oversight.MaxComplaintText+1)}, "text"},
		{map[string]any{"text": "t", "license_id": "nope"}, "license_id"},
		{map[string]any{"text": "t", "license_id": "lic_nothere"}, "license_id"},
		{map[string]any{"text": "t", "vendor_id": "ven_nothere"}, "vendor_id"},
		{map[string]any{"text": "t", "country": "Mexico"}, "country"},
		{map[string]any{"text": "t", "ip": "1.2.3.4"}, "ip"},
	} {
		code, b := e.call("", "POST", "/v1/complaints", c.body)
		refusal(t, "complaint with bad "+c.field, code, b, c.field)
	}
}

// Beyond its burst, a client address gets 429 with Retry-After on the
// complaints' public routes; refused input does not count, and officials'
// requests are not the complainants' limit.
func TestComplaintRateLimit(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	api := httpapi.New(e.svc, httpapi.Options{Logger: logger, TokenLimit: noLimit, ComplaintLimit: httpapi.RateLimit{Rate: 0.001, Burst: 2}})
	srv := httptest.NewServer(validating(t, api))
	defer srv.Close()
	e.srv = srv
	for range 3 {
		if code, b := e.call("", "POST", "/v1/complaints", map[string]any{"text": ""}); code != 400 {
			t.Fatalf("empty complaint: %d %s", code, b)
		}
	}
	var rc oversight.ComplaintReceipt
	e.must("", "POST", "/v1/complaints", map[string]any{"text": "one"}, 201, &rc)
	e.tokens["complainant"] = rc.Secret
	e.must("complainant", "GET", "/v1/complaints/"+rc.Receipt, nil, 200, nil)
	req, _ := http.NewRequest("GET", srv.URL+"/v1/complaints/"+rc.Receipt, nil)
	req.Header.Set("Authorization", "Bearer "+rc.Secret)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if s, _ := strconv.Atoi(res.Header.Get("Retry-After")); res.StatusCode != 429 || s < 1 {
		t.Errorf("third request: %d, Retry-After %q; want 429", res.StatusCode, res.Header.Get("Retry-After"))
	}
	e.must("defense", "GET", "/v1/complaints/"+rc.Receipt, nil, 200, nil)
	// The request log names routes, never the receipt or the secret.
	if strings.Contains(logs.String(), rc.Receipt) || strings.Contains(logs.String(), rc.Secret) || strings.Contains(logs.String(), "127.0.0.1") {
		t.Errorf("the request log carries the receipt, the secret or the address:\n%s", logs.String())
	}
}

// Behind a trusted reverse proxy (serve --trusted-proxy), each client the
// proxy names has a limit of its own; a client that is not the proxy
// cannot pick its bucket by writing the header itself.
func TestComplaintRateLimitBehindProxy(t *testing.T) {
	e := newEnv(t)
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	api := httpapi.New(e.svc, httpapi.Options{Logger: slog.New(slog.DiscardHandler), TokenLimit: noLimit,
		ComplaintLimit: httpapi.RateLimit{Rate: 0.001, Burst: 1}, TrustedProxies: []netip.Prefix{loopback}})
	srv := httptest.NewServer(validating(t, api))
	defer srv.Close()
	complain := func(srv *httptest.Server, client string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/complaints", strings.NewReader(`{"text": "a complaint"}`))
		req.Header.Set("Content-Type", "application/json")
		if client != "" {
			req.Header.Set("X-Forwarded-For", client)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, c := range []struct {
		client string
		want   int
	}{{"203.0.113.9", 201}, {"203.0.113.9", 429}, {"203.0.113.10", 201}, {"198.51.100.1, 203.0.113.10", 429}} {
		if got := complain(srv, c.client); got != c.want {
			t.Errorf("complaint from %s through the proxy: %d, want %d", c.client, got, c.want)
		}
	}
	// Without the proxy trusted, the header is the caller's word and
	// every request counts against the peer.
	plain := httptest.NewServer(validating(t, httpapi.New(e.svc, httpapi.Options{Logger: slog.New(slog.DiscardHandler), TokenLimit: noLimit,
		ComplaintLimit: httpapi.RateLimit{Rate: 0.001, Burst: 1}})))
	defer plain.Close()
	if a, b := complain(plain, "203.0.113.9"), complain(plain, "203.0.113.10"); a != 201 || b != 429 {
		t.Errorf("untrusted header: %d then %d, want 201 then 429", a, b)
	}
}
