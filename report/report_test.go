package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// logOf builds a log's entries from events, numbering them.
type logOf struct {
	entries [][]byte
}

func (l *logOf) add(t *testing.T, when string, typ, subject string, payload any) {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, when)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	ev := oversight.Event{Index: int64(len(l.entries)), Type: typ, Actor: "system", Subject: subject, Time: tm, Payload: p}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	l.entries = append(l.entries, b)
}

type m = map[string]any

// story is a small history: two licences (France, Kenya), uses decided
// in two quarters, a restriction, a suspension and a reinstatement, a
// revocation after a misuse case, designations, and events the report
// does not count.
func story(t *testing.T) *logOf {
	l := &logOf{}
	l.add(t, "2026-01-05T10:00:00Z", oversight.EventVendorRegistered, "ven_1", m{"name": "Kestrel"})
	l.add(t, "2026-01-06T10:00:00Z", oversight.EventLicenseApplied, "lic_fr", m{"country": "FR", "status": "applied"})
	l.add(t, "2026-01-07T10:00:00Z", oversight.EventLicenseApplied, "lic_ke", m{"country": "KE", "status": "applied"})
	l.add(t, "2026-01-08T10:00:00Z", oversight.EventLicenseStatus, "lic_fr", m{"from": "applied", "to": "active"})
	l.add(t, "2026-01-08T11:00:00Z", oversight.EventLicenseStatus, "lic_ke", m{"from": "applied", "to": "denied"})
	for i, d := range []struct {
		when, decision string
		codes          []string
	}{
		{"2026-02-01T00:00:00Z", "permit", []string{"IL2021-2"}},
		{"2026-02-02T00:00:00Z", "deny", []string{"IL2021-1", "IL2021-4"}},
		{"2026-03-31T23:59:59Z", "deny", []string{"IL2021-4"}},
		{"2026-04-01T00:00:00Z", "permit", []string{"IL2021-3"}},
		{"2026-04-02T00:00:00Z", "deny", []string{"SCOPE-PROTECTED"}},
	} {
		l.add(t, d.when, oversight.EventOperationDecided, "op_"+string(rune('a'+i)), m{"license_id": "lic_fr", "decision": d.decision, "codes": d.codes})
	}
	l.add(t, "2026-04-02T00:00:01Z", oversight.EventCaseOpened, "case_1", m{"source": "rule", "license_id": "lic_fr"})
	l.add(t, "2026-04-03T00:00:00Z", oversight.EventActionRequested, "act_r", m{"license_id": "lic_fr", "kind": "restrict", "case_id": "case_1"})
	l.add(t, "2026-04-03T00:00:00Z", oversight.EventActionExecuted, "act_r", m{"license_id": "lic_fr", "kind": "restrict"})
	l.add(t, "2026-04-04T00:00:00Z", oversight.EventActionRequested, "act_s", m{"license_id": "lic_fr", "kind": "suspend"})
	l.add(t, "2026-04-04T00:00:00Z", oversight.EventActionExecuted, "act_s", m{"license_id": "lic_fr", "kind": "suspend"})
	l.add(t, "2026-04-04T00:00:00Z", oversight.EventLicenseStatus, "lic_fr", m{"from": "active", "to": "suspended"})
	l.add(t, "2026-04-10T00:00:00Z", oversight.EventLicenseStatus, "lic_fr", m{"from": "suspended", "to": "active"})
	l.add(t, "2026-04-11T00:00:00Z", oversight.EventDesignationListed, "des_1", m{"basis": "misuse", "case_id": "case_1"})
	l.add(t, "2026-04-11T00:00:00Z", oversight.EventDesignationListed, "des_2", m{"basis": "immediate_relative"})
	l.add(t, "2026-04-11T00:00:01Z", oversight.EventCaseUpdated, "case_1", m{"status": "open", "designations_linked": []string{"des_1", "des_2"}})
	l.add(t, "2026-05-01T00:00:00Z", oversight.EventCaseUpdated, "case_1", m{"status": "closed"})
	l.add(t, "2026-05-02T00:00:00Z", oversight.EventCaseOpened, "case_2", m{"source": "complaint", "license_id": "lic_fr"})
	l.add(t, "2026-05-03T00:00:00Z", oversight.EventCaseUpdated, "case_2", m{"status": "closed"})
	l.add(t, "2026-06-01T00:00:00Z", oversight.EventDesignationDelisted, "des_2", m{"basis": "immediate_relative"})
	l.add(t, "2026-07-01T00:00:00Z", oversight.EventLicenseStatus, "lic_fr", m{"from": "active", "to": "revoked"})
	l.add(t, "2026-07-01T00:00:00Z", oversight.EventScreeningPerformed, "scr_1", m{"rows": 1})
	return l
}

