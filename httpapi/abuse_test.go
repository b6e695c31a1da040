package httpapi_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/reqsign"
)

// A deployment is retired without touching its licence: its stream gets a
// shutdown at once, its key is refused from then on (lease, decision,
// stream), the licence's other deployment goes on, and a second retirement
// is a conflict naming the status.
func TestRetireDeployment(t *testing.T) {
	e := newLeaseEnv(t, 0)
	dep := e.ids["deployment"]
	pub2, key2, _ := ed25519.GenerateKey(rand.Reader)
	var other id
	e.must("vendor", "POST", "/v1/deployments", map[string]any{"license_id": e.ids["license"], "label": "site 2", "public_key": oversight.EncodeKey(pub2)}, 201, &other)

	stream := e.events(t, "")
	next(t, stream, oversight.PushLease, nil)
	waitWatchers(t, e.svc, e.ids["license"], 1)

	e.must("vendor_b", "POST", "/v1/deployments/"+dep+"/retire", map[string]any{"reason": "not theirs"}, 404, nil)
	e.must("consular", "POST", "/v1/deployments/"+dep+"/retire", map[string]any{"reason": "no role"}, 403, nil)
	e.must("vendor", "POST", "/v1/deployments/"+dep+"/retire", map[string]any{}, 400, nil)
	var d oversight.Deployment
	e.must("vendor", "POST", "/v1/deployments/"+dep+"/retire", map[string]any{"reason": "site decommissioned"}, 200, &d)
	if d.Status != oversight.DeploymentRetired || d.Retired == nil || d.Retired.Reason != "site decommissioned" || d.Retired.LogIndex == 0 {
		t.Fatalf("retired deployment %+v", d)
	}
	var n oversight.ShutdownNotice
	next(t, stream, oversight.PushShutdown, &n)
	if n.DeploymentStatus != oversight.DeploymentRetired || n.Status != oversight.LicenseActive || n.Reason != "site decommissioned" || n.LogIndex != d.Retired.LogIndex {
		t.Errorf("shutdown notice %+v", n)
	}
	code, b := e.call("defense", "POST", "/v1/deployments/"+dep+"/retire", map[string]any{"reason": "again"})
	var p oversight.Problem
	if json.Unmarshal(b, &p); code != 409 || p.CurrentState != "retired" {
		t.Errorf("retiring twice: %d %s", code, b)
	}

	// The key is refused, whatever it signs.
	for _, req := range []*http.Request{
		signedReq(t, "POST", e.srv.URL+"/v1/deployments/"+dep+"/lease", nil, dep, e.keys[dep]),
		e.signedAuthorize(dep, e.keys[dep], mustJSON(t, operationRequest(dep)), time.Now()),
		signedReq(t, "GET", e.stream.URL+"/v1/deployments/"+dep+"/events", nil, dep, e.keys[dep]),
	} {
		code, b := e.send(req)
		var p oversight.Problem
		if json.Unmarshal(b, &p); code != 409 || p.CurrentState != "retired" {
			t.Errorf("%s %s by a retired deployment: %d %s", req.Method, req.URL.Path, code, b)
		}
	}
	// The licence and its other deployment go on.
	var lic oversight.License
	e.must("defense", "GET", "/v1/licenses/"+e.ids["license"], nil, 200, &lic)
	if lic.Status != oversight.LicenseActive {
		t.Errorf("licence %s after a retirement", lic.Status)
	}
	if code, b := e.send(signedReq(t, "POST", e.srv.URL+"/v1/deployments/"+other.ID+"/lease", nil, other.ID, key2)); code != 200 {
		t.Errorf("lease of the other deployment: %d %s", code, b)
	}
}

// One public key, one deployment: registering a key another deployment
// holds is a conflict, even on another licence.
func TestDeploymentKeyUnique(t *testing.T) {
	e := newEnv(t)
	e.world()
	dep := e.ids["deployment"]
	pub := e.keys[dep].Public().(ed25519.PublicKey)
	code, b := e.call("vendor", "POST", "/v1/deployments", map[string]any{"license_id": e.ids["license"], "label": "copy", "public_key": oversight.EncodeKey(pub)})
	if code != 409 {
		t.Fatalf("a second deployment with the key of %s: %d %s", dep, code, b)
	}
	var list oversight.List[oversight.Deployment]
	e.must("defense", "GET", "/v1/deployments?license="+e.ids["license"], nil, 200, &list)
	if len(list.Items) != 1 {
		t.Errorf("%d deployments after the refusal", len(list.Items))
	}
}

func signedReq(t *testing.T, method, url string, body []byte, dep string, key ed25519.PrivateKey) *http.Request {
	t.Helper()
	req, err := reqsign.NewRequest(method, url, body, dep, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// Beyond its burst, a token or a deployment gets 429 with Retry-After,
// and only that token or deployment: the others go on.
func TestRateLimits(t *testing.T) {
	e := newEnv(t)
	e.world()
	logger := slog.New(slog.DiscardHandler)
	api := httpapi.New(e.svc, httpapi.Options{Logger: logger,
		TokenLimit: httpapi.RateLimit{Rate: 0.01, Burst: 3}, DeploymentLimit: httpapi.RateLimit{Rate: 0.01, Burst: 2}})
	srv := httptest.NewServer(validating(t, api))
	defer srv.Close()
	e.srv = srv

	limited := func(what string, code int, res http.Header, b []byte) {
		t.Helper()
		var p oversight.Problem
		if code != 429 || json.Unmarshal(b, &p) != nil || p.Status != 429 {
			t.Fatalf("%s: %d %s; want a 429 problem document", what, code, b)
		}
		if s, err := strconv.Atoi(res.Get("Retry-After")); err != nil || s < 1 || s > 101 {
			t.Errorf("%s: Retry-After %q", what, res.Get("Retry-After"))
		}
	}
	do := func(req *http.Request) (int, http.Header, []byte) {
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var buf [4096]byte
		n, _ := res.Body.Read(buf[:])
		return res.StatusCode, res.Header, buf[:n]
	}
	get := func(label string) (int, http.Header, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/vendors", nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[label])
		return do(req)
	}
	for i := range 3 {
		if code, _, b := get("defense"); code != 200 {
			t.Fatalf("request %d within the burst: %d %s", i, code, b)
		}
	}
	code, h, b := get("defense")
	limited("the fourth request of a token", code, h, b)
	if code, _, b := get("foreign_affairs"); code != 200 {
		t.Errorf("another token: %d %s", code, b)
	}

	dep := e.ids["deployment"]
	lease := func() (int, http.Header, []byte) {
		return do(signedReq(t, "POST", srv.URL+"/v1/deployments/"+dep+"/lease", nil, dep, e.keys[dep]))
	}
	for i := range 2 {
		if code, _, b := lease(); code != 200 {
			t.Fatalf("lease %d within the burst: %d %s", i, code, b)
		}
	}
	code, h, b = lease()
	limited("the third request of a deployment", code, h, b)
	// A request that does not verify does not spend the allowance, nor is
	// it let through: it is refused for its signature.
	_, wrong, _ := ed25519.GenerateKey(rand.Reader)
	if code, _, b := do(signedReq(t, "POST", srv.URL+"/v1/deployments/"+dep+"/lease", nil, dep, wrong)); code != 401 {
		t.Errorf("a forged request: %d %s", code, b)
	}
}
