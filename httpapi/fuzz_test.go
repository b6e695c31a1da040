package httpapi_test

import (
	"encoding/json"
	"testing"
)

// fuzzEndpoint posts arbitrary bodies to an endpoint: whatever the input,
// the answer is never a 5xx, and every 4xx is a problem document.
func fuzzEndpoint(f *testing.F, label, path string, seeds ...string) {
	e := newEnv(f)
	e.world()
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := *e
		e.t = t // helpers must report to the fuzz target's T
		code, b := e.call(label, "POST", path, body)
		if code >= 500 {
			t.Fatalf("%d for %q: %s", code, body, b)
		}
		if code >= 400 {
			var p problemDoc
			if err := json.Unmarshal(b, &p); err != nil || p.Status != code {
				t.Fatalf("%d without a problem document for %q: %s", code, body, b)
			}
		}
	})
}

func FuzzLicenseApplication(f *testing.F) {
	fuzzEndpoint(f, "vendor", "/v1/licenses",
		`{"kind":"marketing","product_id":"prd_1","end_user_id":"eu_1","scope":{"purposes":["terrorism"],"operations":["locate"],"max_active_operations":1,"valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z"}}`,
		`{"kind":"export","declaration_id":"dec_1","scope":{"blocked_country_codes":["+1"],"max_active_operations":-1}}`,
		`{"scope":null}`, `[]`, `{"kind":"marketing","kind":"export"}`, `{"Kind":"marketing"}`)
}

func FuzzDeclaration(f *testing.F) {
	fuzzEndpoint(f, "foreign_affairs", "/v1/declarations",
		`{"template":"IL-2021","end_user_id":"eu_1","signatory":{"name":"n","title":"t"},"signed_on":"2026-01-01","text_sha256":"00","signature":"AA=="}`,
		`{"template":"IL-2021","signatory":null}`, `{"signed_on":"2026-13-45"}`, `"x"`, `{}`)
}
