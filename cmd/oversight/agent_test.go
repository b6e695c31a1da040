package main

// Enforcement proved on real processes: the real server ("oversight serve
// --demo", a process of its own), the real agent ("oversight agent", a
// process) and a real tool under it ("sleep 600"), as a site would run
// them. The "oversight" on PATH is this test binary, which testscript.Main
// (main_test.go) turns into the command.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/internal/serveproc"
	"github.com/oversight-dev/oversight/keyfile"
	"github.com/oversight-dev/oversight/lease"
	"github.com/oversight-dev/oversight/reqsign"
)

// demoServer is "oversight serve --demo" running as a process.
type demoServer struct {
	*serveproc.Server
	license string // the demo's active export licence
}

// startDemo starts the demo server with the given lease lifetime and
// extra flags of serve, in a directory of its own, and waits until it
// serves.
func startDemo(t *testing.T, ttl time.Duration, extra ...string) *demoServer {
	t.Helper()
	// "oversight" is this test binary, installed on PATH by testscript.
	args := append([]string{"--demo", "--addr", "127.0.0.1:0", "--lease-ttl", ttl.String(), "--log-level", "warn"}, extra...)
	p, err := serveproc.Start("oversight", t.TempDir(), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	s := &demoServer{Server: p}
	ls, err := s.as("DEFENSE").Licenses(context.Background(), oversight.LicenseFilter{Kind: oversight.KindExport, Status: oversight.LicenseActive}, oversight.Page{})
	if err != nil || len(ls.Items) != 1 {
		t.Fatalf("the demo's active export licence: %v %v", ls, err)
	}
	s.license = ls.Items[0].ID
	return s
}

// as returns a client acting with the token of a role of the demo.
func (s *demoServer) as(role string) *client.Client { return client.New(s.URL, s.Tokens[role]) }

// action orders an enforcement action as defense and, for revoke and
// reinstate, has foreign affairs approve it. It returns the action and the
// time just before the call that put it into force.
func (s *demoServer) action(t *testing.T, r *oversight.ActionRequest) (*oversight.Action, time.Time) {
	t.Helper()
	ctx := context.Background()
	if !r.Kind.NeedsBothMinistries() {
		at := time.Now()
		a, err := s.as("DEFENSE").RequestAction(ctx, s.license, r)
		if err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		return a, at
	}
	a, err := s.as("DEFENSE").RequestAction(ctx, s.license, r)
	if err != nil {
		t.Fatalf("%s: %v", r.Kind, err)
	}
	at := time.Now()
	if a, err = s.as("FOREIGN").ApproveAction(ctx, a.ID, &oversight.ActionApprovalRequest{Decision: "approve"}); err != nil {
		t.Fatalf("approve %s: %v", r.Kind, err)
	}
	if a.Status != oversight.ActionExecuted {
		t.Fatalf("%s is %s", r.Kind, a.Status)
	}
	return a, at
}

// site is a deployment registered the way a vendor does it: keygen, then
// register, both with the command line.
type site struct {
	dir, key, dep string
}

func register(t *testing.T, s *demoServer) *site {
	t.Helper()
	st := &site{dir: t.TempDir()}
	st.key = filepath.Join(st.dir, "agent.pem")
	out := run(t, nil, "agent", "keygen", "--key", st.key)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	pub := lines[len(lines)-1]
	if _, err := oversight.ParsePublicKey(pub); err != nil {
		t.Fatalf("keygen's last line %q: %v", pub, err)
	}
	st.dep = strings.TrimSpace(run(t, []string{"OVERSIGHT_SERVER=" + s.URL, "OVERSIGHT_TOKEN=" + s.Tokens["VENDOR"]},
		"deployment", "register", "--license", s.license, "--label", "Test site", "--key", st.key, "-o", "id"))
	if !oversight.ValidID(oversight.PrefixDeployment, st.dep) {
		t.Fatalf("register printed %q", st.dep)
	}
	if fi, err := os.Stat(filepath.Join(st.dir, "agent.pepper")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("site pepper file: %v %v", fi, err)
	}
	return st
}

// run runs the command line and returns its standard output.
func run(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("oversight", args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oversight %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// agentProc is "oversight agent" running around a tool that writes its
// pid to a file, then becomes "sleep 600".
type agentProc struct {
	cmd     *exec.Cmd
	stderr  *serveproc.Buffer
	pidFile string
	socket  string
	done    chan struct{}
	err     error
}

func startAgent(t *testing.T, server string, st *site, extra ...string) *agentProc {
	t.Helper()
	a := &agentProc{stderr: &serveproc.Buffer{}, pidFile: filepath.Join(st.dir, "child.pid"), socket: filepath.Join(st.dir, "agent.sock"), done: make(chan struct{})}
	args := append([]string{"agent", "--server", server, "--deployment", st.dep, "--key", st.key, "--socket", a.socket, "--grace", "2s", "--log-level", "debug"}, extra...)
	args = append(args, "--", "sh", "-c", `echo $$ > "$0"; exec sleep 600`, a.pidFile)
	a.cmd = exec.Command("oversight", args...)
	a.cmd.Stderr = a.stderr
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		a.cmd.Process.Kill() // the kernel then kills the tool (parent-death signal)
		<-a.done
		if t.Failed() {
			t.Logf("agent log:\n%s", a.stderr)
		}
	})
	return a
}

// child waits for the tool to run with a pid other than not, and returns
// its pid.
func (a *agentProc) child(t *testing.T, not int, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(a.pidFile)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != not && alive(pid) {
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the tool did not start within %s", within)
	return 0
}

// waitLog waits for the agent to log want: its log reaches the test
// through a pipe, a little after the fact. The wait ends as soon as the line
// is there; its bound is generous because on a loaded machine starting the
// agent alone has taken almost 4 s, and this is not a timing test.
func (a *agentProc) waitLog(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(a.stderr.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("the agent's log lacks %q", want)
			return
		}
	}
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// exitWatch reports the moment a process (not our child) exits, through
// a pidfd.
type exitWatch struct {
	fd  int
	pid int
}

func watchExit(t *testing.T, pid int) *exitWatch {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd_open %d: %v", pid, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return &exitWatch{fd: fd, pid: pid}
}

// wait returns when the process exits, or fails the test after within.
// stopBound is how long a test waits for a tool to stop after a
// suspension or revocation: a bound on liveness on a loaded machine, not
// the figure, which bench/revoke measures (p99 in milliseconds). It is
// shorter than the tests' 60 s leases, and each test also finds in the
// agent's log that the regulator's event stopped the tool, not a lease
// running out.
const stopBound = 15 * time.Second

func (w *exitWatch) wait(t *testing.T, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms < 0 {
			t.Fatalf("tool %d still running after %s", w.pid, within)
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return time.Now()
		}
	}
}

// Revoking the licence (the second ministry's approval puts it in force)
// stops the tool at once (the agent's log says the regulator ordered it);
// the agent then exits, saying why.
func TestAgentRevoke(t *testing.T) {
	t.Parallel()
	s := startDemo(t, 60*time.Second)
	st := register(t, s)
	a := startAgent(t, s.URL, st, "--lease-key", s.LeaseKey)
	pid := a.child(t, 0, 10*time.Second)
	w := watchExit(t, pid)

	_, at := s.action(t, &oversight.ActionRequest{Kind: oversight.ActionRevoke, Reason: "Use against a journalist confirmed"})
	stopped := w.wait(t, stopBound)
	t.Logf("revoke → tool stopped in %s", stopped.Sub(at).Round(time.Millisecond))

	select {
	case <-a.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the agent kept running after the revocation")
	}
	var ee *exec.ExitError
	if !errors.As(a.err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("agent exit: %v, want status 1", a.err)
	}
	log := a.stderr.String()
	for _, want := range []string{"shutdown ordered by the regulator", "status=revoked", "Use against a journalist confirmed", "licence is revoked"} {
		if !strings.Contains(log, want) {
			t.Errorf("agent log lacks %q", want)
		}
	}
}

// Suspending stops the tool; reinstating (both ministries) starts it again
// under the same agent.
func TestAgentSuspendReinstate(t *testing.T) {
	t.Parallel()
	s := startDemo(t, 60*time.Second)
	st := register(t, s)
	a := startAgent(t, s.URL, st, "--insecure-trust-server-key") // the demo's way: warned about
	a.waitLog(t, "lease key fetched from the server, not pinned")
	pid := a.child(t, 0, 10*time.Second)
	w := watchExit(t, pid)

	_, at := s.action(t, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "Forensic report under review", CaseID: "case_01demo"})
	t.Logf("suspend → tool stopped in %s", w.wait(t, stopBound).Sub(at).Round(time.Millisecond))
	a.waitLog(t, "shutdown ordered by the regulator")

	// Suspended: no lease, no tool; the agent waits.
	time.Sleep(500 * time.Millisecond)
	if b, _ := os.ReadFile(a.pidFile); strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		t.Fatalf("the tool started again while suspended")
	}
	select {
	case <-a.done:
		t.Fatalf("the agent exited on a suspension: %v", a.err)
	default:
	}

	_, at = s.action(t, &oversight.ActionRequest{Kind: oversight.ActionReinstate, Reason: "Report cleared the agency"})
	again := a.child(t, pid, 5*time.Second)
	t.Logf("reinstate → tool running again (pid %d) after %s", again, time.Since(at).Round(time.Millisecond))
	a.waitLog(t, "case=case_01demo")
}

