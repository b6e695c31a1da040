package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/monitor"
	"github.com/oversight-dev/oversight/store"
)

// MonitorOptions configure a RuleMonitor. The zero value is sensible.
type MonitorOptions struct {
	// Holder names this replica in the lease; "" means a random name.
	Holder string
	// Interval is how often Run looks for new decisions (1 s); Lease how
	// long a replica holds the right to read them (10 s); Batch how many
	// decisions one step reads at most (2,000).
	Interval, Lease time.Duration
	Batch           int
}

// monitorName is the row of the rules' cursor in the store.
const monitorName = "rules"

// errMonitorMoved is a step whose decisions another replica read first.
var errMonitorMoved = errors.New("monitor: another replica advanced the cursor")

// RuleMonitor runs the misuse rules (package monitor) over the decisions
// as they commit. It reads the store's event sequence after a cursor row,
// never an in-memory hook, so that every replica could do it; a lease on
// the row lets one replica at a time, and the cursor moves only from where
// the step read, in the transaction that opens or updates the cases: a
// decision counts once whichever replica reads it. It reads outside the
// writer (a read transaction) and gives the writer only the cases and the
// cursor, so that the rules add little to the cost of a decision.
type RuleMonitor struct {
	s      *Service
	m      *monitor.Monitor
	opts   MonitorOptions
	cursor int64 // the cursor the windows are filled up to; -2: unknown
}

// NewRuleMonitor returns a monitor of s's decisions.
func (cw *Casework) NewRuleMonitor(o MonitorOptions) *RuleMonitor {
	s := cw.s
	if o.Holder == "" {
		var b [6]byte
		rand.Read(b[:])
		o.Holder = "replica-" + hex.EncodeToString(b[:])
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 2000
	}
	return &RuleMonitor{s: s, m: monitor.New(s.authz.marker.Rules()), opts: o, cursor: -2}
}

