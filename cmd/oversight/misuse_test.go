package main

// Issue 15's proofs of the misuse rules and the forensic evidence, on real
// processes: "oversight serve" (one on SQLite, two replicas on one
// PostgreSQL), the real agent and the command line.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/internal/serveproc"
	"github.com/oversight-dev/oversight/monitor"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// startReplicas starts the demo on a fresh database of kind ("sqlite": the
// demo's own file; "postgres": a schema of its own on the test server) and
// n-1 more "oversight serve" on the same database and keys directory, as
// replicas behind a load balancer are run. It returns the demo, the
// replicas' URLs (the demo's first) and the database's DSN ("" for the
// demo's own).
func startReplicas(t *testing.T, kind string, n int) (*demoServer, []string, string) {
	t.Helper()
	if kind == "sqlite" {
		if n != 1 {
			t.Fatalf("one SQLite server, not %d", n)
		}
		s := startDemo(t, 60*time.Second)
		return s, []string{s.URL}, ""
	}
	dsn := storetest.DSN(t, kind) // fails rather than skips under CI=true
	keys := filepath.Join(t.TempDir(), "keys")
	s := startDemo(t, 60*time.Second, "--db", dsn, "--keys", keys)
	urls := []string{s.URL}
	for range n - 1 {
		p, err := serveproc.Start("oversight", t.TempDir(), "--db", dsn, "--keys", keys, "--addr", "127.0.0.1:0", "--log-level", "warn")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Kill)
		urls = append(urls, p.URL)
	}
	return s, urls, dsn
}

// balancer is a load balancer in front of replicas: it sends each
// authorisation request to the next replica up in turn, and the rest
// (leases, the event stream, officers' reads) to the first replica up.
type balancer struct {
	backends []*url.URL
	mu       sync.Mutex
	next     int
	down     []bool
	sent     []int // authorisation requests sent to each replica
}

func newBalancer(t *testing.T, urls []string) (*balancer, string) {
	t.Helper()
	b := &balancer{sent: make([]int, len(urls)), down: make([]bool, len(urls))}
	for _, u := range urls {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		b.backends = append(b.backends, pu)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(b.backends[b.pick(r.In.Method == "POST" && r.In.URL.Path == "/v1/authorize")])
		},
		FlushInterval: -1, // the event stream passes as it comes
		// A killed replica cuts the event stream: the agent reconnects.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return b, srv.URL
}

// pick returns the replica a request goes to: the next one up in turn
// for an authorisation request, else the first one up.
func (b *balancer) pick(authorize bool) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	first := slices.Index(b.down, false)
	if !authorize {
		return first
	}
	for b.down[b.next] {
		b.next = (b.next + 1) % len(b.backends)
	}
	i := b.next
	b.next = (b.next + 1) % len(b.backends)
	b.sent[i]++
	return i
}

// stop takes replica i out of the rotation.
func (b *balancer) stop(i int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down[i] = true
}

// casesOf lists the cases of a rule on a licence.
func casesOf(t *testing.T, c *client.Client, license, rule string) []oversight.Case {
	t.Helper()
	l, err := c.Cases(context.Background(), oversight.CaseFilter{LicenseID: license, Rule: rule}, oversight.Page{Limit: 100})
	if err != nil {
		t.Fatalf("cases of %s on %s: %v", rule, license, err)
	}
	return l.Items
}

// rulesCursor reads the misuse rules' cursor row behind the servers'
// backs: the log index up to which they have read, and the replica
// holding the right to read.
func rulesCursor(t *testing.T, dsn string) (idx int64, holder string) {
	t.Helper()
	if err := storetest.BehindTheBack(t, dsn).QueryRow(`SELECT idx, holder FROM monitor_cursor WHERE name = 'rules'`).Scan(&idx, &holder); err != nil {
		t.Fatalf("the rules' cursor: %v", err)
	}
	return idx, holder
}

