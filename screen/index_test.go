package screen

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// now is a fixed moment after every fixture's listing.
var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func loadFixtures(t testing.TB) []oversight.Designation {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "designations.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ds []oversight.Designation
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d oversight.Designation
		if err := oversight.DecodeJSON(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("fixture %s: %v", d.ID, err)
		}
		ds = append(ds, d)
	}
	return ds
}

func fixtureIndex(t testing.TB) *Index {
	t.Helper()
	ix := NewIndex()
	if err := ix.PutAll(loadFixtures(t)); err != nil {
		t.Fatal(err)
	}
	return ix
}

func screenAt(t *testing.T, ix *Index, q Query) []oversight.Match {
	t.Helper()
	if q.At.IsZero() {
		q.At = now
	}
	ms, err := ix.Screen(q)
	if err != nil {
		t.Fatalf("Screen(%+v): %v", q, err)
	}
	return ms
}

func TestScreenFindsTheRightPerson(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		name, want string
	}{
		{"Radomir ZAVADSKY", "des_fict01"},
		{"Radomir Feliksovich ZAVADSKI", "des_fict01"}, // typo
		{"ZAVADSKY Radomir", "des_fict01"},             // order
		{"Радомир Завадский", "des_fict01"},            // Cyrillic alias
		{"Радомир Феликсович Завадскый", "des_fict01"}, // Cyrillic, misspelt
		{"Yusef Kamal Al Harazi", "des_fict02"},        // transliteration
		{"يوسف الحرازي", "des_fict02"},                 // Arabic, middle name left out
		{"איתן לבנון", "des_fict04"},                   // Hebrew
		{"Κώστας Παπαμιχαήλ", "des_fict05"},            // Greek
		{"Kostas Papamichail", "des_fict05"},
		{"Abd al-Rahman Omar Bakri", "des_fict07"},    // written apart
		{"Abdulrahman BAKRI", "des_fict07"},           // written together
		{"Mr. Jean Pierre de Villiers", "des_fict08"}, // honorific, particle
		{"محمود سعيد حداوي", "des_fict10"},            // Mahmoud, not Mohammed
		{"Mohammed Said HADDAWI", "des_fict11"},
	}
	for _, tt := range tests {
		ms := screenAt(t, ix, Query{Name: tt.name})
		if len(ms) == 0 {
			t.Errorf("%q: no match, want %s", tt.name, tt.want)
			continue
		}
		if ms[0].DesignationID != tt.want {
			t.Errorf("%q: top match %s (%s, %.3f), want %s", tt.name, ms[0].DesignationID, ms[0].MatchedAlias, ms[0].Score, tt.want)
		}
		if ms[0].Score < ReviewScore {
			t.Errorf("%q: top match scores %.3f, below the review band: %s", tt.name, ms[0].Score, ms[0].Explanation.Summary)
		}
		for i := 1; i < len(ms); i++ {
			if ms[i].Score > ms[i-1].Score {
				t.Errorf("%q: matches not ranked by score: %v", tt.name, ms)
			}
		}
	}
}

func TestScreenUnlistedNames(t *testing.T) {
	ix := fixtureIndex(t)
	for _, name := range []string{"Radomir PETROV", "Maria Gonzalez", "Yusuf", "Jean DUPONT", "Eitan COHEN"} {
		for _, m := range screenAt(t, ix, Query{Name: name}) {
			if m.Score >= ReviewScore {
				t.Errorf("%q matched %s (%q) at %.3f: %s", name, m.DesignationID, m.MatchedAlias, m.Score, m.Explanation.Summary)
			}
		}
	}
}

