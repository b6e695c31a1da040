package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/reportsign"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// env is a running API over a fresh SQLite store with a small world in it,
// every response checked against the OpenAPI document.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	svc    *service.Service
	api    *httpapi.Server
	tokens map[string]string // role label → secret
	ids    map[string]string // fixture name → id
	keys   map[string]ed25519.PrivateKey
	dsn    string // the database, for tests that edit it behind the server's back
}

var (
	specOnce sync.Once
	spec     validator.Validator
	specErr  error
)

func openapiValidator(t testing.TB) validator.Validator {
	specOnce.Do(func() {
		b, err := httpapi.OpenAPI()
		if err != nil {
			specErr = err
			return
		}
		doc, err := libopenapi.NewDocument(b)
		if err != nil {
			specErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			specErr = fmt.Errorf("openapi: %v", errs)
			return
		}
		spec = v
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	return spec
}

// validating records each response and checks it against the OpenAPI
// document; a response that does not match fails the test.
func validating(t testing.TB, h http.Handler) http.Handler {
	v := openapiValidator(t)
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		body := rec.Body.Bytes()
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
		if rec.Code == http.StatusNotFound && strings.Contains(string(body), "no such endpoint") ||
			rec.Code == http.StatusMethodNotAllowed {
			return // not a route of the document
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		defer mu.Unlock()
		if ok, errs := v.ValidateHttpResponse(r, res); !ok {
			for _, e := range errs {
				t.Errorf("%s %s → %d does not match the OpenAPI document: %s %s\n%s", r.Method, r.URL.Path, rec.Code, e.Message, e.Reason, body)
			}
		}
	})
}

// noLimit lifts the rate limits in tests that send many requests with one
// token; TestRateLimits checks them.
var noLimit = httpapi.RateLimit{Rate: -1}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, "sqlite")
}