// A burst of denied requests from one site, through the real agent, opens
// exactly one MONITOR-DENIALS case on its licence, whose evidence counts
// every denial once: on SQLite, and on two replicas sharing PostgreSQL
// with the burst spread over both by a load balancer, each replica
// running the rules. On PostgreSQL the replica reading the decisions is
// killed half-way, below the threshold: the other takes over, refills its
// window from the stored decisions, and the count goes on where it was.
func TestAgentDenialBurstOpensOneCase(t *testing.T) {
	const half = 8 // twice this crosses the default threshold, 10
	for _, tc := range []struct {
		kind     string
		replicas int
	}{{"sqlite", 1}, {"postgres", 2}} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			s, urls, dsn := startReplicas(t, tc.kind, tc.replicas)
			lb, lbURL := newBalancer(t, urls)
			st := register(t, s)
			a := startAgent(t, lbURL, st, "--lease-key", s.LeaseKey)
			a.child(t, 0, 30*time.Second)
			def := client.New(lbURL, s.Tokens["DEFENSE"])
			if c := casesOf(t, def, s.license, monitor.RuleDenials); len(c) != 0 {
				t.Fatalf("the demo licence has denials cases before the burst: %+v", c)
			}

			ask := func(category, offense string, conduct ...string) oversight.Decision {
				t.Helper()
				basis := map[string]any{"category": category, "offense": offense, "statute": "Code pénal", "conduct": conduct}
				if category == "terrorism" {
					basis["act"] = "kidnapping"
				}
				code, body := a.local(t, "POST", "/v1/authorize", map[string]any{
					"operation":   "locate",
					"target":      map[string]any{"type": "phone", "identifier": "+33 6 12 34 56 78"},
					"legal_basis": basis,
					"case_ref":    "PNAT-2026-0412", "warrant_ref": "JLD-2026-118", "justification": "fictional test request",
				})
				var d oversight.Decision
				if code != 200 || json.Unmarshal(body, &d) != nil || d.OperationID == "" || d.LogIndex == nil {
					t.Fatalf("authorize: %d %s", code, body)
				}
				return d
			}
			// The demo licence allows terrorism investigations only: tax
			// evasion is denied, again and again.
			var denied []string
			deny := func(n int) oversight.Decision {
				t.Helper()
				var d oversight.Decision
				for range n {
					if d = ask("other", "tax evasion"); d.Decision != oversight.Deny {
						t.Fatalf("tax evasion: %+v", d)
					}
					denied = append(denied, d.OperationID)
				}
				return d
			}
			last := deny(half)
			if tc.replicas > 1 {
				// The reader has read the first half, and holds its count
				// in memory; it dies (SIGKILL), out of the rotation first.
				for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
					if idx, _ := rulesCursor(t, dsn); idx >= *last.LogIndex {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("the rules did not read the first half within 60 s")
					}
				}
				_, reader := rulesCursor(t, dsn)
				// The demo's replica started first, so its monitor took
				// the lease before the second replica existed.
				lb.stop(0)
				s.Kill()
				defer func() {
					if _, now := rulesCursor(t, dsn); now == reader {
						t.Errorf("the rules are still read by %s, the killed replica", reader)
					}
				}()
			}
			deny(half)
			// Then a request citing criticism of the state: its own rule's
			// case shows when the rules have read past the burst, since
			// they read the decisions in log order.
			marker := ask("terrorism", "kidnapping of a minor", "criticism_of_state")
			if marker.Decision == oversight.Deny {
				denied = append(denied, marker.OperationID)
			}
			for i, n := range lb.sent {
				if n < half/len(lb.sent) {
					t.Fatalf("replica %d got %d of the authorisation requests: %v", i, n, lb.sent)
				}
			}

			for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if slices.ContainsFunc(casesOf(t, def, s.license, monitor.RuleGrounds), func(c oversight.Case) bool {
					return slices.Contains(c.OperationIDs, marker.OperationID)
				}) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the rules did not read the marker request within 60 s")
				}
			}
			threshold := monitor.Defaults().Denials.Threshold
			cases := casesOf(t, def, s.license, monitor.RuleDenials)
			if len(cases) != 1 {
				t.Fatalf("%d denials cases, want 1: %+v", len(cases), cases)
			}
			c := cases[0]
			want := denied[threshold-1:]
			if c.Rule != monitor.RuleDenials || c.Source != oversight.SourceRule || !slices.Equal(c.OperationIDs, want) ||
				c.Hits != len(want) || len(c.Evidence) != len(want) {
				t.Fatalf("case %+v\nwant the operations %v", c, want)
			}
			for i, e := range c.Evidence {
				n := threshold + i
				if e.Ref != want[i] || !strings.Contains(e.Description, fmt.Sprintf("denial %d of the deployment", n)) || !strings.Contains(e.Description, st.dep) {
					t.Errorf("evidence %d: %+v, want denial %d of %s", i, e, n, st.dep)
				}
			}
			if all := casesOf(t, def, "", monitor.RuleDenials); len(all) != 1 {
				t.Errorf("%d denials cases in all, want 1", len(all))
			}
			t.Logf("%d denials over %d replicas (%v) → case %s with %d hits", len(denied), len(urls), lb.sent, c.ID, c.Hits)
		})
	}
}

