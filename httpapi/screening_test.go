package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type match struct {
	DesignationID string  `json:"designation_id"`
	MatchedAlias  string  `json:"matched_alias"`
	Score         float64 `json:"score"`
	Basis         string  `json:"basis"`
	Relation      string  `json:"relation"`
	Delisted      bool    `json:"delisted"`
	Explanation   struct {
		Summary string `json:"summary"`
	} `json:"explanation"`
}

type screenResult struct {
	Matches     []match `json:"matches"`
	ScreeningID string  `json:"screening_id"`
	LogIndex    *int64  `json:"log_index"`
}

type batchLine struct {
	Row     int     `json:"row"`
	Name    string  `json:"name"`
	Matches []match `json:"matches"`
	Error   string  `json:"error"`
}

func TestScreening(t *testing.T) {
	e := newEnv(t)
	var d id
	e.must("defense", "POST", "/v1/designations", map[string]any{"name": "Radomir Feliksovich ZAVADSKY",
		"aliases": []string{"Радомир Феликсович Завадский"}, "birth_date": "1968-04-12", "nationality": "RU", "basis": "misuse"}, 201, &d)
	var spouse id
	e.must("foreign_affairs", "POST", "/v1/designations", map[string]any{"name": "Irina ZAVADSKAYA", "basis": "immediate_relative",
		"related_to": d.ID, "relation": "spouse"}, 201, &spouse)
	if code, body := e.call("consular", "POST", "/v1/designations", map[string]any{"name": "X", "basis": "misuse"}); code != 403 {
		t.Errorf("consular designating: %d %s", code, body)
	}
	if code, body := e.call("defense", "POST", "/v1/designations", map[string]any{"name": "X", "basis": "immediate_relative", "related_to": "des_nobody", "relation": "spouse"}); code != 400 ||
		!strings.Contains(string(body), `"field":"related_to"`) {
		t.Errorf("relative of nobody: %d %s", code, body)
	}

	// A typo, and Cyrillic: found, with why.
	for _, name := range []string{"Radomir Zavadskij", "Завадский Радомир"} {
		var res screenResult
		e.must("consular", "POST", "/v1/screen", map[string]any{"name": name, "birth_date": "1968", "nationality": "RU"}, 200, &res)
		if len(res.Matches) == 0 || res.Matches[0].DesignationID != d.ID || res.Matches[0].Score < 0.85 ||
			res.Matches[0].Explanation.Summary == "" || res.ScreeningID == "" || res.LogIndex == nil {
			t.Fatalf("screen %q: %+v", name, res)
		}
	}
	var res screenResult
	e.must("consular", "POST", "/v1/screen", map[string]any{"name": "Irina Zavadskaja"}, 200, &res)
	if len(res.Matches) == 0 || res.Matches[0].Relation != "spouse" || !strings.Contains(res.Matches[0].Explanation.Summary, "spouse of") {
		t.Errorf("spouse: %+v", res.Matches)
	}
	if code, body := e.call("consular", "POST", "/v1/screen", map[string]any{"name": "", "birth_date": "soon"}); code != 400 ||
		!strings.Contains(string(body), `"field":"birth_date"`) {
		t.Errorf("bad query: %d %s", code, body)
	}

	// Delisting.
	var del struct {
		DelistedAt   string `json:"delisted_at"`
		DelistReason string `json:"delist_reason"`
	}
	e.must("foreign_affairs", "POST", "/v1/designations/"+d.ID+"/delist", map[string]any{"reason": "court ruling"}, 200, &del)
	if del.DelistedAt == "" || del.DelistReason != "court ruling" {
		t.Errorf("delisted %+v", del)
	}
	if code, _ := e.call("defense", "POST", "/v1/designations/"+d.ID+"/delist", map[string]any{"reason": "again"}); code != 409 {
		t.Errorf("delisting twice: %d", code)
	}
	e.must("consular", "POST", "/v1/screen", map[string]any{"name": "Radomir Zavadsky"}, 200, &res)
	if len(res.Matches) != 0 {
		t.Errorf("delisted still matched: %+v", res.Matches)
	}
	e.must("consular", "POST", "/v1/screen", map[string]any{"name": "Radomir Zavadsky", "include_delisted": true}, 200, &res)
	if len(res.Matches) == 0 || !res.Matches[0].Delisted {
		t.Errorf("include_delisted: %+v", res.Matches)
	}
	var list struct{ Items []id }
	e.must("consular", "GET", "/v1/designations?status=delisted", nil, 200, &list)
	if len(list.Items) != 2 {
		t.Errorf("delisted: %+v", list.Items)
	}

	// Import, twice.
	imp := map[string]any{"designations": []map[string]any{
		{"name": "Yusuf Kamal AL-HARAZI", "aliases": []string{"يوسف كمال الحرازي"}, "birth_date": "1971", "nationality": "YE", "basis": "misuse", "source": "ofac-sdn:102"},
		{"name": "Jean-Pierre DE VILLIERS", "birth_date": "1962-07", "basis": "misuse", "source": "ofac-sdn:105"},
	}}
	if code, body := e.call("defense", "POST", "/v1/designations:import", imp); code != 400 || !strings.Contains(string(body), "designations[1].birth_date") {
		t.Errorf("bad import: %d %s", code, body)
	}
	imp["designations"].([]map[string]any)[1]["birth_date"] = "1962"
	var ir struct{ Added, Updated, Unchanged int }
	e.must("defense", "POST", "/v1/designations:import", imp, 200, &ir)
	if ir.Added != 2 {
		t.Errorf("import %+v", ir)
	}
	e.must("foreign_affairs", "POST", "/v1/designations:import", imp, 200, &ir)
	if ir.Added != 0 || ir.Unchanged != 2 {
		t.Errorf("import again %+v", ir)
	}
	e.must("consular", "POST", "/v1/screen", map[string]any{"name": "يوسف الحرازي"}, 200, &res)
	if len(res.Matches) == 0 || res.Matches[0].MatchedAlias != "يوسف كمال الحرازي" {
		t.Errorf("Arabic: %+v", res.Matches)
	}

	// The record, checked against the log.
	var rec struct {
		Verified bool   `json:"verified"`
		Actor    string `json:"actor"`
	}
	e.must("admin", "GET", "/v1/screenings/"+res.ScreeningID, nil, 200, &rec)
	if !rec.Verified || !strings.HasPrefix(rec.Actor, "consular:") {
		t.Errorf("record %+v", rec)
	}
	var sl struct{ Items []id }
	e.must("foreign_affairs", "GET", "/v1/screenings?name=Zavadsky+Radomir", nil, 200, &sl)
	if len(sl.Items) != 2 {
		t.Errorf("screenings of Radomir Zavadsky: %+v", sl.Items)
	}
}