// newEnvOn is newEnv over a fresh store of kind (storetest.Kinds), served
// on httpapi.Listener as serve does.
func newEnvOn(t testing.TB, kind string) *env {
	t.Helper()
	dsn := storetest.DSN(t, kind)
	st := storetest.OpenDSN(t, dsn)
	logger := slog.New(slog.DiscardHandler)
	svc, err := service.New(t.Context(), st, service.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(svc, httpapi.Options{Logger: logger, MaxBody: 64 << 10, TokenLimit: noLimit, DeploymentLimit: noLimit, ComplaintLimit: noLimit})
	srv := httptest.NewUnstartedServer(validating(t, api))
	srv.Listener = httpapi.Listener(srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, svc: svc, api: api, tokens: map[string]string{}, ids: map[string]string{}, keys: map[string]ed25519.PrivateKey{}, dsn: dsn}
	for _, x := range []struct {
		label string
		p     oversight.Principal
	}{
		{"admin", oversight.Principal{Role: oversight.RoleAdmin, Name: "A"}},
		{"defense", oversight.Principal{Role: oversight.RoleDefense, Name: "D1"}},
		{"defense2", oversight.Principal{Role: oversight.RoleDefense, Name: "D2"}},
		{"foreign_affairs", oversight.Principal{Role: oversight.RoleForeignAffairs, Name: "F1"}},
		{"consular", oversight.Principal{Role: oversight.RoleConsular, Name: "C1"}},
	} {
		_, secret, err := svc.CreateUserWithToken(context.Background(), service.Operator, &oversight.User{Name: x.p.Name, Role: x.p.Role, VendorID: x.p.VendorID, EndUserID: x.p.EndUserID}, &oversight.TokenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[x.label] = secret
	}
	return e
}

// call sends a request as the holder of token label ("" for none) and
// returns the status and body.
func (e *env) call(label, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if label != "" {
		tok, ok := e.tokens[label]
		if !ok {
			e.t.Fatalf("no token %q", label)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// must sends a request that must answer want, and decodes the answer into
// out if not nil.
func (e *env) must(label, method, path string, body any, want int, out any) {
	e.t.Helper()
	code, b := e.call(label, method, path, body)
	if code != want {
		e.t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, label, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
}

// id is the id of an object in a JSON answer.
type id struct {
	ID string `json:"id"`
}

func scope() oversight.Scope {
	now := time.Now().UTC().Truncate(time.Second)
	return oversight.Scope{Purposes: []oversight.Category{"terrorism", "serious_crime"}, Operations: oversight.Operations,
		BlockedCountryCodes: []string{"+1"}, MaxActiveOperations: 10, ValidFrom: now, ValidUntil: now.AddDate(1, 0, 0)}
}

// world builds two vendors (with tokens "vendor" and "vendor_b"), a
// product of the first at export_ready ("product"), an eligible country,
// an agency (token "end_user") with a declaration, an active export licence
// ("license"), an applied one ("applied") and a deployment ("deployment").
func (e *env) world() {
	e.t.Helper()
	ctx := context.Background()
	var v, vb id
	e.must("defense", "POST", "/v1/vendors", map[string]any{"name": "Kestrel Dynamics", "country": "IL",
		"persons": []map[string]any{{"name": "Yoav Ben-Ami", "role": "owner", "share": 60}}}, 201, &v)
	e.must("admin", "POST", "/v1/vendors", map[string]any{"name": "Other Vendor", "country": "CY"}, 201, &vb)
	e.ids["vendor"], e.ids["vendor_b"] = v.ID, vb.ID
	for label, vid := range map[string]string{"vendor": v.ID, "vendor_b": vb.ID} {
		_, secret, err := e.svc.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: oversight.RoleVendor, VendorID: vid, Name: label}, &oversight.TokenRequest{})
		if err != nil {
			e.t.Fatal(err)
		}
		e.tokens[label] = secret
	}
	var p id
	e.must("vendor", "POST", "/v1/products", map[string]any{"name": "Harrier", "capabilities": []string{"zero_click"}, "control_entries": []string{"4.A.5"}}, 201, &p)
	e.ids["product"] = p.ID
	for _, st := range oversight.Stages {
		var r id
		sub := map[string]any{"stage": st, "dossier": "d", "safeguards": oversight.Safeguards}
		if st == oversight.StageTesting {
			sub["evidence"] = reportsign.Fixture(p.ID)
		}
		e.must("vendor", "POST", "/v1/products/"+p.ID+"/reviews", sub, 201, &r)
		e.must("defense", "POST", "/v1/reviews/"+r.ID+"/decision", map[string]any{"decision": "approve"}, 200, nil)
		e.ids["review"] = r.ID
	}
	var pb id
	e.must("vendor_b", "POST", "/v1/products", map[string]any{"name": "Wick", "capabilities": []string{"locate"}, "control_entries": []string{"4.D.4"}}, 201, &pb)
	e.ids["product_b"] = pb.ID
	e.must("defense", "PUT", "/v1/countries/FR", map[string]any{"tier": "eligible"}, 200, nil)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	var eu id
	e.must("foreign_affairs", "POST", "/v1/end-users", map[string]any{"country": "FR", "agency": "Directorate", "kind": "law_enforcement",
		"signing_key": oversight.EncodeKey(pub)}, 201, &eu)
	e.ids["end_user"] = eu.ID
	e.keys[eu.ID] = priv
	_, secret, err := e.svc.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: oversight.RoleEndUser, EndUserID: eu.ID, Name: "agency"}, &oversight.TokenRequest{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.tokens["end_user"] = secret
	e.ids["declaration"] = e.declare(eu.ID)

	var mkt, exp, applied id
	e.must("vendor", "POST", "/v1/licenses", map[string]any{"kind": "marketing", "product_id": p.ID, "end_user_id": eu.ID, "scope": scope()}, 201, &mkt)
	e.approveBoth(mkt.ID)
	e.must("vendor", "POST", "/v1/licenses", map[string]any{"kind": "export", "product_id": p.ID, "end_user_id": eu.ID,
		"declaration_id": e.ids["declaration"], "scope": scope()}, 201, &exp)
	e.approveBoth(exp.ID)
	e.must("vendor", "POST", "/v1/licenses", map[string]any{"kind": "export", "product_id": p.ID, "end_user_id": eu.ID,
		"declaration_id": e.ids["declaration"], "scope": scope()}, 201, &applied)
	e.ids["marketing"], e.ids["license"], e.ids["applied"] = mkt.ID, exp.ID, applied.ID

	dpub, dpriv, _ := ed25519.GenerateKey(rand.Reader)
	var d id
	e.must("vendor", "POST", "/v1/deployments", map[string]any{"license_id": exp.ID, "label": "site 1", "public_key": oversight.EncodeKey(dpub)}, 201, &d)
	e.ids["deployment"] = d.ID
	e.keys[d.ID] = dpriv
}

func (e *env) approveBoth(licenseID string) {
	e.t.Helper()
	e.must("defense", "POST", "/v1/licenses/"+licenseID+"/approvals", map[string]any{"ministry": "defense", "decision": "approve"}, 200, nil)
	e.must("foreign_affairs", "POST", "/v1/licenses/"+licenseID+"/approvals", map[string]any{"ministry": "foreign_affairs", "decision": "approve"}, 200, nil)
}

// declaration returns a correctly signed declaration submission.
func (e *env) declaration(euID string) map[string]any {
	sub := map[string]any{"template": "IL-2021", "end_user_id": euID, "signatory": map[string]string{"name": "C. Dumont", "title": "Minister"}, "signed_on": "2026-01-15"}
	code, text := e.call("foreign_affairs", "POST", "/v1/declarations:text", sub)
	if code != 200 {
		e.t.Fatalf("declaration text: %d %s", code, text)
	}
	sum := sha256.Sum256(text)
	sub["text_sha256"] = hex.EncodeToString(sum[:])
	sub["signature"] = oversight.EncodeKey(ed25519.Sign(e.keys[euID], text))
	return sub
}

func (e *env) declare(euID string) string {
	var d id
	e.must("foreign_affairs", "POST", "/v1/declarations", e.declaration(euID), 201, &d)
	return d.ID
}
