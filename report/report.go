// Package report computes the transparency report from the public audit
// log's entries alone: per purchasing country and quarter, the licences
// applied for, granted, denied, expired, suspended, reinstated and revoked,
// the restrictions, the uses decided, permitted and denied with the
// denials by clause; the misuse cases opened and closed by source and
// outcome; the designations by basis. Each figure names the entry types it
// counts.
//
// A Builder reads entries in log order and keeps daily counts, so that the
// server keeps its report current by adding each new entry once, and
// anyone who reads the same entries (oversight report) gets the same
// report: the same code computes both. Nothing here does I/O.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// A Figure is one counted quantity of the report, with what it counts.
type Figure struct {
	Name       string   `json:"name"`
	Title      string   `json:"title"`
	EntryTypes []string `json:"entry_types"`
	Counts     string   `json:"counts"`
}

// The per-country figures, in the order of Row.Values.
const (
	figApplied = iota
	figGranted
	figDenied
	figExpired
	figSuspended
	figReinstated
	figRevoked
	figRestrictions
	figUsesDecided
	figUsesPermitted
	figUsesDenied
	nFigures
)

// Figures defines the figures of a Row, in the order of its Values, and
// those of the breakdown tables.
var Figures = []Figure{
	{"licences_applied", "Licences applied for", []string{oversight.EventLicenseApplied}, "each application, by the country of the purchasing agency"},
	{"licences_granted", "Licences granted", []string{oversight.EventLicenseStatus}, "status changes from applied to active (both ministries approved)"},
	{"licences_denied", "Licences denied", []string{oversight.EventLicenseStatus}, "status changes to denied"},
	{"licences_expired", "Licences expired", []string{oversight.EventLicenseStatus}, "status changes to expired"},
	{"licences_suspended", "Licences suspended", []string{oversight.EventLicenseStatus}, "status changes to suspended"},
	{"licences_reinstated", "Licences reinstated", []string{oversight.EventLicenseStatus}, "status changes from suspended to active"},
	{"licences_revoked", "Licences revoked", []string{oversight.EventLicenseStatus}, "status changes to revoked"},
	{"restrictions", "Restrictions imposed", []string{oversight.EventActionExecuted}, "executed actions of kind restrict"},
	{"uses_decided", "Uses decided", []string{oversight.EventOperationDecided}, "every decision on a requested use, by the country of its licence"},
	{"uses_permitted", "Uses permitted", []string{oversight.EventOperationDecided}, "decisions permit"},
	{"uses_denied", "Uses denied", []string{oversight.EventOperationDecided}, "decisions deny"},
	{"denials_by_clause", "Denials by clause", []string{oversight.EventOperationDecided}, "each reason code (the clause or rule) of each deny decision; a denial citing two clauses counts under both"},
	{"cases_opened", "Misuse cases opened", []string{oversight.EventCaseOpened}, "cases opened, by source, and the country of their licence"},
	{"cases_closed", "Misuse cases closed", []string{oversight.EventCaseUpdated, oversight.EventCaseOpened, oversight.EventActionRequested, oversight.EventActionExecuted},
		"case updates to closed, by the case's source and outcome: enforcement (an action linked to the case was executed), designation (people were designated from it), both, or no_action"},
	{"designations_listed", "Designations", []string{oversight.EventDesignationListed}, "people designated for visa refusal, by basis"},
	{"designations_delisted", "Delistings", []string{oversight.EventDesignationDelisted}, "people delisted, by basis"},
}

// Case outcomes.
const (
	OutcomeEnforcement = "enforcement"
	OutcomeDesignation = "designation"
	OutcomeBoth        = "enforcement_and_designation"
	OutcomeNoAction    = "no_action"
)

// day counts days since 1970-01-01, UTC.
type day int32

func dayOf(t time.Time) day { return day(t.UTC().Unix() / 86400) }

func (d day) time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// quarter names the quarter of d, such as "2026-Q3".
func (d day) quarter() string {
	t := d.time()
	return strconv.Itoa(t.Year()) + "-Q" + strconv.Itoa((int(t.Month())+2)/3)
}

type countryDay struct {
	country string
	day     day
}

// breakdown keys a count of a breakdown table.
type breakdown struct {
	table   uint8 // tableDenials, tableOpened…
	country string
	day     day
	a, b    string // clause; source and outcome; basis
}

const (
	tableDenials = iota
	tableOpened
	tableClosed
	tableListed
	tableDelisted
)

type caseInfo struct {
	source, country string
	enforced        bool // an action linked to it was executed
	designated      bool
}

