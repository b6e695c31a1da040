package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// DefaultIntegrityInterval is how often serve checks the stored state
// against the audit log after the check at start: each check reads only
// the entries appended since the last, and every licence and deployment.
const DefaultIntegrityInterval = time.Minute

// integrity checks the stored state against the audit log: every entry's
// hash against the log's tree (store.LogAudit), and every licence's,
// deployment's and operation's stored state against the state its latest
// log entry records. A licence whose state, or whose deployment's or
// operation's state, disagrees with the log is tainted: no lease and no
// decision for it on this replica until the server restarts on a database
// that passes the check. Only the checking goroutines write; the hot path
// reads tainted with one atomic load and one map lookup.
//
// After a check of the log's head that found every entry it read to be
// the log's, the state those entries give is recorded, with the log's size
// and root, in a verified checkpoint kept outside the database under a MAC
// (checkpoint.go). The first check of a later start resumes from it: the
// stored tree must have the recorded root at the recorded size, and only
// the entries after it are read before serving, while the entries before
// it are checked again in the background (CheckCheckpointed).
type integrity struct {
	mu    sync.Mutex      // one check of the log's head at a time; guards the fields down to resumed
	audit *store.LogAudit // nil before the first check
	// state is what the log records, from the checkpoint resumed from and
	// the entries checked since.
	state *loggedState
	// sound: every entry state was read from is the log's own (no check
	// of the head found an entry or tile that disagrees, none stopped
	// half way), so that state may be recorded in a checkpoint.
	sound    bool
	recorded int64 // the size of the last checkpoint resumed from or recorded
	resumed  int64 // the size of the checkpoint the first check resumed from; 0 if none

	keeper CheckpointKeeper // nil: no checkpoints
	key    []byte           // their MAC key

	emu     sync.Mutex    // one check of the entries before the checkpoint at a time; guards earlier
	earlier *earlierCheck // nil when none is left to do
	pending atomic.Int64  // entries before the checkpoint, until CheckCheckpointed has checked them all; for metrics

	rmu        sync.Mutex                        // guards found and reported
	tainted    atomic.Pointer[map[string]string] // licence id → why
	found      []IntegrityMismatch               // every mismatch found since start, in order
	mismatches atomic.Int64                      // len(found), for metrics
	checked    atomic.Int64                      // entries hashed again since start, for metrics
	reported   map[string]bool                   // mismatches already found, by Key
}

// earlierCheck is the check, in the background, of the entries before the
// checkpoint the check at start resumed from: they are hashed again
// against the log's tree, the operations they decided are compared with
// their rows, and the state they give must be the checkpoint's.
type earlierCheck struct {
	size   int64           // the checkpoint's size
	want   *loggedState    // the checkpoint's state
	audit  *store.LogAudit // from 0 up to size
	state  *loggedState    // what the entries read so far give
	edited bool            // an entry or tile disagreed: state is not the log's
}

// loggedState is what the log records of the licences and deployments,
// and how many decisions, after the entries read so far. A verified
// checkpoint records it as JSON (checkpointVersion names its form).
type loggedState struct {
	Licenses    map[string]*loggedLicense    `json:"licenses"`
	Deployments map[string]*loggedDeployment `json:"deployments"`
	Operations  int64                        `json:"operations"` // operation.decided entries
}

func newLoggedState() *loggedState {
	return &loggedState{Licenses: map[string]*loggedLicense{}, Deployments: map[string]*loggedDeployment{}}
}

// clone returns a deep copy of ls.
func (ls *loggedState) clone() *loggedState {
	c := &loggedState{Licenses: make(map[string]*loggedLicense, len(ls.Licenses)),
		Deployments: make(map[string]*loggedDeployment, len(ls.Deployments)), Operations: ls.Operations}
	for id, l := range ls.Licenses {
		l := *l
		l.Restrictions = slices.Clone(l.Restrictions)
		c.Licenses[id] = &l
	}
	for id, d := range ls.Deployments {
		d := *d
		c.Deployments[id] = &d
	}
	return c
}

// loggedLicense is a licence's state as its log entries record it.
type loggedLicense struct {
	Status        oversight.LicenseStatus `json:"status"`
	PolicyVersion int                     `json:"policy_version"`
	Restrictions  []string                `json:"restrictions,omitempty"` // the ids of its restrictions, in order
	// Permits counts its operation.decided entries that permit, which its
	// row of permit_counts must have issued; Decided is the latest time
	// of any of its decisions (Unix microseconds), which that row's
	// swept_to cannot pass: a sweep commits only with a decision.
	Permits int64 `json:"permits,omitempty"`
	Decided int64 `json:"decided,omitempty"`
}