// With the server gone (killed: no goodbye), the tool stops when its lease
// runs out: within one lease lifetime.
func TestAgentServerKilled(t *testing.T) {
	t.Parallel()
	const ttl = 3 * time.Second
	s := startDemo(t, ttl)
	st := register(t, s)
	a := startAgent(t, s.URL, st, "--lease-key", s.LeaseKey)
	pid := a.child(t, 0, 10*time.Second)
	w := watchExit(t, pid)
	time.Sleep(2 * ttl) // renewals at a third of the lifetime keep it running
	if !alive(pid) {
		t.Fatal("the tool stopped while the server was up: the lease was not renewed")
	}
	if n := strings.Count(a.stderr.String(), "lease renewed"); n < 4 {
		t.Errorf("%d renewals in %s with a %s lease, want at least 4", n, 2*ttl, ttl)
	}

	killed := time.Now()
	s.Kill()
	stopped := w.wait(t, ttl+time.Second)
	if d := stopped.Sub(killed); d > ttl {
		t.Errorf("tool stopped %s after the server died; the lease lasts %s", d, ttl)
	} else {
		t.Logf("server killed → tool stopped in %s (lease %s)", d.Round(time.Millisecond), ttl)
	}
	a.waitLog(t, "lease expired without renewal")
	// And it stays stopped, the agent waiting for the server.
	time.Sleep(500 * time.Millisecond)
	if b, _ := os.ReadFile(a.pidFile); strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		t.Errorf("the tool started again without a server")
	}
}