// A Builder computes the report from the log's entries, added in log
// order. It is not safe for concurrent use.
type Builder struct {
	size      int64
	countries map[string]string // licence id → country
	cases     map[string]*caseInfo
	actions   map[string]string // action id → case id, if any
	counts    map[countryDay]*[nFigures]int64
	breaks    map[breakdown]int64
	first     day // the day of the first entry counted
	any       bool
	strs      strs // the values that repeat from entry to entry
}

// NewBuilder returns a Builder of the empty log.
func NewBuilder() *Builder {
	return &Builder{countries: map[string]string{}, cases: map[string]*caseInfo{}, actions: map[string]string{},
		counts: map[countryDay]*[nFigures]int64{}, breaks: map[breakdown]int64{}, strs: strs{}}
}

// Size returns the number of entries added.
func (b *Builder) Size() int64 { return b.size }

// entry is what the report reads of an event.
type entry struct {
	Index   int64           `json:"index"`
	Type    string          `json:"type"`
	Subject string          `json:"subject"`
	Time    time.Time       `json:"time"`
	Payload json.RawMessage `json:"payload"`
}

// payload holds the payload fields the report reads, of every event type
// it counts.
type payload struct {
	Country   string   `json:"country"`    // license.applied
	From      string   `json:"from"`       // license.status
	To        string   `json:"to"`         // license.status
	LicenseID string   `json:"license_id"` // operation.decided, action.*, case.opened
	Kind      string   `json:"kind"`       // action.*
	CaseID    string   `json:"case_id"`    // action.requested
	Decision  string   `json:"decision"`   // operation.decided
	Codes     []string `json:"codes"`      // operation.decided
	Source    string   `json:"source"`     // case.opened
	Status    string   `json:"status"`     // case.updated
	Linked    []string `json:"designations_linked"`
	Basis     string   `json:"basis"` // designation.*
}

// Add adds the entry at index, which must be the next one (Size). An entry
// that is not an event is an error; events of types the report does not
// count are skipped.
func (b *Builder) Add(index int64, raw []byte) error {
	if index != b.size {
		return fmt.Errorf("report: entry %d added after %d entries", index, b.size)
	}
	var e entry
	if err := decodeEntry(raw, &e, b.strs); err != nil {
		return fmt.Errorf("report: entry %d is not an event: %w", index, err)
	}
	if e.Index != index {
		return fmt.Errorf("report: entry %d says it is entry %d", index, e.Index)
	}
	if !counted(e.Type) {
		b.size++
		return nil
	}
	var p payload
	if err := decodePayload(e.Payload, &p, b.strs); err != nil {
		return fmt.Errorf("report: entry %d (%s): payload: %w", index, e.Type, err)
	}
	b.size++
	d := dayOf(e.Time)
	if !b.any || d < b.first {
		b.first, b.any = d, true
	}
	switch e.Type {
	case oversight.EventLicenseApplied:
		b.countries[e.Subject] = p.Country
		b.count(p.Country, d, figApplied)
	case oversight.EventLicenseStatus:
		c := b.countries[e.Subject]
		switch {
		case p.To == string(oversight.LicenseActive) && p.From == string(oversight.LicenseApplied):
			b.count(c, d, figGranted)
		case p.To == string(oversight.LicenseActive) && p.From == string(oversight.LicenseSuspended):
			b.count(c, d, figReinstated)
		case p.To == string(oversight.LicenseDenied):
			b.count(c, d, figDenied)
		case p.To == string(oversight.LicenseExpired):
			b.count(c, d, figExpired)
		case p.To == string(oversight.LicenseSuspended):
			b.count(c, d, figSuspended)
		case p.To == string(oversight.LicenseRevoked):
			b.count(c, d, figRevoked)
		}
	case oversight.EventActionRequested:
		if p.CaseID != "" {
			b.actions[e.Subject] = p.CaseID
		}
	case oversight.EventActionExecuted:
		if p.Kind == string(oversight.ActionRestrict) {
			b.count(b.countries[p.LicenseID], d, figRestrictions)
		}
		if ci := b.cases[b.actions[e.Subject]]; ci != nil && p.Kind != string(oversight.ActionReinstate) {
			ci.enforced = true
		}
	case oversight.EventOperationDecided:
		c := b.countries[p.LicenseID]
		b.count(c, d, figUsesDecided)
		switch p.Decision {
		case string(oversight.Permit):
			b.count(c, d, figUsesPermitted)
		case string(oversight.Deny):
			b.count(c, d, figUsesDenied)
			for _, code := range p.Codes {
				b.breaks[breakdown{table: tableDenials, country: c, day: d, a: code}]++
			}
		}
	case oversight.EventCaseOpened:
		c := b.countries[p.LicenseID]
		b.cases[e.Subject] = &caseInfo{source: p.Source, country: c}
		b.breaks[breakdown{table: tableOpened, country: c, day: d, a: p.Source}]++
	case oversight.EventCaseUpdated:
		ci := b.cases[e.Subject]
		if ci == nil {
			ci = &caseInfo{}
			b.cases[e.Subject] = ci
		}
		if len(p.Linked) > 0 {
			ci.designated = true
		}
		if p.Status == string(oversight.CaseClosed) {
			b.breaks[breakdown{table: tableClosed, country: ci.country, day: d, a: ci.source, b: ci.outcome()}]++
		}
	case oversight.EventDesignationListed:
		b.breaks[breakdown{table: tableListed, day: d, a: p.Basis}]++
	case oversight.EventDesignationDelisted:
		b.breaks[breakdown{table: tableDelisted, day: d, a: p.Basis}]++
	}
	return nil
}

