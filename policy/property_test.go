package policy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

// gen draws licences, restrictions, requests and facts from small pools,
// so that random draws often hit the edges of every rule.
type gen struct{ r *rand.Rand }

var (
	poolCodes   = []string{"+1", "+7", "+44", "+98", "+380", "+972"}
	poolConduct = []string{"expression_of_opinion", "criticism_of_state", "presenting_data_about_state", "armed_violence", "fraud"}
	poolGrounds = []string{"religion", "opinion", "age", "membership_of_armed_group", "travel_pattern"}
	validFrom   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	validUntil  = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

// some returns a random subset of pool, in pool order, taking each element
// with probability 1/n.
func some[T any](g gen, n int, pool []T) []T {
	var out []T
	for _, v := range pool {
		if g.r.IntN(n) == 0 {
			out = append(out, v)
		}
	}
	return out
}

// one reports true with probability 1/n.
func (g gen) one(n int) bool { return g.r.IntN(n) == 0 }

func (g gen) time() time.Time {
	// From a month before the licence's validity to a month after.
	span := validUntil.Sub(validFrom) + 60*24*time.Hour
	return validFrom.Add(-30*24*time.Hour + time.Duration(g.r.Int64N(int64(span))))
}

// timeInside returns a time inside the licence's validity, mostly.
func (g gen) timeInside() time.Time {
	if g.one(10) {
		return g.time()
	}
	return validFrom.Add(time.Duration(g.r.Int64N(int64(validUntil.Sub(validFrom)))))
}

func (g gen) license() *License {
	l := testLicense()
	if g.one(10) {
		l.Status = []oversight.LicenseStatus{oversight.LicenseSuspended, oversight.LicenseRevoked, oversight.LicenseApplied}[g.r.IntN(3)]
	}
	if ps := some(g, 2, []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime}); g.one(5) && len(ps) > 0 {
		l.Scope.Purposes = ps
	}
	if ops := some(g, 2, oversight.Operations); g.one(5) && len(ops) > 0 {
		l.Scope.Operations = ops
	}
	l.Scope.BlockedCountryCodes = some(g, 5, poolCodes)
	l.Scope.MaxActiveOperations = 1 + g.r.IntN(30)
	for range g.r.IntN(2) {
		l.Restrictions = append(l.Restrictions, g.restriction(len(l.Restrictions)))
	}
	return l
}

// restriction returns a random restriction that narrows at least one thing.
func (g gen) restriction(n int) oversight.Restriction {
	for {
		r := oversight.Restriction{ID: fmt.Sprintf("act_p%d", n)}
		if g.one(3) {
			r.Purposes = some(g, 2, []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime})
		}
		if g.one(3) {
			r.Operations = some(g, 2, oversight.Operations)
		}
		if g.one(3) {
			r.BlockedCountryCodes = some(g, 3, poolCodes)
		}
		if g.one(3) {
			r.MaxActiveOperations = intp(g.r.IntN(30))
		}
		if g.one(3) {
			t := g.time()
			r.ValidUntil = &t
		}
		var p oversight.Problems
		if r.Validate(&p, "r"); p.Len() == 0 {
			return r
		}
	}
}

func (g gen) request() *oversight.OperationRequest {
	r := seriousCrime()
	r.Operation = oversight.Operations[g.r.IntN(len(oversight.Operations))]
	r.Target.CountryCode = poolCodes[g.r.IntN(len(poolCodes))]
	switch g.r.IntN(9) {
	case 0, 1, 2, 3:
		r.LegalBasis = oversight.LegalBasis{Category: oversight.CategoryTerrorism, Act: oversight.TerroristActs[g.r.IntN(len(oversight.TerroristActs))]}
	case 4, 5, 6, 7:
		r.LegalBasis = oversight.LegalBasis{Category: oversight.CategorySeriousCrime, MaxSentenceYears: intp(g.r.IntN(15))}
	default:
		r.LegalBasis = oversight.LegalBasis{Category: oversight.CategoryOther}
	}
	r.LegalBasis.Conduct = some(g, 3, poolConduct)
	r.Grounds = some(g, 8, poolGrounds)
	if g.one(10) {
		r.WarrantRef = ""
	}
	if g.one(2) {
		r.Justification = "reasons given in the case file"
	}
	return r
}

func (g gen) facts() Facts {
	return Facts{
		Now:                  g.timeInside(),
		ActivePermits:        g.r.IntN(15),
		ProtectedTarget:      g.one(10),
		DeploymentRegistered: !g.one(10),
	}
}

// TestRestrictionNeverPermits checks, over random licences, requests and
// facts, that adding any restriction never turns a deny into a permit, and
// never silences a rule that forbade.
func TestRestrictionNeverPermits(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(2021, 12))}
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 2000
	if testing.Short() {
		n = 300
	}
	var permits, denies int
	for i := range n {
		l, r, f := g.license(), g.request(), g.facts()
		l.ID = ""
		before, err := e.Evaluate(l, r, f)
		if err != nil {
			t.Fatalf("draw %d: %v", i, err)
		}
		l.Restrictions = append(l.Restrictions, g.restriction(len(l.Restrictions)))
		after, err := e.Evaluate(l, r, f)
		if err != nil {
			t.Fatalf("draw %d: %v", i, err)
		}
		if before.Decision == oversight.Permit {
			permits++
			continue
		}
		denies++
		if after.Decision != oversight.Deny {
			t.Fatalf("draw %d: restriction %+v turned a deny into a permit\nlicence %+v\nrequest %+v\nfacts %+v\nbefore %+v",
				i, l.Restrictions[len(l.Restrictions)-1], l, r, f, before)
		}
		if len(before.Reasons) == 1 && before.Reasons[0].Code == "IL2021-2" {
			// Nothing forbade; the terrorism clause did not permit. A
			// restriction may add a forbid, which is then cited instead.
			continue
		}
		for _, rs := range before.Reasons {
			if !slices.ContainsFunc(after.Reasons, func(x oversight.Reason) bool { return x.Code == rs.Code }) {
				t.Fatalf("draw %d: the restriction silenced %s\nbefore %+v\nafter %+v", i, rs.Code, before, after)
			}
		}
	}
	// The draws must exercise both outcomes, or the property says nothing.
	if permits < n/20 || denies < n/20 {
		t.Fatalf("%d permits and %d denies in %d draws: the generator is lopsided", permits, denies, n)
	}
	t.Logf("%d draws: %d permits, %d denies before the restriction", n, permits, denies)
}