func (l *loggedLicense) equal(o *loggedLicense) bool {
	return l.Status == o.Status && l.PolicyVersion == o.PolicyVersion && slices.Equal(l.Restrictions, o.Restrictions) &&
		l.Permits == o.Permits && l.Decided == o.Decided
}

// loggedDeployment is a deployment's state as its log entries record it.
type loggedDeployment struct {
	LicenseID string                     `json:"license_id"`
	Status    oversight.DeploymentStatus `json:"status"`
	PublicKey string                     `json:"public_key"`
}

// IntegrityMismatch is one disagreement between the stored state and the
// audit log. It names resources by id and states, never personal data.
type IntegrityMismatch struct {
	// Kind is what disagrees: "entry", "tile", "licence", "deployment",
	// "operation", "permits" (a licence's count of permits) or
	// "checkpoint".
	Kind string `json:"kind"`
	// ID is the resource's id, or the entry's index.
	ID string `json:"id"`
	// LicenseID is the licence tainted by it, if any.
	LicenseID string `json:"license_id,omitempty"`
	Detail    string `json:"detail"`
}

// Key identifies the mismatch, so that a check on a schedule reports it
// once.
func (m IntegrityMismatch) Key() string {
	return m.Kind + " " + m.ID + " " + m.LicenseID + " " + m.Detail
}

func (m IntegrityMismatch) String() string {
	s := m.Kind + " " + m.ID + ": " + m.Detail
	if m.LicenseID != "" && m.LicenseID != m.ID {
		s += " (licence " + m.LicenseID + ")"
	}
	return s
}

func newIntegrity(opts Options) *integrity {
	in := &integrity{keeper: opts.Checkpoints, key: opts.IntegrityKey, reported: map[string]bool{}}
	in.tainted.Store(&map[string]string{})
	return in
}

// IntegrityReport is the outcome of one check.
type IntegrityReport struct {
	// Checked is the number of log entries checked so far (by a check of
	// the head, those before the checkpoint it resumed from included),
	// Read those this check read.
	Checked, Read int64
	// FromCheckpoint is the size of the verified checkpoint the first
	// check resumed from, 0 if it read the whole log.
	FromCheckpoint int64
	// Pending is the number of entries before that checkpoint, until
	// CheckCheckpointed has checked them all (then 0).
	Pending int64
	// New lists the mismatches this check found that no earlier one had.
	New []IntegrityMismatch
	// Tainted lists the licences refused for a mismatch, sorted.
	Tainted []string
}

// CheckIntegrity checks the stored state against the audit log once: the
// entries appended since the last check are hashed again and checked
// against the log's tree, and every licence and deployment, and the
// operations of the entries read, against the state their latest log
// entries record. Each new mismatch is logged as an error and taints its
// licence: leases and decisions for it are refused (EINTEGRITY), Ready
// fails, and IntegrityMismatches counts it. An error means the check could
// not run (the database did not answer), not that something disagrees.
//
// The first check reads the whole log, unless Options.Checkpoints holds a
// verified checkpoint whose MAC is right and whose root is the stored
// tree's at its size: it then resumes from the state recorded there and
// reads only the entries after it, and CheckCheckpointed checks those
// before it. A checkpoint that is missing, forged or does not match the
// tree is logged and the whole log read, as without one. Each check that
// finds every entry it read to be the log's records a new checkpoint at
// the size it reached.
func (s *Service) CheckIntegrity(ctx context.Context) (*IntegrityReport, error) {
	in := s.integ
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.audit == nil {
		s.resumeIntegrity(ctx)
	}
	st, err := s.store.StoredState(ctx)
	if err != nil {
		return nil, fmt.Errorf("check integrity: %w", err)
	}
	from := in.audit.Checked()
	found, edited, err := s.audit(ctx, in.audit, in.state, st.LogSize)
	if edited || err != nil {
		// The state was read from an edited entry, or from a chunk
		// whose check did not finish and that is read again.
		in.sound = false
	}
	if err == nil {
		found = append(found, in.state.compare(st)...)
		found = append(found, in.state.comparePermits(st)...)
		if st.Operations > in.state.Operations {
			var ms []IntegrityMismatch
			ms, err = in.state.unloggedOperations(ctx, s.store, st.Operations)
			found = append(found, ms...)
		}
	}
	read := in.audit.Checked() - from
	in.checked.Add(read)
	// What was found is kept even if the check stopped half way: the
	// entries read are not read again.
	rep := &IntegrityReport{Checked: in.audit.Checked(), Read: read, FromCheckpoint: in.resumed, Pending: in.pending.Load(), New: s.found(found)}
	rep.Tainted = slices.Sorted(maps.Keys(*in.tainted.Load()))
	if err != nil {
		return rep, fmt.Errorf("check integrity: %w", err)
	}
	if in.sound {
		s.recordCheckpoint()
	}
	return rep, nil
}

