package oversight_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

// report returns a well-formed report whose checks have the given
// results, in the order of SafeguardChecks ("" leaves a check out).
func report(results ...oversight.CheckResult) *oversight.SafeguardReport {
	d := oversight.FileDigest{Path: "/opt/tool", SHA256: strings.Repeat("0", 64)}
	r := &oversight.SafeguardReport{Format: oversight.ReportFormat, ProductID: "prd_1",
		Build:     oversight.Build{Command: []string{"tool"}, Executable: d, Driver: d, Files: []oversight.FileDigest{}},
		Regulator: oversight.ReportRegulator{Mode: oversight.RegulatorInProcess}, StartedAt: time.Unix(1, 0), FinishedAt: time.Unix(2, 0),
		Key: oversight.EncodeKey(make([]byte, 32)), Signature: oversight.EncodeKey(make([]byte, 64))}
	for i, c := range oversight.SafeguardChecks {
		res := oversight.CheckPass
		if i < len(results) {
			res = results[i]
		}
		if res != "" {
			r.Checks = append(r.Checks, oversight.CheckOutcome{Name: c.Name, Safeguard: c.Safeguard, Result: res, Observed: "saw " + string(res)})
		}
	}
	r.Passed = len(r.Shortfalls()) == 0
	return r
}

func TestSafeguardEvidence(t *testing.T) {
	const P, F, I = oversight.CheckPass, oversight.CheckFail, oversight.CheckInconclusive
	for _, tc := range []struct {
		name     string
		r        *oversight.SafeguardReport
		verdicts string // per safeguard, in the order of Safeguards
		refused  string // the checks CheckExportEvidence names
	}{
		{"all pass", report(), "pass pass pass pass", ""},
		{"shutdown fails", report(P, P, F), "fail pass pass pass", "checks.shutdown"},
		{"ask fails, the rest of the audit hook inconclusive", report(P, P, P, P, P, F, I, I, I), "pass fail inconclusive pass",
			"checks.ask_before_use checks.deny_honoured checks.restriction checks.blocked_country"},
		{"a check missing", report(P, P, P, P, ""), "fail pass pass pass", "checks.containment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.r.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			e := oversight.NewSafeguardEvidence(tc.r, strings.Repeat("a", 64), false)
			var got []string
			for _, v := range e.Safeguards {
				got = append(got, string(v.Result))
			}
			if strings.Join(got, " ") != tc.verdicts || e.Passed != (tc.refused == "") {
				t.Errorf("verdicts %v, passed %v; want %s", got, e.Passed, tc.verdicts)
			}
			err := oversight.CheckExportEvidence(&oversight.Review{ID: "rev_1", Status: oversight.ReviewSubmitted}, e)
			var names []string
			if oe, ok := err.(*oversight.Error); ok {
				if oe.Code != oversight.ECONFLICT {
					t.Errorf("code %s", oe.Code)
				}
				for _, f := range oe.Fields {
					names = append(names, f.Field)
				}
			}
			if strings.Join(names, " ") != tc.refused {
				t.Errorf("CheckExportEvidence names %v, want %s (%v)", names, tc.refused, err)
			}
		})
	}
	if err := oversight.CheckExportEvidence(&oversight.Review{ID: "rev_1"}, nil); oversight.ErrorCode(err) != oversight.ECONFLICT || !strings.Contains(err.Error(), "without a safeguards report") {
		t.Errorf("no evidence: %v", err)
	}
}

func TestSafeguardReportValidate(t *testing.T) {
	for _, tc := range []struct {
		field string
		edit  func(r *oversight.SafeguardReport)
	}{
		{"format", func(r *oversight.SafeguardReport) { r.Format = "v0" }},
		{"product_id", func(r *oversight.SafeguardReport) { r.ProductID = "" }},
		{"build.executable.sha256", func(r *oversight.SafeguardReport) { r.Build.Executable.SHA256 = "abc" }},
		{"checks[0].name", func(r *oversight.SafeguardReport) { r.Checks[0].Name = "vibes" }},
		{"checks[1].safeguard", func(r *oversight.SafeguardReport) { r.Checks[1].Safeguard = oversight.SafeguardAuditHook }},
		{"checks[2].result", func(r *oversight.SafeguardReport) { r.Checks[2].Result = "maybe" }},
		{"passed", func(r *oversight.SafeguardReport) { r.Checks[3].Result = oversight.CheckFail }},
		{"signature", func(r *oversight.SafeguardReport) { r.Signature = "" }},
		{"regulator.mode", func(r *oversight.SafeguardReport) { r.Regulator.Mode = "cloud" }},
	} {
		r := report()
		tc.edit(r)
		err := r.Validate()
		oe, ok := err.(*oversight.Error)
		if !ok || oe.Code != oversight.EINVALID || oe.Fields[0].Field != tc.field {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}
