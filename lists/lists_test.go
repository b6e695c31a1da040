package lists

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

func TestLoadSDN(t *testing.T) {
	var reports []Progress
	res, err := Load(FormatOFACSDN, filepath.Join("testdata", "sdn", "sdn.csv"), Options{
		Progress:      func(p Progress) { reports = append(reports, p) },
		ProgressEvery: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, BirthDate, Nationality, Source, Program string
		Aliases                                       []string
	}
	var got []row
	for _, d := range res.Designations {
		if d.Basis != oversight.BasisSanctionsList || d.ID != "" {
			t.Errorf("%s: basis %q, id %q; want sanctions_list and no id", d.Source, d.Basis, d.ID)
		}
		if d.Type == oversight.PartyEntity {
			continue
		}
		got = append(got, row{d.Name, d.BirthDate, d.Nationality, d.Source, d.Program, d.Aliases})
	}
	want := []row{
		{"Radomir Feliksovich ZAVADSKY", "1968-04-12", "RU", "ofac-sdn:101", "CYBER2", []string{"Radomir ZAVADSKIY", "Radomir F. ZAVADSKI"}},
		{"Yusuf Kamal AL-HARAZI", "1971", "YE", "ofac-sdn:102", "CYBER2, SDGT", []string{"Yousef HARAZI"}},
		{"Jean-Pierre DE VILLIERS Jr.", "1962", "FR", "ofac-sdn:105", "CYBER2", nil},
		{"Eitan Baruch LEVANON", "", "KP", "ofac-sdn:107", "CYBER2", nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("designations:\n got %+v\nwant %+v", got, want)
	}
	if want := map[string]int{"vessel": 1, "aircraft": 1}; !reflect.DeepEqual(res.Skipped, want) {
		t.Errorf("skipped = %v, want %v", res.Skipped, want)
	}
	if !strings.HasSuffix(res.Designations[3].Remarks, "nationality France; Gender Male.") {
		t.Errorf("remarks not continued from sdn_comments.csv: %q", res.Designations[3].Remarks)
	}
	if c := res.Designations[0].Countries; !reflect.DeepEqual(c, []string{"RU"}) {
		t.Errorf("countries of %s = %v, want [RU] from add.csv", res.Designations[0].Name, c)
	}
	// Progress: every file reports Done once, last, with its size read.
	done := map[string]Progress{}
	for _, p := range reports {
		if _, ok := done[p.File]; ok {
			t.Errorf("report after Done for %s: %+v", p.File, p)
		}
		if p.Done {
			done[p.File] = p
		}
	}
	for _, f := range []string{"sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"} {
		p, ok := done[f]
		st, _ := os.Stat(filepath.Join("testdata", "sdn", f))
		if !ok || p.Bytes != st.Size() || p.Size != st.Size() {
			t.Errorf("%s: final report %+v, want Done with %d of %d bytes", f, p, st.Size(), st.Size())
		}
	}
	if p := done["sdn_comments.csv"]; p.FileNum != 4 || p.Files != 4 {
		t.Errorf("sdn_comments.csv is file %d of %d, want 4 of 4", p.FileNum, p.Files)
	}
	if p := done["sdn.csv"]; p.Line != 7 || p.Records != 5 || p.Skipped != 2 || p.FileNum != 1 {
		t.Errorf("sdn.csv final report %+v, want line 7, 5 records, 2 skipped", p)
	}
}

func TestLoadSDNEntities(t *testing.T) {
	res, err := Load(FormatOFACSDN, filepath.Join("testdata", "sdn", "sdn.csv"), Options{Basis: oversight.BasisFinancialGain})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Designations) != 5 || res.Skipped["entity"] != 0 {
		t.Fatalf("%d designations, skipped %v; want 5 with the entity", len(res.Designations), res.Skipped)
	}
	e := res.Designations[2]
	if e.Name != "NORTHWIND ANALYTICS LTD." || e.Type != oversight.PartyEntity || !reflect.DeepEqual(e.Aliases, []string{"NORTHWIND DATA"}) ||
		e.Basis != oversight.BasisFinancialGain || e.BirthDate != "" || !reflect.DeepEqual(e.Countries, []string{"CY", "RU"}) {
		t.Errorf("entity = %+v", e)
	}
	if e.Provenance() != "OFAC SDN, programme CYBER2" {
		t.Errorf("provenance %q", e.Provenance())
	}
	res, err = Load(FormatOFACSDN, filepath.Join("testdata", "sdn", "sdn.csv"), Options{PersonsOnly: true})
	if err != nil || len(res.Designations) != 4 || res.Skipped["entity"] != 1 {
		t.Fatalf("persons only: %v, %d designations, skipped %v; want 4, the entity skipped", err, len(res.Designations), res.Skipped)
	}
	if _, err := Load(FormatOFACSDN, filepath.Join("testdata", "sdn", "sdn.csv"), Options{Basis: oversight.BasisImmediateRelative}); oversight.ErrorCode(err) != oversight.EINVALID {
		t.Errorf("immediate_relative basis for a list: %v, want invalid", err)
	}
}

func TestLoadSDNCompanionsAnyCase(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join("testdata", "sdn", "sdn.csv"), filepath.Join(dir, "SDN.CSV"))
	copyFile(t, filepath.Join("testdata", "sdn", "alt.csv"), filepath.Join(dir, "ALT.CSV"))
	res, err := Load(FormatOFACSDN, filepath.Join(dir, "SDN.CSV"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Designations[0].Aliases) != 2 {
		t.Errorf("ALT.CSV not read: %+v", res.Designations[0])
	}
	// Without alt.csv the list still loads.
	os.Remove(filepath.Join(dir, "ALT.CSV"))
	if res, err = Load(FormatOFACSDN, filepath.Join(dir, "SDN.CSV"), Options{}); err != nil || len(res.Designations[0].Aliases) != 0 {
		t.Errorf("without alt.csv: %v, %+v", err, res)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadSDNMalformed(t *testing.T) {
	good := `101,"ZAVADSKY, Radomir","individual","CYBER2",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ` + "\n"
	tests := []struct {
		name, sdn, alt, want string
	}{
		{"fields", good + `102,"X, Y","individual","P",-0-` + "\n", "", "sdn.csv:2: wrong number of fields"},
		{"ent_num", good + `abc,"X, Y","individual","P",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ` + "\n", "", `sdn.csv:2: ent_num: "abc" is not a positive whole number`},
		{"repeat", good + good, "", "sdn.csv:2: ent_num 101 repeats an earlier record"},
		{"type", strings.Replace(good, "individual", "robot", 1), "", `sdn.csv:1: SDN_Type: unknown type "robot"`},
		{"name", strings.Replace(good, `"ZAVADSKY, Radomir"`, `-0- `, 1), "", "sdn.csv:1: SDN_Name: required"},
		{"quote", good + `102,"X, Y,"individual"` + "\n", "", "sdn.csv:2: "},
		{"alt fields", good, `101,201,"aka"` + "\n", "alt.csv:1: wrong number of fields"},
		{"alt name", good, `101,201,"aka",-0- ,-0- ` + "\n", "alt.csv:1: alt_name: required"},
	}
	for _, tt := range tests {
		var alt *strings.Reader
		if tt.alt != "" {
			alt = strings.NewReader(tt.alt)
		}
		var res *Result
		var err error
		if alt != nil {
			res, err = ReadSDN(SDNFiles{SDN: strings.NewReader(tt.sdn), Alt: alt}, Options{})
		} else {
			res, err = ReadSDN(SDNFiles{SDN: strings.NewReader(tt.sdn)}, Options{})
		}
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q…", tt.name, err, tt.want)
		}
		if res != nil {
			t.Errorf("%s: a result came with the error: %+v", tt.name, res)
		}
		if oversight.ErrorCode(err) != oversight.EINVALID {
			t.Errorf("%s: error code %q, want invalid", tt.name, oversight.ErrorCode(err))
		}
	}
}

func TestReadJSONL(t *testing.T) {
	var last Progress
	res, err := Load(FormatJSONL, filepath.Join("testdata", "designations.jsonl"), Options{Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Designations) != 3 {
		t.Fatalf("%d designations, want 3", len(res.Designations))
	}
	if d := res.Designations[1]; d.Source != "registry:7" || d.Relation != oversight.RelationSpouse || d.RelatedTo != "des_fict02" {
		t.Errorf("second designation = %+v", d)
	}
	if d := res.Designations[2]; d.DelistedAt == nil {
		t.Errorf("delisted_at lost: %+v", d)
	}
	if !last.Done || last.Line != 4 || last.Records != 3 || last.File != "designations.jsonl" {
		t.Errorf("last progress report = %+v", last)
	}
}

func TestReadJSONLMalformed(t *testing.T) {
	ok := `{"id":"des_a","name":"Ana ROSS","basis":"misuse","listed_at":"2026-01-10T00:00:00Z"}`
	tests := []struct {
		name, in, want string
	}{
		{"syntax", ok + "\n{\"id\":", "designations.jsonl:2: "},
		{"unknown field", ok + "\n" + `{"id":"des_b","name":"B","basis":"misuse","colour":"red"}`, "designations.jsonl:2: "},
		{"invalid", `{"id":"des_b","name":"B","basis":"revenge"}`, "designations.jsonl:1: invalid designation: basis: must be"},
		{"no key", `{"name":"B","basis":"misuse"}`, "designations.jsonl:1: a designation needs an id or a source"},
		{"bad id", `{"id":"lic_b","name":"B","basis":"misuse"}`, `designations.jsonl:1: id "lic_b" is not a designation id`},
		{"repeat id", ok + "\n\n" + ok, "designations.jsonl:3: id des_a repeats line 1"},
		{"repeat source", `{"source":"x:1","name":"A","basis":"misuse"}` + "\n" + `{"source":"x:1","name":"B","basis":"misuse"}`, "designations.jsonl:2: source x:1 repeats line 1"},
		{"long line", ok + "\n" + strings.Repeat(" ", maxLine+10) + "\n" + ok, "designations.jsonl:2: line longer than"},
	}
	for _, tt := range tests {
		res, err := ReadJSONL(strings.NewReader(tt.in), Options{})
		if tt.name == "unknown field" && (err == nil || !strings.Contains(err.Error(), "colour")) {
			t.Errorf("unknown field: err = %v, want it named", err)
		}
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q…", tt.name, err, tt.want)
		}
		if res != nil {
			t.Errorf("%s: a result came with the error", tt.name)
		}
		if oversight.ErrorCode(err) != oversight.EINVALID {
			t.Errorf("%s: code %q, want invalid", tt.name, oversight.ErrorCode(err))
		}
	}
	// A byte-order mark, CRLF line ends, blank lines and no final newline
	// are all fine.
	res, err := ReadJSONL(strings.NewReader("\xef\xbb\xbf"+ok+"\r\n\r\n"+strings.Replace(ok, "des_a", "des_b", 1)), Options{})
	if err != nil || len(res.Designations) != 2 {
		t.Errorf("BOM, CRLF, blank line: %v, %+v", err, res)
	}
}

func TestLoadUnknownFormat(t *testing.T) {
	if _, err := Load("xml", "x", Options{}); oversight.ErrorCode(err) != oversight.EINVALID {
		t.Errorf("unknown format: %v", err)
	}
	if _, err := Load(FormatJSONL, filepath.Join(t.TempDir(), "missing.jsonl"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

func TestNaturalOrder(t *testing.T) {
	tests := []struct{ in, want string }{
		{"NORIEGA, Manuel Antonio", "Manuel Antonio NORIEGA"},
		{"DELOS REYES, Feliciano Semborio, Jr.", "Feliciano Semborio DELOS REYES Jr."},
		{"ABU ZUBAYDAH", "ABU ZUBAYDAH"},
		{"KIM, Il, Sung", "Il Sung KIM"},
		{", Solo", ", Solo"},
		{"ABEL HERNANDEZ, JR.", "ABEL HERNANDEZ JR."},
	}
	for _, tt := range tests {
		if got := naturalOrder(tt.in); got != tt.want {
			t.Errorf("naturalOrder(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRemarks(t *testing.T) {
	tests := []struct{ remarks, dob, nat string }{
		{"DOB 10 Dec 1948; POB Cairo, Egypt; nationality Egypt.", "1948-12-10", "EG"},
		{"DOB 1951; nationality Korea, North; Gender Male.", "1951", "KP"},
		{"DOB circa 1960.", "1960", ""},
		{"DOB Jan 1960; citizen Bosnia and Herzegovina", "1960", "BA"},
		{"DOB 1946 to 1950; nationality Burma", "", "MM"},
		{"alt. DOB 1972; DOB 31 Feb 1972", "", ""},
		{"Passport 123 (Russia); nationality Trinidad and Tobago; alt. nationality Russia", "", "TT"},
		{"nationality possibly Palestinian; citizen Jordan", "", "JO"},
		{"a.k.a. 'DOB 1 Jan 1950'", "", ""},
	}
	for _, tt := range tests {
		if got := birthDate(tt.remarks); got != tt.dob {
			t.Errorf("birthDate(%q) = %q, want %q", tt.remarks, got, tt.dob)
		}
		if got := nationality(tt.remarks); got != tt.nat {
			t.Errorf("nationality(%q) = %q, want %q", tt.remarks, got, tt.nat)
		}
	}
}

func TestCountryCode(t *testing.T) {
	for name, want := range map[string]string{
		"Germany": "DE", "russia": "RU", "Korea, South": "KR", "Bosnia & Herzegovina": "BA",
		"St. Kitts and Nevis": "KN", "Cote d'Ivoire": "CI", "Atlantis": "", "": "",
	} {
		if got := CountryCode(name); got != want {
			t.Errorf("CountryCode(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestLoadDPL(t *testing.T) {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	res, err := Load(FormatBISDPL, filepath.Join("testdata", "dpl", "dpl.txt"), Options{At: at})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Type                 oversight.PartyType
		Name, Source, Listed string
		Aliases, Countries   []string
		Delisted             bool
	}
	var got []row
	for _, d := range res.Designations {
		if d.Basis != oversight.BasisSanctionsList || d.Provenance() != "BIS Denied Persons List" {
			t.Errorf("%s: basis %q, provenance %q", d.Name, d.Basis, d.Provenance())
		}
		got = append(got, row{d.Type, d.Name, d.Source, d.ListedAt.Format(time.DateOnly), d.Aliases, d.Countries, d.DelistedAt != nil})
	}
	want := []row{
		{oversight.PartyIndividual, "RADOMIR ZAVADSKY", "bis-dpl:ZAVADSKY-RADOMIR", "2020-03-04", nil, []string{"RU"}, false},
		{oversight.PartyEntity, "NORTHWIND ANALYTICS, LTD.", "bis-dpl:NORTHWIND-ANALYTICS-LTD", "2019-04-01", []string{"NWA"}, []string{"CY", "RU"}, false},
		{oversight.PartyEntity, "KESTREL CARGO", "bis-dpl:KESTREL-CARGO", "2015-01-02", []string{"KESTREL AIRLINES"}, []string{"AE"}, true},
		{oversight.PartyIndividual, "ABEL MARTINO JR.", "bis-dpl:ABEL-MARTINO-JR", "2003-06-19", nil, nil, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("designations:\n got %+v\nwant %+v", got, want)
	}
	if !strings.Contains(res.Designations[1].Remarks, "until 2039-05-01") {
		t.Errorf("remarks %q", res.Designations[1].Remarks)
	}
	res, err = Load(FormatBISDPL, filepath.Join("testdata", "dpl", "dpl.txt"), Options{At: at, PersonsOnly: true})
	if err != nil || len(res.Designations) != 2 || res.Skipped["entity"] != 2 {
		t.Errorf("persons only: %v, %+v", err, res)
	}
}

func TestReadDPLMalformed(t *testing.T) {
	head := "Name\tCity\tCountry\tEffective_Date\tExpiration_Date\tFR_Citation\n"
	tests := []struct{ name, in, want string }{
		{"empty", "", "dpl.txt:1: empty file"},
		{"header", "Name\tCity\n", `dpl.txt:1: header has no column "country"`},
		{"fields", head + "A\tB\n", "dpl.txt:2: wrong number of fields"},
		{"name", head + "\tX\tUS\t01/02/2020\t\t\n", "dpl.txt:2: Name: required"},
		{"date", head + "A B\tX\tUS\t2020-01-02\t\t\n", `dpl.txt:2: Effective_Date: "2020-01-02" is not a date`},
		{"letters", head + "--\tX\tUS\t01/02/2020\t\t\n", `dpl.txt:2: Name "--" has no letters`},
	}
	for _, tt := range tests {
		res, err := ReadDPL(strings.NewReader(tt.in), Options{})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || res != nil || oversight.ErrorCode(err) != oversight.EINVALID {
			t.Errorf("%s: %v, %v; want %q…", tt.name, res, err, tt.want)
		}
	}
}
