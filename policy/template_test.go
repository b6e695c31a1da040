package policy

import (
	"os"
	"slices"
	"testing"

	"github.com/oversight-dev/oversight"
)

// loadTemplate reads a template from testdata, as a lawyer's file would be.
func loadTemplate(t *testing.T, name string) *oversight.DeclarationTemplate {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := oversight.ParseTemplate(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tmpl
}

// TestStricterTemplate adds a stricter national template from a file, with
// no code, and checks that it decides differently from IL-2021 exactly
// where its rules differ: an 8-year threshold, one more protected ground
// and one more forbidden purpose.
func TestStricterTemplate(t *testing.T) {
	nv := loadTemplate(t, "NV-2025.json")
	e, err := NewEngine(Options{Templates: []*oversight.DeclarationTemplate{nv}})
	if err != nil {
		t.Fatal(err)
	}
	testCases := []struct {
		desc   string
		req    func(*oversight.OperationRequest)
		il, nv []string // reason lines under each template; a permit cites one reason
		ilOK   bool
		nvOK   bool
	}{
		{desc: "serious crime of 10 years", req: func(*oversight.OperationRequest) {}, ilOK: true, nvOK: true,
			il: []string{"IL2021-3: serious crime: 10 years under national law"},
			nv: []string{"NV-3: serious crime: 10 years under national law"}},
		{desc: "serious crime of 7 years", req: func(r *oversight.OperationRequest) { r.LegalBasis.MaxSentenceYears = intp(7) }, ilOK: true,
			il: []string{"IL2021-3: serious crime: 7 years under national law"},
			nv: []string{"NV-1: serious crime: 7 years under national law; the declaration requires at least 8"}},
		{desc: "serious crime of 8 years", req: func(r *oversight.OperationRequest) { r.LegalBasis.MaxSentenceYears = intp(8) }, ilOK: true, nvOK: true,
			il: []string{"IL2021-3: serious crime: 8 years under national law"},
			nv: []string{"NV-3: serious crime: 8 years under national law"}},
		{desc: "kidnapping", req: func(r *oversight.OperationRequest) { *r = *terrorism(oversight.ActKidnapping) }, ilOK: true, nvOK: true,
			il: []string{"IL2021-2: terrorist act: kidnapping"},
			nv: []string{"NV-2: terrorist act: kidnapping"}},
		{desc: "intimidation of a population", req: func(r *oversight.OperationRequest) { *r = *terrorism(oversight.ActIntimidationOfPopulation) }, ilOK: true,
			il: []string{"IL2021-2: terrorist act: intimidation_of_population"},
			nv: []string{"NV-7: forbidden purpose: intimidation of a population"}},
		{desc: "trade-union membership", req: func(r *oversight.OperationRequest) { r.Grounds = []string{"trade_union_membership"} }, ilOK: true,
			il: []string{"IL2021-3: serious crime: 10 years under national law"},
			nv: []string{"NV-5: protected grounds given (trade_union_membership): no one is targeted because of them"}},
		{desc: "no warrant", req: func(r *oversight.OperationRequest) { r.WarrantRef = "" },
			il: []string{"IL2021-7: no legal approval: warrant_ref is missing or blank"},
			nv: []string{"NV-6: no legal approval: warrant_ref is missing or blank"}},
	}
	for _, tC := range testCases {
		t.Run(tC.desc, func(t *testing.T) {
			for _, x := range []struct {
				template string
				ok       bool
				want     []string
			}{{"IL-2021", tC.ilOK, tC.il}, {"NV-2025", tC.nvOK, tC.nv}} {
				l := testLicense()
				l.ID = ""
				l.Template = x.template
				r := seriousCrime()
				tC.req(r)
				d, err := e.Evaluate(l, r, facts())
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range d.Reasons {
					got = append(got, r.Code+": "+r.Message)
				}
				if (d.Decision == oversight.Permit) != x.ok || !slices.Equal(got, x.want) {
					t.Errorf("%s: %s %q, want permit=%v %q", x.template, d.Decision, got, x.ok, x.want)
				}
			}
		})
	}
}

// TestTemplateRuleOrder checks that a template's forbids are cited in the
// order of its clauses, whatever the order of its rules.
func TestTemplateRuleOrder(t *testing.T) {
	nv := loadTemplate(t, "NV-2025.json")
	l := testLicense()
	l.Template = nv.ID
	p, err := Compile(nv, l, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"NV-2", "NV-3", "NV-1", "NV-4", "NV-5", "NV-6", "NV-7"}
	if got := p.Codes()[:len(want)]; !slices.Equal(got, want) {
		t.Errorf("codes %v, want %v", got, want)
	}
}
