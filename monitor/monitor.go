package monitor

import (
	"fmt"
	"slices"
	"time"

	"github.com/oversight-dev/oversight"
)

// Marks are what the rules note of a decision as it is made, in its own
// transaction: a column of its operation, so that the monitor reads a
// decision's columns and never its whole record.
type Marks uint8

// Marks.
const (
	// MarkGrounds: the request's legal_basis.conduct or grounds cite one of
	// the grounds rule's words.
	MarkGrounds Marks = 1 << iota
	// MarkBlockedCountry: the request was denied SCOPE-COUNTRY.
	MarkBlockedCountry
	// MarkProtected: the request was denied SCOPE-PROTECTED; its case was
	// opened with the decision (Marker.Protected).
	MarkProtected
)

// Decision is a decided operation as the rules behind the cursor see it:
// the columns of its record and its marks, with the facts of its licence
// at the time the monitor reads it.
type Decision struct {
	ID, LicenseID, DeploymentID string
	Verdict                     oversight.Verdict
	DecidedAt                   time.Time
	Marks                       Marks
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
	// Title names the case the rule opens; Detail says what the rule saw
	// that the decision's record does not (a count in a window, a time
	// since a reinstatement). Describe makes the evidence of both and the
	// record.
	Title  string
	Detail string
}

// Marker is the part of the rules that runs as a decision is made: it
// marks the decision for the rules that read the monitor's cursor, and it
// is the protected-persons rule, whose case the decision's answer names.
// It is safe for concurrent use.
type Marker struct {
	rules Rules
	words map[string]bool
}

// NewMarker returns the Marker of rules r.
func NewMarker(r Rules) *Marker {
	k := &Marker{rules: r, words: map[string]bool{}}
	for _, w := range r.Grounds.Words {
		k.words[w] = true
	}
	return k
}

// Rules returns the rules k applies.
func (k *Marker) Rules() Rules { return k.rules }

// Mark returns the marks of a decided operation.
func (k *Marker) Mark(op *oversight.OperationRecord) Marks {
	var m Marks
	if k.rules.Grounds.Enabled && len(k.cited(op)) > 0 {
		m |= MarkGrounds
	}
	if op.Decision == oversight.Deny {
		for _, r := range op.Reasons {
			switch r.Code {
			case codeCountry:
				m |= MarkBlockedCountry
			case RuleProtected:
				m |= MarkProtected
			}
		}
	}
	return m
}

// cited returns the grounds rule's words that op cites, once each.
func (k *Marker) cited(op *oversight.OperationRecord) []string {
	var cited []string
	for _, ws := range [][]string{op.LegalBasis.Conduct, op.Grounds} {
		for _, w := range ws {
			if k.words[w] && !slices.Contains(cited, w) {
				cited = append(cited, w)
			}
		}
	}
	return cited
}

// Protected is the protected-persons rule: a request against a person on
// the register (denied SCOPE-PROTECTED, marked MarkProtected) opens a case,
// or adds to the licence's open one, in the decision's own transaction, so
// that the decision and its public record name the case. pp is the
// register's entry.
func (k *Marker) Protected(op *oversight.OperationRecord, pp *oversight.ProtectedPerson) (Hit, bool) {
	if !k.rules.Protected.Enabled || pp == nil || k.Mark(op)&MarkProtected == 0 {
		return Hit{}, false
	}
	return Hit{Rule: RuleProtected, LicenseID: op.LicenseID, OperationID: op.ID,
		Title: fmt.Sprintf("%s requested against a protected person (%s)", op.Operation, pp.Category),
		Detail: fmt.Sprintf("the target is on the protected-persons register (category %s, added %s)",
			pp.Category, pp.AddedAt.Format(time.DateOnly))}, true
}

// Describe returns the evidence a hit adds to its case: the decision, as
// op records it, and what the rule saw.
func (k *Marker) Describe(h Hit, op *oversight.OperationRecord) string {
	s := fmt.Sprintf("%s %s by deployment %s at %s (%s): %s", op.Operation, op.ID, op.DeploymentID,
		op.DecidedAt.Format(time.RFC3339), op.Decision, h.Detail)
	switch h.Rule {
	case RuleGrounds:
		s += fmt.Sprintf("; the request cites %v, which the declaration forbids as a reason", k.cited(op))
	case RuleBlockedCountry:
		s += fmt.Sprintf("; target country code %s", op.Target.CountryCode)
	}
	return s
}

// Monitor applies the rules to decisions fed in log order. Its windows
// live in memory: after a gap (another replica processed decisions, or
// the process started), Forget them and Replay the history the rules need
// (Rules.History) before Observe. It is not safe for concurrent use.
type Monitor struct {
	*Marker
	denials map[string][]time.Time   // deployment → times of denials within the window
	counts  map[string]map[int64]int // licence → minute → decisions
	fired   map[string]time.Time     // licence → end of the window of the last spike
	first   map[string]time.Time     // licence → its first decision seen
}

