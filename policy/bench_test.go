package policy

import (
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

// benchLicense is the IL-2021 declaration with a full scope: every purpose
// and operation, several blocked country codes, and restrictions in force.
func benchLicense() *License {
	l := testLicense()
	l.Scope.BlockedCountryCodes = []string{"+1", "+7", "+86", "+98", "+850", "+963"}
	until := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l.Restrictions = []oversight.Restriction{
		{ID: "act_bench1", BlockedCountryCodes: []string{"+380", "+375"}},
		{ID: "act_bench2", MaxActiveOperations: intp(40), ValidUntil: &until},
	}
	return l
}

// BenchmarkEvaluate measures one decision with the cached policy, from the
// validated request to the decision, converting the request into Cedar's
// input included.
func BenchmarkEvaluate(b *testing.B) {
	e, err := NewEngine(Options{})
	if err != nil {
		b.Fatal(err)
	}
	l := benchLicense()
	cases := []struct {
		name string
		req  *oversight.OperationRequest
		want oversight.Verdict
	}{
		{"permit", seriousCrime(), oversight.Permit},
		{"deny", func() *oversight.OperationRequest {
			r := terrorism(oversight.ActKidnapping)
			r.Target.CountryCode = "+380"
			r.Grounds = []string{"opinion"}
			return r
		}(), oversight.Deny},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f := facts()
			d, err := e.Evaluate(l, c.req, f)
			if err != nil || d.Decision != c.want {
				b.Fatalf("Evaluate = %+v, %v; want %s", d, err, c.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Evaluate(l, c.req, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompile measures compiling a licence, which happens once per
// licence version.
func BenchmarkCompile(b *testing.B) {
	e, err := NewEngine(Options{})
	if err != nil {
		b.Fatal(err)
	}
	l := benchLicense()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Compile(l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateParallel measures decisions from concurrent callers
// sharing one cached policy, as the authorize endpoint does.
func BenchmarkEvaluateParallel(b *testing.B) {
	e, err := NewEngine(Options{})
	if err != nil {
		b.Fatal(err)
	}
	l, r, f := benchLicense(), seriousCrime(), facts()
	if _, err := e.Evaluate(l, r, f); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Evaluate(l, r, f); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