func build(t *testing.T, l *logOf) *Builder {
	t.Helper()
	b := NewBuilder()
	for i, e := range l.entries {
		if err := b.Add(int64(i), e); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s", path, got)
	}
}

var cp = func(n int) Checkpoint {
	return Checkpoint{Origin: "oversight.example/log", Size: int64(n), Root: "root"}
}

func TestReportGolden(t *testing.T) {
	l := story(t)
	r, err := build(t, l).Report(cp(len(l.entries)), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	golden(t, "story.json", append(b, '\n'))
	var csv bytes.Buffer
	if err := r.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	golden(t, "story.csv", csv.Bytes())
}

// TestReportFigures checks the figures one by one, with the period.
func TestReportFigures(t *testing.T) {
	l := story(t)
	b := build(t, l)
	date := func(s string) time.Time { d, _ := time.Parse(DateLayout, s); return d }
	for _, tt := range []struct {
		name     string
		from, to string
		want     map[string]int64 // cell name → count; absent cells are 0
	}{
		{"all", "", "", map[string]int64{
			"rows[FR 2026-Q1].licences_applied": 1, "rows[KE 2026-Q1].licences_applied": 1,
			"rows[FR 2026-Q1].licences_granted": 1, "rows[KE 2026-Q1].licences_denied": 1,
			"rows[FR 2026-Q1].uses_decided": 3, "rows[FR 2026-Q1].uses_permitted": 1, "rows[FR 2026-Q1].uses_denied": 2,
			"rows[FR 2026-Q2].uses_decided": 2, "rows[FR 2026-Q2].uses_denied": 1, "rows[FR 2026-Q2].uses_permitted": 1,
			"rows[FR 2026-Q2].restrictions": 1, "rows[FR 2026-Q2].licences_suspended": 1, "rows[FR 2026-Q2].licences_reinstated": 1,
			"rows[FR 2026-Q3].licences_revoked":      1,
			"denials_by_clause[FR 2026-Q1 IL2021-1]": 1, "denials_by_clause[FR 2026-Q1 IL2021-4]": 2,
			"denials_by_clause[FR 2026-Q2 SCOPE-PROTECTED]": 1,
			"cases_opened[FR 2026-Q2 rule]":                 1, "cases_opened[FR 2026-Q2 complaint]": 1,
			"cases_closed[FR 2026-Q2 rule enforcement_and_designation]":      1,
			"cases_closed[FR 2026-Q2 complaint no_action]":                   1,
			"designations[2026-Q2 misuse].designations_listed":               1,
			"designations[2026-Q2 immediate_relative].designations_listed":   1,
			"designations[2026-Q2 immediate_relative].designations_delisted": 1,
		}},
		{"the first quarter", "2026-01-01", "2026-03-31", map[string]int64{
			"rows[FR 2026-Q1].licences_applied": 1, "rows[KE 2026-Q1].licences_applied": 1,
			"rows[FR 2026-Q1].licences_granted": 1, "rows[KE 2026-Q1].licences_denied": 1,
			"rows[FR 2026-Q1].uses_decided": 3, "rows[FR 2026-Q1].uses_permitted": 1, "rows[FR 2026-Q1].uses_denied": 2,
			"denials_by_clause[FR 2026-Q1 IL2021-1]": 1, "denials_by_clause[FR 2026-Q1 IL2021-4]": 2,
		}},
		{"one day", "2026-04-02", "2026-04-02", map[string]int64{
			"rows[FR 2026-Q2].uses_decided": 1, "rows[FR 2026-Q2].uses_denied": 1,
			"denials_by_clause[FR 2026-Q2 SCOPE-PROTECTED]": 1, "cases_opened[FR 2026-Q2 rule]": 1,
		}},
		{"after the log", "2027-01-01", "2027-12-31", map[string]int64{}},
	} {
		var from, to time.Time
		if tt.from != "" {
			from, to = date(tt.from), date(tt.to)
		}
		r, err := b.Report(cp(len(l.entries)), from, to)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, c := range r.Cells() {
			if c.Count != 0 {
				got[c.Name()] = c.Count
			}
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s: %s = %d, want %d", tt.name, k, got[k], v)
			}
		}
		for k, v := range got {
			if _, ok := tt.want[k]; !ok {
				t.Errorf("%s: unexpected %s = %d", tt.name, k, v)
			}
		}
		if tt.from != "" && (r.From != tt.from || r.To != tt.to) {
			t.Errorf("%s: period %s to %s", tt.name, r.From, r.To)
		}
	}
}

