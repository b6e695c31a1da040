package monitor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func op(i int, at time.Time, decision oversight.Verdict) *oversight.OperationRecord {
	return &oversight.OperationRecord{ID: fmt.Sprintf("op_%d", i), LicenseID: "lic_1", DeploymentID: "dep_1",
		Operation: oversight.OpIntercept, Decision: decision, DecidedAt: at}
}

// dec is op as the monitor reads it: its columns and marks.
func dec(k *Marker, o *oversight.OperationRecord) Decision {
	return Decision{ID: o.ID, LicenseID: o.LicenseID, DeploymentID: o.DeploymentID, Verdict: o.Decision, DecidedAt: o.DecidedAt, Marks: k.Mark(o)}
}

func rules(t *testing.T, js string) Rules {
	t.Helper()
	r, err := Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rulesOf(hits []Hit) string {
	var s []string
	for _, h := range hits {
		s = append(s, h.Rule)
	}
	return strings.Join(s, ",")
}

func TestDenialsWindow(t *testing.T) {
	m := New(rules(t, `{"denials": {"enabled": true, "threshold": 3, "window": "1m"}}`))
	steps := []struct {
		after time.Duration
		want  string
	}{
		{0, ""}, {10 * time.Second, ""}, {20 * time.Second, RuleDenials}, // three within a minute
		{90 * time.Second, ""},  // the first two left the window
		{100 * time.Second, ""}, // 90 s and 100 s: 20 s left it too
		{110 * time.Second, RuleDenials},
	}
	for i, s := range steps {
		if got := rulesOf(m.Observe(dec(m.Marker, op(i, t0.Add(s.after), oversight.Deny)))); got != s.want {
			t.Errorf("denial at +%s: %q, want %q", s.after, got, s.want)
		}
	}
}

func TestSpike(t *testing.T) {
	m := New(rules(t, `{"spike": {"enabled": true, "window": "1h", "baseline": "24h", "factor": 3, "min_count": 10},
		"denials": {"enabled": false}}`))
	// A steady day and an hour (the window and the baseline): 24 an hour,
	// one every 150 s, replayed.
	n := 0
	for at := t0.Add(-25 * time.Hour); at.Before(t0); at = at.Add(150 * time.Second) {
		m.Replay(dec(m.Marker, op(n, at, oversight.Permit)))
		n++
	}
	// The next hour: 4 times the rate; the rule fires once in the window.
	fired := 0
	for at := t0; at.Before(t0.Add(time.Hour)); at = at.Add(37 * time.Second) {
		hits := m.Observe(dec(m.Marker, op(n, at, oversight.Permit)))
		n++
		if rulesOf(hits) == RuleSpike {
			fired++
		}
	}
	if fired != 1 {
		t.Fatalf("spike fired %d times, want once", fired)
	}
	// The steady rate alone does not fire, nor does a new licence's first
	// day, before it has a baseline.
	m2 := New(m.Rules())
	for at := t0.Add(-25 * time.Hour); at.Before(t0); at = at.Add(150 * time.Second) {
		if hits := m2.Observe(dec(m2.Marker, op(n, at, oversight.Permit))); len(hits) > 0 {
			t.Fatalf("steady rate fired at %s: %+v", at, hits)
		}
		n++
	}
}

func TestGroundsCountryRestricted(t *testing.T) {
	m := New(Defaults())
	o := op(1, t0, oversight.Deny)
	o.LegalBasis.Conduct = []string{"tax_fraud", "criticism_of_state"}
	o.Grounds = []string{"religion"}
	o.Reasons = []oversight.Reason{{Code: "SCOPE-COUNTRY"}}
	o.Target.CountryCode = "+1"
	if m.Mark(o) != MarkGrounds|MarkBlockedCountry {
		t.Fatalf("marks %b", m.Mark(o))
	}
	d := dec(m.Marker, o)
	d.Restricted = true
	hits := m.Observe(d)
	if got := rulesOf(hits); got != RuleGrounds+","+RuleBlockedCountry+","+RuleRestricted {
		t.Fatalf("hits %q", got)
	}
	if e := m.Describe(hits[0], o); !strings.Contains(e, "[criticism_of_state religion]") || strings.Contains(e, "tax_fraud") {
		t.Errorf("grounds evidence %q", e)
	}
	if e := m.Describe(hits[1], o); !strings.Contains(e, "+1") || !strings.Contains(e, "op_1") {
		t.Errorf("country evidence %q", e)
	}
	// A permit citing the same words is marked too: the attempt counts.
	o.Decision, o.Reasons = oversight.Permit, nil
	if m.Mark(o) != MarkGrounds {
		t.Errorf("permit marks %b", m.Mark(o))
	}
	back := t0.Add(-time.Hour)
	if got := rulesOf(m.Observe(Decision{ID: "op_2", LicenseID: "lic_1", Verdict: oversight.Permit, DecidedAt: t0, ReinstatedAt: &back})); got != RuleRestricted {
		t.Fatalf("an hour after reinstatement: %q", got)
	}
	long := t0.Add(-100 * time.Hour)
	if got := rulesOf(m.Observe(Decision{ID: "op_3", LicenseID: "lic_1", Verdict: oversight.Permit, DecidedAt: t0, ReinstatedAt: &long})); got != "" {
		t.Fatalf("100 h after reinstatement: %q", got)
	}
}

func TestProtected(t *testing.T) {
	pp := &oversight.ProtectedPerson{Category: oversight.ProtectedJournalist, AddedAt: t0}
	o := op(1, t0, oversight.Deny)
	o.Reasons = []oversight.Reason{{Code: "SCOPE-PROTECTED"}}
	k := NewMarker(Defaults())
	h, ok := k.Protected(o, pp)
	if !ok || h.Rule != RuleProtected || h.OperationID != "op_1" || !strings.Contains(h.Title, "journalist") || k.Mark(o) != MarkProtected {
		t.Fatalf("hit %+v %v", h, ok)
	}
	if e := k.Describe(h, o); !strings.Contains(e, "protected-persons register (category journalist, added 2026-06-01)") {
		t.Errorf("evidence %q", e)
	}
	// Not without the policy's reason, not when switched off.
	if _, ok := k.Protected(op(2, t0, oversight.Permit), pp); ok {
		t.Error("a permit fired the protected-persons rule")
	}
	if _, ok := NewMarker(rules(t, `{"protected": {"enabled": false}}`)).Protected(o, pp); ok {
		t.Error("the rule fired switched off")
	}
	// The monitor behind the cursor does not open a second case.
	if hits := New(Defaults()).Observe(dec(k, o)); len(hits) != 0 {
		t.Errorf("monitor hits %+v", hits)
	}
}

func TestParseRefuses(t *testing.T) {
	for js, field := range map[string]string{
		`{"denials": {"threshold": 0}}`:      "denials.threshold",
		`{"spike": {"factor": 0.5}}`:         "spike.factor",
		`{"grounds": {"words": ["Not OK"]}}`: "grounds.words[0]",
		`{"denial": {}}`:                     "denial",
	} {
		_, err := Parse([]byte(js))
		e, ok := err.(*oversight.Error)
		if !ok || len(e.Fields) == 0 || e.Fields[0].Field != field {
			t.Errorf("%s: %v, want %s named", js, err, field)
		}
	}
	if _, err := Parse([]byte(`{"denials": {"window": "soon"}}`)); err == nil {
		t.Error("a bad duration is accepted")
	}
}
