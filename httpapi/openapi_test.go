package httpapi_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight/httpapi"
)

// The OpenAPI document is valid OpenAPI 3.1, and it and the server agree on
// the routes: every route the server serves is documented, and every
// documented operation is served. Responses are checked against it in
// every test of this package (see validating).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	v := openapiValidator(t)
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("OpenAPI document: %s: %s", e.Message, e.Reason)
		}
	}
	b, err := httpapi.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	e := newEnv(t)
	served := map[string]bool{}
	wildcard := regexp.MustCompile(`\{([a-z0-9_]+)\.\.\.\}`)
	for _, r := range e.api.Routes() {
		p := r.Pattern
		if wildcard.MatchString(p) {
			// A tail wildcard (the tiles) is documented as one
			// templated path per form.
			prefix := p[:strings.Index(p, "{")]
			found := false
			for d := range documented {
				if strings.HasPrefix(d, r.Method+" "+prefix) {
					served[d] = true
					found = true
				}
			}
			if !found {
				t.Errorf("route %s %s is not in the OpenAPI document", r.Method, p)
			}
			continue
		}
		key := r.Method + " " + p
		served[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in the OpenAPI document", key)
		}
	}
	var missing []string
	for d := range documented {
		if !served[d] {
			missing = append(missing, d)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("documented operation %s is not served", m)
	}
}

// The document is served as JSON.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	code, b := e.call("", "GET", "/v1/openapi.json", nil)
	if code != 200 {
		t.Fatalf("GET /v1/openapi.json: %d", code)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if v["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", v["openapi"])
	}
}