func TestDesignateFromCaseAPI(t *testing.T) {
	e := newEnv(t)
	e.world()
	var c id
	e.must("defense", "POST", "/v1/cases", map[string]any{"source": "complaint", "license_id": e.ids["license"], "title": "Complaint by a journalist"}, 201, &c)
	body := map[string]any{"persons": []map[string]any{{"name": "Colonel Aurel DINU", "birth_date": "1970",
		"relatives": []map[string]any{{"name": "Ilinca DINU", "relation": "spouse"}}}}}
	var out struct {
		Added, Existing int
		Items           []struct {
			Status      string
			Designation struct {
				ID, Name, Basis, RelatedTo, Relation string
				CaseID                               string `json:"case_id"`
			}
		}
	}
	// From a case still open: refused, naming the state it must reach.
	if code, resp := e.call("foreign_affairs", "POST", "/v1/cases/"+c.ID+"/designations", body); code != 409 || !strings.Contains(string(resp), "substantiated") {
		t.Fatalf("from an open case: %d %s", code, resp)
	}
	e.must("defense", "PATCH", "/v1/cases/"+c.ID, map[string]any{"status": "investigating"}, 200, nil)
	e.must("defense", "PATCH", "/v1/cases/"+c.ID, map[string]any{"status": "substantiated", "findings": "The agency targeted the journalist."}, 200, nil)
	e.must("foreign_affairs", "POST", "/v1/cases/"+c.ID+"/designations", body, 200, &out)
	// The world's vendor has one owner, Yoav Ben-Ami, and no relatives on record.
	if out.Added != 3 || len(out.Items) != 3 || out.Items[0].Designation.Name != "Yoav Ben-Ami" || out.Items[0].Designation.Basis != "financial_gain" ||
		out.Items[2].Designation.Relation != "spouse" || out.Items[2].Designation.CaseID != c.ID {
		t.Fatalf("from case: %+v", out)
	}
	e.must("defense", "POST", "/v1/cases/"+c.ID+"/designations", body, 200, &out)
	if out.Added != 0 || out.Existing != 3 {
		t.Errorf("twice: %+v", out)
	}
	// Without a body: the vendor's people only.
	e.must("defense", "POST", "/v1/cases/"+c.ID+"/designations", nil, 200, &out)
	if out.Existing != 1 || len(out.Items) != 1 {
		t.Errorf("no body: %+v", out)
	}
	var cs struct {
		DesignationIDs []string `json:"designation_ids"`
	}
	e.must("admin", "GET", "/v1/cases/"+c.ID, nil, 200, &cs)
	if len(cs.DesignationIDs) != 3 {
		t.Errorf("case links %v", cs.DesignationIDs)
	}
}

