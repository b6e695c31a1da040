package httpapi_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/lease"
	"github.com/oversight-dev/oversight/reqsign"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// leaseEnv is the test world (env.world) on a service with the given lease
// lifetime, plus a server without the OpenAPI check for event streams,
// which never end and so cannot be recorded and checked.
type leaseEnv struct {
	*env
	stream *httptest.Server
}

func newLeaseEnv(t *testing.T, ttl time.Duration) *leaseEnv {
	t.Helper()
	e := newEnv(t)
	if ttl != 0 {
		logger := slog.New(slog.DiscardHandler)
		svc, err := service.New(t.Context(), storetest.Open(t, "sqlite"), service.Options{Logger: logger, LeaseTTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		e.svc = svc
		e.api = httpapi.New(svc, httpapi.Options{Logger: logger, MaxBody: 64 << 10, TokenLimit: noLimit, DeploymentLimit: noLimit})
		e.srv.Config.Handler = validating(t, e.api)
		for label, p := range map[string]oversight.Principal{
			"admin": {Role: oversight.RoleAdmin, Name: "A"}, "defense": {Role: oversight.RoleDefense, Name: "D1"},
			"defense2": {Role: oversight.RoleDefense, Name: "D2"}, "foreign_affairs": {Role: oversight.RoleForeignAffairs, Name: "F1"},
		} {
			_, secret, err := svc.CreateUserWithToken(context.Background(), service.Operator, &oversight.User{Name: p.Name, Role: p.Role, VendorID: p.VendorID, EndUserID: p.EndUserID}, &oversight.TokenRequest{})
			if err != nil {
				t.Fatal(err)
			}
			e.tokens[label] = secret
		}
	}
	e.world()
	le := &leaseEnv{env: e, stream: httptest.NewServer(e.api)}
	t.Cleanup(func() {
		le.stream.CloseClientConnections()
		le.stream.Close()
	})
	return le
}

// deployment returns a client acting as the world's deployment, on the
// validating server.
func (e *leaseEnv) deployment() *client.Deployment {
	return client.New(e.srv.URL, "").AsDeployment(e.ids["deployment"], e.keys[e.ids["deployment"]])
}

// action orders an enforcement action and, for the two-ministry kinds,
// has foreign affairs approve it.
func (e *leaseEnv) action(kind string, extra map[string]any) string {
	e.t.Helper()
	body := map[string]any{"kind": kind, "reason": "test " + kind}
	for k, v := range extra {
		body[k] = v
	}
	var a id
	e.must("defense", "POST", "/v1/licenses/"+e.ids["license"]+"/actions", body, 201, &a)
	if oversight.ActionKind(kind).NeedsBothMinistries() {
		e.must("foreign_affairs", "POST", "/v1/actions/"+a.ID+"/approvals", map[string]any{"decision": "approve"}, 200, nil)
	}
	return a.ID
}

func leaseKey(t *testing.T, e *leaseEnv) ed25519.PublicKey {
	t.Helper()
	k, err := client.New(e.srv.URL, "").LeaseKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A deployment gets a lease that verifies offline with the published key
// and names it, its licence and the policy version.
func TestLeaseIssued(t *testing.T) {
	e := newLeaseEnv(t, 0)
	l, err := e.deployment().Lease(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, err := lease.Verify(leaseKey(t, e), l.Token, e.ids["deployment"], time.Now())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if v.License != e.ids["license"] || v.Deployment != e.ids["deployment"] || v.ID != l.ID {
		t.Errorf("claims %+v; answer %+v", v.Claims, l)
	}
	if v.Lifetime() != lease.DefaultTTL {
		t.Errorf("lifetime %s, want %s", v.Lifetime(), lease.DefaultTTL)
	}
	var lic oversight.License
	e.must("defense", "GET", "/v1/licenses/"+e.ids["license"], nil, 200, &lic)
	if v.PolicyVersion != lic.PolicyVersion {
		t.Errorf("policy version %d, licence has %d", v.PolicyVersion, lic.PolicyVersion)
	}
	// The lease is in the audit log.
	var ev *oversight.Event
	err = e.svc.Store().View(context.Background(), func(tx *store.Tx) (err error) {
		ev, err = tx.Event(l.LogIndex)
		return err
	})
	if err != nil || ev.Type != oversight.EventLeaseIssued || ev.Subject != e.ids["deployment"] {
		t.Errorf("log entry %d: %+v, %v", l.LogIndex, ev, err)
	}
}

// The lease endpoint refuses every request that is not the deployment's
// own, fresh and new, and a licence that is not active.
func TestLeaseRefused(t *testing.T) {
	e := newLeaseEnv(t, 0)
	dep := e.ids["deployment"]
	path := "/v1/deployments/" + dep + "/lease"
	// A second deployment of the same licence.
	opub, okey, _ := ed25519.GenerateKey(rand.Reader)
	var other id
	e.must("vendor", "POST", "/v1/deployments", map[string]any{"license_id": e.ids["license"], "label": "site 2", "public_key": oversight.EncodeKey(opub)}, 201, &other)

	send := func(req *http.Request) (int, string) {
		t.Helper()
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var p oversight.Problem
		json.NewDecoder(res.Body).Decode(&p)
		return res.StatusCode, p.Detail + " " + p.CurrentState
	}
	signed := func(id string, key ed25519.PrivateKey, at time.Time) *http.Request {
		req, err := reqsign.NewRequest("POST", e.srv.URL+path, nil, id, key, at)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	now := time.Now()
	tests := []struct {
		desc string
		req  func() *http.Request
		code int
		want string
	}{
		{"unsigned", func() *http.Request { r, _ := http.NewRequest("POST", e.srv.URL+path, nil); return r }, 401, "not signed"},
		{"signed by another deployment", func() *http.Request { return signed(other.ID, okey, now) }, 403, "cannot act for " + dep},
		{"signed with the wrong key", func() *http.Request {
			r := signed(dep, okey, now)
			return r
		}, 401, "does not verify"},
		{"stale", func() *http.Request { return signed(dep, e.keys[dep], now.Add(-2*time.Minute)) }, 401, "outside the accepted window"},
		{"from the future", func() *http.Request { return signed(dep, e.keys[dep], now.Add(2*time.Minute)) }, 401, "outside the accepted window"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			code, detail := send(tc.req())
			if code != tc.code || !strings.Contains(detail, tc.want) {
				t.Errorf("%d %q, want %d %q", code, detail, tc.code, tc.want)
			}
		})
	}

	t.Run("replayed", func(t *testing.T) {
		req := signed(dep, e.keys[dep], time.Now())
		replay := req.Clone(context.Background())
		if code, detail := send(req); code != 200 {
			t.Fatalf("first: %d %s", code, detail)
		}
		if code, detail := send(replay); code != 401 || !strings.Contains(detail, "replayed") {
			t.Errorf("replay: %d %q, want 401 replayed", code, detail)
		}
	})

	t.Run("licence suspended", func(t *testing.T) {
		e.action("suspend", nil)
		_, err := e.deployment().Lease(context.Background())
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != 409 || ce.Problem.CurrentState != "suspended" {
			t.Fatalf("err = %v, want 409 naming suspended", err)
		}
		e.action("reinstate", nil)
		if _, err := e.deployment().Lease(context.Background()); err != nil {
			t.Fatalf("after reinstatement: %v", err)
		}
	})

	t.Run("deployment retired", func(t *testing.T) {
		err := e.svc.Store().Update(context.Background(), func(tx *store.Tx) error {
			d, err := tx.Deployment(other.ID)
			if err != nil {
				return err
			}
			d.Status = oversight.DeploymentRetired
			return tx.UpdateDeployment(d)
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.New(e.srv.URL, "").AsDeployment(other.ID, okey).Lease(context.Background())
		code := oversight.ErrorCode(err)
		if code != oversight.ECONFLICT && code != oversight.EUNAUTHORIZED {
			t.Fatalf("err = %v, want a refusal", err)
		}
	})

	t.Run("licence revoked", func(t *testing.T) {
		e.action("revoke", nil)
		_, err := e.deployment().Lease(context.Background())
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != 409 || ce.Problem.CurrentState != "revoked" {
			t.Fatalf("err = %v, want 409 naming revoked", err)
		}
	})
}

// events reads a deployment's events on the stream server.
func (e *leaseEnv) events(t *testing.T, last string) *client.EventStream {
	t.Helper()
	d := client.New(e.stream.URL, "").AsDeployment(e.ids["deployment"], e.keys[e.ids["deployment"]])
	s, err := d.Events(context.Background(), last, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func next(t *testing.T, s *client.EventStream, typ string, data any) client.Event {
	t.Helper()
	ev, err := s.Next()
	if err != nil {
		t.Fatalf("waiting for %s: %v", typ, err)
	}
	if ev.Type != typ {
		t.Fatalf("event %s %s, want %s", ev.Type, ev.Data, typ)
	}
	if data != nil {
		if err := json.Unmarshal(ev.Data, data); err != nil {
			t.Fatalf("%s data: %v", typ, err)
		}
	}
	return ev
}

// The event stream: the state on connecting, then every enforcement
// action to every connected stream at once, resumable with Last-Event-ID.
func TestEvents(t *testing.T) {
	e := newLeaseEnv(t, 0)
	key := leaseKey(t, e)
	dep := e.ids["deployment"]
	a, b := e.events(t, ""), e.events(t, "")
	for _, s := range []*client.EventStream{a, b} {
		var l oversight.Lease
		next(t, s, oversight.PushLease, &l)
		if _, err := lease.Verify(key, l.Token, dep, time.Now()); err != nil {
			t.Fatalf("pushed lease: %v", err)
		}
	}
	waitWatchers(t, e.svc, e.ids["license"], 2)

	// Suspension reaches both streams.
	act := e.action("suspend", map[string]any{"case_id": "case_01test"})
	var ids []string
	for _, s := range []*client.EventStream{a, b} {
		var n oversight.ShutdownNotice
		ev := next(t, s, oversight.PushShutdown, &n)
		if n.Status != oversight.LicenseSuspended || n.ActionID != act || n.Kind != "suspend" || n.Reason != "test suspend" || n.CaseID != "case_01test" {
			t.Errorf("shutdown notice %+v", n)
		}
		ids = append(ids, ev.ID)
	}
	if ids[0] == "" || ids[0] != ids[1] {
		t.Errorf("event ids %q", ids)
	}
	// A lease cannot be had while suspended, and the reinstatement pushes one.
	e.action("reinstate", nil)
	var l oversight.Lease
	reinstated := next(t, a, oversight.PushLease, &l)
	if _, err := lease.Verify(key, l.Token, dep, time.Now()); err != nil {
		t.Fatalf("lease after reinstatement: %v", err)
	}
	b.Close()

	// A restriction: the notice, then a lease naming the new policy version.
	restrict := e.action("restrict", map[string]any{"restriction": map[string]any{"purposes": []string{"terrorism"}}})
	var rn oversight.RestrictNotice
	next(t, a, oversight.PushRestrict, &rn)
	if rn.ActionID != restrict || rn.Rule != "RESTRICT-"+restrict || len(rn.Restriction.Purposes) != 1 {
		t.Errorf("restrict notice %+v", rn)
	}
	var l2 oversight.Lease
	next(t, a, oversight.PushLease, &l2)
	if l2.PolicyVersion != rn.PolicyVersion || l2.PolicyVersion <= l.PolicyVersion {
		t.Errorf("lease policy version %d after restriction to %d (was %d)", l2.PolicyVersion, rn.PolicyVersion, l.PolicyVersion)
	}

	// A stream that saw up to the reinstatement resumes: the restriction it
	// missed, then the state now.
	c := e.events(t, reinstated.ID)
	var missed oversight.RestrictNotice
	next(t, c, oversight.PushRestrict, &missed)
	if missed.ActionID != restrict {
		t.Errorf("replayed %+v", missed)
	}
	next(t, c, oversight.PushLease, nil)
	// One that saw everything gets only the state now.
	d := e.events(t, "999999")
	next(t, d, oversight.PushLease, nil)

	// Revocation: shutdown everywhere, and a new stream is told at once.
	e.action("revoke", nil)
	for _, s := range []*client.EventStream{a, c, d} {
		var n oversight.ShutdownNotice
		next(t, s, oversight.PushShutdown, &n)
		if n.Status != oversight.LicenseRevoked {
			t.Errorf("after revoke: %+v", n)
		}
	}
	// A new stream hears of the restrictions in force, then of the state.
	fresh := e.events(t, "")
	next(t, fresh, oversight.PushRestrict, nil)
	var n oversight.ShutdownNotice
	next(t, fresh, oversight.PushShutdown, &n)
	if n.Status != oversight.LicenseRevoked || n.Kind != "revoke" || n.ActionID == "" {
		t.Errorf("on connecting to a revoked licence: %+v", n)
	}
}

func waitWatchers(t *testing.T, svc *service.Service, license string, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); svc.Watchers(license) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d watchers, want %d", svc.Watchers(license), n)
		}
	}
}

// The stream refuses what the lease endpoint refuses: another deployment's
// signature, a replay, a bad Last-Event-ID.
func TestEventsRefused(t *testing.T) {
	e := newLeaseEnv(t, 0)
	dep := e.ids["deployment"]
	path := "/v1/deployments/" + dep + "/events"
	opub, okey, _ := ed25519.GenerateKey(rand.Reader)
	var other id
	e.must("vendor", "POST", "/v1/deployments", map[string]any{"license_id": e.ids["license"], "label": "site 2", "public_key": oversight.EncodeKey(opub)}, 201, &other)
	do := func(req *http.Request) int {
		t.Helper()
		res, err := e.stream.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	req, _ := reqsign.NewRequest("GET", e.stream.URL+path, nil, other.ID, okey, time.Now())
	if code := do(req); code != 403 {
		t.Errorf("another deployment: %d, want 403", code)
	}
	req, _ = reqsign.NewRequest("GET", e.stream.URL+path, nil, dep, e.keys[dep], time.Now())
	req.Header.Set("Last-Event-ID", "yesterday")
	if code := do(req); code != 400 {
		t.Errorf("bad Last-Event-ID: %d, want 400", code)
	}
	req, _ = reqsign.NewRequest("GET", e.stream.URL+path, nil, dep, e.keys[dep], time.Now())
	replay := req.Clone(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	res, err := e.stream.Client().Do(req.WithContext(ctx))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("first: %v %v", res, err)
	}
	cancel()
	res.Body.Close()
	if code := do(replay); code != 401 {
		t.Errorf("replay: %d, want 401", code)
	}
}

// Heartbeats come as comment lines, a quarter of the lease lifetime apart
// with short leases.
func TestEventsHeartbeat(t *testing.T) {
	e := newLeaseEnv(t, 4*time.Second)
	dep := e.ids["deployment"]
	req, _ := reqsign.NewRequest("GET", e.stream.URL+"/v1/deployments/"+dep+"/events", nil, dep, e.keys[dep], time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := e.stream.Client().Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(res.Body)
	pings := 0
	start := time.Now()
	for pings < 2 && sc.Scan() {
		if sc.Text() == ": ping" {
			pings++
		}
	}
	if pings < 2 {
		t.Fatalf("%d heartbeats before the stream ended: %v", pings, sc.Err())
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("two heartbeats took %s with a 4 s lease", d)
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 0))
}

// A stream that stays silent past its idle time fails with ErrIdle.
func TestEventStreamIdle(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s, err := client.New(srv.URL, "").AsDeployment("dep_x", key).Events(context.Background(), "", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(); !errors.Is(err, client.ErrIdle) {
		t.Fatalf("err = %v, want ErrIdle", err)
	}
}