// fakeRegulator answers lease requests with leases signed by key, made by
// mint; it has no event stream.
func fakeRegulator(t *testing.T, key ed25519.PrivateKey, mint func(dep string) lease.Claims) *httptest.Server {
	signer, err := lease.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dep := r.Header.Get(reqsign.HeaderDeployment)
		if r.Method != "POST" || !strings.HasSuffix(r.URL.Path, "/lease") {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		c := mint(dep)
		mu.Unlock()
		tok, err := signer.Sign(&c)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(oversight.Lease{Token: tok, ID: c.ID, DeploymentID: c.Deployment, LicenseID: c.License,
			PolicyVersion: c.PolicyVersion, IssuedAt: c.IssuedAt, ExpiresAt: c.Expires})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The agent starts the tool on no lease but a genuine, current one of its
// own: a forged lease, an expired one and another deployment's are
// refused. The last case gives a good lease, so that the test can fail.
func TestAgentRefusesBadLeases(t *testing.T) {
	t.Parallel()
	_, regulator, _ := ed25519.GenerateKey(rand.Reader)
	_, impostor, _ := ed25519.GenerateKey(rand.Reader)
	pin := oversight.EncodeKey(regulator.Public().(ed25519.PublicKey))
	now := func() time.Time { return time.Now().UTC().Truncate(time.Second) }
	good := func(dep string) lease.Claims {
		return lease.Claims{Deployment: dep, License: "lic_01fake", PolicyVersion: 1, IssuedAt: now(), Expires: now().Add(time.Minute)}
	}
	tests := []struct {
		desc string
		key  ed25519.PrivateKey
		mint func(dep string) lease.Claims
		log  string // what the agent says
		runs bool
	}{
		{"forged", impostor, good, "signature does not verify", false},
		{"expired", regulator, func(dep string) lease.Claims {
			c := good(dep)
			c.IssuedAt, c.Expires = now().Add(-2*time.Minute), now().Add(-time.Minute)
			return c
		}, "lease: expired", false},
		{"another deployment's", regulator, func(string) lease.Claims { return good("dep_01someoneelse") }, "issued to another deployment", false},
		{"genuine", regulator, good, "lease granted", true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			srv := fakeRegulator(t, tc.key, tc.mint)
			st := &site{dir: t.TempDir(), dep: "dep_01fakesite"}
			st.key = filepath.Join(st.dir, "agent.pem")
			if _, err := keyfile.Generate(st.key); err != nil {
				t.Fatal(err)
			}
			a := startAgent(t, srv.URL, st, "--lease-key", pin)
			a.waitLog(t, tc.log)
			if tc.runs {
				a.child(t, 0, 5*time.Second)
				return
			}
			time.Sleep(1500 * time.Millisecond) // several attempts
			if _, err := os.Stat(a.pidFile); err == nil {
				t.Fatal("the tool started on a bad lease")
			}
		})
	}
}

// The server refuses a replayed request: the same signed lease request
// sent twice gets a lease once.
func TestServerRefusesReplay(t *testing.T) {
	t.Parallel()
	s := startDemo(t, 60*time.Second)
	st := register(t, s)
	key, err := keyfile.Read(st.key)
	if err != nil {
		t.Fatal(err)
	}
	req, err := reqsign.NewRequest("POST", s.URL+"/v1/deployments/"+st.dep+"/lease", nil, st.dep, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	replay := req.Clone(context.Background())
	for i, want := range []int{200, 401} {
		r := req
		if i == 1 {
			r = replay
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
}

// local calls the agent's endpoint on its unix socket.
func (a *agentProc) local(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", a.socket)
	}}, Timeout: 10 * time.Second}
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, "http://agent"+path, rd)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s on the agent: %v", method, path, err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.Bytes()
}