// counted reports whether the report reads events of type t.
func counted(t string) bool {
	switch t {
	case oversight.EventLicenseApplied, oversight.EventLicenseStatus, oversight.EventActionRequested,
		oversight.EventActionExecuted, oversight.EventOperationDecided, oversight.EventCaseOpened,
		oversight.EventCaseUpdated, oversight.EventDesignationListed, oversight.EventDesignationDelisted:
		return true
	}
	return false
}

func (c *caseInfo) outcome() string {
	switch {
	case c.enforced && c.designated:
		return OutcomeBoth
	case c.enforced:
		return OutcomeEnforcement
	case c.designated:
		return OutcomeDesignation
	}
	return OutcomeNoAction
}

func (b *Builder) count(country string, d day, fig int) {
	k := countryDay{country, d}
	v := b.counts[k]
	if v == nil {
		v = new([nFigures]int64)
		b.counts[k] = v
	}
	v[fig]++
}

// Checkpoint names the log's tree a report was computed from.
type Checkpoint struct {
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"` // base64
}

// Report is the transparency report: its period, the checkpoint whose
// entries it counts, the definitions of its figures, and the tables.
// Every table is sorted, and holds no row of zeros.
type Report struct {
	From       string     `json:"from"` // YYYY-MM-DD, inclusive
	To         string     `json:"to"`   // YYYY-MM-DD, inclusive
	Checkpoint Checkpoint `json:"checkpoint"`
	Figures    []Figure   `json:"figures"`
	// Licences and uses per purchasing country and quarter; the country
	// is "" for a licence the log does not show applied for.
	Rows         []Row         `json:"rows"`
	Denials      []ClauseCount `json:"denials_by_clause"`
	CasesOpened  []CaseCount   `json:"cases_opened"`
	CasesClosed  []CaseCount   `json:"cases_closed"`
	Designations []BasisCount  `json:"designations"`
}

// Row holds the per-country figures of one quarter.
type Row struct {
	Country    string `json:"country"`
	Quarter    string `json:"quarter"`
	Applied    int64  `json:"licences_applied"`
	Granted    int64  `json:"licences_granted"`
	Denied     int64  `json:"licences_denied"`
	Expired    int64  `json:"licences_expired"`
	Suspended  int64  `json:"licences_suspended"`
	Reinstated int64  `json:"licences_reinstated"`
	Revoked    int64  `json:"licences_revoked"`
	Restricted int64  `json:"restrictions"`
	Decided    int64  `json:"uses_decided"`
	Permitted  int64  `json:"uses_permitted"`
	UsesDenied int64  `json:"uses_denied"`
}

// values returns the row's figures in the order of Figures.
func (r *Row) values() []*int64 {
	return []*int64{&r.Applied, &r.Granted, &r.Denied, &r.Expired, &r.Suspended, &r.Reinstated, &r.Revoked,
		&r.Restricted, &r.Decided, &r.Permitted, &r.UsesDenied}
}

// ClauseCount is the number of denials citing one clause.
type ClauseCount struct {
	Country string `json:"country"`
	Quarter string `json:"quarter"`
	Clause  string `json:"clause"`
	Count   int64  `json:"count"`
}

// CaseCount is a number of misuse cases opened or closed; Outcome is set
// for closed ones.
type CaseCount struct {
	Country string `json:"country"`
	Quarter string `json:"quarter"`
	Source  string `json:"source"`
	Outcome string `json:"outcome,omitempty"`
	Count   int64  `json:"count"`
}

// BasisCount is the number of people designated and delisted on one
// basis in a quarter.
type BasisCount struct {
	Quarter  string `json:"quarter"`
	Basis    string `json:"basis"`
	Listed   int64  `json:"listed"`
	Delisted int64  `json:"delisted"`
}

// DateLayout is the form of From and To.
const DateLayout = "2006-01-02"

