package screen

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

// Names the matcher was not tuned on, one table per kind the consular
// officer meets (issue 16): each query must find its designation first,
// in the band it belongs in. The people and firms are invented.
func generaliseIndex(t *testing.T) *Index {
	t.Helper()
	listed := now.AddDate(-1, 0, 0)
	ds := []oversight.Designation{
		{ID: "des_g01", Identity: oversight.Identity{Name: "Ana Lucia PEREZ GARCIA"}, Basis: oversight.BasisSanctionsList, Source: "ofac-sdn:9001", Program: "CYBER2"},
		{ID: "des_g02", Identity: oversight.Identity{Name: "Ana PEREZ"}, Basis: oversight.BasisMisuse},
		{ID: "des_g03", Identity: oversight.Identity{Name: "Jean-Luc MARTIN-DUBOIS"}, Basis: oversight.BasisMisuse},
		{ID: "des_g04", Identity: oversight.Identity{Name: "Abd al-Rahman Mohammed Saleh Hussein AL-QAHTANI"}, Basis: oversight.BasisMisuse},
		{ID: "des_g05", Identity: oversight.Identity{Name: "Novak STEPANOVIC"}, Basis: oversight.BasisMisuse},
		{ID: "des_g06", Identity: oversight.Identity{Name: "Charles Joseph WHITLOCK"}, Basis: oversight.BasisMisuse},
		{ID: "des_g07", Identity: oversight.Identity{Name: "Omar HADDAD"}, Basis: oversight.BasisMisuse, ListedAt: listed.AddDate(0, 1, 0)},
		{ID: "des_g08", Identity: oversight.Identity{Name: "Omar HADDAD"}, Basis: oversight.BasisMisuse, ListedAt: listed},
		{ID: "des_g09", Identity: oversight.Identity{Name: "Tariq Anwar BENSALEM"}, Basis: oversight.BasisMisuse},
		{ID: "des_g10", Type: oversight.PartyEntity, Identity: oversight.Identity{Name: "NORTHWIND ANALYTICS LTD.", Aliases: []string{"NORTHWIND DATA"}},
			Countries: []string{"CY", "RU"}, Basis: oversight.BasisSanctionsList, Source: "ofac-sdn:9010", Program: "CYBER2"},
		{ID: "des_g11", Type: oversight.PartyEntity, Identity: oversight.Identity{Name: "KESTREL INTERNATIONAL TRADING COMPANY"}, Basis: oversight.BasisSanctionsList, Source: "bis-dpl:KESTREL-INTERNATIONAL-TRADING-COMPANY"},
		{ID: "des_g12", Type: oversight.PartyEntity, Identity: oversight.Identity{Name: "SOKOL AVIATSIYA"}, Basis: oversight.BasisSanctionsList, Source: "ofac-cons:9012", Program: "RUSSIA-EO14024"},
	}
	return listedIndex(t, ds)
}