// A restriction changes the very next decision: the tool asks through the
// agent's local endpoint with the raw phone number; after the regulator
// blocks the target's country, the same request is denied, citing the
// restriction.
func TestRestrictionChangesNextDecision(t *testing.T) {
	t.Parallel()
	s := startDemo(t, 60*time.Second)
	st := register(t, s)
	a := startAgent(t, s.URL, st, "--lease-key", s.LeaseKey)
	a.child(t, 0, 10*time.Second)

	// The demo licence allows terrorism investigations only.
	ask := map[string]any{
		"operation": "intercept",
		"target":    map[string]any{"type": "phone", "identifier": "+33 6 12 34 56 78"},
		"legal_basis": map[string]any{"category": "terrorism", "act": "kidnapping",
			"offense": "kidnapping of a minor", "statute": "Code pénal art. 421-1"},
		"case_ref": "PNAT-2026-0412", "warrant_ref": "JLD-2026-118", "justification": "hostage negotiation under way",
	}
	var d oversight.Decision
	code, body := a.local(t, "POST", "/v1/authorize", ask)
	if code != 200 || json.Unmarshal(body, &d) != nil || d.Decision != oversight.Permit {
		t.Fatalf("before the restriction: %d %s", code, body)
	}

	act, _ := s.action(t, &oversight.ActionRequest{Kind: oversight.ActionRestrict, Reason: "No more targets in France",
		Restriction: &oversight.Restriction{BlockedCountryCodes: []string{"+33"}}})
	code, body = a.local(t, "POST", "/v1/authorize", ask)
	d = oversight.Decision{}
	if code != 200 || json.Unmarshal(body, &d) != nil || d.Decision != oversight.Deny {
		t.Fatalf("after the restriction: %d %s", code, body)
	}
	cited := false
	for _, r := range d.Reasons {
		cited = cited || r.Code == "RESTRICT-"+act.ID
	}
	if !cited {
		t.Errorf("the deny does not cite RESTRICT-%s: %s", act.ID, body)
	}

	// The raw number never reached the regulator: its operation record
	// holds the keyed hash only.
	var raw json.RawMessage
	if err := s.as("DEFENSE").Do(context.Background(), "GET", "/v1/operations?license="+s.license, nil, &raw); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(d.OperationID)) {
		t.Errorf("the decision %s is not among the licence's operations: %s", d.OperationID, raw)
	}
	if bytes.Contains(raw, []byte("612345678")) || bytes.Contains(raw, []byte("12 34 56 78")) {
		t.Errorf("the raw identifier reached the regulator: %s", raw)
	}

	// A bad identifier is refused on the site, naming the field.
	ask["target"] = map[string]any{"type": "phone", "identifier": "06 12 34 56 78"}
	if code, body := a.local(t, "POST", "/v1/authorize", ask); code != 400 || !strings.Contains(string(body), "target.identifier") {
		t.Errorf("national-form number: %d %s", code, body)
	}
	var status struct{ State string }
	if code, body := a.local(t, "GET", "/v1/status", nil); code != 200 || json.Unmarshal(body, &status) != nil || status.State != "active" {
		t.Errorf("status: %d %s", code, body)
	}
}