// audit checks the entries from a.Checked() up to size against the log's
// tree, taking the state they record into ls and comparing the
// operations they decided with their rows. edited says whether an entry
// or tile disagreed with the tree (ls then holds what an edited entry
// says).
func (s *Service) audit(ctx context.Context, a *store.LogAudit, ls *loggedState, size int64) (found []IntegrityMismatch, edited bool, err error) {
	entries, err := s.store.Audit(ctx, a, size, func(tx *store.Tx, first int64, entries [][]byte) error {
		ms, err := ls.read(tx, first, entries)
		found = append(found, ms...)
		return err
	})
	for _, m := range entries {
		found = append(found, ls.entryMismatch(ctx, s.store, m))
	}
	return found, len(entries) > 0, err
}

// resumeIntegrity prepares the first check: from the verified checkpoint
// if there is a valid one, else from the log's first entry. in.mu is held.
func (s *Service) resumeIntegrity(ctx context.Context) {
	in := s.integ
	in.audit, in.state, in.sound = store.NewLogAudit(), newLoggedState(), true
	if in.keeper == nil {
		return
	}
	whole := "the whole log is checked before anything is served"
	b, err := in.keeper.IntegrityCheckpoint()
	if err != nil {
		s.log.Warn("cannot read the integrity check's verified checkpoint: "+whole, "err", err)
		return
	}
	if b == nil {
		s.log.Info("no verified integrity checkpoint yet: " + whole)
		return
	}
	rec, err := openCheckpoint(in.key, b)
	if err != nil {
		s.log.Warn("integrity checkpoint refused: "+whole, "err", err)
		return
	}
	a, err := s.store.ResumeLogAudit(ctx, rec.Size, rec.Root)
	if err != nil {
		s.log.Warn("integrity checkpoint refused: "+whole, "err", err)
		return
	}
	in.audit, in.state, in.resumed, in.recorded = a, rec.State, rec.Size, rec.Size
	in.emu.Lock()
	in.earlier = &earlierCheck{size: rec.Size, want: rec.State.clone(), audit: store.NewLogAudit(), state: newLoggedState()}
	in.emu.Unlock()
	in.pending.Store(rec.Size)
}

// CheckCheckpointed checks the entries before the verified checkpoint the
// first CheckIntegrity resumed from, which it took on the checkpoint's
// word: each is hashed again against the log's tree, the operations they
// decided are compared with their rows, and the licence and deployment
// state they give must be the one the checkpoint records. Mismatches are
// reported and taint their licences as CheckIntegrity's do. It does
// nothing when the first check read the whole log, or once it has
// succeeded; after an error, the next call starts again.
func (s *Service) CheckCheckpointed(ctx context.Context) (*IntegrityReport, error) {
	in := s.integ
	in.emu.Lock()
	defer in.emu.Unlock()
	e := in.earlier
	if e == nil {
		return &IntegrityReport{Tainted: slices.Sorted(maps.Keys(*in.tainted.Load()))}, nil
	}
	found, edited, err := s.audit(ctx, e.audit, e.state, e.size)
	e.edited = e.edited || edited
	read := e.audit.Checked()
	in.checked.Add(read)
	rep := &IntegrityReport{Checked: e.audit.Checked(), Read: read, FromCheckpoint: e.size}
	if err == nil {
		if !e.edited {
			// The checkpoint was made by a check that read these
			// entries: only a forged one gives another state.
			found = append(found, e.want.diff(e.state, e.size)...)
		}
		in.earlier = nil
		in.pending.Store(0)
	} else {
		// Start again: the state of a chunk whose check failed would
		// be read twice.
		in.earlier = &earlierCheck{size: e.size, want: e.want, audit: store.NewLogAudit(), state: newLoggedState(), edited: e.edited}
		in.pending.Store(e.size)
	}
	rep.Pending = in.pending.Load()
	rep.New = s.found(found)
	rep.Tainted = slices.Sorted(maps.Keys(*in.tainted.Load()))
	if err != nil {
		return rep, fmt.Errorf("check the entries before the verified integrity checkpoint: %w", err)
	}
	return rep, nil
}

