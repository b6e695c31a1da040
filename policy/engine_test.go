package policy

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/oversight-dev/oversight"
)

func TestEngineCache(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := testLicense()
	p1, err := e.Policy(l)
	if err != nil {
		t.Fatal(err)
	}
	if p2, _ := e.Policy(l); p2 != p1 {
		t.Fatal("same licence version compiled twice")
	}

	// A restriction with a new policy version recompiles, and the new
	// policy decides differently.
	l2 := testLicense()
	l2.PolicyVersion = 2
	l2.Restrictions = []oversight.Restriction{{ID: "act_r1", Purposes: []oversight.Category{oversight.CategoryTerrorism}}}
	p3, err := e.Policy(l2)
	if err != nil {
		t.Fatal(err)
	}
	if p3 == p1 || p3.Version() != 2 {
		t.Fatalf("version 2 got policy of version %d", p3.Version())
	}
	if d, _ := e.Evaluate(l2, seriousCrime(), facts()); d.Decision != oversight.Deny || codes(d) != "RESTRICT-act_r1" {
		t.Errorf("after the restriction: %+v", d)
	}

	// A caller still holding version 1 gets a version 1 policy, which
	// does not replace the newer one in the cache.
	if p, _ := e.Policy(l); p.Version() != 1 {
		t.Errorf("version 1 got policy of version %d", p.Version())
	}
	if p, _ := e.Policy(l2); p != p3 {
		t.Error("an older version replaced the newer policy in the cache")
	}

	// A suspension that forgot to bump the version still recompiles.
	l3 := testLicense()
	l3.PolicyVersion = 2
	l3.Restrictions = l2.Restrictions
	l3.Status = oversight.LicenseSuspended
	if d, _ := e.Evaluate(l3, seriousCrime(), facts()); d.Decision != oversight.Deny || codes(d) != "SCOPE-STATUS,RESTRICT-act_r1" {
		t.Errorf("after the suspension: %+v", d)
	}

	e.Forget(l.ID)
	if p, _ := e.Policy(l3); p == p3 {
		t.Error("Forget kept the policy")
	}
}

// A template is never replaced: one whose id the engine already holds,
// built in or given, is refused.
func TestEngineDuplicateTemplate(t *testing.T) {
	il := *oversight.BuiltinTemplates()[0]
	il.Version++
	other := il
	other.ID = "XX-2026"
	for _, ts := range [][]*oversight.DeclarationTemplate{{&il}, {&other, &other}} {
		if _, err := NewEngine(Options{Templates: ts}); err == nil || !strings.Contains(err.Error(), "defined twice") {
			t.Errorf("templates %s: %v, want refused as defined twice", ts[len(ts)-1].ID, err)
		}
	}
	e, err := NewEngine(Options{Templates: []*oversight.DeclarationTemplate{&other}})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := e.Template("XX-2026"); !ok || got != &other {
		t.Errorf("Template(XX-2026) = %v, %v", got, ok)
	}
}

func TestEngineOptions(t *testing.T) {
	if _, err := NewEngine(Options{PermitLifetime: -1}); err == nil {
		t.Error("negative lifetime accepted")
	}
	bad := &oversight.DeclarationTemplate{ID: "BAD"}
	_, err := NewEngine(Options{Templates: []*oversight.DeclarationTemplate{bad}})
	if oversight.ErrorCode(err) != oversight.EINVALID {
		t.Errorf("invalid template: %v", err)
	}
	e, _ := NewEngine(Options{})
	if ts := e.Templates(); len(ts) != 1 || ts[0].ID != "IL-2021" {
		t.Errorf("templates %v", ts)
	}
	_, err = e.Compile(&License{Template: "XX"})
	var oe *oversight.Error
	if !errors.As(err, &oe) || oe.Code != oversight.ENOTFOUND {
		t.Errorf("unknown template: %v", err)
	}
}

// TestEngineConcurrent evaluates from many goroutines while licences change
// version; run with -race.
func TestEngineConcurrent(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				l := testLicense()
				l.ID = fmt.Sprintf("lic_c%d", i%3)
				l.PolicyVersion = i % 5
				want := oversight.Permit
				if l.PolicyVersion%2 == 1 {
					l.Restrictions = []oversight.Restriction{{ID: "act_c", Operations: []oversight.Operation{oversight.OpLocate}}}
					want = oversight.Deny
				}
				f := facts()
				f.ActivePermits = g
				d, err := e.Evaluate(l, seriousCrime(), f)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Decision != want {
					t.Errorf("licence %s v%d: %s, want %s", l.ID, l.PolicyVersion, d.Decision, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestPolicyImmutable checks that a compiled policy does not change when the
// caller changes the licence or template it was compiled from.
func TestPolicyImmutable(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := testLicense()
	l.Restrictions = []oversight.Restriction{{ID: "act_r1", Purposes: []oversight.Category{oversight.CategoryTerrorism}}}
	p, err := e.Policy(l)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := p.Evaluate(seriousCrime(), facts())
	l.Restrictions[0].Purposes[0] = oversight.CategorySeriousCrime
	l.Scope.BlockedCountryCodes[0] = "+44"
	tmpl, _ := e.Template("IL-2021")
	tmpl.Rules.NonDiscrimination.Grounds[0] = "armed_violence"
	after, _ := p.Evaluate(seriousCrime(), facts())
	if codes(before) != "RESTRICT-act_r1" || codes(after) != codes(before) || after.Reasons[0].Message != before.Reasons[0].Message {
		t.Errorf("before %+v\nafter %+v", before, after)
	}
}

// SameQuota holds exactly when the count of unexpired permits cannot change
// the decision or its reasons: equal counts, or neither reaching the
// scope's quota (50) or a restriction's (20); and the decisions agree.
func TestSameQuota(t *testing.T) {
	l := testLicense()
	l.Restrictions = []oversight.Restriction{{ID: "act_q", MaxActiveOperations: intp(20)}}
	p := mustCompile(t, l)
	for _, c := range []struct {
		a, b int
		same bool
	}{
		{0, 0, true}, {0, 19, true}, {19, 0, true}, {5, 19, true},
		{19, 20, false}, {20, 19, false}, {20, 21, false}, {49, 50, false},
		{25, 25, true}, {60, 60, true}, {50, 70, false},
	} {
		if got := p.SameQuota(c.a, c.b); got != c.same {
			t.Errorf("SameQuota(%d, %d) = %v, want %v", c.a, c.b, got, c.same)
		}
		fa, fb := facts(), facts()
		fa.ActivePermits, fb.ActivePermits = c.a, c.b
		da, _ := p.Evaluate(seriousCrime(), fa)
		db, _ := p.Evaluate(seriousCrime(), fb)
		if c.same && (codes(da) != codes(db) || da.Reasons[0].Message != db.Reasons[0].Message) {
			t.Errorf("SameQuota(%d, %d) but the decisions differ: %+v, %+v", c.a, c.b, da, db)
		}
	}
}
