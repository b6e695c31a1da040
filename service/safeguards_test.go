package service_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reportsign"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// fields returns the fields an error names.
func fields(err error) []string {
	var e *oversight.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// export_ready is approved only with a passing report attached to one of
// the product's reviews, the latest report counting; a report edited after
// signing, or about another product, is refused when attached.
func TestExportReadyNeedsEvidence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		p := f.ok2(f.svc.CreateProduct(f.ctx, f.vendor, &oversight.Product{Name: "Osprey", Capabilities: []string{"locate"}, ControlEntries: []string{"4.A.5"}})).(*oversight.Product)
		submit := func(st oversight.Stage, ev *oversight.SafeguardReport, met ...string) (*oversight.Review, error) {
			return f.svc.SubmitReview(f.ctx, f.vendor, p.ID, &oversight.ReviewSubmission{Stage: st, Dossier: "d", Safeguards: oversight.Safeguards, Evidence: ev, ConditionsMet: met})
		}
		decide := func(r *oversight.Review, d oversight.ReviewDecision, cond ...string) error {
			_, err := f.svc.DecideReview(f.ctx, f.def, r.ID, &oversight.ReviewDecisionRequest{Decision: d, Conditions: cond})
			return err
		}
		if _, err := submit(oversight.StageConcept, reportsign.Fixture(p.ID)); !strings.Contains(strings.Join(fields(err), " "), "evidence") {
			t.Errorf("evidence at the concept stage: %v, want refused on evidence", err)
		}
		for _, s := range []oversight.Stage{oversight.StageConcept, oversight.StageDesign, oversight.StagePrototype, oversight.StageTesting} {
			r := f.ok2(submit(s, nil)).(*oversight.Review)
			if err := decide(r, oversight.DecideApprove); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}

		// None attached.
		r := f.ok2(submit(oversight.StageExportReady, nil)).(*oversight.Review)
		err := decide(r, oversight.DecideApprove)
		wantCode(t, err, oversight.ECONFLICT, string(oversight.ReviewSubmitted))
		if got := fields(err); len(got) != len(oversight.SafeguardChecks) || got[0] != "checks."+oversight.CheckLeaseRequired {
			t.Errorf("no report: fields %v, want every check", got)
		}
		f.ok2(nil, decide(r, oversight.DecideChangesRequired, "attach a report"))

		// Edited after signing, or about another product: refused.
		edited := reportsign.Fixture(p.ID, oversight.CheckShutdown)
		edited.Checks[2].Result, edited.Passed = oversight.CheckPass, true
		if _, err := submit(oversight.StageExportReady, edited, "attach a report"); oversight.ErrorCode(err) != oversight.EINVALID || fields(err)[0] != "evidence.signature" {
			t.Errorf("edited report: %v, want EINVALID on evidence.signature", err)
		}
		if _, err := submit(oversight.StageExportReady, reportsign.Fixture(f.product.ID), "attach a report"); oversight.ErrorCode(err) != oversight.EINVALID || fields(err)[0] != "evidence.product_id" {
			t.Errorf("another product's report: %v, want EINVALID on evidence.product_id", err)
		}

		// A failing report: refused naming the check.
		r = f.ok2(submit(oversight.StageExportReady, reportsign.Fixture(p.ID, oversight.CheckShutdown), "attach a report")).(*oversight.Review)
		if r.Evidence == nil || r.Evidence.Passed || r.Evidence.Safeguards[0].Result != oversight.CheckFail || r.Evidence.Safeguards[1].Result != oversight.CheckPass {
			t.Fatalf("evidence on the review: %+v", r.Evidence)
		}
		err = decide(r, oversight.DecideApprove)
		wantCode(t, err, oversight.ECONFLICT, string(oversight.ReviewSubmitted))
		if got := fields(err); len(got) != 1 || got[0] != "checks.shutdown" || !strings.Contains(err.Error(), "a fixture: failed") {
			t.Errorf("failing report: %v (fields %v), want checks.shutdown alone", err, got)
		}
		f.ok2(nil, decide(r, oversight.DecideChangesRequired, "stop within a second"))

		// A passing one: approved. The log has the report's digest and
		// verdicts, not the report.
		r = f.ok2(submit(oversight.StageExportReady, reportsign.Fixture(p.ID), "stop within a second")).(*oversight.Review)
		if err := decide(r, oversight.DecideApprove); err != nil {
			t.Fatalf("passing report: %v", err)
		}
		var ev *oversight.Event
		f.ok2(nil, st.View(f.ctx, func(tx *store.Tx) (err error) { ev, err = tx.Event(r.LogIndex); return err }))
		var logged oversight.Review
		if err := json.Unmarshal(ev.Payload, &logged); err != nil || ev.Type != oversight.EventReviewSubmitted ||
			logged.Evidence == nil || logged.Evidence.Report != nil || logged.Evidence.ReportSHA256 != r.Evidence.ReportSHA256 {
			t.Errorf("logged review: %s %s", ev.Type, ev.Payload)
		}
	})
}

