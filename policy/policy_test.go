package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cedar-policy/cedar-go"

	"github.com/oversight-dev/oversight"
)

// TestEvaluate decides one request per case against the IL-2021 declaration
// and a full licence scope, changing the request, the facts or the licence
// so that each rule fires alone, then several at once.
func TestEvaluate(t *testing.T) {
	type change struct {
		req     func(*oversight.OperationRequest)
		facts   func(*Facts)
		license func(*License)
	}
	restrict := func(rs ...oversight.Restriction) func(*License) {
		return func(l *License) { l.Restrictions = rs }
	}
	until := func(t time.Time) *time.Time { return &t }
	testCases := []struct {
		desc   string
		change change
		want   oversight.Verdict
		// reasons are "CODE: message" lines.
		reasons []string
		review  bool
	}{
		// Permits.
		{desc: "serious crime of 10 years", want: oversight.Permit,
			reasons: []string{"IL2021-3: serious crime: 10 years under national law"}},
		{desc: "serious crime at the threshold", want: oversight.Permit,
			change:  change{req: func(r *oversight.OperationRequest) { r.LegalBasis.MaxSentenceYears = intp(6) }},
			reasons: []string{"IL2021-3: serious crime: 6 years under national law"}},
		{desc: "terrorism: kidnapping", want: oversight.Permit,
			change:  change{req: func(r *oversight.OperationRequest) { *r = *terrorism(oversight.ActKidnapping) }},
			reasons: []string{"IL2021-2: terrorist act: kidnapping"}},
		{desc: "terrorism: intimidation of a population", want: oversight.Permit,
			change:  change{req: func(r *oversight.OperationRequest) { *r = *terrorism(oversight.ActIntimidationOfPopulation) }},
			reasons: []string{"IL2021-2: terrorist act: intimidation_of_population"}},
		{desc: "terrorism: other act, justified, flagged for review", want: oversight.Permit, review: true,
			change: change{req: func(r *oversight.OperationRequest) {
				*r = *terrorism(oversight.ActOther)
				r.Justification = "planned sabotage of the national power grid"
			}},
			reasons: []string{"IL2021-2: terrorist act: other, not among the listed acts; permitted on the justification given and flagged for review"}},
		{desc: "expression beside other conduct", want: oversight.Permit,
			change: change{req: func(r *oversight.OperationRequest) {
				r.LegalBasis.Conduct = []string{"criticism_of_state", "armed_violence"}
			}},
			reasons: []string{"IL2021-3: serious crime: 10 years under national law"}},
		{desc: "grounds that are not protected", want: oversight.Permit,
			change:  change{req: func(r *oversight.OperationRequest) { r.Grounds = []string{"membership_of_armed_group"} }},
			reasons: []string{"IL2021-3: serious crime: 10 years under national law"}},
		{desc: "one permit short of the quota", want: oversight.Permit,
			change:  change{facts: func(f *Facts) { f.ActivePermits = 49 }},
			reasons: []string{"IL2021-3: serious crime: 10 years under national law"}},
		{desc: "first moment of validity", want: oversight.Permit,
			change:  change{facts: func(f *Facts) { f.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }},
			reasons: []string{"IL2021-3: serious crime: 10 years under national law"}},
		{desc: "restriction the request satisfies", want: oversight.Permit,
			change: change{license: restrict(oversight.Restriction{ID: "act_r1", Purposes: []oversight.Category{oversight.CategorySeriousCrime},
				Operations: []oversight.Operation{oversight.OpIntercept}, BlockedCountryCodes: []string{"+98"}, MaxActiveOperations: intp(10)})},
			reasons: []string{"IL2021-3: serious crime: 10 years under national law"}},

		// Each rule alone.
		{desc: "IL2021-1: serious crime below the threshold", want: oversight.Deny,
			change:  change{req: func(r *oversight.OperationRequest) { r.LegalBasis.MaxSentenceYears = intp(5) }},
			reasons: []string{"IL2021-1: serious crime: 5 years under national law; the declaration requires at least 6"}},
		{desc: "IL2021-1: serious crime of 1 year", want: oversight.Deny,
			change:  change{req: func(r *oversight.OperationRequest) { r.LegalBasis.MaxSentenceYears = intp(1) }},
			reasons: []string{"IL2021-1: serious crime: 1 year under national law; the declaration requires at least 6"}},
		{desc: "IL2021-1: serious crime without imprisonment", want: oversight.Deny,
			change:  change{req: func(r *oversight.OperationRequest) { r.LegalBasis.MaxSentenceYears = intp(0) }},
			reasons: []string{"IL2021-1: serious crime: 0 years under national law; the declaration requires at least 6"}},
		{desc: "IL2021-1: category other, which no licence covers either", want: oversight.Deny,
			change: change{req: func(r *oversight.OperationRequest) {
				r.LegalBasis = oversight.LegalBasis{Category: oversight.CategoryOther, Offense: "unpaid parking fines"}
			}},
			reasons: []string{
				"IL2021-1: outside the declared purpose: category other is neither a terrorist act nor a serious crime",
				"SCOPE-PURPOSE: the licence does not cover other (licensed purposes: terrorism, serious_crime)",
			}},
		{desc: "IL2021-2: other act without a justification", want: oversight.Deny,
			change:  change{req: func(r *oversight.OperationRequest) { *r = *terrorism(oversight.ActOther) }},
			reasons: []string{"IL2021-2: terrorist act: other is not among the listed acts and needs a justification; none was given"}},
		{desc: "IL2021-2: other act with a blank justification", want: oversight.Deny,
			change: change{req: func(r *oversight.OperationRequest) {
				*r = *terrorism(oversight.ActOther)
				r.Justification = " \t\n"
			}},
			reasons: []string{"IL2021-2: terrorist act: other is not among the listed acts and needs a justification; none was given"}},
		{desc: "IL2021-4: expression of opinion alone", want: oversight.Deny,
			change:  change{req: func(r *oversight.OperationRequest) { r.LegalBasis.Conduct = []string{"expression_of_opinion"} }},
			reasons: []string{"IL2021-4: expression is not a crime: all the conduct given (expression_of_opinion) is expression"}},
		{desc: "IL2021-4: several kinds of expression, whatever the category", want: oversight.Deny,
			change: change{req: func(r *oversight.OperationRequest) {
				*r = *terrorism(oversight.ActIntimidationOfPopulation)
				r.LegalBasis.Conduct = []string{"criticism_of_state", "presenting_data_about_state"}
			}},
			reasons: []string{"IL2021-4: expression is not a crime: all the conduct given (criticism_of_state, presenting_data_about_state) is expression"}},
		{desc: "IL2021-5: a protected ground", want: oversight.Deny,
			change:  change{req: func(r *oversight.OperationRequest) { r.Grounds = []string{"religion"} }},
			reasons: []string{"IL2021-5: protected grounds given (religion): no one is targeted because of them"}},
		{desc: "IL2021-5: protected grounds beside others", want: oversight.Deny,
			change: change{req: func(r *oversight.OperationRequest) {
				r.Grounds = []string{"political_affiliation", "membership_of_armed_group", "opinion", "political_affiliation"}
			}},
			reasons: []string{"IL2021-5: protected grounds given (political_affiliation, opinion): no one is targeted because of them"}},
		{desc: "IL2021-7: no warrant", want: oversight.Deny,
			change:  change{req: func(r *oversight.OperationRequest) { r.WarrantRef = "" }},
			reasons: []string{"IL2021-7: no legal approval: warrant_ref is missing or blank"}},
		{desc: "IL2021-7: blank warrant", want: oversight.Deny,
			change:  change{req: func(r *oversight.OperationRequest) { r.WarrantRef = "   " }},
			reasons: []string{"IL2021-7: no legal approval: warrant_ref is missing or blank"}},
		{desc: "SCOPE-STATUS: suspended licence", want: oversight.Deny,
			change:  change{license: func(l *License) { l.Status = oversight.LicenseSuspended }},
			reasons: []string{"SCOPE-STATUS: the licence is suspended; only an active licence permits use"}},
		{desc: "SCOPE-STATUS: revoked licence", want: oversight.Deny,
			change:  change{license: func(l *License) { l.Status = oversight.LicenseRevoked }},
			reasons: []string{"SCOPE-STATUS: the licence is revoked; only an active licence permits use"}},
		{desc: "SCOPE-STATUS: applied licence", want: oversight.Deny,
			change:  change{license: func(l *License) { l.Status = oversight.LicenseApplied }},
			reasons: []string{"SCOPE-STATUS: the licence is applied; only an active licence permits use"}},
		{desc: "SCOPE-STATUS: expired licence", want: oversight.Deny,
			change:  change{license: func(l *License) { l.Status = oversight.LicenseExpired }},
			reasons: []string{"SCOPE-STATUS: the licence is expired; only an active licence permits use"}},
		{desc: "SCOPE-STATUS: unregistered deployment", want: oversight.Deny,
			change:  change{facts: func(f *Facts) { f.DeploymentRegistered = false }},
			reasons: []string{"SCOPE-STATUS: deployment dep_test1 is not registered to this licence"}},
		{desc: "SCOPE-VALIDITY: before valid_from", want: oversight.Deny,
			change:  change{facts: func(f *Facts) { f.Now = time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC) }},
			reasons: []string{"SCOPE-VALIDITY: the licence is not valid yet: valid from 2026-01-01T00:00:00Z"}},
		{desc: "SCOPE-VALIDITY: at valid_until", want: oversight.Deny,
			change:  change{facts: func(f *Facts) { f.Now = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }},
			reasons: []string{"SCOPE-VALIDITY: the licence expired at 2027-01-01T00:00:00Z"}},
		{desc: "SCOPE-PURPOSE: licence for terrorism only", want: oversight.Deny,
			change:  change{license: func(l *License) { l.Scope.Purposes = []oversight.Category{oversight.CategoryTerrorism} }},
			reasons: []string{"SCOPE-PURPOSE: the licence does not cover serious_crime (licensed purposes: terrorism)"}},
		{desc: "SCOPE-COUNTRY: blocked calling code", want: oversight.Deny,
			change:  change{req: func(r *oversight.OperationRequest) { r.Target.CountryCode = "+7" }},
			reasons: []string{"SCOPE-COUNTRY: target country code +7 is blocked by the licence"}},
		{desc: "SCOPE-PROTECTED: target on the register", want: oversight.Deny,
			change:  change{facts: func(f *Facts) { f.ProtectedTarget = true }},
			reasons: []string{"SCOPE-PROTECTED: the target is on the protected-persons register"}},
		{desc: "SCOPE-QUOTA: quota reached", want: oversight.Deny,
			change:  change{facts: func(f *Facts) { f.ActivePermits = 50 }},
			reasons: []string{"SCOPE-QUOTA: quota reached: the licence holds 50 unexpired permits and allows at most 50"}},
		{desc: "SCOPE-OPERATION: operation not licensed", want: oversight.Deny,
			change: change{
				req: func(r *oversight.OperationRequest) { r.Operation = oversight.OpMonitor },
				license: func(l *License) {
					l.Scope.Operations = []oversight.Operation{oversight.OpIntercept, oversight.OpLocate}
				},
			},
			reasons: []string{"SCOPE-OPERATION: operation monitor is not allowed by the licence (allowed: intercept, locate)"}},
		{desc: "RESTRICT: purposes narrowed", want: oversight.Deny,
			change:  change{license: restrict(oversight.Restriction{ID: "act_r1", Purposes: []oversight.Category{oversight.CategoryTerrorism}})},
			reasons: []string{"RESTRICT-act_r1: restriction act_r1: purposes narrowed to terrorism"}},
		{desc: "RESTRICT: operations narrowed", want: oversight.Deny,
			change:  change{license: restrict(oversight.Restriction{ID: "act_r1", Operations: []oversight.Operation{oversight.OpLocate}})},
			reasons: []string{"RESTRICT-act_r1: restriction act_r1: operations narrowed to locate"}},
		{desc: "RESTRICT: country blocked", want: oversight.Deny,
			change: change{
				req:     func(r *oversight.OperationRequest) { r.Target.CountryCode = "+98" },
				license: restrict(oversight.Restriction{ID: "act_r1", BlockedCountryCodes: []string{"+98", "+963"}}),
			},
			reasons: []string{"RESTRICT-act_r1: restriction act_r1: target country code +98 blocked"}},
		{desc: "RESTRICT: quota lowered", want: oversight.Deny,
			change:  change{license: restrict(oversight.Restriction{ID: "act_r1", MaxActiveOperations: intp(3)})},
			reasons: []string{"RESTRICT-act_r1: restriction act_r1: quota lowered to 3 unexpired permits (the licence holds 3)"}},
		{desc: "RESTRICT: quota of zero stops all use", want: oversight.Deny,
			change: change{
				facts:   func(f *Facts) { f.ActivePermits = 0 },
				license: restrict(oversight.Restriction{ID: "act_r1", MaxActiveOperations: intp(0)}),
			},
			reasons: []string{"RESTRICT-act_r1: restriction act_r1: quota lowered to 0 unexpired permits (the licence holds 0)"}},
		{desc: "RESTRICT: earlier end", want: oversight.Deny,
			change:  change{license: restrict(oversight.Restriction{ID: "act_r1", ValidUntil: until(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))})},
			reasons: []string{"RESTRICT-act_r1: restriction act_r1: use ended at 2026-05-01T00:00:00Z"}},

		// Combinations.
		{desc: "forbid overrides permit: protected kidnapper", want: oversight.Deny,
			change: change{
				req:   func(r *oversight.OperationRequest) { *r = *terrorism(oversight.ActKidnapping) },
				facts: func(f *Facts) { f.ProtectedTarget = true },
			},
			reasons: []string{"SCOPE-PROTECTED: the target is on the protected-persons register"}},
		{desc: "below threshold and no warrant", want: oversight.Deny,
			change: change{req: func(r *oversight.OperationRequest) {
				r.LegalBasis.MaxSentenceYears = intp(4)
				r.WarrantRef = ""
			}},
			reasons: []string{
				"IL2021-1: serious crime: 4 years under national law; the declaration requires at least 6",
				"IL2021-7: no legal approval: warrant_ref is missing or blank",
			}},
		{desc: "unjustified other act and no warrant cites the forbid", want: oversight.Deny,
			change: change{req: func(r *oversight.OperationRequest) {
				*r = *terrorism(oversight.ActOther)
				r.WarrantRef = ""
			}},
			reasons: []string{"IL2021-7: no legal approval: warrant_ref is missing or blank"}},
		{desc: "expression on a protected ground", want: oversight.Deny,
			change: change{req: func(r *oversight.OperationRequest) {
				r.LegalBasis.Conduct = []string{"expression_of_opinion"}
				r.Grounds = []string{"opinion"}
			}},
			reasons: []string{
				"IL2021-4: expression is not a crime: all the conduct given (expression_of_opinion) is expression",
				"IL2021-5: protected grounds given (opinion): no one is targeted because of them",
			}},
		{desc: "two restrictions and the scope", want: oversight.Deny,
			change: change{
				req: func(r *oversight.OperationRequest) {
					r.Target.CountryCode = "+98"
					r.Operation = oversight.OpExtract
				},
				license: restrict(
					oversight.Restriction{ID: "act_r1", Operations: []oversight.Operation{oversight.OpIntercept}, BlockedCountryCodes: []string{"+98"}},
					oversight.Restriction{ID: "act_r2", Purposes: []oversight.Category{oversight.CategoryTerrorism}, MaxActiveOperations: intp(10)},
				),
			},
			reasons: []string{
				"RESTRICT-act_r1: restriction act_r1: operations narrowed to intercept; target country code +98 blocked",
				"RESTRICT-act_r2: restriction act_r2: purposes narrowed to terrorism",
			}},
		{desc: "every rule at once", want: oversight.Deny,
			change: change{
				req: func(r *oversight.OperationRequest) {
					r.Operation = oversight.OpMonitor
					r.Target.CountryCode = "+1"
					r.LegalBasis = oversight.LegalBasis{Category: oversight.CategoryOther, Conduct: []string{"expression_of_opinion"}}
					r.Grounds = []string{"ethnic_group"}
					r.WarrantRef = ""
				},
				facts: func(f *Facts) {
					f.Now = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
					f.ActivePermits = 60
					f.ProtectedTarget = true
					f.DeploymentRegistered = false
				},
				license: func(l *License) {
					l.Status = oversight.LicenseSuspended
					l.Scope.Operations = []oversight.Operation{oversight.OpLocate}
					l.Restrictions = []oversight.Restriction{{ID: "act_r1", MaxActiveOperations: intp(5)}}
				},
			},
			reasons: []string{
				"IL2021-1: outside the declared purpose: category other is neither a terrorist act nor a serious crime",
				"IL2021-4: expression is not a crime: all the conduct given (expression_of_opinion) is expression",
				"IL2021-5: protected grounds given (ethnic_group): no one is targeted because of them",
				"IL2021-7: no legal approval: warrant_ref is missing or blank",
				"SCOPE-STATUS: the licence is suspended; only an active licence permits use; deployment dep_test1 is not registered to it",
				"SCOPE-VALIDITY: the licence expired at 2027-01-01T00:00:00Z",
				"SCOPE-PURPOSE: the licence does not cover other (licensed purposes: terrorism, serious_crime)",
				"SCOPE-COUNTRY: target country code +1 is blocked by the licence",
				"SCOPE-PROTECTED: the target is on the protected-persons register",
				"SCOPE-QUOTA: quota reached: the licence holds 60 unexpired permits and allows at most 50",
				"SCOPE-OPERATION: operation monitor is not allowed by the licence (allowed: locate)",
				"RESTRICT-act_r1: restriction act_r1: quota lowered to 5 unexpired permits (the licence holds 60)",
			}},
	}
	for _, tC := range testCases {
		t.Run(tC.desc, func(t *testing.T) {
			r, f, l := seriousCrime(), facts(), testLicense()
			if tC.change.req != nil {
				tC.change.req(r)
			}
			if tC.change.facts != nil {
				tC.change.facts(&f)
			}
			if tC.change.license != nil {
				tC.change.license(l)
			}
			p := mustCompile(t, l)
			d, err := p.Evaluate(r, f)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			var got []string
			for _, r := range d.Reasons {
				got = append(got, r.Code+": "+r.Message)
			}
			if d.Decision != tC.want || !slices.Equal(got, tC.reasons) {
				t.Errorf("decision %s, reasons:\n\t%s\nwant %s, reasons:\n\t%s", d.Decision, strings.Join(got, "\n\t"), tC.want, strings.Join(tC.reasons, "\n\t"))
			}
			if d.Review != tC.review {
				t.Errorf("review = %v, want %v", d.Review, tC.review)
			}
			switch {
			case d.Decision == oversight.Permit && d.ExpiresAt == nil:
				t.Error("a permit without expires_at")
			case d.Decision == oversight.Deny && d.ExpiresAt != nil:
				t.Errorf("a deny with expires_at %v", d.ExpiresAt)
			}
		})
	}
}