func TestScreenRelative(t *testing.T) {
	ix := fixtureIndex(t)
	ms := screenAt(t, ix, Query{Name: "Salma AL HARAZI"})
	if len(ms) == 0 || ms[0].DesignationID != "des_fict03" {
		t.Fatalf("matches = %+v, want des_fict03 first", ms)
	}
	m := ms[0]
	if m.Basis != oversight.BasisImmediateRelative || m.Relation != oversight.RelationSpouse || m.RelatedTo != "des_fict02" {
		t.Errorf("match = %+v, want an immediate relative, spouse of des_fict02", m)
	}
	rel := m.Explanation.Relative
	if rel == nil || rel.Name != "Yusuf Kamal AL-HARAZI" || rel.Basis != oversight.BasisFinancialGain {
		t.Fatalf("explanation.relative = %+v, want Yusuf Kamal AL-HARAZI, financial_gain", rel)
	}
	if !strings.Contains(m.Explanation.Summary, "spouse of Yusuf Kamal AL-HARAZI") {
		t.Errorf("summary %q does not say whose spouse", m.Explanation.Summary)
	}
	ms = screenAt(t, ix, Query{Name: "Tamar Levanon"})
	if len(ms) == 0 || !strings.Contains(ms[0].Explanation.Summary, "child of Eitan Baruch LEVANON") {
		t.Errorf("Tamar Levanon: %+v, want a child of Eitan Baruch LEVANON", ms)
	}
}

func TestScreenDelisted(t *testing.T) {
	ix := fixtureIndex(t)
	if ms := screenAt(t, ix, Query{Name: "Marlon Ignacio BRAVO QUINTERO"}); len(ms) != 0 {
		t.Errorf("a delisted designation matched: %+v", ms)
	}
	ms := screenAt(t, ix, Query{Name: "Marlon Ignacio BRAVO QUINTERO", IncludeDelisted: true})
	if len(ms) != 1 || ms[0].DesignationID != "des_fict06" || !ms[0].Delisted {
		t.Errorf("with IncludeDelisted: %+v, want des_fict06 marked delisted", ms)
	}
	// Before its delisting it is listed.
	ms = screenAt(t, ix, Query{Name: "Marlon Ignacio BRAVO QUINTERO", At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
	if len(ms) != 1 || ms[0].Delisted {
		t.Errorf("at a time it was listed: %+v, want one active match", ms)
	}
}

func TestScreenQualifiers(t *testing.T) {
	ix := fixtureIndex(t)
	base := screenAt(t, ix, Query{Name: "Radomir Feliksovich ZAVADSKI"})[0]
	tests := []struct {
		q      Query
		effect float64
		fields []string
	}{
		{Query{BirthDate: "1968-04-12"}, effectDateEqual, []string{"birth_date"}},
		{Query{BirthDate: "1968"}, effectYearEqual, []string{"birth_date"}},
		{Query{BirthDate: "1968-05-01"}, effectDayDiffers, []string{"birth_date"}},
		{Query{BirthDate: "1969"}, effectYearNear, []string{"birth_date"}},
		{Query{BirthDate: "1990-01-01"}, effectYearDiffers, []string{"birth_date"}},
		{Query{Nationality: "ru"}, effectNationEqual, []string{"nationality"}},
		{Query{Nationality: "FR", BirthDate: "1968"}, effectNationDiffer + effectYearEqual, []string{"birth_date", "nationality"}},
	}
	for _, tt := range tests {
		tt.q.Name = "Radomir Feliksovich ZAVADSKI"
		m := screenAt(t, ix, tt.q)[0]
		var fields []string
		for _, x := range m.Explanation.Qualifiers {
			fields = append(fields, x.Field)
		}
		if strings.Join(fields, ",") != strings.Join(tt.fields, ",") {
			t.Errorf("%+v: qualifiers %+v, want fields %v", tt.q, m.Explanation.Qualifiers, tt.fields)
		}
		want := min(1, base.Explanation.NameScore+tt.effect)
		if d := m.Score - want; d > 0.0015 || d < -0.0015 {
			t.Errorf("%+v: score %.3f, want %.3f (name %.3f %+.2f)", tt.q, m.Score, want, base.Explanation.NameScore, tt.effect)
		}
	}
}

func TestScreenLimitAndMinScore(t *testing.T) {
	ix := fixtureIndex(t)
	all := screenAt(t, ix, Query{Name: "Levanon", MinScore: 0.01})
	if len(all) < 2 {
		t.Fatalf("Levanon: %d matches, want both Levanons", len(all))
	}
	if ms := screenAt(t, ix, Query{Name: "Levanon", MinScore: 0.01, Limit: 1}); len(ms) != 1 {
		t.Errorf("limit 1: %d matches", len(ms))
	}
	for _, m := range screenAt(t, ix, Query{Name: "Levanon", MinScore: 0.75}) {
		if m.Score < 0.75 {
			t.Errorf("min_score 0.75 returned %.3f", m.Score)
		}
	}
}

func TestScreenInvalid(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		q     Query
		field string
	}{
		{Query{Name: " "}, "name"},
		{Query{Name: "---"}, "name"},
		{Query{Name: strings.Repeat("a", 1001)}, "name"},
		{Query{Name: "x", BirthDate: "12/03/1961"}, "birth_date"},
		{Query{Name: "x", Nationality: "Russia"}, "nationality"},
		{Query{Name: "x", Limit: MaxLimit + 1}, "limit"},
		{Query{Name: "x", MinScore: 1.5}, "min_score"},
	}
	for _, tt := range tests {
		_, err := ix.Screen(tt.q)
		var e *oversight.Error
		if !errors.As(err, &e) || e.Code != oversight.EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
			t.Errorf("Screen(%+v) = %v, want EINVALID on %s", tt.q, err, tt.field)
		}
	}
}

