package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type problemDoc struct {
	Type         string `json:"type"`
	Title        string `json:"title"`
	Status       int    `json:"status"`
	Detail       string `json:"detail"`
	CurrentState string `json:"current_state"`
	Errors       []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (p problemDoc) fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// Bad input always gets a problem document that names every invalid field,
// with the right status; never a 500.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.world()
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `","country":"IL"}`
	tests := []struct {
		desc         string
		label        string
		method, path string
		body         any
		status       int
		fields       []string
	}{
		{"unknown field", "defense", "POST", "/v1/vendors", `{"name":"V","country":"IL","colour":"red"}`, 400, []string{"colour"}},
		{"unknown nested field", "vendor", "POST", "/v1/licenses",
			`{"kind":"marketing","product_id":"prd_x","end_user_id":"eu_x","scope":{"purposes":["terrorism"],"operations":["locate"],"max_active_operations":1,"valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z","extra":1}}`,
			400, []string{"scope.extra"}},
		{"malformed JSON", "defense", "POST", "/v1/vendors", `{"name":`, 400, []string{"body"}},
		{"wrong type", "defense", "POST", "/v1/vendors", `{"name":7,"country":"IL"}`, 400, []string{"name"}},
		{"every invalid field", "vendor", "POST", "/v1/licenses",
			`{"kind":"lease","product_id":"x","end_user_id":"","scope":{"purposes":["other"],"operations":["hack"],"blocked_country_codes":["44"],"max_active_operations":0,"valid_from":"2027-01-01T00:00:00Z","valid_until":"2026-01-01T00:00:00Z"}}`,
			400, []string{"kind", "product_id", "end_user_id", "scope.purposes[0]", "scope.operations[0]", "scope.blocked_country_codes[0]", "scope.max_active_operations", "scope.valid_until"}},
		{"bad time", "vendor", "POST", "/v1/licenses",
			`{"kind":"marketing","product_id":"prd_x","end_user_id":"eu_x","scope":{"purposes":["terrorism"],"operations":["locate"],"max_active_operations":1,"valid_from":"tomorrow","valid_until":"2027-01-01T00:00:00Z"}}`,
			400, []string{"scope.valid_from"}},
		{"bad declaration signature", "foreign_affairs", "POST", "/v1/declarations", func() any {
			d := e.declaration(e.ids["end_user"])
			d["signatory"] = map[string]string{"name": "Someone Else", "title": "Minister"}
			return d
		}(), 400, []string{"text_sha256"}},
		{"declaration signed by another key", "foreign_affairs", "POST", "/v1/declarations", func() any {
			d := e.declaration(e.ids["end_user"])
			d["signature"] = strings.Repeat("A", 86) + "=="
			return d
		}(), 400, []string{"signature"}},
		{"body too large", "defense", "POST", "/v1/vendors", big, 413, nil},
		{"bad limit", "defense", "GET", "/v1/vendors?limit=0", nil, 400, []string{"limit"}},
		{"bad status filter", "defense", "GET", "/v1/licenses?status=pending", nil, 400, []string{"status"}},
		{"unknown id", "defense", "GET", "/v1/licenses/lic_nope", nil, 404, nil},
		{"junk id", "defense", "GET", "/v1/licenses/junk%21", nil, 404, nil},
		{"id not text", "defense", "GET", "/v1/licenses/%00%ff", nil, 400, []string{"id"}},
		{"malformed query", "defense", "GET", "/v1/licenses?vendor_id=%zz", nil, 400, []string{"vendor_id"}},
		{"state conflict", "defense", "POST", "/v1/licenses/" + e.ids["license"] + "/approvals", `{"ministry":"defense","decision":"approve"}`, 409, nil},
		{"unknown endpoint", "defense", "GET", "/v1/nothing", nil, 404, nil},
		{"wrong method", "defense", "DELETE", "/v1/vendors", nil, 405, nil},
		{"bad token", "nobody", "GET", "/v1/vendors", nil, 401, nil},
	}
	e.tokens["nobody"] = "ovt_notarealtoken"
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			code, b := e.call(tc.label, tc.method, tc.path, tc.body)
			if code != tc.status {
				t.Fatalf("%d, want %d: %s", code, tc.status, b)
			}
			var p problemDoc
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatalf("not a problem document: %s", b)
			}
			if p.Status != code || p.Type == "" || p.Title == "" || p.Detail == "" {
				t.Errorf("incomplete problem document: %s", b)
			}
			for _, f := range tc.fields {
				if !contains(p.fields(), f) {
					t.Errorf("errors name %v, want %s among them", p.fields(), f)
				}
			}
			if code == 409 && p.CurrentState != "active" {
				t.Errorf("current_state = %q, want active", p.CurrentState)
			}
		})
	}
}

// A problem document is served as application/problem+json.
func TestProblemContentType(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/vendors", nil)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if res.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
}

// Every JSON body is refused, naming Content-Type, when it is declared as
// something else: a decoded body, an optional one, and a signed one.
func TestJSONContentType(t *testing.T) {
	e := newEnv(t)
	e.world()
	dep := e.ids["deployment"]
	withType := func(req *http.Request) *http.Request {
		req.Header.Set("Content-Type", "text/plain")
		return req
	}
	bearer := func(method, path, body string) *http.Request {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.tokens["defense"])
		return withType(req)
	}
	body, _ := json.Marshal(operationRequest(dep))
	for _, tc := range []struct {
		desc string
		req  *http.Request
	}{
		{"decoded", bearer("POST", "/v1/vendors", `{"name":"Plain Text Ltd","country":"IL"}`)},
		{"optional", bearer("POST", "/v1/cases/case_00000000000000000000000000/designations", `{}`)},
		{"signed", withType(e.signedAuthorize(dep, e.keys[dep], body, time.Now()))},
	} {
		code, b := e.send(tc.req)
		var p problemDoc
		if json.Unmarshal(b, &p); code != 400 || !slices.Equal(p.fields(), []string{"Content-Type"}) {
			t.Errorf("%s: %d %s, want 400 naming Content-Type", tc.desc, code, b)
		}
	}
}