// recordCheckpoint records the state checked so far in a verified
// checkpoint, if the log grew since the last one. in.mu is held, and
// in.sound is true. A checkpoint that cannot be saved is logged: the next
// start then checks more.
func (s *Service) recordCheckpoint() {
	in := s.integ
	if in.keeper == nil || in.audit.Checked() <= in.recorded {
		return
	}
	rec := &checkpointRecord{Version: checkpointVersion, Size: in.audit.Checked(), Root: in.audit.Root(), State: in.state}
	b, err := sealCheckpoint(in.key, rec)
	if err == nil {
		err = in.keeper.SaveIntegrityCheckpoint(b)
	}
	if err != nil {
		s.log.Warn("cannot record the integrity check's verified checkpoint", "size", rec.Size, "err", err)
		return
	}
	in.recorded = rec.Size
}

// found records the mismatches not found before, logs them, taints their
// licences, and returns them.
func (s *Service) found(found []IntegrityMismatch) []IntegrityMismatch {
	in := s.integ
	in.rmu.Lock()
	defer in.rmu.Unlock()
	var fresh []IntegrityMismatch
	tainted := maps.Clone(*in.tainted.Load())
	for _, m := range found {
		if in.reported[m.Key()] {
			continue
		}
		in.reported[m.Key()] = true
		in.found = append(in.found, m)
		fresh = append(fresh, m)
		s.log.Error("stored state disagrees with the audit log", "kind", m.Kind, "id", m.ID, "license", m.LicenseID, "detail", m.Detail)
		if m.LicenseID != "" {
			if _, ok := tainted[m.LicenseID]; !ok {
				tainted[m.LicenseID] = m.String()
			}
		}
	}
	in.tainted.Store(&tainted)
	in.mismatches.Store(int64(len(in.found)))
	return fresh
}

// RunIntegrityChecks checks the stored state against the log every
// interval until ctx ends, and meanwhile, once, the entries before the
// verified checkpoint the first check resumed from (CheckCheckpointed).
// Call it after the first CheckIntegrity. A check that cannot run is
// logged and tried again at the next tick.
func (s *Service) RunIntegrityChecks(ctx context.Context, interval time.Duration) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.runEarlierCheck(ctx, interval) })
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.CheckIntegrity(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("integrity check", "err", err)
		}
	}
}