// Run claims the lease and steps through new decisions every interval
// until ctx ends; errors are logged and retried.
func (r *RuleMonitor) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		if _, err := r.CatchUp(ctx); err != nil && ctx.Err() == nil {
			r.s.log.Warn("monitor", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CatchUp claims the lease and, if this replica holds it, steps until no
// decision is left; it returns how many decisions it read.
func (r *RuleMonitor) CatchUp(ctx context.Context) (int, error) {
	now := r.s.clock()
	var held bool
	err := r.s.update(ctx, func(tx *store.Tx) (err error) {
		held, err = tx.ClaimMonitor(monitorName, r.opts.Holder, now, now.Add(r.opts.Lease))
		return err
	})
	if err != nil || !held {
		r.cursor = -2 // another replica reads meanwhile
		return 0, err
	}
	total := 0
	for {
		n, err := r.Step(ctx)
		total += n
		if errors.Is(err, errMonitorMoved) {
			continue
		}
		if err != nil || n < r.opts.Batch {
			return total, err
		}
	}
}

// Step reads the decisions after the cursor (at most a batch), applies
// the rules and records what they found; it returns how many decisions it
// read. Tests call it directly; Run calls it while holding the lease.
//
// It reads the decisions' columns and marks (store.Decided), never their
// records, except those of the few that a rule hit, for the evidence.
func (r *RuleMonitor) Step(ctx context.Context) (int, error) {
	now := r.s.clock()
	var (
		from, to int64
		n        int
		order    []hitKey
		groups   = map[hitKey]*hitGroup{}
	)
	err := r.s.view(ctx, func(tx *store.Tx) error {
		var err error
		if from, _, _, err = tx.MonitorCursor(monitorName); err != nil {
			return err
		}
		if from != r.cursor {
			// A gap: fill the windows again from the history before the
			// cursor.
			r.m.Forget()
			past, err := tx.DecisionsSince(now.Add(-r.m.Rules().History()), from)
			if err != nil {
				return err
			}
			for i := range past {
				r.m.Replay(decision(&past[i]))
			}
			r.cursor = from
		}
		ds, err := tx.Decisions(from, r.opts.Batch)
		if err != nil || len(ds) == 0 {
			return err
		}
		n, to = len(ds), ds[len(ds)-1].Index
		facts := map[string]monitor.Decision{}
		// Gather the hits per licence and rule, in log order: one case
		// event per case and step, whatever the number of decisions.
		var evidence []string // operations whose records the evidence quotes
		for i := range ds {
			f, ok := facts[ds[i].LicenseID]
			if !ok && r.m.Rules().Restricted.Enabled {
				if f, err = licenseFacts(tx, ds[i].LicenseID); err != nil {
					return err
				}
				facts[ds[i].LicenseID] = f
			}
			d := decision(&ds[i])
			d.Restricted, d.ReinstatedAt = f.Restricted, f.ReinstatedAt
			for _, h := range r.m.Observe(d) {
				k := hitKey{h.LicenseID, h.Rule}
				g := groups[k]
				if g == nil {
					g = &hitGroup{gathering: gathering{LicenseID: h.LicenseID, Rule: h.Rule, Source: oversight.SourceRule, Title: h.Title}}
					groups[k] = g
					order = append(order, k)
				}
				g.Operations = append(g.Operations, h.OperationID)
				g.Hits++
				if len(g.Evidence) < maxGathered {
					g.Evidence = append(g.Evidence, oversight.Evidence{Kind: "operation", Ref: h.OperationID, Description: h.Detail, AddedBy: "system", AddedAt: now})
					g.hits = append(g.hits, h)
					evidence = append(evidence, h.OperationID)
				}
			}
		}
		if len(evidence) == 0 {
			return nil
		}
		ops, err := tx.OperationsByID(evidence)
		if err != nil {
			return err
		}
		for _, k := range order {
			g := groups[k]
			for i, h := range g.hits {
				if op := ops[h.OperationID]; op != nil {
					g.Evidence[i].Description = r.m.Describe(h, op)
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("monitor: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	err = r.s.update(ctx, func(tx *store.Tx) error {
		ok, err := tx.AdvanceMonitor(monitorName, from, to)
		if err != nil {
			return err
		}
		if !ok {
			return errMonitorMoved
		}
		for _, k := range order {
			if _, err := r.s.gather(tx, "system", groups[k].gathering, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.cursor = -2
		return 0, err
	}
	r.cursor = to
	return n, nil
}

// hitKey groups a step's hits: one case per licence and rule.
type hitKey struct{ license, rule string }

// hitGroup is what a step's hits add to one case, and the hits whose
// evidence it lists.
type hitGroup struct {
	gathering
	hits []monitor.Hit
}

// decision is what the monitor reads of a decided operation.
func decision(d *store.Decided) monitor.Decision {
	return monitor.Decision{ID: d.ID, LicenseID: d.LicenseID, DeploymentID: d.DeploymentID, Verdict: d.Decision,
		DecidedAt: d.DecidedAt, Marks: monitor.Marks(d.Marks)}
}

// gathering returns what hit, a firing on op, adds to its case; caseID
// names the case it opens if none is open.
func (cw *Casework) gathering(hit monitor.Hit, op *oversight.OperationRecord, now time.Time, caseID string) gathering {
	s := cw.s
	return gathering{CaseID: caseID, LicenseID: hit.LicenseID, Rule: hit.Rule, Source: oversight.SourceRule, Title: hit.Title,
		Operations: []string{op.ID}, Hits: 1, Evidence: []oversight.Evidence{{Kind: "operation", Ref: op.ID,
			Description: s.authz.marker.Describe(hit, op), AddedBy: "system", AddedAt: now}}}
}

// licenseFacts reads what the restricted-use rule needs of a licence: a
// restriction in force, and when it was last reinstated.
func licenseFacts(tx *store.Tx, licenseID string) (monitor.Decision, error) {
	var d monitor.Decision
	l, err := tx.License(licenseID)
	if err != nil {
		return d, err
	}
	d.Restricted = len(l.Restrictions) > 0
	acts, _, err := tx.Actions(licenseID, oversight.Page{Limit: 1000})
	if err != nil {
		return d, err
	}
	for _, a := range acts {
		if a.Kind == oversight.ActionReinstate && a.Status == oversight.ActionExecuted && a.ExecutedAt != nil &&
			(d.ReinstatedAt == nil || a.ExecutedAt.After(*d.ReinstatedAt)) {
			d.ReinstatedAt = a.ExecutedAt
		}
	}
	return d, nil
}
