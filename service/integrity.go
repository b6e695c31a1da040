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
// that passes the check. Only the checking goroutine writes; the hot path
// reads tainted with one atomic load and one map lookup.
type integrity struct {
	mu    sync.Mutex // one check at a time
	audit *store.LogAudit
	// What the log records, from the entries checked so far.
	licenses    map[string]*loggedLicense
	deployments map[string]*loggedDeployment
	operations  int64 // operation.decided entries checked

	tainted    atomic.Pointer[map[string]string] // licence id → why
	found      []IntegrityMismatch               // every mismatch found since start, in order
	mismatches atomic.Int64                      // len(found), for metrics
	checked    atomic.Int64                      // audit.Checked(), for metrics
	reported   map[string]bool                   // mismatches already found, by Key
}

// loggedLicense is a licence's state as its log entries record it.
type loggedLicense struct {
	status        oversight.LicenseStatus
	policyVersion int
	restrictions  []string // the ids of its restrictions, in order
}

// loggedDeployment is a deployment's state as its log entries record it.
type loggedDeployment struct {
	licenseID string
	status    oversight.DeploymentStatus
	publicKey string
}

// IntegrityMismatch is one disagreement between the stored state and the
// audit log. It names resources by id and states, never personal data.
type IntegrityMismatch struct {
	// Kind is what disagrees: "entry", "tile", "licence", "deployment" or
	// "operation".
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

func newIntegrity() *integrity {
	in := &integrity{
		audit:       store.NewLogAudit(),
		licenses:    map[string]*loggedLicense{},
		deployments: map[string]*loggedDeployment{},
		reported:    map[string]bool{},
	}
	in.tainted.Store(&map[string]string{})
	return in
}

// IntegrityReport is the outcome of one check.
type IntegrityReport struct {
	// Checked is the number of log entries checked so far, Read those this
	// check read.
	Checked, Read int64
	// New lists the mismatches this check found that no earlier one had.
	New []IntegrityMismatch
	// Tainted lists the licences refused for a mismatch, sorted.
	Tainted []string
}

// CheckIntegrity checks the stored state against the audit log once: the
// entries appended since the last check (all of them the first time) are
// hashed again and checked against the log's tree, and every licence and
// deployment, and the operations of the entries read, against the state
// their latest log entries record. Each new mismatch is logged as an
// error and taints its licence: leases and decisions for it are refused
// (EINTEGRITY), Ready fails, and IntegrityMismatches counts it. An error
// means the check could not run (the database did not answer), not that
// something disagrees.
func (s *Service) CheckIntegrity(ctx context.Context) (*IntegrityReport, error) {
	in := s.integ
	in.mu.Lock()
	defer in.mu.Unlock()
	st, err := s.store.StoredState(ctx)
	if err != nil {
		return nil, fmt.Errorf("check integrity: %w", err)
	}
	var found []IntegrityMismatch
	from := in.audit.Checked()
	entries, err := s.store.Audit(ctx, in.audit, st.LogSize, func(tx *store.Tx, first int64, entries [][]byte) error {
		ms, err := in.read(tx, first, entries)
		found = append(found, ms...)
		return err
	})
	for _, m := range entries {
		found = append(found, in.entryMismatch(ctx, s.store, m))
	}
	if err == nil {
		found = append(found, in.compare(st)...)
		if st.Operations > in.operations {
			var ms []IntegrityMismatch
			ms, err = in.unloggedOperations(ctx, s.store, st.Operations)
			found = append(found, ms...)
		}
	}
	// What was found is kept even if the check stopped half way: the
	// entries read are not read again.
	rep := &IntegrityReport{Checked: in.audit.Checked(), Read: in.audit.Checked() - from, New: s.found(found)}
	rep.Tainted = slices.Sorted(maps.Keys(*in.tainted.Load()))
	if err != nil {
		return rep, fmt.Errorf("check integrity: %w", err)
	}
	return rep, nil
}

// found records the mismatches not found before, logs them, taints their
// licences, and returns them. in.mu is held.
func (s *Service) found(found []IntegrityMismatch) []IntegrityMismatch {
	in := s.integ
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
	in.checked.Store(in.audit.Checked())
	return fresh
}

// RunIntegrityChecks checks the stored state against the log every
// interval until ctx ends. A check that cannot run is logged and tried
// again at the next tick.
func (s *Service) RunIntegrityChecks(ctx context.Context, interval time.Duration) {
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

// IntegrityMismatches returns the number of mismatches found since the
// service started.
func (s *Service) IntegrityMismatches() int64 { return s.integ.mismatches.Load() }

// IntegrityChecked returns the number of log entries checked so far.
func (s *Service) IntegrityChecked() int64 { return s.integ.checked.Load() }

// integrityError reports, as a problem a client can read, why the
// service is not ready: the mismatches found, the first ones named.
func (s *Service) integrityError() error {
	n := s.integ.mismatches.Load()
	if n == 0 {
		return nil
	}
	s.integ.mu.Lock()
	found := s.integ.found[:min(len(s.integ.found), 3)]
	var b bytes.Buffer
	for i, m := range found {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(m.String())
	}
	s.integ.mu.Unlock()
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
func (in *integrity) read(tx *store.Tx, first int64, entries [][]byte) ([]IntegrityMismatch, error) {
	var ops map[string]loggedOperation
	for k, e := range entries {
		if e == nil {
			continue
		}
		typ, subject, payload, ok := eventHead(e)
		if !ok {
			var ev oversight.Event
			if json.Unmarshal(e, &ev) != nil {
				continue // the hash check reports it if it was edited
			}
			typ, subject, payload = ev.Type, ev.Subject, ev.Payload
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
				l := &loggedLicense{status: p.Status, policyVersion: p.PolicyVersion}
				for _, r := range p.Restrictions {
					l.restrictions = append(l.restrictions, r.ID)
				}
				in.licenses[subject] = l
			}
		case oversight.EventLicenseStatus:
			var p struct {
				To            oversight.LicenseStatus `json:"to"`
				PolicyVersion int                     `json:"policy_version"`
			}
			if l := in.licenses[subject]; l != nil && json.Unmarshal(payload, &p) == nil {
				l.status, l.policyVersion = p.To, p.PolicyVersion
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
				if l := in.licenses[p.LicenseID]; l != nil {
					l.policyVersion = p.PolicyVersion
					if p.Kind == oversight.ActionRestrict && p.Restriction != nil {
						l.restrictions = append(l.restrictions, p.Restriction.ID)
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
				in.deployments[subject] = &loggedDeployment{licenseID: p.LicenseID, status: p.Status, publicKey: p.PublicKey}
			}
		case oversight.EventDeploymentRetired:
			if d := in.deployments[subject]; d != nil {
				d.status = oversight.DeploymentRetired
			}
		case oversight.EventOperationDecided:
			if p, ok := decidedColumns(payload); ok {
				if ops == nil {
					ops = map[string]loggedOperation{}
				}
				p.index = first + int64(k)
				ops[subject] = p
				in.operations++
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
func (in *integrity) compare(st *store.StoredState) []IntegrityMismatch {
	var out []IntegrityMismatch
	stored := make(map[string]bool, len(st.Licenses))
	for _, r := range st.Licenses {
		stored[r.ID] = true
		m := IntegrityMismatch{Kind: "licence", ID: r.ID, LicenseID: r.ID}
		want := in.licenses[r.ID]
		var ids []string
		for _, x := range r.Doc.Restrictions {
			ids = append(ids, x.ID)
		}
		switch {
		case want == nil:
			m.Detail = "stored, but no log entry records its application"
		case r.DocErr != nil:
			m.Detail = "its stored document is not a licence"
		case r.Status != want.status:
			m.Detail = fmt.Sprintf("stored status %s; the log says %s", r.Status, want.status)
		case r.Doc.ID != r.ID || r.Doc.Status != want.status:
			m.Detail = fmt.Sprintf("its document says status %s; the log says %s", r.Doc.Status, want.status)
		case r.Doc.PolicyVersion != want.policyVersion:
			m.Detail = fmt.Sprintf("stored policy version %d; the log says %d", r.Doc.PolicyVersion, want.policyVersion)
		case !slices.Equal(ids, want.restrictions):
			m.Detail = fmt.Sprintf("stored restrictions %v; the log records %v", ids, want.restrictions)
		default:
			continue
		}
		out = append(out, m)
	}
	for _, id := range slices.Sorted(maps.Keys(in.licenses)) {
		if !stored[id] {
			out = append(out, IntegrityMismatch{Kind: "licence", ID: id, LicenseID: id, Detail: "the log records it, but the database has no such licence"})
		}
	}
	clear(stored)
	for _, r := range st.Deployments {
		stored[r.ID] = true
		want := in.deployments[r.ID]
		m := IntegrityMismatch{Kind: "deployment", ID: r.ID, LicenseID: r.LicenseID}
		if want != nil {
			m.LicenseID = want.licenseID
		}
		switch {
		case want == nil:
			m.Detail = "stored, but no log entry records its registration"
		case r.DocErr != nil:
			m.Detail = "its stored document is not a deployment"
		case r.LicenseID != want.licenseID || r.Doc.LicenseID != want.licenseID:
			m.Detail = fmt.Sprintf("stored under licence %s; the log says %s", r.LicenseID, want.licenseID)
		case r.Status != want.status || r.Doc.Status != want.status:
			m.Detail = fmt.Sprintf("stored status %s (document %s); the log says %s", r.Status, r.Doc.Status, want.status)
		case r.PublicKey != want.publicKey || r.Doc.PublicKey != want.publicKey:
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
	for _, id := range slices.Sorted(maps.Keys(in.deployments)) {
		if !stored[id] {
			out = append(out, IntegrityMismatch{Kind: "deployment", ID: id, LicenseID: in.deployments[id].licenseID, Detail: "the log records it, but the database has no such deployment"})
		}
	}
	return out
}

// entryMismatch describes an entry or tile that disagrees with the log's
// tree, and taints the licence the stored entry is about, whose recorded
// state cannot be trusted.
func (in *integrity) entryMismatch(ctx context.Context, st *store.Store, lm store.LogMismatch) IntegrityMismatch {
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
	case in.licenses[ev.Subject] != nil:
		m.LicenseID = ev.Subject
	case in.deployments[ev.Subject] != nil:
		m.LicenseID = in.deployments[ev.Subject].licenseID
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
func (in *integrity) unloggedOperations(ctx context.Context, st *store.Store, stored int64) ([]IntegrityMismatch, error) {
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
			"%d operations are stored, the log records %d decisions", stored, in.operations)})
	}
	slices.SortFunc(out, func(a, b IntegrityMismatch) int { return strings.Compare(a.ID, b.ID) })
	return out, err
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