// New returns a Monitor with rules r.
func New(r Rules) *Monitor {
	m := &Monitor{Marker: NewMarker(r)}
	m.Forget()
	return m
}

// Forget drops the windows.
func (m *Monitor) Forget() {
	m.denials = map[string][]time.Time{}
	m.counts = map[string]map[int64]int{}
	m.fired = map[string]time.Time{}
	m.first = map[string]time.Time{}
}

// Replay fills the windows with a decision already observed, without
// firing.
func (m *Monitor) Replay(d Decision) { m.count(&d) }

// count adds d to the windows and returns the denials of its deployment
// within the window and its licence's decisions within the spike's window
// and baseline.
func (m *Monitor) count(d *Decision) (denials, recent, baseline int) {
	t := d.DecidedAt
	if d.Verdict == oversight.Deny {
		w := time.Duration(m.rules.Denials.Window)
		ts := append(m.denials[d.DeploymentID], t)
		i := 0
		for i < len(ts) && !ts[i].After(t.Add(-w)) {
			i++
		}
		ts = ts[i:]
		m.denials[d.DeploymentID] = ts
		denials = len(ts)
	}
	if _, ok := m.first[d.LicenseID]; !ok {
		m.first[d.LicenseID] = t
	}
	c := m.counts[d.LicenseID]
	if c == nil {
		c = map[int64]int{}
		m.counts[d.LicenseID] = c
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

// Observe applies the rules behind the cursor to d and returns the hits.
// (The protected-persons rule ran when d was decided: Marker.Protected.)
func (m *Monitor) Observe(d Decision) []Hit {
	r := &m.rules
	denials, recent, baseline := m.count(&d)
	var hits []Hit
	hit := func(rule, title, format string, args ...any) {
		hits = append(hits, Hit{Rule: rule, LicenseID: d.LicenseID, OperationID: d.ID, Title: title, Detail: fmt.Sprintf(format, args...)})
	}
	if r.Denials.Enabled && d.Verdict == oversight.Deny && denials >= r.Denials.Threshold {
		hit(RuleDenials, fmt.Sprintf("Repeated denials of deployment %s: probing the policy", d.DeploymentID),
			"denial %d of the deployment within %s (threshold %d)", denials, time.Duration(r.Denials.Window), r.Denials.Threshold)
	}
	if r.Grounds.Enabled && d.Marks&MarkGrounds != 0 {
		hit(RuleGrounds, "Requests citing opinion, criticism of the state or a protected ground", "a forbidden ground cited")
	}
	if r.BlockedCountry.Enabled && d.Marks&MarkBlockedCountry != 0 {
		hit(RuleBlockedCountry, "Requests against blocked country codes", "denied: the target's country code is blocked by the licence")
	}
	// A licence is compared with its baseline only once it has one: after
	// a window and a baseline of decisions (a replay fills it).
	if r.Spike.Enabled && d.DecidedAt.Sub(m.first[d.LicenseID]) >= time.Duration(r.Spike.Window+r.Spike.Baseline) {
		expected := float64(baseline) * float64(r.Spike.Window) / float64(r.Spike.Baseline)
		if recent >= r.Spike.MinCount && float64(recent) > r.Spike.Factor*expected && !d.DecidedAt.Before(m.fired[d.LicenseID]) {
			m.fired[d.LicenseID] = d.DecidedAt.Add(time.Duration(r.Spike.Window))
			hit(RuleSpike, "A spike in the licence's operations against its baseline",
				"%d decisions within %s against %.1f expected from the %s before (factor %g)",
				recent, time.Duration(r.Spike.Window), expected, time.Duration(r.Spike.Baseline), r.Spike.Factor)
		}
	}
	if r.Restricted.Enabled {
		switch {
		case d.Restricted:
			hit(RuleRestricted, "Use while a restriction is in force or soon after a suspension", "a restriction is in force on the licence")
		case d.ReinstatedAt != nil && !d.DecidedAt.Before(*d.ReinstatedAt) && d.DecidedAt.Sub(*d.ReinstatedAt) < time.Duration(r.Restricted.AfterReinstatement):
			hit(RuleRestricted, "Use while a restriction is in force or soon after a suspension",
				"%s after the licence was reinstated from a suspension", d.DecidedAt.Sub(*d.ReinstatedAt).Round(time.Second))
		}
	}
	return hits
}

// codeCountry is the policy's code for a blocked country code
// (policy.CodeCountry); the monitor reads reasons, not the policy.
const codeCountry = "SCOPE-COUNTRY"
