package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reqsign"
	"github.com/oversight-dev/oversight/store/storetest"
)

// badText are JSON string literals that are not text: NUL, invalid UTF-8
// and an unpaired surrogate, each with the message that refuses it.
var badText = []struct{ literal, msg string }{
	{`"a\u0000b"`, "NUL"},
	{"\"caf\xe9\"", "UTF-8"},
	{`"\ud800x"`, "UTF-16"},
}

// badParam are query or path values that are not text, %-encoded.
var badParam = []string{"%00", "a%00b", "%FF", "%ED%A0%80", "%C3"}

// bodies holds a well-formed body of every route that takes JSON, its
// string fields filled in; each string is replaced in turn by badText.
func bodies(ids map[string]string) map[string]any {
	person := map[string]any{"name": "Dalia Levin", "aliases": []string{"D. Levin"}, "role": "owner", "title": "CEO", "share": 10,
		"birth_date": "1970", "nationality": "IL",
		"relatives": []map[string]any{{"name": "Noa Levin", "aliases": []string{"N. L."}, "relation": "spouse", "birth_date": "1972", "nationality": "IL"}}}
	evidence := []map[string]any{{"kind": "forensic_report", "ref": "R-1", "description": "d", "sha256": strings.Repeat("a", 64)}}
	type m = map[string]any
	return map[string]any{
		"POST /v1/vendors":                                     m{"name": "V", "country": "IL", "address": "a", "persons": []any{person}},
		"PATCH /v1/vendors/{id}":                               m{"name": "V", "country": "IL", "address": "a", "add_persons": []any{person}, "remove_persons": []string{"per_x"}},
		"PATCH /v1/end-users/{id}":                             m{"agency": "A", "kind": "military", "country": "FR", "signing_key": oversight.EncodeKey(make([]byte, 32))},
		"POST /v1/products":                                    m{"vendor_id": ids["vendor"], "name": "P", "description": "d", "capabilities": []string{"locate"}, "control_entries": []string{"4.A.5"}},
		"POST /v1/products/{id}/reviews":                       m{"stage": "concept", "dossier": "d", "safeguards": []string{"audit_hook"}, "conditions_met": []string{"c"}},
		"POST /v1/reviews/{id}/decision":                       m{"decision": "approve", "conditions": []string{"c"}, "notes": "n"},
		"PUT /v1/countries/{iso2}":                             m{"tier": "eligible", "notes": "n"},
		"POST /v1/end-users":                                   m{"country": "FR", "agency": "A", "kind": "law_enforcement", "signing_key": oversight.EncodeKey(make([]byte, 32))},
		"POST /v1/declarations:text":                           m{"template": "IL-2021", "end_user_id": ids["end_user"], "signatory": map[string]any{"name": "n", "title": "t"}, "signed_on": "2026-01-15"},
		"POST /v1/declarations":                                m{"template": "IL-2021", "end_user_id": ids["end_user"], "signatory": map[string]any{"name": "n", "title": "t"}, "signed_on": "2026-01-15", "text_sha256": strings.Repeat("a", 64), "signature": "c2ln"},
		"POST /v1/licenses":                                    m{"kind": "marketing", "vendor_id": ids["vendor"], "product_id": ids["product"], "end_user_id": ids["end_user"], "declaration_id": ids["declaration"], "scope": scope()},
		"POST /v1/licenses/{id}/approvals":                     m{"ministry": "defense", "decision": "approve", "reason": "r"},
		"POST /v1/licenses/{id}/party-matches/{match}/clear":   m{"reason": "r"},
		"POST /v1/licenses/{id}/party-matches/{match}/confirm": m{"reason": "r"},
		"POST /v1/licenses/{id}/actions":                       m{"kind": "restrict", "reason": "r", "case_id": "case_x", "restriction": map[string]any{"id": "act_x", "purposes": []string{"terrorism"}, "operations": []string{"locate"}, "blocked_country_codes": []string{"+7"}}},
		"POST /v1/actions/{id}/approvals":                      m{"decision": "approve"},
		"POST /v1/deployments":                                 m{"license_id": ids["license"], "label": "l", "public_key": oversight.EncodeKey(make([]byte, 32))},
		"POST /v1/deployments/{id}/retire":                     m{"reason": "r"},
		"POST /v1/protected":                                   m{"id_hash": strings.Repeat("b", 64), "category": "journalist"},
		"POST /v1/cases":                                       m{"source": "complaint", "license_id": ids["license"], "title": "t", "operation_ids": []string{"op_x"}, "evidence": evidence},
		"PATCH /v1/cases/{id}":                                 m{"status": "investigating", "findings": "f", "add_evidence": evidence, "add_operations": []string{"op_x"}, "link_designations": []string{"des_x"}},
		"POST /v1/designations":                                m{"name": "N", "aliases": []string{"A"}, "birth_date": "1970", "nationality": "RU", "basis": "misuse", "related_to": "des_x", "relation": "spouse", "case_id": "case_x", "program": "p", "remarks": "r"},
		"POST /v1/designations/{id}/delist":                    m{"reason": "r"},
		"POST /v1/designations:import":                         m{"designations": []map[string]any{{"id": "des_x", "name": "N", "aliases": []string{"A"}, "birth_date": "1970", "nationality": "RU", "basis": "misuse", "source": "s", "program": "p", "remarks": "r"}}},
		"POST /v1/cases/{id}/designations":                     m{"persons": []map[string]any{{"name": "N", "aliases": []string{"A"}, "birth_date": "1970", "nationality": "RU", "relatives": person["relatives"]}}},
		"POST /v1/screen":                                      m{"name": "N", "birth_date": "1970", "nationality": "RU", "limit": 5, "min_score": 0.5},
		"PATCH /v1/deployments/{id}": m{"infrastructure": m{"domains": []string{"c2.example.net"}, "ip_ranges": []string{"203.0.113.0/24"},
			"cert_sha256": []string{strings.Repeat("c", 64)}, "app_ids": []string{"com.example.app"}}},
		"POST /v1/cases/{id}/actions":          m{"kind": "restrict", "reason": "r", "restriction": map[string]any{"purposes": []string{"terrorism"}, "operations": []string{"locate"}, "blocked_country_codes": []string{"+7"}}},
		"POST /v1/complaints":                  m{"text": "t", "license_id": ids["license"], "vendor_id": ids["vendor"], "country": "MX"},
		"POST /v1/complaints/{receipt}":        m{"text": "t"},
		"POST /v1/complaints/{receipt}/triage": m{"action": "new_case", "license_id": ids["license"], "title": "t", "case_id": "case_x", "note": "n"},
		"POST /v1/evidence": m{"type": "bundle", "id": "bundle--34d0032b-b342-4076-955d-6c0020fe693a", "objects": []any{
			m{"type": "malware", "spec_version": "2.1", "id": "malware--2e9d534b-2e11-4758-bdc5-9c3e1c100d4d", "name": "N"},
			m{"type": "indicator", "spec_version": "2.1", "id": "indicator--05b7c427-1452-437e-a19e-32590edf60c3",
				"pattern": "[domain-name:value='c2.example.net']", "pattern_type": "stix", "x_note": "custom"}}},
	}
}