// listedIndex indexes ds, each a misuse designation listed a year ago
// unless it says otherwise.
func listedIndex(t *testing.T, ds []oversight.Designation) *Index {
	t.Helper()
	for i := range ds {
		if ds[i].Basis == "" {
			ds[i].Basis = oversight.BasisMisuse
		}
		if ds[i].ListedAt.IsZero() {
			ds[i].ListedAt = now.AddDate(-1, 0, 0)
		}
	}
	ix := NewIndex()
	if err := ix.PutAll(ds); err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestScreenGeneralises(t *testing.T) {
	ix := generaliseIndex(t)
	const (
		band      = "band"      // at or above ReviewScore
		candidate = "candidate" // returned, below ReviewScore
	)
	tests := []struct {
		kind, query string
		typ         oversight.PartyType
		want        string // designation id found first
		in          string // band or candidate
	}{
		// A compound surname given in part: a candidate, below a full match.
		{"compound-part", "Ana GARCIA", "", "des_g01", candidate},
		{"compound-part", "Ana Lucia PEREZ", "", "des_g01", band},
		{"compound-part", "Ana PEREZ", "", "des_g02", band}, // the full match first
		{"compound-part", "Jean-Luc DUBOIS", "", "des_g03", band},
		// A long Arabic name by its first and last parts.
		{"arabic-short", "Abdulrahman AL-QAHTANI", "", "des_g04", candidate},
		{"arabic-short", "Abd al-Rahman Qahtani", "", "des_g04", candidate},
		// Run together, with a typo or two.
		{"joined-typo", "Novakstepanovc", "", "des_g05", band},
		{"joined-typo", "Charlesjoseph WHITLOK", "", "des_g06", band},
		// Latin names written letter by letter in Cyrillic and Greek.
		{"cyr-letters", "Цхарлес Йосепх Уhitlock", "", "des_g06", band},
		{"cyr-letters", "Чарлес Жосепг Вгитлоцк", "", "des_g06", band},
		{"greek-letters", "Τσαρλες Τζοσεφ Ωηιτλοκ", "", "des_g06", band},
		{"greek-letters", "Νοβακ Στηπανοβικ", "", "des_g05", band},
		// Organisations: legal forms, order, punctuation, abbreviations,
		// Cyrillic.
		{"org-form", "Northwind Analytics GmbH", oversight.PartyEntity, "des_g10", band},
		{"org-form", "NORTHWIND ANALYTICS L.L.C.", oversight.PartyEntity, "des_g10", band},
		{"org-form", "Northwind Analytics Limted", oversight.PartyEntity, "des_g10", band},
		{"org-order", "Analytics Northwind, Ltd", oversight.PartyEntity, "des_g10", band},
		{"org-alias", "Northwind Data S.A.", oversight.PartyEntity, "des_g10", band},
		{"org-abbrev", "Kestrel Intl Trdg Co.", oversight.PartyEntity, "des_g11", band},
		{"org-abbrev", "KESTREL INTERNATIONAL TRADING & CO", oversight.PartyEntity, "des_g11", band},
		{"org-cyrillic", "ООО «Сокол Авиация»", oversight.PartyEntity, "des_g12", band},
		{"org-cyrillic", "Нортуинд Аналитикс Лимитед", oversight.PartyEntity, "des_g10", band},
	}
	for _, tt := range tests {
		ms := screenAt(t, ix, Query{Name: tt.query, Type: tt.typ})
		if len(ms) == 0 {
			t.Errorf("%s: %q found nothing, want %s", tt.kind, tt.query, tt.want)
			continue
		}
		m := ms[0]
		inBand := m.Score >= ReviewScore
		if m.DesignationID != tt.want || inBand != (tt.in == band) {
			t.Errorf("%s: %q found %s %.3f first (%s), want %s as a %s", tt.kind, tt.query, m.DesignationID, m.Score, m.Explanation.Summary, tt.want, tt.in)
		}
	}
}

func TestScreenShortFormBelowFullMatch(t *testing.T) {
	ix := generaliseIndex(t)
	ms := screenAt(t, ix, Query{Name: "Ana Perez"})
	if len(ms) < 2 || ms[0].DesignationID != "des_g02" || ms[1].DesignationID != "des_g01" || ms[1].Score >= ReviewScore || ms[1].Score >= ms[0].Score {
		t.Fatalf("Ana Perez: %+v; want Ana PEREZ first, then Ana Lucia PEREZ GARCIA as a candidate below the band", ms)
	}
	// The birth date can lift a short form into the band.
	ix.Put(oversight.Designation{ID: "des_g13", Identity: oversight.Identity{Name: "Luis Alberto RINCON MOLINA", BirthDate: "1961-03-02"}, Basis: oversight.BasisMisuse, ListedAt: now.AddDate(-1, 0, 0)})
	if ms := screenAt(t, ix, Query{Name: "Luis RINCON", BirthDate: "1961-03-02"}); len(ms) == 0 || ms[0].DesignationID != "des_g13" || ms[0].Score < ReviewScore {
		t.Errorf("Luis RINCON born 1961-03-02: %+v; want des_g13 in the band", ms)
	}
}

func TestScreenTies(t *testing.T) {
	ix := generaliseIndex(t)
	ms := screenAt(t, ix, Query{Name: "Omar Haddad"})
	if len(ms) < 2 || ms[0].Score != ms[1].Score {
		t.Fatalf("Omar Haddad: %+v; want two equal scores", ms)
	}
	// The same name, the same score: the earlier listing first.
	if ms[0].DesignationID != "des_g08" || ms[1].DesignationID != "des_g07" {
		t.Errorf("tie: %s before %s; want des_g08 (listed first) before des_g07", ms[0].DesignationID, ms[1].DesignationID)
	}
}

func TestScreenOrganisations(t *testing.T) {
	ix := generaliseIndex(t)
	// The type filter: a person's query does not find a firm.
	if ms := screenAt(t, ix, Query{Name: "Northwind Analytics", Type: oversight.PartyIndividual}); len(ms) != 0 {
		t.Errorf("individuals only: %+v", ms)
	}
	// Countries of the list's addresses qualify.
	in := screenAt(t, ix, Query{Name: "Northwind Analytics Ltd", Country: "CY"})
	out := screenAt(t, ix, Query{Name: "Northwind Analytics Ltd", Country: "DE"})
	if len(in) == 0 || len(out) == 0 || in[0].Score <= out[0].Score {
		t.Fatalf("country CY %+v, DE %+v; want CY higher", in, out)
	}
	m := in[0]
	if m.Type != oversight.PartyEntity || m.Provenance != "OFAC SDN, programme CYBER2" || m.Basis != oversight.BasisSanctionsList {
		t.Errorf("match = %+v; want an entity from OFAC SDN, programme CYBER2", m)
	}
	if q := m.Explanation.Qualifiers; len(q) != 1 || q[0].Field != "country" || q[0].Effect <= 0 {
		t.Errorf("qualifiers %+v", q)
	}
	// A legal form alone, or another firm's, is not a match.
	if ms := screenAt(t, ix, Query{Name: "Southwind Logistics Ltd"}); len(ms) > 0 && ms[0].Score >= ReviewScore {
		t.Errorf("Southwind Logistics Ltd: %+v", ms[0])
	}
}

// Two kinds of name the held-out set showed missed: a Latin name written
// in Greek letter by letter begins with an iota where it begins with a j
// (Greek has no j), and a name part written with the Arabic article
// (Alraggal, in Cyrillic letters) looks like another written together
// (ALRAHMAH) more than like the listed AL-RAHHAL it is; among many names
// sharing the given name, that one must still be found.
func TestScreenIotaAndArticle(t *testing.T) {
	ds := []oversight.Designation{
		{ID: "des_j1", Identity: oversight.Identity{Name: "Julian MORAVEK"}},
		{ID: "des_j2", Identity: oversight.Identity{Name: "Joseph KARAS"}},
		{ID: "des_a1", Identity: oversight.Identity{Name: "Karim AL-RAHHAL"}},
		{ID: "des_a2", Identity: oversight.Identity{Name: "Karim ALRAHMAH"}},
	}
	// Many others named Karim, who fill the candidates the given name
	// alone would bring.
	for i := range 60 {
		surname := []string{"BALOV", "TERZIC", "MANSUR", "QADRI", "HOSNI", "FARUK"}[i%6] + []string{"A", "E", "I", "O", "U", "Y", "AN", "EV", "OV", "IN"}[i/6]
		ds = append(ds, oversight.Designation{ID: fmt.Sprintf("des_k%02d", i), Identity: oversight.Identity{Name: "Karim " + surname}})
	}
	ix := listedIndex(t, ds)
	tests := []struct {
		query, want string
		band        bool
	}{
		{"Ιουλιαν Μωραβεκ", "des_j1", true},
		{"Ιωσεπ Καρας", "des_j2", true}, // read toward Joseph, the h lost: josep
		{"Карім Алраггал", "des_a1", true},
	}
	for _, tt := range tests {
		ms := screenAt(t, ix, Query{Name: tt.query})
		if len(ms) == 0 {
			t.Errorf("%q found nothing, want %s", tt.query, tt.want)
			continue
		}
		if m := ms[0]; m.DesignationID != tt.want || (m.Score >= ReviewScore) != tt.band {
			t.Errorf("%q found %s %.3f first (%s), want %s (in the band: %v)", tt.query, m.DesignationID, m.Score, m.Explanation.Summary, tt.want, tt.band)
		}
	}
}

// A title at the start of a name, with a typo, is a title still (lists
// drop titles, so left in it would be a name part nothing listed has), but
// a name or a word a letter or two from one is not: only a letter doubled
// or not, or two swapped, make a slip.
func TestTitleWithTypo(t *testing.T) {
	tests := []struct {
		name string
		want string // the name's tokens, space-separated
	}{
		{"Mulah Abdul HAKEEM", "abdul hakeem"},
		{"Shiekh Ali MUSA", "ali musa"},
		{"Sheiky Abdulqadir MUMIN", "sheiky abdulqadir mumin"}, // a letter changed
		{"Gener GARCIA MOLINA", "gener garcia molina"},         // a given name
		{"Brigade of the Emigrants", "brigade of the emigrants"},
		{"Mullan PATRICK", "mullan patrick"},     // a surname first
		{"Ivan MULAH", "ivan mulah"},             // a title only begins a name
		{"Hajee Basir NOORZAI", "basir noorzai"}, // Haji in another romanisation
	}
	for _, tt := range tests {
		var got []string
		for _, tm := range analyze(tt.name) {
			got = append(got, tm.text)
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("analyze(%q) = %q, want %q", tt.name, g, tt.want)
		}
	}
}

// Of a designation's names that match equally, the primary name is the one
// shown, whatever order the candidates came in: here the alias's surname
// was listed before (its token older than the primary name's) and the
// query gives it first, so the alias is found first.
func TestScreenPrimaryNameOnTies(t *testing.T) {
	ix := NewIndex()
	if err := ix.Put(oversight.Designation{ID: "des_gone", Identity: oversight.Identity{Name: "Olga PERES"}, Basis: oversight.BasisMisuse}); err != nil {
		t.Fatal(err)
	}
	ix.Remove("des_gone")
	if err := ix.Put(oversight.Designation{ID: "des_p1", Identity: oversight.Identity{Name: "Juan PEREZ", Aliases: []string{"Juan PERES"}}, Basis: oversight.BasisMisuse, ListedAt: now.AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	ms := screenAt(t, ix, Query{Name: "Pereq Juan"})
	if len(ms) != 1 || ms[0].MatchedAlias != "Juan PEREZ" {
		t.Fatalf("Pereq Juan: %+v; want des_p1 by its name Juan PEREZ", ms)
	}
}

// Two name parts run together with a typo in each: no part is a listed
// token to split at, and the word as a whole is only somewhat like the
// listed parts written together, so before runTogether and joinedSim the
// right person was no candidate at all. Read as the parts written apart,
// a name whose second part is another's is no match: Faisal NADIM is
// not Faisalyazdni, however long the part they share.
func TestScreenRunTogetherWithTypos(t *testing.T) {
	ds := []oversight.Designation{
		{ID: "des_j1", Identity: oversight.Identity{Name: "Dragan ZELENOVIC"}},
		{ID: "des_j2", Identity: oversight.Identity{Name: "Yadollah BADIN"}},
		{ID: "des_j3", Identity: oversight.Identity{Name: "Faisal NADIM"}},
		{ID: "des_j4", Identity: oversight.Identity{Name: "Branislav KOVACEVIC"}},
	}
	// Others sharing a part, so that a part found alone says little.
	for i, n := range []string{"Milan ZELENOVIC", "Dragan PETROVIC", "Yadollah KARIMI", "Reza BADINI", "Faisal QASIMI", "Branislav KOVAC", "Milos KOVACEVIC", "Goran ZELENOVICH", "Dragana ZELENKA"} {
		ds = append(ds, oversight.Designation{ID: fmt.Sprintf("des_k%d", i), Identity: oversight.Identity{Name: n}})
	}
	ix := listedIndex(t, ds)
	for _, tt := range []struct{ query, want string }{
		{"Dragnzelenocic", "des_j1"},
		{"Ydollahbadon", "des_j2"},
		{"Branjslavkovacevjc", "des_j4"},
	} {
		ms := screenAt(t, ix, Query{Name: tt.query})
		if len(ms) == 0 || ms[0].DesignationID != tt.want {
			t.Errorf("%q: %+v; want %s first", tt.query, ms, tt.want)
		}
	}
	for _, q := range []string{"Faisalyazdni", "Branislavpetrovic"} {
		for _, m := range screenAt(t, ix, Query{Name: q}) {
			if m.Score >= ReviewScore {
				t.Errorf("%q: %s in the band (%s); want none", q, m.DesignationID, m.Explanation.Summary)
			}
		}
	}
}

// A Latin name written letter by letter in Cyrillic or Greek chooses, for
// each Latin letter, one of the letters clerks write it with (g as г or
// дж, w as у or ου, o as о or ω), so its fixed readings mix the choices
// wrongly (джоран reads djoran, λυω luw or lyo). Read toward each listed
// name, letter by letter, it is that name.
func TestScreenLettersReadTowardListed(t *testing.T) {
	ds := []oversight.Designation{
		{ID: "des_l1", Identity: oversight.Identity{Name: "Goran VUKSIC"}},
		{ID: "des_l2", Identity: oversight.Identity{Name: "Mei WEN"}},
		{ID: "des_l3", Identity: oversight.Identity{Name: "Zaw WIN"}},
		{ID: "des_l4", Identity: oversight.Identity{Name: "Yuting LUO"}},
		// Others a fixed reading comes nearer to.
		{ID: "des_m1", Identity: oversight.Identity{Name: "Jordan VUKAS"}},
		{ID: "des_m2", Identity: oversight.Identity{Name: "Mei HUANG"}},
		{ID: "des_m3", Identity: oversight.Identity{Name: "Zau MIN"}},
		{ID: "des_m4", Identity: oversight.Identity{Name: "Yiting LIU"}},
		// A hyphenated given name, which a letter-by-letter writer
		// runs together; a suffix lists drop.
		{ID: "des_l5", Identity: oversight.Identity{Name: "Hyon-il KANG"}},
		{ID: "des_l6", Identity: oversight.Identity{Name: "Robert HALE JR."}},
		{ID: "des_m5", Identity: oversight.Identity{Name: "Hyon-su KANG"}},
		{ID: "des_l7", Identity: oversight.Identity{Name: "Hong-chol RIM"}},
		{ID: "des_m7", Identity: oversight.Identity{Name: "Hong-sik RIM"}},
	}
	ix := listedIndex(t, ds)
	for _, tt := range []struct{ query, want string }{
		{"Джоран Вуксиц", "des_l1"},
		{"Μηι Ουην", "des_l2"},
		{"Зау Уін", "des_l3"},
		{"Υυτινγ Λυω", "des_l4"},
		{"Χυονιλ Κανγκ", "des_l5"},
		{"Ρομπερτ Χαλε Ιρ", "des_l6"}, // Ιρ is jr, read as the suffix it is
		{"Ονγκτσολ Ριμ", "des_l7"},    // without the h Greek does not write
	} {
		ms := screenAt(t, ix, Query{Name: tt.query})
		if len(ms) == 0 || ms[0].DesignationID != tt.want || ms[0].Score < ReviewScore {
			t.Errorf("%q: %+v; want %s first, in the band", tt.query, ms, tt.want)
		}
	}
}

// A three-letter abbreviation (Eng, Int, Sys) is read as one in a firm's
// name, which has a legal form, and left as a name part in a person's.
func TestShortAbbreviationsOnlyInFirms(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"Junzh eng WANG", "junzh eng wang"},
		{"Kestrel Eng Sys Ltd", "kestrel engineering systems ltd"},
		{"Kestrel Intl Trdg", "kestrel international trading"},
	} {
		var got []string
		for _, tm := range analyze(tt.name) {
			got = append(got, tm.text)
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("analyze(%q) = %q, want %q", tt.name, g, tt.want)
		}
	}
}

// The fixed letter-by-letter readings (letterReadings) and the readings
// toward a listed name (letterUnits) are two tables of the same letters:
// each fixed reading of a letter or pair must be one the units offer, or
// a word would read one way fixed and another toward its listed name.
func TestLetterTablesAgree(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fixed       []map[rune]string
		pairs       map[[2]rune]string
		units       map[rune]letterUnit
		pairedUnits map[[2]rune]letterUnit
	}{
		{"Cyrillic", []map[rune]string{cyrillicLetters, cyrillicLetters2}, nil, cyrillicUnits, cyrillicUnitPairs},
		{"Greek", []map[rune]string{greekLetters, greekLetters2}, greekLetterPairs, greekUnits, greekUnitPairs},
	} {
		for _, table := range tc.fixed {
			for r, s := range table {
				if !slices.Contains(tc.units[r], s) {
					t.Errorf("%s %c: fixed reading %q, units %q", tc.name, r, s, tc.units[r])
				}
			}
		}
		for p, s := range tc.pairs {
			if !slices.Contains(tc.pairedUnits[p], s) {
				t.Errorf("%s %c%c: fixed reading %q, units %q", tc.name, p[0], p[1], s, tc.pairedUnits[p])
			}
		}
	}
}