// TestReportIncremental: a Builder fed the log a piece at a time, with a
// report between pieces, ends where one fed it all at once does.
func TestReportIncremental(t *testing.T) {
	l := story(t)
	whole, _ := build(t, l).Report(cp(len(l.entries)), time.Time{}, time.Time{})
	b := NewBuilder()
	for i, e := range l.entries {
		if err := b.Add(int64(i), e); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Report(cp(i+1), time.Time{}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := b.Report(cp(len(l.entries)), time.Time{}, time.Time{})
	if d := Compare(whole, r); len(d) != 0 {
		t.Errorf("incremental differs: %v", d)
	}
}

func TestCompare(t *testing.T) {
	l := story(t)
	b := build(t, l)
	log, _ := b.Report(cp(len(l.entries)), time.Time{}, time.Time{})
	server, _ := b.Report(cp(len(l.entries)), time.Time{}, time.Time{})
	if d := Compare(server, log); len(d) != 0 {
		t.Fatalf("the same report differs: %v", d)
	}
	server.Rows[0].UsesDenied++
	server.Denials = server.Denials[1:]
	server.Designations = append(server.Designations, BasisCount{Quarter: "2026-Q4", Basis: "misuse", Listed: 7})
	server.Checkpoint.Size--
	var got []string
	for _, d := range Compare(server, log) {
		got = append(got, d.String())
	}
	want := []string{
		"checkpoint 25 root (the log's: 26 root)",
		"rows[FR 2026-Q1].uses_denied: the server says 3, the log gives 2",
		"denials_by_clause[FR 2026-Q1 IL2021-1]: the server says 0, the log gives 1",
		"designations[2026-Q4 misuse].designations_listed: the server says 7, the log gives 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBuilderErrors(t *testing.T) {
	l := story(t)
	b := NewBuilder()
	for _, tt := range []struct {
		index int64
		entry string
		says  string
	}{
		{1, string(l.entries[1]), "entry 1 added after 0 entries"},
		{0, "not json", "not an event"},
		{0, string(l.entries[1]), "says it is entry 1"},
		{0, `{"index":0,"type":"license.applied","payload":[1]}`, "payload"},
	} {
		err := b.Add(tt.index, []byte(tt.entry))
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("Add(%d, %.40q) = %v, want an error saying %q", tt.index, tt.entry, err, tt.says)
		}
	}
	if b.Size() != 0 {
		t.Errorf("size %d after refused entries", b.Size())
	}
	if _, err := b.Report(cp(3), time.Time{}, time.Time{}); err == nil {
		t.Error("a report naming a checkpoint of another size")
	}
}

// FuzzBuilderAdd: whatever an entry holds, Add answers without panicking,
// and a report can still be made.
func FuzzBuilderAdd(f *testing.F) {
	f.Add([]byte(`{"index":0,"type":"operation.decided","subject":"op_1","time":"2026-01-01T00:00:00Z","payload":{"license_id":"lic_1","decision":"deny","codes":["X"]}}`))
	f.Add([]byte(`{"index":0,"type":"case.updated","subject":"case_1","time":"0001-01-01T00:00:00Z","payload":{"status":"closed"}}`))
	f.Fuzz(func(t *testing.T, entry []byte) {
		b := NewBuilder()
		if b.Add(0, entry) != nil {
			return
		}
		if _, err := b.Report(Checkpoint{Size: 1}, time.Time{}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	})
}