// notJSON are the routes whose body is not a JSON document of their own.
var notJSON = map[string]bool{
	"POST /v1/protected:import":             true, // hex lines
	"POST /v1/screen:batch":                 true, // CSV or JSON lines
	"POST /v1/deployments/{id}/lease":       true, // empty, signed
	"POST /v1/authorize":                    true, // signed; below
	"POST /v1/deployments/{id}/countersign": true, // signed; a kit report, refused whole if any value differs from what was signed
	"GET /v1/deployments/{id}/events":       true,
}

// stringPaths returns the JSON path of every string in v.
func stringPaths(v any, path string) []string {
	var out []string
	switch x := v.(type) {
	case string:
		return []string{path}
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, stringPaths(e, p)...)
		}
	case []any:
		for i, e := range x {
			out = append(out, stringPaths(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	sort.Strings(out)
	return out
}

// withLiteral returns the JSON of v, a decoded document, with the string
// at path replaced by the raw literal lit.
func withLiteral(t *testing.T, v any, path, lit string) []byte {
	t.Helper()
	const mark = "\x01mark\x01"
	var set func(v any, p string) any
	set = func(v any, p string) any {
		switch x := v.(type) {
		case string:
			if p == path {
				return mark
			}
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				q := k
				if p != "" {
					q = p + "." + k
				}
				out[k] = set(e, q)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = set(e, fmt.Sprintf("%s[%d]", p, i))
			}
			return out
		}
		return v
	}
	b, err := json.Marshal(set(v, ""))
	if err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(mark)
	if !bytes.Contains(b, quoted) {
		t.Fatalf("no string at %s", path)
	}
	return bytes.Replace(b, quoted, []byte(lit), 1)
}

// refusal decodes a problem document and checks that it is a 400 naming
// field (any field when field is "").
func refusal(t *testing.T, what string, code int, body []byte, field string) {
	t.Helper()
	var p oversight.Problem
	if code != 400 || json.Unmarshal(body, &p) != nil || p.Status != 400 {
		t.Errorf("%s: %d %s; want a 400 problem document", what, code, body)
		return
	}
	if field != "" && !slices.ContainsFunc(p.Errors, func(f oversight.FieldError) bool { return f.Field == field }) {
		t.Errorf("%s: %s; want the field %q named", what, body, field)
	}
}

// The bad-input campaign, on both databases, through the real HTTP server:
// NUL, invalid UTF-8 and unpaired surrogates in every string of every JSON
// body, in every path parameter and in the query filters are refused with
// a 400 naming the field, before any database sees them; so are malformed
// query strings and paths, and content types that are not exactly JSON.
// Nothing answers 5xx, and every listing still answers afterwards.
func TestBadInputCampaign(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnvOn(t, kind)
			e.world()
			ids := e.ids
			var sent, refused int
			fill := func(pattern string) string {
				r := strings.NewReplacer("{id}", "x", "{match}", "pm_x", "{iso2}", "FR", "{index}", "0", "{path...}", "tile/0/000", "{receipt}", "cmp_x")
				return r.Replace(pattern)
			}

			t.Run("bodies", func(t *testing.T) {
				bs := bodies(ids)
				for _, rt := range e.api.Routes() {
					key := rt.Method + " " + rt.Pattern
					if rt.Method == "GET" || notJSON[key] {
						continue
					}
					body, ok := bs[key]
					if !ok {
						t.Errorf("%s takes a body and has none in the campaign: add one to bodies", key)
						continue
					}
					raw, _ := json.Marshal(body)
					var doc any
					json.Unmarshal(raw, &doc)
					for _, path := range stringPaths(doc, "") {
						for _, bad := range badText {
							code, b := e.call("admin", rt.Method, fill(rt.Pattern), withLiteral(t, doc, path, bad.literal))
							sent++
							refusal(t, fmt.Sprintf("%s with %s at %s", key, bad.msg, path), code, b, path)
							refused++
						}
					}
				}
				// A signed request: the operation request's strings.
				dep := ids["deployment"]
				var doc any
				raw, _ := json.Marshal(operationRequest(dep))
				json.Unmarshal(raw, &doc)
				for _, path := range stringPaths(doc, "") {
					for _, bad := range badText {
						code, b := e.send(e.signedAuthorize(dep, e.keys[dep], withLiteral(t, doc, path, bad.literal), time.Now()))
						sent++
						refusal(t, fmt.Sprintf("authorize with %s at %s", bad.msg, path), code, b, path)
					}
				}
			})

			t.Run("path parameters", func(t *testing.T) {
				for _, rt := range e.api.Routes() {
					if !strings.Contains(rt.Pattern, "{") {
						continue
					}
					name := rt.Pattern[strings.Index(rt.Pattern, "{")+1 : strings.Index(rt.Pattern, "}")]
					name = strings.TrimSuffix(name, "...")
					for _, bad := range badParam {
						path := strings.NewReplacer("{"+name+"}", bad, "{"+name+"...}", "0/"+bad).Replace(rt.Pattern)
						path = fill(path)
						var body any
						if rt.Method != "GET" {
							body = "{}"
						}
						code, b := e.call("admin", rt.Method, path, body)
						sent++
						refusal(t, rt.Method+" "+path, code, b, name)
					}
				}
			})

			t.Run("query filters", func(t *testing.T) {
				filters := []string{"after", "limit", "license", "vendor_id", "end_user_id", "country", "tier", "status", "basis", "case_id",
					"related_to", "source", "subject", "actor", "name", "deployment", "decision", "category", "index", "tree_size", "old", "new"}
				for _, rt := range e.api.Routes() {
					if rt.Method != "GET" || strings.Contains(rt.Pattern, "{") || rt.Pattern == "/metrics" {
						continue
					}
					for _, f := range filters {
						for _, bad := range append(badParam, "%zz") {
							code, b := e.call("admin", "GET", rt.Pattern+"?"+f+"="+bad, nil)
							sent++
							refusal(t, "GET "+rt.Pattern+"?"+f+"="+bad, code, b, f)
						}
					}
					code, b := e.call("admin", "GET", rt.Pattern+"?limit=5;after=x", nil)
					refusal(t, "GET "+rt.Pattern+" with ; separators", code, b, "query")
				}
			})

			t.Run("content types", func(t *testing.T) {
				body := `{"name": "Content Type Vendor", "country": "IL"}`
				for ct, want := range map[string]int{
					"application/json; charset=UTF-8":   201,
					"application/jsonx":                 400,
					"application/json; charset=latin1":  400,
					"text/plain":                        400,
					"application/x-www-form-urlencoded": 400,
				} {
					req, _ := http.NewRequest("POST", e.srv.URL+"/v1/vendors", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
					req.Header.Set("Content-Type", ct)
					code, b := e.send(req)
					if want == 201 {
						if code != 201 {
							t.Errorf("Content-Type %q: %d %s", ct, code, b)
						}
						continue
					}
					refusal(t, "Content-Type "+ct, code, b, "Content-Type")
				}
				dep := ids["deployment"]
				req, _ := reqsign.NewRequest("POST", e.srv.URL+"/v1/authorize", mustJSON(t, operationRequest(dep)), dep, e.keys[dep], time.Now())
				req.Header.Set("Content-Type", "application/json-seq")
				code, b := e.send(req)
				refusal(t, "authorize as application/json-seq", code, b, "Content-Type")
			})

			t.Run("malformed requests", func(t *testing.T) {
				addr := e.srv.Listener.Addr().String()
				for _, target := range []string{"/v1/vendors/%zz", "/v1/vendors/a%", "/v1/vendors/a b", "/v1/vendors/\x01", "/v1/log/entries/\x7f"} {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						t.Fatal(err)
					}
					fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
					res, err := http.ReadResponse(bufio.NewReader(c), nil)
					if err != nil {
						t.Fatalf("%q: %v", target, err)
					}
					b, _ := io.ReadAll(res.Body)
					c.Close()
					if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
						t.Errorf("%q: %d %s %q; want a problem document", target, res.StatusCode, ct, b)
						continue
					}
					refusal(t, fmt.Sprintf("GET %q", target), res.StatusCode, b, "")
				}
			})

			// Text that is valid, however unusual, goes through and reads
			// back the same on both databases.
			t.Run("valid text", func(t *testing.T) {
				reason := "Ünïcødé 😀 \u2028 \\u0000 «quoted» 漢字"
				var act oversight.Action
				e.must("defense", "POST", "/v1/licenses/"+ids["license"]+"/actions", map[string]any{"kind": "suspend", "reason": reason}, 201, &act)
				var back oversight.Action
				e.must("admin", "GET", "/v1/actions/"+act.ID, nil, 200, &back)
				if back.Reason != reason {
					t.Errorf("reason %q read back as %q", reason, back.Reason)
				}
			})

			// After all that, every listing answers.
			for _, rt := range e.api.Routes() {
				if rt.Method != "GET" || strings.Contains(rt.Pattern, "{") || strings.HasPrefix(rt.Pattern, "/log/") {
					continue
				}
				if code, b := e.call("admin", "GET", rt.Pattern, nil); code >= 500 {
					t.Errorf("GET %s after the campaign: %d %s", rt.Pattern, code, b)
				}
			}
			t.Logf("%d bad requests, %d with a body", sent, refused)
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
