package monitor

import (
	"fmt"
	"slices"
	"time"

	"github.com/oversight-dev/oversight"
)

// Decision is a decided operation as the rules see it, with the facts of
// its licence at the time the monitor reads it.
type Decision struct {
	Op *oversight.OperationRecord
	// Restricted: a restriction is in force on the licence.
	Restricted bool
	// ReinstatedAt is when the licence last came back from a suspension,
	// if it ever did.
	ReinstatedAt *time.Time
}

// Hit is one firing of a rule on one decision.
type Hit struct {
	Rule        string
	LicenseID   string
	OperationID string
	// Title names the case the rule opens; Description is the evidence
	// the decision adds to it.
	Title       string
	Description string
}

// Monitor applies the rules to decisions fed in log order. Its windows
// live in memory: after a gap (another replica processed decisions, or
// the process started), Forget them and Replay the history the rules need
// (Rules.History) before Observe. It is not safe for concurrent use.
type Monitor struct {
	rules   Rules
	denials map[string][]time.Time   // deployment → times of denials within the window
	counts  map[string]map[int64]int // licence → minute → decisions
	fired   map[string]time.Time     // licence → end of the window of the last spike
	first   map[string]time.Time     // licence → its first decision seen
	words   map[string]bool
}

// New returns a Monitor with rules r.
func New(r Rules) *Monitor {
	m := &Monitor{rules: r, words: map[string]bool{}}
	for _, w := range r.Grounds.Words {
		m.words[w] = true
	}
	m.Forget()
	return m
}

// Rules returns the rules m applies.
func (m *Monitor) Rules() Rules { return m.rules }

// Forget drops the windows.
func (m *Monitor) Forget() {
	m.denials = map[string][]time.Time{}
	m.counts = map[string]map[int64]int{}
	m.fired = map[string]time.Time{}
	m.first = map[string]time.Time{}
}

// Replay fills the windows with a decision already observed, without
// firing.
func (m *Monitor) Replay(op *oversight.OperationRecord) { m.count(op) }

// count adds op to the windows and returns the denials of its deployment
// within the window and its licence's decisions within the spike's window
// and baseline.
func (m *Monitor) count(op *oversight.OperationRecord) (denials, recent, baseline int) {
	t := op.DecidedAt
	if op.Decision == oversight.Deny {
		w := time.Duration(m.rules.Denials.Window)
		ts := append(m.denials[op.DeploymentID], t)
		i := 0
		for i < len(ts) && !ts[i].After(t.Add(-w)) {
			i++
		}
		ts = ts[i:]
		m.denials[op.DeploymentID] = ts
		denials = len(ts)
	}
	if _, ok := m.first[op.LicenseID]; !ok {
		m.first[op.LicenseID] = t
	}
	c := m.counts[op.LicenseID]
	if c == nil {
		c = map[int64]int{}
		m.counts[op.LicenseID] = c
	}
	minute := t.Unix() / 60
	c[minute]++
	win := int64(time.Duration(m.rules.Spike.Window) / time.Minute)
	base := int64(time.Duration(m.rules.Spike.Baseline) / time.Minute)
	for k, n := range c {
		switch {
		case k <= minute-win-base:
			delete(c, k)
		case k > minute-win:
			recent += n
		default:
			baseline += n
		}
	}
	return denials, recent, baseline
}

// Observe applies every rule to d and returns the hits.
func (m *Monitor) Observe(d Decision) []Hit {
	op := d.Op
	r := &m.rules
	denials, recent, baseline := m.count(op)
	var hits []Hit
	hit := func(rule, title, format string, args ...any) {
		hits = append(hits, Hit{Rule: rule, LicenseID: op.LicenseID, OperationID: op.ID, Title: title,
			Description: fmt.Sprintf("%s %s by deployment %s at %s (%s): ", op.Operation, op.ID, op.DeploymentID,
				op.DecidedAt.Format(time.RFC3339), op.Decision) + fmt.Sprintf(format, args...)})
	}
	if r.Denials.Enabled && op.Decision == oversight.Deny && denials >= r.Denials.Threshold {
		hit(RuleDenials, fmt.Sprintf("Repeated denials of deployment %s: probing the policy", op.DeploymentID),
			"denial %d of the deployment within %s (threshold %d)", denials, time.Duration(r.Denials.Window), r.Denials.Threshold)
	}
	if r.Grounds.Enabled {
		var cited []string
		for _, w := range append(slices.Clone(op.LegalBasis.Conduct), op.Grounds...) {
			if m.words[w] && !slices.Contains(cited, w) {
				cited = append(cited, w)
			}
		}
		if len(cited) > 0 {
			hit(RuleGrounds, "Requests citing opinion, criticism of the state or a protected ground",
				"the request cites %v, which the declaration forbids as a reason", cited)
		}
	}
	if r.BlockedCountry.Enabled && slices.ContainsFunc(op.Reasons, func(x oversight.Reason) bool { return x.Code == codeCountry }) {
		hit(RuleBlockedCountry, "Requests against blocked country codes",
			"target country code %s is blocked by the licence", op.Target.CountryCode)
	}
	// A licence is compared with its baseline only once it has one: after
	// a window and a baseline of decisions (a replay fills it).
	if r.Spike.Enabled && op.DecidedAt.Sub(m.first[op.LicenseID]) >= time.Duration(r.Spike.Window+r.Spike.Baseline) {
		expected := float64(baseline) * float64(r.Spike.Window) / float64(r.Spike.Baseline)
		if recent >= r.Spike.MinCount && float64(recent) > r.Spike.Factor*expected && !op.DecidedAt.Before(m.fired[op.LicenseID]) {
			m.fired[op.LicenseID] = op.DecidedAt.Add(time.Duration(r.Spike.Window))
			hit(RuleSpike, "A spike in the licence's operations against its baseline",
				"%d decisions within %s against %.1f expected from the %s before (factor %g)",
				recent, time.Duration(r.Spike.Window), expected, time.Duration(r.Spike.Baseline), r.Spike.Factor)
		}
	}
	if r.Restricted.Enabled {
		switch {
		case d.Restricted:
			hit(RuleRestricted, "Use while a restriction is in force or soon after a suspension", "a restriction is in force on the licence")
		case d.ReinstatedAt != nil && !op.DecidedAt.Before(*d.ReinstatedAt) && op.DecidedAt.Sub(*d.ReinstatedAt) < time.Duration(r.Restricted.AfterReinstatement):
			hit(RuleRestricted, "Use while a restriction is in force or soon after a suspension",
				"%s after the licence was reinstated from a suspension", op.DecidedAt.Sub(*d.ReinstatedAt).Round(time.Second))
		}
	}
	return hits
}

// codeCountry is the policy's code for a blocked country code
// (policy.CodeCountry); the monitor reads reasons, not the policy.
const codeCountry = "SCOPE-COUNTRY"