func TestIndexUpdates(t *testing.T) {
	ix := fixtureIndex(t)
	if err := ix.Put(oversight.Designation{Identity: oversight.Identity{Name: "No Id"}}); !errors.Is(err, ErrNoID) {
		t.Errorf("Put without id = %v, want ErrNoID", err)
	}
	before := ix.Stats()
	// Replace a designation: its old names no longer match, the new do.
	d, ok := ix.Get("des_fict05")
	if !ok {
		t.Fatal("des_fict05 not found")
	}
	d.Name, d.Aliases = "Konstantinos PAPAMICHAIL-ROSSI", nil
	if err := ix.Put(d); err != nil {
		t.Fatal(err)
	}
	if ms := screenAt(t, ix, Query{Name: "Κώστας Παπαμιχαήλ"}); len(ms) > 0 && ms[0].DesignationID == "des_fict05" && ms[0].Score >= ReviewScore {
		t.Errorf("old alias still matches after update: %+v", ms[0])
	}
	if ms := screenAt(t, ix, Query{Name: "Konstantinos Papamichail Rossi"}); len(ms) == 0 || ms[0].DesignationID != "des_fict05" {
		t.Errorf("new name does not match: %+v", ms)
	}
	if st := ix.Stats(); st.Designations != before.Designations || st.Names != before.Names-1 {
		t.Errorf("stats after update = %+v, before %+v: want one name fewer", st, before)
	}
	if !ix.Remove("des_fict05") || ix.Remove("des_fict05") {
		t.Error("Remove should report true once, then false")
	}
	for _, m := range screenAt(t, ix, Query{Name: "Konstantinos Papamichail Rossi", MinScore: 0.01}) {
		if m.DesignationID == "des_fict05" {
			t.Errorf("removed designation still matches: %+v", m)
		}
	}
	// A freed name slot is reused by the next designation.
	if err := ix.Put(oversight.Designation{ID: "des_new", Identity: oversight.Identity{Name: "Oksana VELYCHKO"}, Basis: oversight.BasisMisuse}); err != nil {
		t.Fatal(err)
	}
	if ms := screenAt(t, ix, Query{Name: "Оксана Величко"}); len(ms) == 0 || ms[0].DesignationID != "des_new" {
		t.Errorf("added designation not found: %+v", ms)
	}
}