// runEarlierCheck runs CheckCheckpointed until it succeeds, waiting
// interval after a failure.
func (s *Service) runEarlierCheck(ctx context.Context, interval time.Duration) {
	for {
		began := time.Now()
		rep, err := s.CheckCheckpointed(ctx)
		if err == nil {
			if rep.Read > 0 {
				s.log.Info("entries before the verified integrity checkpoint checked against the audit log", "entries", rep.Read,
					"mismatches", len(rep.New), "tainted_licenses", len(rep.Tainted), "took", time.Since(began).Round(time.Millisecond))
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Error("integrity check of the entries before the verified checkpoint", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// IntegrityMismatches returns the number of mismatches found since the
// service started.
func (s *Service) IntegrityMismatches() int64 { return s.integ.mismatches.Load() }

// IntegrityChecked returns the number of log entries hashed again and
// checked against the log's tree since the service started.
func (s *Service) IntegrityChecked() int64 { return s.integ.checked.Load() }

// IntegrityPending returns the number of entries before the verified
// checkpoint the first check resumed from, until CheckCheckpointed has
// checked them all (then 0).
func (s *Service) IntegrityPending() int64 { return s.integ.pending.Load() }

// integrityError reports, as a problem a client can read, why the
// service is not ready: the mismatches found, the first ones named.
func (s *Service) integrityError() error {
	n := s.integ.mismatches.Load()
	if n == 0 {
		return nil
	}
	s.integ.rmu.Lock()
	found := s.integ.found[:min(len(s.integ.found), 3)]
	var b bytes.Buffer
	for i, m := range found {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(m.String())
	}
	s.integ.rmu.Unlock()
	more := ""
	if n > int64(len(found)) {
		more = fmt.Sprintf("; and %d more", n-int64(len(found)))
	}
	return oversight.Errorf(oversight.EINTEGRITY, "the stored state disagrees with the audit log (%d mismatches; the licences concerned get no lease or decision): %s%s", n, b.String(), more)
}

// checkTainted refuses a licence whose stored state, or that of one of
// its deployments or operations, disagrees with the log: one atomic load
// and one map lookup, on the hot path.
func (s *Service) checkTainted(licenseID string) error {
	why, ok := (*s.integ.tainted.Load())[licenseID]
	if !ok {
		return nil
	}
	return &oversight.Error{Code: oversight.EINTEGRITY, State: "unverified", Message: fmt.Sprintf(
		"licence %s: its stored state disagrees with the audit log (%s); nothing is decided on it until the database is restored and the server restarted", licenseID, why)}
}

// read takes the state the entries record, and checks the operations they
// decided against their stored rows, in the chunk's transaction.
//
// What it takes from the entries is what a verified checkpoint records:
// a change here changes checkpointVersion.
func (ls *loggedState) read(tx *store.Tx, first int64, entries [][]byte) ([]IntegrityMismatch, error) {
	var ops map[string]loggedOperation
	for k, e := range entries {
		if e == nil {
			continue
		}
		typ, subject, payload, ok := eventHead(e)
		var at time.Time
		if !ok {
			var ev oversight.Event
			if json.Unmarshal(e, &ev) != nil {
				continue // the hash check reports it if it was edited
			}
			typ, subject, payload, at = ev.Type, ev.Subject, ev.Payload, ev.Time
		}
		switch typ {
		case oversight.EventLicenseApplied:
			var p struct {
				Status        oversight.LicenseStatus `json:"status"`
				PolicyVersion int                     `json:"policy_version"`
				Restrictions  []struct {
					ID string `json:"id"`
				} `json:"restrictions"`
			}
			if json.Unmarshal(payload, &p) == nil {
				l := &loggedLicense{Status: p.Status, PolicyVersion: p.PolicyVersion}
				for _, r := range p.Restrictions {
					l.Restrictions = append(l.Restrictions, r.ID)
				}
				if old := ls.Licenses[subject]; old != nil {
					l.Permits, l.Decided = old.Permits, old.Decided // its decisions stand
				}
				ls.Licenses[subject] = l
			}
		case oversight.EventLicenseStatus:
			var p struct {
				To            oversight.LicenseStatus `json:"to"`
				PolicyVersion int                     `json:"policy_version"`
			}
			if l := ls.Licenses[subject]; l != nil && json.Unmarshal(payload, &p) == nil {
				l.Status, l.PolicyVersion = p.To, p.PolicyVersion
			}
		case oversight.EventActionExecuted:
			var p struct {
				LicenseID   string               `json:"license_id"`
				Kind        oversight.ActionKind `json:"kind"`
				Restriction *struct {
					ID string `json:"id"`
				} `json:"restriction"`
				PolicyVersion int `json:"policy_version"`
			}
			if json.Unmarshal(payload, &p) == nil {
				if l := ls.Licenses[p.LicenseID]; l != nil {
					l.PolicyVersion = p.PolicyVersion
					if p.Kind == oversight.ActionRestrict && p.Restriction != nil {
						l.Restrictions = append(l.Restrictions, p.Restriction.ID)
					}
				}
			}
		case oversight.EventDeploymentRegistered:
			var p struct {
				LicenseID string                     `json:"license_id"`
				Status    oversight.DeploymentStatus `json:"status"`
				PublicKey string                     `json:"public_key"`
			}
			if json.Unmarshal(payload, &p) == nil {
				ls.Deployments[subject] = &loggedDeployment{LicenseID: p.LicenseID, Status: p.Status, PublicKey: p.PublicKey}
			}
		case oversight.EventDeploymentRetired:
			if d := ls.Deployments[subject]; d != nil {
				d.Status = oversight.DeploymentRetired
			}
		case oversight.EventOperationDecided:
			if p, ok := decidedColumns(payload); ok {
				if ops == nil {
					ops = map[string]loggedOperation{}
				}
				p.index = first + int64(k)
				ops[subject] = p
				ls.Operations++
				if l := ls.Licenses[p.LicenseID]; l != nil {
					if at.IsZero() {
						at = eventTime(e)
					}
					l.Decided = max(l.Decided, at.UnixMicro())
					if p.Decision == oversight.Permit {
						l.Permits++
					}
				}
			}
		}
	}
	if ops == nil {
		return nil, nil
	}
	stored, err := tx.StoredOperations(first, first+int64(len(entries)))
	if err != nil {
		return nil, err
	}
	var out []IntegrityMismatch
	for _, id := range slices.Sorted(maps.Keys(ops)) {
		want := ops[id]
		m := IntegrityMismatch{Kind: "operation", ID: id, LicenseID: want.LicenseID}
		got, ok := stored[id]
		var exp *int64
		if want.ExpiresAt != nil {
			us := want.ExpiresAt.UnixMicro()
			exp = &us
		}
		switch {
		case !ok:
			m.Detail = fmt.Sprintf("log entry %d records it, but the database has no such operation", want.index)
		case got.LicenseID != want.LicenseID:
			m.Detail = fmt.Sprintf("stored under licence %s; its log entry %d says licence %s", got.LicenseID, want.index, want.LicenseID)
		case got.Decision != want.Decision:
			m.Detail = fmt.Sprintf("stored decision %s; its log entry %d says %s", got.Decision, want.index, want.Decision)
		case (got.ExpiresAt == nil) != (exp == nil) || exp != nil && *got.ExpiresAt != *exp:
			m.Detail = fmt.Sprintf("stored expiry differs from its log entry %d", want.index)
		default:
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// decidedColumns reads what an operation.decided payload records of the
// operation's stored columns. The payload is canonical JSON of
// oversight.OperationDecided, a flat object whose string values cannot
// hold an unescaped quote: the first "name":" is the member's. Most of
// the log is decisions, and this is a tenth of json.Unmarshal's cost; a
// payload not in that form is decoded in full.
func decidedColumns(payload []byte) (loggedOperation, bool) {
	var p loggedOperation
	str := func(name string) (string, bool) {
		key := `"` + name + `":"`
		i := bytes.Index(payload, []byte(key))
		if i < 0 {
			return "", false
		}
		v := payload[i+len(key):]
		j := bytes.IndexByte(v, '"')
		if j < 0 || bytes.IndexByte(v[:j], '\\') >= 0 {
			return "", false
		}
		return string(v[:j]), true
	}
	lic, ok1 := str("license_id")
	dec, ok2 := str("decision")
	if !ok1 || !ok2 || !bytes.HasPrefix(payload, []byte(`{"`)) {
		return p, json.Unmarshal(payload, &p) == nil
	}
	p.LicenseID, p.Decision = lic, oversight.Verdict(dec)
	if exp, ok := str("expires_at"); ok {
		t, err := time.Parse(time.RFC3339Nano, exp)
		if err != nil {
			return p, json.Unmarshal(payload, &p) == nil
		}
		p.ExpiresAt = &t
	}
	return p, true
}

// loggedOperation is what an operation.decided entry records of the
// operation's stored columns.
type loggedOperation struct {
	LicenseID string            `json:"license_id"`
	Decision  oversight.Verdict `json:"decision"`
	ExpiresAt *time.Time        `json:"expires_at"`
	index     int64
}

// compare checks every licence and deployment row against the state the
// log records.
func (ls *loggedState) compare(st *store.StoredState) []IntegrityMismatch {
	var out []IntegrityMismatch
	stored := make(map[string]bool, len(st.Licenses))
	for _, r := range st.Licenses {
		stored[r.ID] = true
		m := IntegrityMismatch{Kind: "licence", ID: r.ID, LicenseID: r.ID}
		want := ls.Licenses[r.ID]
		var ids []string
		for _, x := range r.Doc.Restrictions {
			ids = append(ids, x.ID)
		}
		switch {
		case want == nil:
			m.Detail = "stored, but no log entry records its application"
		case r.DocErr != nil:
			m.Detail = "its stored document is not a licence"
		case r.Status != want.Status:
			m.Detail = fmt.Sprintf("stored status %s; the log says %s", r.Status, want.Status)
		case r.Doc.ID != r.ID || r.Doc.Status != want.Status:
			m.Detail = fmt.Sprintf("its document says status %s; the log says %s", r.Doc.Status, want.Status)
		case r.Doc.PolicyVersion != want.PolicyVersion:
			m.Detail = fmt.Sprintf("stored policy version %d; the log says %d", r.Doc.PolicyVersion, want.PolicyVersion)
		case !slices.Equal(ids, want.Restrictions):
			m.Detail = fmt.Sprintf("stored restrictions %v; the log records %v", ids, want.Restrictions)
		default:
			continue
		}
		out = append(out, m)
	}
	for _, id := range slices.Sorted(maps.Keys(ls.Licenses)) {
		if !stored[id] {
			out = append(out, IntegrityMismatch{Kind: "licence", ID: id, LicenseID: id, Detail: "the log records it, but the database has no such licence"})
		}
	}
	clear(stored)
	for _, r := range st.Deployments {
		stored[r.ID] = true
		want := ls.Deployments[r.ID]
		m := IntegrityMismatch{Kind: "deployment", ID: r.ID, LicenseID: r.LicenseID}
		if want != nil {
			m.LicenseID = want.LicenseID
		}
		switch {
		case want == nil:
			m.Detail = "stored, but no log entry records its registration"
		case r.DocErr != nil:
			m.Detail = "its stored document is not a deployment"
		case r.LicenseID != want.LicenseID || r.Doc.LicenseID != want.LicenseID:
			m.Detail = fmt.Sprintf("stored under licence %s; the log says %s", r.LicenseID, want.LicenseID)
		case r.Status != want.Status || r.Doc.Status != want.Status:
			m.Detail = fmt.Sprintf("stored status %s (document %s); the log says %s", r.Status, r.Doc.Status, want.Status)
		case r.PublicKey != want.PublicKey || r.Doc.PublicKey != want.PublicKey:
			m.Detail = "its stored public key is not the one its registration's log entry records"
		default:
			continue
		}
		out = append(out, m)
		if r.LicenseID != m.LicenseID {
			// Moved to another licence: both are refused.
			m.LicenseID = r.LicenseID
			out = append(out, m)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(ls.Deployments)) {
		if !stored[id] {
			out = append(out, IntegrityMismatch{Kind: "deployment", ID: id, LicenseID: ls.Deployments[id].LicenseID, Detail: "the log records it, but the database has no such deployment"})
		}
	}
	return out
}

// comparePermits checks each licence's row of permit_counts, which its
// decisions read their quota from, against its permits: the row must have
// issued every permit its log entries record, counted as expired every
// permit that expired at or before its swept_to and no other, and hold as
// next_expiry the earliest expiry after swept_to, exactly as
// store.Tx.CreateOperation and ActivePermits keep it; and swept_to cannot
// be later than the licence's latest logged decision, since a sweep is
// committed only with one (a later one would count unexpired permits as
// expired). Which permits expire after swept_to is read from the permit
// rows, each of which the check compares with its operation.decided
// entry. A row lowered, raised or deleted taints its licence.
func (ls *loggedState) comparePermits(st *store.StoredState) []IntegrityMismatch {
	var out []IntegrityMismatch
	stored := make(map[string]bool, len(st.PermitCounts))
	for _, c := range st.PermitCounts {
		stored[c.LicenseID] = true
		m := IntegrityMismatch{Kind: "permits", ID: c.LicenseID, LicenseID: c.LicenseID}
		want := ls.Licenses[c.LicenseID]
		switch {
		case want == nil:
			m.Detail = "a count of permits is stored, but no log entry records the licence's application"
		case c.Issued != want.Permits:
			m.Detail = fmt.Sprintf("stored count of %d permits issued; the log records %d", c.Issued, want.Permits)
		case c.SweptTo > want.Decided:
			m.Detail = "stored as swept to a time after the licence's latest logged decision"
		case c.Expired != want.Permits-c.Unexpired:
			m.Detail = fmt.Sprintf("stored count of %d permits expired; its permits give %d", c.Expired, want.Permits-c.Unexpired)
		case (c.NextExpiry == nil) != (c.FirstUnexpired == nil) || c.NextExpiry != nil && *c.NextExpiry != *c.FirstUnexpired:
			m.Detail = "stored next expiry is not its earliest unexpired permit's"
		default:
			continue
		}
		out = append(out, m)
	}
	for _, id := range slices.Sorted(maps.Keys(ls.Licenses)) {
		if n := ls.Licenses[id].Permits; n > 0 && !stored[id] {
			out = append(out, IntegrityMismatch{Kind: "permits", ID: id, LicenseID: id, Detail: fmt.Sprintf(
				"the log records %d permits, but the database has no count of them", n)})
		}
	}
	return out
}

// entryMismatch describes an entry or tile that disagrees with the log's
// tree, and taints the licence the stored entry is about, whose recorded
// state cannot be trusted.
func (ls *loggedState) entryMismatch(ctx context.Context, st *store.Store, lm store.LogMismatch) IntegrityMismatch {
	if lm.Index < 0 {
		return IntegrityMismatch{Kind: "tile", ID: lm.Tile.String(), Detail: lm.Detail}
	}
	m := IntegrityMismatch{Kind: "entry", ID: fmt.Sprint(lm.Index), Detail: lm.Detail}
	var e []byte
	st.View(ctx, func(tx *store.Tx) (err error) { e, err = tx.Entry(lm.Index); return err })
	var ev oversight.Event
	if json.Unmarshal(e, &ev) != nil {
		return m
	}
	switch {
	case ls.Licenses[ev.Subject] != nil:
		m.LicenseID = ev.Subject
	case ls.Deployments[ev.Subject] != nil:
		m.LicenseID = ls.Deployments[ev.Subject].LicenseID
	default:
		var p struct {
			LicenseID string `json:"license_id"`
		}
		json.Unmarshal(ev.Payload, &p)
		m.LicenseID = p.LicenseID
	}
	return m
}

// unloggedOperations names the stored operations that no log entry
// records, when there are more operations than operation.decided
// entries.
func (ls *loggedState) unloggedOperations(ctx context.Context, st *store.Store, stored int64) ([]IntegrityMismatch, error) {
	var out []IntegrityMismatch
	err := st.View(ctx, func(tx *store.Tx) error {
		ops, err := tx.UnloggedOperations(100)
		for id, lic := range ops {
			out = append(out, IntegrityMismatch{Kind: "operation", ID: id, LicenseID: lic, Detail: "stored, but no log entry records its decision"})
		}
		return err
	})
	if len(out) == 0 && err == nil {
		out = append(out, IntegrityMismatch{Kind: "operation", ID: "*", Detail: fmt.Sprintf(
			"%d operations are stored, the log records %d decisions", stored, ls.Operations)})
	}
	slices.SortFunc(out, func(a, b IntegrityMismatch) int { return strings.Compare(a.ID, b.ID) })
	return out, err
}

// eventTime reads the time of an entry in eventHead's form, which is
// between its subject and its type; the zero time if it cannot.
func eventTime(e []byte) time.Time {
	ti := bytes.LastIndex(e, []byte(`","type":"`))
	if ti < 0 {
		return time.Time{}
	}
	mi := bytes.LastIndex(e[:ti], []byte(`","time":"`))
	if mi < 0 {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, string(e[mi+len(`","time":"`):ti]))
	return t
}

// eventHead reads an entry's type, subject and payload from the ends of
// its canonical JSON (RFC 8785, as the store writes it: keys sorted, no
// spaces), {"actor":…,"index":…,"payload":{…},"subject":"…","time":"…",
// "type":"…"}, without parsing the payload: the check reads every entry,
// and most are of no interest to it. ok is false when the entry is not in
// that form (or a value has escapes); the caller then parses it in full.
// The payload comes before subject, time and type, whose values hold no
// quote, so the last occurrences of their names are the event's own.
func eventHead(e []byte) (typ, subject string, payload []byte, ok bool) {
	if !bytes.HasSuffix(e, []byte(`"}`)) {
		return "", "", nil, false
	}
	ti := bytes.LastIndex(e, []byte(`","type":"`))
	if ti < 0 {
		return "", "", nil, false
	}
	mi := bytes.LastIndex(e[:ti], []byte(`","time":"`))
	si := bytes.LastIndex(e[:max(mi, 0)], []byte(`,"subject":"`))
	pi := bytes.Index(e, []byte(`,"payload":`))
	if mi < 0 || si < 0 || pi < 0 || pi > si {
		return "", "", nil, false
	}
	t, sub := e[ti+len(`","type":"`):len(e)-2], e[si+len(`,"subject":"`):mi]
	if bytes.ContainsAny(t, `"\`) || bytes.ContainsAny(sub, `"\`) {
		return "", "", nil, false
	}
	return string(t), string(sub), e[pi+len(`,"payload":`) : si], true
}