// ParsePeriod reads a report's period as people and programs give it:
// from and to, days YYYY-MM-DD, either "" for the log's first or last
// day. Its error names each field that is not a day that exists.
func ParsePeriod(from, to string) (f, t time.Time, err error) {
	var p oversight.Problems
	for _, d := range []struct {
		name, v string
		t       *time.Time
	}{{"from", from, &f}, {"to", to, &t}} {
		if d.v == "" {
			continue
		}
		if m := oversight.DateProblem(d.v); m != "" {
			p.Add(d.name, "%s", m)
			continue
		}
		*d.t, _ = time.Parse(DateLayout, d.v)
	}
	return f, t, p.Err("invalid period")
}

// Report returns the report of the days from to to, both included, of the
// entries added so far, naming the checkpoint cp, which must be the tree
// of those entries. A zero from means the first day of the log; a zero to,
// the last day that has entries.
func (b *Builder) Report(cp Checkpoint, from, to time.Time) (*Report, error) {
	if cp.Size != b.size {
		return nil, fmt.Errorf("report: the checkpoint has %d entries, the report counts %d", cp.Size, b.size)
	}
	lo, hi := b.first, day(1<<31-1)
	if !from.IsZero() {
		lo = dayOf(from)
	}
	if !to.IsZero() {
		hi = dayOf(to)
	}
	if hi < lo {
		return nil, errors.New("report: the period ends before it starts")
	}
	r := &Report{Checkpoint: cp, Figures: Figures, Rows: []Row{}, Denials: []ClauseCount{},
		CasesOpened: []CaseCount{}, CasesClosed: []CaseCount{}, Designations: []BasisCount{}}
	last := lo
	type cq struct{ country, quarter string }
	rows := map[cq]*Row{}
	for k, v := range b.counts {
		if k.day < lo || k.day > hi {
			continue
		}
		last = max(last, k.day)
		q := cq{k.country, k.day.quarter()}
		row := rows[q]
		if row == nil {
			row = &Row{Country: q.country, Quarter: q.quarter}
			rows[q] = row
		}
		for i, p := range row.values() {
			*p += v[i]
		}
	}
	denials := map[ClauseCount]int64{}
	cases := [3]map[CaseCount]int64{{}, {}, {}}
	bases := map[[2]string]*BasisCount{}
	for k, n := range b.breaks {
		if k.day < lo || k.day > hi {
			continue
		}
		last = max(last, k.day)
		q := k.day.quarter()
		switch k.table {
		case tableDenials:
			denials[ClauseCount{Country: k.country, Quarter: q, Clause: k.a}] += n
		case tableOpened:
			cases[0][CaseCount{Country: k.country, Quarter: q, Source: k.a}] += n
		case tableClosed:
			cases[1][CaseCount{Country: k.country, Quarter: q, Source: k.a, Outcome: k.b}] += n
		case tableListed, tableDelisted:
			bc := bases[[2]string{q, k.a}]
			if bc == nil {
				bc = &BasisCount{Quarter: q, Basis: k.a}
				bases[[2]string{q, k.a}] = bc
			}
			if k.table == tableListed {
				bc.Listed += n
			} else {
				bc.Delisted += n
			}
		}
	}
	for _, row := range rows {
		r.Rows = append(r.Rows, *row)
	}
	slices.SortFunc(r.Rows, func(a, b Row) int { return strings.Compare(a.Country+" "+a.Quarter, b.Country+" "+b.Quarter) })
	for k, n := range denials {
		k.Count = n
		r.Denials = append(r.Denials, k)
	}
	slices.SortFunc(r.Denials, func(a, b ClauseCount) int {
		return strings.Compare(a.Country+" "+a.Quarter+" "+a.Clause, b.Country+" "+b.Quarter+" "+b.Clause)
	})
	for i, out := range []*[]CaseCount{&r.CasesOpened, &r.CasesClosed} {
		for k, n := range cases[i] {
			k.Count = n
			*out = append(*out, k)
		}
		slices.SortFunc(*out, func(a, b CaseCount) int {
			return strings.Compare(a.Country+" "+a.Quarter+" "+a.Source+" "+a.Outcome, b.Country+" "+b.Quarter+" "+b.Source+" "+b.Outcome)
		})
	}
	for _, bc := range bases {
		r.Designations = append(r.Designations, *bc)
	}
	slices.SortFunc(r.Designations, func(a, b BasisCount) int { return strings.Compare(a.Quarter+" "+a.Basis, b.Quarter+" "+b.Basis) })
	if to.IsZero() {
		hi = last
	}
	if b.any || !from.IsZero() {
		r.From = lo.time().Format(DateLayout)
	}
	if b.any || !to.IsZero() {
		r.To = hi.time().Format(DateLayout)
	}
	return r, nil
}