// TestScreenDoesNotScan checks that a query compares in full only the
// few names holding tokens like its own, not every name of the index.
func TestScreenDoesNotScan(t *testing.T) {
	ix := NewIndex()
	ix.PutAll(loadFixtures(t))
	ix.PutAll(syntheticDesignations(20_000, 1))
	sc := ix.getScratch()
	defer ix.putScratch(sc)
	q := Query{Name: "Radomir ZAVADSKY", At: now}
	if err := q.normalize(); err != nil {
		t.Fatal(err)
	}
	qt := analyze(q.Name)
	for i := range qt {
		cache := map[uint32]simEntry{}
		for _, id := range ix.similarTerms(&qt[i], sc, cache, searchFull) {
			for _, slot := range ix.terms[id].postings {
				if sc.mark[slot] == 0 {
					sc.touched = append(sc.touched, slot)
				}
				sc.mark[slot] = uint8(i + 1)
				sc.acc[slot]++
			}
		}
	}
	names := ix.Stats().Names
	if len(sc.touched) > names/10 {
		t.Errorf("query touched %d of %d names, want far fewer", len(sc.touched), names)
	}
	if c := ix.topCandidates(sc, q, now); len(c) > max(minCandidates, 4*q.Limit) {
		t.Errorf("%d candidates compared in full, want at most %d", len(c), max(minCandidates, 4*q.Limit))
	}
}

// TestConcurrentScreenAndUpdate runs queries while designations are put
// and removed; run it with -race.
func TestConcurrentScreenAndUpdate(t *testing.T) {
	ix := fixtureIndex(t)
	syn := syntheticDesignations(2000, 2)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				ms, err := ix.Screen(Query{Name: "Radomir Zavadsky", At: now})
				if err != nil || len(ms) == 0 || ms[0].DesignationID != "des_fict01" {
					t.Errorf("worker %d query %d: %v, %+v", w, i, err, ms)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, d := range syn {
			ix.Put(d)
			if i%3 == 0 {
				ix.Remove(syn[i/2].ID)
			}
		}
	}()
	wg.Wait()
}

func TestExplanationGolden(t *testing.T) {
	ix := fixtureIndex(t)
	queries := []Query{
		{Name: "Radomir Feliksovich ZAVADSKI", BirthDate: "1968", Nationality: "RU"},
		{Name: "يوسف الحرازي"},
		{Name: "Salma AL HARAZI", BirthDate: "1975-09-30"},
		{Name: "Abdulrahman BAKRI", Nationality: "LB"},
	}
	var b strings.Builder
	for _, q := range queries {
		ms := screenAt(t, ix, Query{Name: q.Name, BirthDate: q.BirthDate, Nationality: q.Nationality, Limit: 2})
		out, err := json.MarshalIndent(map[string]any{"query": q.Name, "matches": ms}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b.Write(out)
		b.WriteByte('\n')
	}
	golden := filepath.Join("testdata", "explain.golden.json")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("explanations differ from %s (run go test -update and review the diff):\n%s", golden, b.String())
	}
}

// syntheticDesignations returns n invented persons with names built from
// syllables, the same for the same seed.
func syntheticDesignations(n int, seed uint64) []oversight.Designation {
	syll := []string{"ba", "ko", "ri", "ven", "dal", "mu", "sha", "tor", "li", "ne", "zar", "pe", "gu", "han", "mi", "so", "ter", "vic", "lo", "dra"}
	x := seed*0x9E3779B97F4A7C15 + 1
	next := func(k int) int {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return int(x % uint64(k))
	}
	word := func(parts int) string {
		var b strings.Builder
		for range parts {
			b.WriteString(syll[next(len(syll))])
		}
		s := b.String()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	out := make([]oversight.Designation, n)
	for i := range out {
		out[i] = oversight.Designation{
			ID:       fmt.Sprintf("des_syn%d_%d", seed, i),
			Identity: oversight.Identity{Name: word(2) + " " + word(2+next(2)) + " " + strings.ToUpper(word(3))},
			Basis:    oversight.BasisMisuse,
		}
		if next(3) == 0 {
			out[i].Aliases = []string{word(2) + " " + strings.ToUpper(word(3))}
		}
	}
	return out
}