// The batch is answered row by row while the client is still sending it:
// each answer arrives before the next row is sent, and a bad row in the
// middle is answered with its error while the batch goes on.
func TestScreenBatchStreams(t *testing.T) {
	e := newEnv(t)
	var d id
	e.must("defense", "POST", "/v1/designations", map[string]any{"name": "Yusuf Kamal AL-HARAZI", "aliases": []string{"يوسف كمال الحرازي"},
		"birth_date": "1971", "nationality": "YE", "basis": "misuse"}, 201, &d)
	// The server itself, not through the recorder that checks answers
	// against the OpenAPI document, which would hold the stream.
	srv := httptest.NewServer(e.api)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/screen:batch?limit=3", pr)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+e.tokens["consular"])
	type result struct {
		res *http.Response
		err error
	}
	resc := make(chan result, 1)
	go func() {
		res, err := srv.Client().Do(req)
		resc <- result{res, err}
	}()
	if _, err := io.WriteString(pw, "name,birth_date,nationality\nYusef Kamal Al Harazi,1971,YE\n"); err != nil {
		t.Fatal(err)
	}
	r := <-resc
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.res.Body.Close()
	if r.res.StatusCode != 200 || r.res.Header.Get("Content-Type") != "application/x-ndjson" || !strings.HasPrefix(r.res.Header.Get("Oversight-Screening-Id"), "scr_") {
		t.Fatalf("answer %d %v", r.res.StatusCode, r.res.Header)
	}
	answers := bufio.NewReader(r.res.Body)
	next := func() batchLine {
		t.Helper()
		s, err := answers.ReadString('\n')
		if err != nil {
			t.Fatalf("read answer: %v", err)
		}
		var l batchLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("answer line %q: %v", s, err)
		}
		return l
	}
	if l := next(); l.Row != 1 || len(l.Matches) == 0 || l.Matches[0].DesignationID != d.ID {
		t.Errorf("row 1: %+v", l)
	}
	io.WriteString(pw, "Ana Lima,1990-02-30,BR\n")
	if l := next(); l.Row != 2 || !strings.Contains(l.Error, "birth_date") {
		t.Errorf("row 2: %+v", l)
	}
	io.WriteString(pw, "يوسف الحرازي,,\n")
	if l := next(); l.Row != 3 || len(l.Matches) == 0 || l.Matches[0].DesignationID != d.ID || l.Name != "يوسف الحرازي" {
		t.Errorf("row 3: %+v", l)
	}
	io.WriteString(pw, "Nobody Known,,\n")
	if l := next(); l.Row != 4 || l.Matches == nil || len(l.Matches) != 0 {
		t.Errorf("row 4: %+v", l)
	}
	pw.Close()
	if rest, _ := io.ReadAll(answers); len(rest) != 0 {
		t.Errorf("after the last row: %q", rest)
	}
	// Its record: four rows, one in error, checked against the log.
	var rec struct {
		Rows, Errors int
		Verified     bool
		Kind         string
	}
	e.must("admin", "GET", "/v1/screenings/"+r.res.Header.Get("Oversight-Screening-Id"), nil, 200, &rec)
	if rec.Rows != 4 || rec.Errors != 1 || !rec.Verified || rec.Kind != "batch" {
		t.Errorf("record %+v", rec)
	}
}

func TestScreenBatchErrors(t *testing.T) {
	e := newEnv(t)
	call := func(ct, query, body string) (int, string) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/screen:batch"+query, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("Authorization", "Bearer "+e.tokens["consular"])
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, c := range []struct{ ct, query, body, want string }{
		{"application/json", "", "{}", "Content-Type"},
		{"text/csv", "", "surname\nX\n", "header"},
		{"text/csv", "", "", "header"},
		{"text/csv", "?limit=x", "name\nA\n", "limit"},
		{"text/csv", "?min_score=2", "name\nA\n", "min_score"},
	} {
		code, body := call(c.ct, c.query, c.body)
		if code != 400 || !strings.Contains(body, c.want) {
			t.Errorf("%s %q: %d %s, want 400 naming %s", c.ct, c.body, code, body, c.want)
		}
	}
	// JSON lines, through the recorder that checks the OpenAPI document.
	code, body := call("application/x-ndjson", "", `{"name": "A One"}`+"\n"+`{"nom": "B"}`+"\n")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if code != 200 || len(lines) != 2 || !strings.Contains(lines[0], `"matches":[]`) || !strings.Contains(lines[1], `"error"`) {
		t.Errorf("JSON lines: %d %s", code, body)
	}
}
