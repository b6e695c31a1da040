package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/reqsign"
)

// targetHash is the keyed hash of an invented identifier.
func targetHash(s string) string {
	sum := sha256.Sum256([]byte("id:" + s))
	return hex.EncodeToString(sum[:])
}

// operationRequest is a request of deployment dep that IL-2021 permits.
func operationRequest(dep string) map[string]any {
	return map[string]any{
		"deployment_id": dep, "operation": "intercept",
		"target":      map[string]any{"id_hash": targetHash("+33 6 98 76 54 32"), "country_code": "+33"},
		"legal_basis": map[string]any{"category": "terrorism", "act": "kidnapping", "offense": "kidnapping of a magistrate", "statute": "art. 421-1"},
		"case_ref":    "PNAT-2026-77", "warrant_ref": "JLD-2026-301", "justification": "the group holds a hostage",
	}
}

// signedAuthorize builds POST /v1/authorize with body, signed as dep with
// key at time at (reqsign adds a random nonce, so that equal bodies make
// distinct requests).
func (e *env) signedAuthorize(dep string, key ed25519.PrivateKey, body []byte, at time.Time) *http.Request {
	e.t.Helper()
	req, err := reqsign.NewRequest("POST", e.srv.URL+"/v1/authorize", body, dep, key, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return req
}

// send sends a request and returns the status and the body.
func (e *env) send(req *http.Request) (int, []byte) {
	e.t.Helper()
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// decide has the world's deployment ask for body (a map or raw bytes) and
// returns the status and the answer.
func (e *env) decide(body any) (int, []byte) {
	e.t.Helper()
	b, ok := body.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(body); err != nil {
			e.t.Fatal(err)
		}
	}
	dep := e.ids["deployment"]
	return e.send(e.signedAuthorize(dep, e.keys[dep], b, time.Now()))
}

func TestAuthorizeHTTP(t *testing.T) {
	e := newEnv(t)
	e.world()
	dep := e.ids["deployment"]

	code, b := e.decide(operationRequest(dep))
	var dec oversight.Decision
	if code != 200 || json.Unmarshal(b, &dec) != nil {
		t.Fatalf("authorize: %d %s", code, b)
	}
	if dec.Decision != oversight.Permit || dec.Reasons[0].Code != "IL2021-2" || dec.ExpiresAt == nil || dec.LogIndex == nil || dec.OperationID == "" {
		t.Fatalf("decision %s, want a permit citing IL2021-2 with its operation, log index and expiry", b)
	}
	var op oversight.OperationRecord
	e.must("end_user", "GET", "/v1/operations/"+dec.OperationID, nil, 200, &op)
	if op.Decision != oversight.Permit || op.LogIndex != *dec.LogIndex || op.Target.IDHash != targetHash("+33 6 98 76 54 32") {
		t.Errorf("operation %+v", op)
	}
	var list oversight.List[oversight.OperationRecord]
	e.must("vendor", "GET", "/v1/operations?license="+e.ids["license"]+"&decision=permit", nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != op.ID {
		t.Errorf("listing %+v", list)
	}

	// The typed client signs the same way.
	cl := client.New(e.srv.URL, "").AsDeployment(dep, e.keys[dep])
	r := &oversight.OperationRequest{Operation: oversight.OpLocate, Target: oversight.Target{IDHash: targetHash("x"), CountryCode: "+44"},
		LegalBasis: oversight.LegalBasis{Category: oversight.CategorySeriousCrime, MaxSentenceYears: new(int)}, WarrantRef: "W-1"}
	*r.LegalBasis.MaxSentenceYears = 3
	d2, err := cl.Authorize(context.Background(), r)
	if err != nil || d2.Decision != oversight.Deny || d2.Reasons[0].Code != "IL2021-1" {
		t.Errorf("client: %+v, %v; want a deny citing IL2021-1", d2, err)
	}
}

// Every request that is not a fresh, well-formed request of the signing
// deployment is refused, and none of them is stored.
func TestAuthorizeHTTPRefused(t *testing.T) {
	e := newEnv(t)
	e.world()
	dep, key := e.ids["deployment"], e.keys[e.ids["deployment"]]
	good, _ := json.Marshal(operationRequest(dep))
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	// A deployment of the second vendor's… there is one licence; register
	// a second deployment on it to sign for the first.
	opub, okey, _ := ed25519.GenerateKey(rand.Reader)
	var other id
	e.must("vendor", "POST", "/v1/deployments", map[string]any{"license_id": e.ids["license"], "label": "site 2", "public_key": oversight.EncodeKey(opub)}, 201, &other)

	now := time.Now()
	withBody := func(m func(map[string]any)) []byte {
		r := operationRequest(dep)
		m(r)
		b, _ := json.Marshal(r)
		return b
	}
	tests := []struct {
		desc   string
		req    func() *http.Request
		code   int
		detail string
		field  string
	}{
		{"unsigned", func() *http.Request {
			r, _ := http.NewRequest("POST", e.srv.URL+"/v1/authorize", bytes.NewReader(good))
			return r
		}, 401, "not signed", ""},
		{"wrong key", func() *http.Request { return e.signedAuthorize(dep, otherKey, good, now) }, 401, "does not verify", ""},
		{"unknown deployment", func() *http.Request { return e.signedAuthorize("dep_00000000000000000000000000", key, good, now) }, 401, "unknown deployment", ""},
		{"stale", func() *http.Request { return e.signedAuthorize(dep, key, good, now.Add(-time.Minute)) }, 401, "outside the accepted window", ""},
		{"body changed after signing", func() *http.Request {
			r := e.signedAuthorize(dep, key, good, now)
			r.Body = io.NopCloser(bytes.NewReader(withBody(func(m map[string]any) { m["operation"] = "extract" })))
			r.ContentLength = -1
			return r
		}, 401, "does not verify", ""},
		{"signed by another deployment", func() *http.Request { return e.signedAuthorize(other.ID, okey, good, now) }, 403, "cannot ask for", ""},
		{"bad category", func() *http.Request {
			return e.signedAuthorize(dep, key, withBody(func(m map[string]any) { m["legal_basis"] = map[string]any{"category": "espionage"} }), now)
		}, 400, "", "legal_basis.category"},
		{"unknown field", func() *http.Request {
			return e.signedAuthorize(dep, key, withBody(func(m map[string]any) { m["target_name"] = "Jean Dupont" }), now)
		}, 400, "", "target_name"},
		{"short hash", func() *http.Request {
			return e.signedAuthorize(dep, key, withBody(func(m map[string]any) { m["target"] = map[string]any{"id_hash": "abc", "country_code": "+33"} }), now)
		}, 400, "", "target.id_hash"},
		{"not JSON", func() *http.Request { return e.signedAuthorize(dep, key, []byte("intercept everyone"), now) }, 400, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			code, b := e.send(tc.req())
			var p problemDoc
			json.Unmarshal(b, &p)
			if code != tc.code || !strings.Contains(p.Detail, tc.detail) || tc.field != "" && !slices.Contains(p.fields(), tc.field) {
				t.Errorf("%d %s, want %d %q naming %q", code, b, tc.code, tc.detail, tc.field)
			}
		})
	}

	t.Run("replayed", func(t *testing.T) {
		req := e.signedAuthorize(dep, key, good, time.Now())
		replay := req.Clone(context.Background())
		replay.Body = io.NopCloser(bytes.NewReader(good))
		if code, b := e.send(req); code != 200 {
			t.Fatalf("first: %d %s", code, b)
		}
		code, b := e.send(replay)
		var p problemDoc
		json.Unmarshal(b, &p)
		if code != 401 || !strings.Contains(p.Detail, "replayed") {
			t.Errorf("replay: %d %s, want 401 replayed", code, b)
		}
	})
	var list oversight.List[oversight.OperationRecord]
	e.must("defense", "GET", "/v1/operations?license="+e.ids["license"], nil, 200, &list)
	if len(list.Items) != 1 {
		t.Errorf("%d operations stored, want only the replayed request's first", len(list.Items))
	}
}

// A request against a protected person is denied and opens a case that
// officials can read.
func TestAuthorizeHTTPProtected(t *testing.T) {
	e := newEnv(t)
	e.world()
	h := targetHash("+33 6 98 76 54 32")
	list := "# press freedom list\n" + strings.ToUpper(h) + "\n" + targetHash("another reporter") + "\n"
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/protected:import?category=journalist", strings.NewReader(list))
	req.Header.Set("Authorization", "Bearer "+e.tokens["foreign_affairs"])
	req.Header.Set("Content-Type", "text/plain")
	code, b := e.send(req)
	var imp oversight.ProtectedImport
	if code != 200 || json.Unmarshal(b, &imp) != nil || imp.Added != 2 || imp.Received != 2 {
		t.Fatalf("import: %d %s", code, b)
	}
	// A bad line is named, and nothing is loaded.
	req, _ = http.NewRequest("POST", e.srv.URL+"/v1/protected:import?category=diplomat", strings.NewReader(targetHash("envoy")+"\nnot a hash\n"))
	req.Header.Set("Authorization", "Bearer "+e.tokens["defense"])
	code, b = e.send(req)
	var p problemDoc
	if json.Unmarshal(b, &p); code != 400 || !slices.Equal(p.fields(), []string{"line 2"}) {
		t.Errorf("bad list: %d %s, want 400 naming line 2", code, b)
	}
	e.must("defense", "POST", "/v1/protected", map[string]any{"id_hash": targetHash("envoy"), "category": "diplomat"}, 201, nil)
	e.must("defense", "POST", "/v1/protected", map[string]any{"id_hash": targetHash("envoy"), "category": "other"}, 200, nil)

	code, b = e.decide(operationRequest(e.ids["deployment"]))
	var dec oversight.Decision
	if code != 200 || json.Unmarshal(b, &dec) != nil || dec.Decision != oversight.Deny || !slices.ContainsFunc(dec.Reasons, func(r oversight.Reason) bool { return r.Code == "SCOPE-PROTECTED" }) {
		t.Fatalf("protected target: %d %s, want a SCOPE-PROTECTED deny", code, b)
	}
	var cases oversight.List[oversight.Case]
	e.must("foreign_affairs", "GET", "/v1/cases?license="+e.ids["license"]+"&source=rule", nil, 200, &cases)
	if len(cases.Items) != 1 || !slices.Equal(cases.Items[0].OperationIDs, []string{dec.OperationID}) {
		t.Fatalf("cases %+v, want one about operation %s", cases.Items, dec.OperationID)
	}
	var c oversight.Case
	e.must("defense", "PATCH", "/v1/cases/"+cases.Items[0].ID, map[string]any{"status": "closed", "findings": "confirmed"}, 200, &c)
	if c.Status != oversight.CaseClosed {
		t.Errorf("case %+v, want closed", c)
	}
	e.must("vendor", "GET", "/v1/cases/"+c.ID, nil, 403, nil)
}

// Whatever a deployment signs and sends, the answer is a decision or a
// problem document, never a 5xx.
func FuzzAuthorize(f *testing.F) {
	e := newEnv(f)
	e.world()
	dep := e.ids["deployment"]
	good, _ := json.Marshal(operationRequest(dep))
	for _, s := range []string{string(good), `{}`, `[]`, `null`, `{"deployment_id":"` + dep + `"}`,
		`{"deployment_id":"` + dep + `","operation":"intercept","target":{"id_hash":"` + strings.Repeat("A", 64) + `","country_code":"+0"},"legal_basis":{"category":"serious_crime","max_sentence_years":201}}`,
		`{"deployment_id":"` + dep + `","operation":"locate","target":{"id_hash":"` + strings.Repeat("0", 64) + `","country_code":"+1"},"legal_basis":{"category":"other","conduct":["Bad Word"]},"grounds":["religion","religion"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := *e
		e.t = t
		code, b := e.send(e.signedAuthorize(dep, e.keys[dep], body, time.Now()))
		switch {
		case code == 200:
			var d oversight.Decision
			if err := json.Unmarshal(b, &d); err != nil || d.OperationID == "" || len(d.Reasons) == 0 {
				t.Fatalf("200 without a decision for %q: %s", body, b)
			}
		case code == 400 || code == 403 || code == 413:
			var p problemDoc
			if err := json.Unmarshal(b, &p); err != nil || p.Status != code {
				t.Fatalf("%d without a problem document for %q: %s", code, body, b)
			}
		default:
			t.Fatalf("%d for %q: %s", code, body, b)
		}
	})
}