func TestEvaluateExpiry(t *testing.T) {
	l := testLicense()
	e, err := NewEngine(Options{PermitLifetime: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	testCases := []struct {
		desc     string
		now      time.Time
		restrict *time.Time
		want     time.Time
	}{
		{desc: "permit lifetime", now: now, want: now.Add(15 * time.Minute)},
		{desc: "capped at the licence's end", now: l.Scope.ValidUntil.Add(-time.Minute), want: l.Scope.ValidUntil},
		{desc: "capped at a restriction's end", now: now, restrict: ptr(now.Add(5 * time.Minute)), want: now.Add(5 * time.Minute)},
	}
	for _, tC := range testCases {
		t.Run(tC.desc, func(t *testing.T) {
			l := testLicense()
			if tC.restrict != nil {
				l.Restrictions = []oversight.Restriction{{ID: "act_end", ValidUntil: tC.restrict}}
			}
			f := facts()
			f.Now = tC.now
			d, err := e.Evaluate(l, seriousCrime(), f)
			if err != nil {
				t.Fatal(err)
			}
			if d.Decision != oversight.Permit || d.ExpiresAt == nil || !d.ExpiresAt.Equal(tC.want) {
				t.Fatalf("decision %s expires %v, want a permit expiring %v", d.Decision, d.ExpiresAt, tC.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestEvaluateInvalidRequest checks that a malformed request is an error,
// never a decision.
func TestEvaluateInvalidRequest(t *testing.T) {
	p := mustCompile(t, testLicense())
	r := seriousCrime()
	r.LegalBasis.MaxSentenceYears = nil
	r.Operation = "wiretap"
	d, err := p.Evaluate(r, facts())
	var oe *oversight.Error
	if !errors.As(err, &oe) || oe.Code != oversight.EINVALID {
		t.Fatalf("Evaluate = %+v, %v; want an EINVALID error", d, err)
	}
	var fields []string
	for _, f := range oe.Fields {
		fields = append(fields, f.Field)
	}
	if want := []string{"operation", "legal_basis.max_sentence_years"}; !slices.Equal(fields, want) {
		t.Errorf("fields %v, want %v", fields, want)
	}
}

// TestFailClosed checks that a rule that fails to evaluate counts as a
// forbid, whether it forbids or permits, and is cited.
func TestFailClosed(t *testing.T) {
	testCases := []struct {
		desc   string
		permit bool
	}{
		{desc: "failing forbid", permit: false},
		{desc: "failing permit", permit: true},
	}
	for _, tC := range testCases {
		t.Run(tC.desc, func(t *testing.T) {
			p := mustCompile(t, testLicense())
			effect := "forbid"
			if tC.permit {
				effect = "permit"
			}
			// A rule that reads an attribute the context does not have:
			// Cedar reports an error and skips it, which must not let the
			// request through.
			addRule(t, p, "TEST-BROKEN", `@code("TEST-BROKEN") `+effect+` (principal, action, resource) when { context.no_such_attribute > 3 };`)
			d, err := p.Evaluate(seriousCrime(), facts())
			if err != nil {
				t.Fatal(err)
			}
			if d.Decision != oversight.Deny || len(d.Reasons) != 1 || d.Reasons[0].Code != "TEST-BROKEN" ||
				!strings.HasPrefix(d.Reasons[0].Message, "rule could not be evaluated and counts as a forbid: ") {
				t.Fatalf("decision %+v, want a deny citing TEST-BROKEN as a failed rule", d)
			}
			t.Log(d.Reasons[0].Message)
		})
	}
}

// addRule appends a rule to a compiled policy, as Compile would.
func addRule(t *testing.T, p *Policy, code, text string) {
	t.Helper()
	var cp cedar.Policy
	if err := cp.UnmarshalCedar([]byte(text)); err != nil {
		t.Fatal(err)
	}
	r := &rule{id: cedar.PolicyID(code), code: code, policy: &cp,
		explain: func(input) string { return "test rule" }}
	p.rules = append(p.rules, r)
	p.byID[r.id] = r
	rules := p.rules
	p.all = func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for _, r := range rules {
			if !yield(r.id, r.policy) {
				return
			}
		}
	}
}

func TestCompileErrors(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	testCases := []struct {
		desc   string
		change func(*License)
		code   string
		fields []string
	}{
		{desc: "unknown template", change: func(l *License) { l.Template = "XX-1999" }, code: oversight.ENOTFOUND, fields: []string{"template"}},
		{desc: "bad status", change: func(l *License) { l.Status = "dormant" }, code: oversight.EINVALID, fields: []string{"status"}},
		{desc: "bad scope", change: func(l *License) {
			l.Scope.Purposes = []oversight.Category{"other"}
			l.Scope.MaxActiveOperations = 0
		}, code: oversight.EINVALID, fields: []string{"scope.purposes[0]", "scope.max_active_operations"}},
		{desc: "restriction without an action id", change: func(l *License) {
			l.Restrictions = []oversight.Restriction{{ID: "r1", Purposes: []oversight.Category{"terrorism"}}}
		}, code: oversight.EINVALID, fields: []string{"restrictions[0].id"}},
		{desc: "duplicate restriction", change: func(l *License) {
			l.Restrictions = []oversight.Restriction{{ID: "act_1", MaxActiveOperations: intp(1)}, {ID: "act_1", MaxActiveOperations: intp(2)}}
		}, code: oversight.EINVALID, fields: []string{"restrictions[1].id"}},
		{desc: "restriction that narrows nothing", change: func(l *License) {
			l.Restrictions = []oversight.Restriction{{ID: "act_1"}}
		}, code: oversight.EINVALID, fields: []string{"restrictions[0]"}},
	}
	for _, tC := range testCases {
		t.Run(tC.desc, func(t *testing.T) {
			l := testLicense()
			tC.change(l)
			_, err := e.Policy(l)
			var oe *oversight.Error
			if !errors.As(err, &oe) || oe.Code != tC.code {
				t.Fatalf("Policy: %v; want a %s error", err, tC.code)
			}
			var fields []string
			for _, f := range oe.Fields {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tC.fields) {
				t.Errorf("fields %v, want %v (%v)", fields, tC.fields, err)
			}
		})
	}
}

// TestPolicyText checks that the Cedar source names every rule once, in the
// order reasons are cited.
func TestPolicyText(t *testing.T) {
	l := testLicense()
	l.Restrictions = []oversight.Restriction{{ID: "act_r1", Purposes: []oversight.Category{"terrorism"}}}
	p := mustCompile(t, l)
	want := []string{"IL2021-2", "IL2021-3", "IL2021-1", "IL2021-4", "IL2021-5", "IL2021-7",
		"SCOPE-STATUS", "SCOPE-VALIDITY", "SCOPE-PURPOSE", "SCOPE-COUNTRY", "SCOPE-PROTECTED", "SCOPE-QUOTA", "SCOPE-OPERATION",
		"RESTRICT-act_r1"}
	if got := p.Codes(); !slices.Equal(got, want) {
		t.Errorf("Codes() = %v, want %v", got, want)
	}
	list, err := cedar.NewPolicyListFromBytes("text", []byte(p.Text()))
	if err != nil {
		t.Fatalf("Text() does not parse: %v", err)
	}
	for i, cp := range list {
		if got := string(cp.Annotations()["code"]); got != want[i] {
			t.Errorf("policy %d annotated %q, want %q", i, got, want[i])
		}
		if wantEffect := cedar.Forbid; i < 2 && cp.Effect() == wantEffect || i >= 2 && cp.Effect() != wantEffect {
			t.Errorf("policy %d (%s) has effect %v", i, want[i], cp.Effect())
		}
	}
}
