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
		refusedWell(t, body, code, b)
	})
}

// refusedWell fails t if an answer to body is a 5xx, or a 4xx that is not
// a problem document; it reports whether it was a refusal.
func refusedWell(t *testing.T, body []byte, code int, b []byte) bool {
	t.Helper()
	if code >= 500 {
		t.Fatalf("%d for %q: %s", code, body, b)
	}
	if code >= 400 {
		var p problemDoc
		if err := json.Unmarshal(b, &p); err != nil || p.Status != code {
			t.Fatalf("%d without a problem document for %q: %s", code, body, b)
		}
		return true
	}
	return false
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

// FuzzComplaint posts arbitrary bodies to the public complaint endpoint:
// never a 5xx, every 4xx a problem document, and a complaint it accepts
// reads back, text and all, with the secret it answered and not without.
func FuzzComplaint(f *testing.F) {
	e := newEnv(f)
	e.world()
	for _, s := range []string{
		`{"text":"my phone was infected"}`,
		`{"text":"t","license_id":"lic_1","vendor_id":"ven_1","country":"MX"}`,
		`{"text":"\u00e9\ud83d\ude00 \u2028","country":"mx"}`,
		`{"text":""}`, `{"text":null}`, `{"text":"a","text":"b"}`, `{"Text":"a"}`, `{"text":"a","ip":"1.2.3.4"}`, `[]`, `"x"`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := *e
		e.t = t
		e.tokens = map[string]string{}
		code, b := e.call("", "POST", "/v1/complaints", body)
		if refusedWell(t, body, code, b) {
			return
		}
		var rc struct{ Receipt, Secret string }
		var sent struct{ Text string }
		if code != 201 || json.Unmarshal(b, &rc) != nil || json.Unmarshal(body, &sent) != nil {
			t.Fatalf("%d for %q: %s", code, body, b)
		}
		if code, _ := e.call("", "GET", "/v1/complaints/"+rc.Receipt, nil); code != 401 {
			t.Fatalf("read without the secret: %d", code)
		}
		e.tokens["complainant"] = rc.Secret
		var back struct{ Text string }
		e.must("complainant", "GET", "/v1/complaints/"+rc.Receipt, nil, 200, &back)
		if back.Text != sent.Text {
			t.Fatalf("text %q read back as %q", sent.Text, back.Text)
		}
	})
}