// Issue 15's proof: a substantiated case leads, in one step and the other
// ministry's approval, to a revocation that stops the agent's child; the
// case's timeline then measures evidence received → tool stopped.
func TestAgentCaseRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startDemo(t, 60*time.Second)
	st := register(t, s)
	a := startAgent(t, s.URL, st, "--lease-key", s.LeaseKey)
	pid := a.child(t, 0, 10*time.Second)
	w := watchExit(t, pid)

	def := s.as("DEFENSE")
	c, err := def.OpenCase(ctx, &oversight.CaseRequest{Source: oversight.SourceForensicReport, LicenseID: s.license, Title: "Implant on a reporter's phone",
		Evidence: []oversight.EvidenceInput{{Kind: "report", Ref: "FR-2026-7", Description: "forensic examination"}}})
	if err != nil {
		t.Fatal(err)
	}
	findings := "The agency used the tool against a journalist."
	for _, st := range []oversight.CaseStatus{oversight.CaseInvestigating, oversight.CaseSubstantiated} {
		if _, err := def.UpdateCase(ctx, c.ID, &oversight.CaseUpdate{Status: st, Findings: &findings}); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	act, err := def.ProposeCaseAction(ctx, c.ID, &oversight.CaseActionRequest{Kind: oversight.ActionRevoke, Reason: "misuse substantiated"})
	if err != nil || act.CaseID != c.ID {
		t.Fatalf("revoke from the case: %+v %v", act, err)
	}
	at := time.Now()
	if _, err := s.as("FOREIGN").ApproveAction(ctx, act.ID, &oversight.ActionApprovalRequest{Decision: "approve"}); err != nil {
		t.Fatal(err)
	}
	stopped := w.wait(t, stopBound)
	t.Logf("revoke approved → tool stopped in %s", stopped.Sub(at).Round(time.Millisecond))
	a.waitLog(t, "shutdown ordered by the regulator")
	tl, err := def.CaseTimeline(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tl.EvidenceToStop == nil || tl.EvidenceToStop.Seconds <= 0 {
		t.Errorf("evidence to stop: %+v", tl.EvidenceToStop)
	} else {
		t.Logf("evidence received → tool stopped: %.3f s", tl.EvidenceToStop.Seconds)
	}
}
