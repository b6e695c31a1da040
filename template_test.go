package oversight

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestBuiltinTemplates checks that IL-2021 ships, parses and carries the
// clause ids and rule parameters of DECLARATION.md.
func TestBuiltinTemplates(t *testing.T) {
	ts := BuiltinTemplates()
	if len(ts) != 1 || ts[0].ID != "IL-2021" {
		t.Fatalf("built-in templates %v, want IL-2021", ts)
	}
	il := ts[0]
	var ids []string
	for _, c := range il.Clauses {
		ids = append(ids, c.ID)
	}
	if want := []string{"IL2021-1", "IL2021-2", "IL2021-3", "IL2021-4", "IL2021-5", "IL2021-6", "IL2021-7"}; !slices.Equal(ids, want) {
		t.Errorf("clauses %v, want %v", ids, want)
	}
	r := il.Rules
	if r.Purpose.Clause != "IL2021-1" || r.Terrorism.Clause != "IL2021-2" || r.SeriousCrime.Clause != "IL2021-3" ||
		r.Expression.Clause != "IL2021-4" || r.NonDiscrimination.Clause != "IL2021-5" || r.LegalApproval.Clause != "IL2021-7" {
		t.Errorf("rules cite the wrong clauses: %+v", r)
	}
	if r.SeriousCrime.MinSentenceYears != 6 {
		t.Errorf("serious-crime threshold %d, want 6", r.SeriousCrime.MinSentenceYears)
	}
	if !slices.Equal(r.Terrorism.Acts, TerroristActs) || !slices.Equal(r.Terrorism.ReviewActs, []string{ActOther}) {
		t.Errorf("acts %v, review %v", r.Terrorism.Acts, r.Terrorism.ReviewActs)
	}
	if want := []string{"expression_of_opinion", "criticism_of_state", "presenting_data_about_state"}; !slices.Equal(r.Expression.Conduct, want) {
		t.Errorf("expression conduct %v, want %v", r.Expression.Conduct, want)
	}
	if want := []string{"religion", "sex_or_gender", "race", "ethnic_group", "sexual_orientation", "nationality",
		"country_of_origin", "opinion", "political_affiliation", "age", "personal_status"}; !slices.Equal(r.NonDiscrimination.Grounds, want) {
		t.Errorf("protected grounds %v, want %v", r.NonDiscrimination.Grounds, want)
	}

	// Each call returns copies: changing one does not change the next.
	ts[0].Rules.SeriousCrime.MinSentenceYears = 1
	if BuiltinTemplates()[0].Rules.SeriousCrime.MinSentenceYears != 6 {
		t.Error("BuiltinTemplates returned shared state")
	}
}

func TestParseTemplateErrors(t *testing.T) {
	data, err := os.ReadFile("templates/IL-2021.json")
	if err != nil {
		t.Fatal(err)
	}
	il := string(data)
	testCases := []struct {
		desc string
		old  string // replaced in IL-2021.json by new
		new  string
		// fields are the fields the error must name, in order.
		fields []string
	}{
		{desc: "unknown field", old: `"version": 1,`, new: `"version": 1, "signed": true,`, fields: []string{"signed"}},
		{desc: "unknown rule field", old: `"min_sentence_years": 6`, new: `"min_sentence_years": 6, "max": 9`, fields: []string{"rules.serious_crime.max"}},
		{desc: "years of the wrong type", old: `"min_sentence_years": 6`, new: `"min_sentence_years": "six"`, fields: []string{"rules.serious_crime.min_sentence_years"}},
		{desc: "threshold out of range", old: `"min_sentence_years": 6`, new: `"min_sentence_years": 0`, fields: []string{"rules.serious_crime.min_sentence_years"}},
		{desc: "rule cites a missing clause", old: `"legal_approval": {"clause": "IL2021-7"}`, new: `"legal_approval": {"clause": "IL2021-9"}`, fields: []string{"rules.legal_approval.clause"}},
		{desc: "rule without a clause", old: `"purpose": {"clause": "IL2021-1"}`, new: `"purpose": {}`, fields: []string{"rules.purpose.clause"}},
		{desc: "review act not listed", old: `"review_acts": ["other"]`, new: `"review_acts": ["piracy"]`, fields: []string{"rules.terrorism.review_acts[0]"}},
		{desc: "unknown act", old: `"kidnapping",`, new: `"kidnaping",`, fields: []string{"rules.terrorism.acts[1]"}},
		{desc: "duplicate act", old: `"kidnapping",`, new: `"attack_on_life",`, fields: []string{"rules.terrorism.acts[1]"}},
		{desc: "ground not snake_case", old: `"religion",`, new: `"Religion",`, fields: []string{"rules.non_discrimination.grounds[0]"}},
		{desc: "duplicate clause id", old: `"id": "IL2021-6"`, new: `"id": "IL2021-5"`, fields: []string{"clauses[5].id"}},
		{desc: "reserved clause id", old: `"id": "IL2021-6"`, new: `"id": "SCOPE-QUOTA"`, fields: []string{"clauses[5].id"}},
		{desc: "clause id with a quote", old: `"id": "IL2021-6"`, new: `"id": "IL\"6"`, fields: []string{"clauses[5].id"}},
		{desc: "blank clause text", old: `"text": "The system is used only to investigate and prevent Terrorist Acts and Serious Crimes."`, new: `"text": " "`, fields: []string{"clauses[0].text"}},
		{desc: "forbidden purpose without a condition",
			old: `"legal_approval": {"clause": "IL2021-7"}`, new: `"legal_approval": {"clause": "IL2021-7"}, "forbidden_purposes": [{"clause": "IL2021-1", "description": "x"}]`,
			fields: []string{"rules.forbidden_purposes[0]"}},
		{desc: "forbidden purpose with a bad category",
			old: `"legal_approval": {"clause": "IL2021-7"}`, new: `"legal_approval": {"clause": "IL2021-7"}, "forbidden_purposes": [{"clause": "IL2021-1", "description": "x", "categories": ["espionage"]}]`,
			fields: []string{"rules.forbidden_purposes[0].categories[0]"}},
	}
	for _, tC := range testCases {
		t.Run(tC.desc, func(t *testing.T) {
			if !strings.Contains(il, tC.old) {
				t.Fatalf("IL-2021.json does not contain %q", tC.old)
			}
			_, err := ParseTemplate([]byte(strings.Replace(il, tC.old, tC.new, 1)))
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Fatalf("ParseTemplate: %v; want an EINVALID *Error", err)
			}
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tC.fields) {
				t.Errorf("fields %v, want %v (%v)", fields, tC.fields, err)
			}
		})
	}
}

// FuzzParseTemplate reads arbitrary bytes as a template file, as
// "serve --template" does: it never panics, refuses with EINVALID, and a
// template it accepts is valid and reads back the same from its JSON.
func FuzzParseTemplate(f *testing.F) {
	il, err := os.ReadFile("templates/IL-2021.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(il)
	f.Add([]byte(strings.Replace(string(il), `"min_sentence_years": 6`, `"min_sentence_years": 0`, 1)))
	f.Add([]byte(`{"id":"X","version":1}`))
	f.Add([]byte(`{"id":"X","id":"Y"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tmpl, err := ParseTemplate(data)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParseTemplate: %v is not EINVALID", err)
			}
			return
		}
		if err := tmpl.Validate(); err != nil {
			t.Fatalf("accepted a template that does not validate: %v", err)
		}
		again, err := json.Marshal(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseTemplate(again)
		if err != nil || !reflect.DeepEqual(back, tmpl) {
			t.Fatalf("the template does not read back from its JSON (%v):\n%s", err, again)
		}
	})
}
