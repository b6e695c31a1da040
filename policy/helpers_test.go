package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

// now is the time of the test decisions, inside the licence's validity.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const targetHash = "7f3a9c2e4b1d8f6a0c5e2b7d9a4f1c3e8b6d0a2f5c7e9b1d3a6f8c0e2b4d6a8f"

// testLicense returns an active IL-2021 licence with a full scope.
func testLicense() *License {
	return &License{
		ID:            "lic_test1",
		PolicyVersion: 1,
		Status:        oversight.LicenseActive,
		Template:      "IL-2021",
		Scope: oversight.Scope{
			Purposes:            []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime},
			Operations:          oversight.Operations,
			BlockedCountryCodes: []string{"+1", "+7"},
			MaxActiveOperations: 50,
			ValidFrom:           time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			ValidUntil:          time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		},
	}
}

func intp(n int) *int { return &n }

// seriousCrime returns a well-formed request that IL-2021 permits: a
// serious crime of 10 years, with a warrant.
func seriousCrime() *oversight.OperationRequest {
	return &oversight.OperationRequest{
		DeploymentID: "dep_test1",
		Operation:    oversight.OpIntercept,
		Target:       oversight.Target{IDHash: targetHash, CountryCode: "+44"},
		LegalBasis: oversight.LegalBasis{
			Category:         oversight.CategorySeriousCrime,
			Offense:          "armed robbery",
			Statute:          "Penal Code s. 402",
			MaxSentenceYears: intp(10),
			Conduct:          []string{"armed_violence"},
		},
		CaseRef:    "CASE-2026-0117",
		WarrantRef: "W-2026-3381",
	}
}

// terrorism returns a well-formed terrorism request for act.
func terrorism(act string) *oversight.OperationRequest {
	r := seriousCrime()
	r.LegalBasis = oversight.LegalBasis{Category: oversight.CategoryTerrorism, Act: act}
	return r
}

func facts() Facts {
	return Facts{Now: now, ActivePermits: 3, DeploymentRegistered: true}
}

func mustCompile(t testing.TB, l *License) *Policy {
	t.Helper()
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Compile(l)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p
}

func codes(d oversight.Decision) string {
	var cs []string
	for _, r := range d.Reasons {
		cs = append(cs, r.Code)
	}
	return strings.Join(cs, ",")
}