// The published Pegasus report (1.1 MB, 1,549 indicators), imported with
// the command line after a deployment declared one of its domains, opens
// a case against that deployment's licence citing the indicator; imported
// again, it adds nothing: no case, no evidence, no log entry.
func TestEvidenceImportPegasus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startDemo(t, 60*time.Second)
	st := register(t, s)
	bundle := filepath.Join("..", "..", "stix", "testdata", "pegasus.stix2")
	const (
		domain    = "smscentro.com"
		indicator = "indicator--c655f594-d131-44a0-9da8-8a2ed41fd1ee" // [domain-name:value='smscentro.com']
	)
	vendor := []string{"OVERSIGHT_SERVER=" + s.URL, "OVERSIGHT_TOKEN=" + s.Tokens["VENDOR"]}
	officer := []string{"OVERSIGHT_SERVER=" + s.URL, "OVERSIGHT_TOKEN=" + s.Tokens["DEFENSE"]}
	run(t, vendor, "deployment", "declare", st.dep, "--domain", "c2.example.net", "--domain", "SMSCentro.com")
	def := s.as("DEFENSE")
	if c := casesOf(t, def, "", service.RuleEvidence); len(c) != 0 {
		t.Fatalf("evidence cases before the import: %+v", c)
	}

	importIt := func() *oversight.EvidenceReport {
		t.Helper()
		var rep oversight.EvidenceReport
		if out := run(t, officer, "evidence", "import", bundle, "-o", "json"); json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("evidence import printed %s", out)
		}
		return &rep
	}
	rep := importIt()
	if rep.Indicators != 1549 || !slices.Contains(rep.Malware, "Pegasus") || rep.NewMatches != 1 || len(rep.Matches) != 1 || len(rep.CaseIDs) != 1 {
		t.Fatalf("report %+v", rep)
	}
	m := rep.Matches[0]
	if m.IndicatorID != indicator || m.Value != domain || m.Declared != domain || m.DeploymentID != st.dep || m.LicenseID != s.license || m.CaseID != rep.CaseIDs[0] {
		t.Fatalf("match %+v", m)
	}
	c, err := def.Case(ctx, m.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.LicenseID != s.license || c.Rule != service.RuleEvidence || c.Source != oversight.SourceForensicReport || len(c.Evidence) != 1 {
		t.Fatalf("case %+v", c)
	}
	for _, want := range []string{indicator, domain, rep.ID, "Pegasus", st.dep} {
		if !strings.Contains(c.Evidence[0].Description, want) {
			t.Errorf("the evidence %q does not cite %s", c.Evidence[0].Description, want)
		}
	}
	if l := casesOf(t, def, s.license, service.RuleEvidence); len(l) != 1 || l[0].ID != c.ID {
		t.Errorf("the licence's evidence cases: %+v", l)
	}

	// What the import wrote to the log, about the report, the case and the
	// deployment: the same after the second import.
	entries := func() map[string][]int64 {
		t.Helper()
		out := map[string][]int64{}
		for _, subject := range []string{rep.ID, c.ID, st.dep, s.license} {
			es, _, err := def.LogEntries(ctx, subject, oversight.Page{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				out[subject] = append(out[subject], e.Index)
			}
		}
		return out
	}
	before := entries()
	if !slices.Contains(before[rep.ID], rep.LogIndex) {
		t.Fatalf("the import's entry %d is not among the report's %v", rep.LogIndex, before[rep.ID])
	}

	again := importIt()
	if again.ID != rep.ID || again.NewMatches != 0 || len(again.Matches) != 1 || again.Matches[0].CaseID != c.ID || again.LogIndex != rep.LogIndex {
		t.Errorf("second import %+v", again)
	}
	c2, err := def.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.Evidence) != len(c.Evidence) || c2.Hits != c.Hits || !c2.UpdatedAt.Equal(c.UpdatedAt) {
		t.Errorf("the second import changed the case: %+v, was %+v", c2, c)
	}
	if l := casesOf(t, def, "", service.RuleEvidence); len(l) != 1 {
		t.Errorf("%d evidence cases after the second import, want 1", len(l))
	}
	if reps, err := def.EvidenceReports(ctx, oversight.Page{}); err != nil || len(reps.Items) != 1 {
		t.Errorf("reports after the second import: %+v %v", reps, err)
	}
	if after := entries(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("log entries before the second import %v, after %v", before, after)
	}
}