// serverReport is a report of a run against the regulator as d, citing
// the operation and the action, signed by the kit.
func serverReport(w *useWorld, d *oversight.Deployment, licenseID string, op *oversight.Decision, actionID string) *oversight.SafeguardReport {
	r := reportsign.Fixture(w.lic.ProductID)
	r.Regulator = oversight.ReportRegulator{Mode: oversight.RegulatorServer, URL: "https://staging.example", DeploymentID: d.ID, LicenseID: licenseID, LeaseTTLMS: 60000}
	r.StartedAt = time.Now().Add(-time.Minute).UTC()
	r.FinishedAt = time.Now().UTC()
	r.Checks[5].Steps = []oversight.CheckStep{{AtMS: 10, What: "permitted", OperationID: op.OperationID, Decision: string(op.Decision)}}
	r.Checks[2].Steps = []oversight.CheckStep{{AtMS: 20, What: "suspended", ActionID: actionID}}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	reportsign.Sign(r, key)
	return r
}

// The regulator countersigns a run it served, once it has found each
// authorisation and action the report cites in its records, and refuses a
// report that cites what it did not see.
func TestCountersignReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		dec := w.authorize(w.dep, request(w.dep))
		a, err := w.svc.RequestAction(w.ctx, w.defense, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "kit run"})
		w.check(err)

		r := serverReport(w, w.dep, w.lic.ID, dec, a.ID)
		out, err := w.svc.CountersignReport(w.ctx, w.nonce(w.dep), r)
		if err != nil {
			t.Fatal(err)
		}
		cs := out.Countersignature
		if cs == nil || cs.Operations != 1 || cs.Actions != 1 || cs.Key != w.svc.LeaseKey().PublicKey {
			t.Fatalf("countersignature: %+v", cs)
		}
		if err := reportsign.Verify(out); err != nil {
			t.Errorf("countersigned report: %v", err)
		}

		sig := w.nonce(w.dep)
		for _, tc := range []struct {
			name  string
			r     *oversight.SafeguardReport
			sig   *oversight.SignedRequest
			code  string
			field string
		}{
			{"an authorisation it never decided", serverReport(w, w.dep, w.lic.ID, &oversight.Decision{OperationID: "op_01unknown", Decision: oversight.Permit}, a.ID), nil, oversight.EINVALID, "checks[5].steps[0].operation_id"},
			{"another decision than its own", serverReport(w, w.dep, w.lic.ID, &oversight.Decision{OperationID: dec.OperationID, Decision: oversight.Deny}, a.ID), nil, oversight.EINVALID, "checks[5].steps[0].operation_id"},
			{"another deployment's run", serverReport(w, w.dep, w.lic.ID, dec, a.ID), w.nonce(w.dep2), oversight.EINVALID, "regulator"},
			{"another licence's action", serverReport(w, w.dep2, w.lic2.ID, &oversight.Decision{}, a.ID), w.nonce(w.dep2), oversight.EINVALID, "checks[2].steps[0].action_id"},
			{"a replayed request", serverReport(w, w.dep, w.lic.ID, dec, a.ID), sig, oversight.EUNAUTHORIZED, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.sig == nil {
					tc.sig = w.nonce(w.dep)
				}
				if tc.field == "" { // the replay: used once first
					w.svc.CountersignReport(w.ctx, tc.sig, serverReport(w, w.dep, w.lic.ID, dec, a.ID))
				}
				_, err := w.svc.CountersignReport(w.ctx, tc.sig, tc.r)
				if oversight.ErrorCode(err) != tc.code || tc.field != "" && (len(fields(err)) == 0 || fields(err)[0] != tc.field) {
					t.Errorf("%v (fields %v), want %s on %q", err, fields(err), tc.code, tc.field)
				}
			})
		}

		// An edited report is refused before anything is looked up.
		r = serverReport(w, w.dep, w.lic.ID, dec, a.ID)
		r.Checks[0].Observed = "edited"
		if _, err := w.svc.CountersignReport(w.ctx, w.nonce(w.dep), r); oversight.ErrorCode(err) != oversight.EINVALID || fields(err)[0] != "signature" {
			t.Errorf("edited report: %v", err)
		}
	})
}
