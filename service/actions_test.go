package service_test

import (
	"encoding/json"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// The second ministry's decision on a pending action is in the public log
// under its own type: action.approved for an approval, action.rejected for
// a rejection. Auditors filter on the type; a rejection must not read as
// an approval.
func TestActionDecisionEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		m, _ := f.apply(oversight.KindMarketing)
		f.decide(f.def, m.ID, "approve")
		f.decide(f.fa, m.ID, "approve")
		x, _ := f.apply(oversight.KindExport)
		f.decide(f.def, x.ID, "approve")
		f.decide(f.fa, x.ID, "approve")

		for _, tc := range []struct {
			decision, wantType string
			wantStatus         oversight.ActionStatus
		}{
			{"reject", oversight.EventActionRejected, oversight.ActionRejected},
			{"approve", oversight.EventActionApproved, oversight.ActionExecuted},
		} {
			r, err := f.svc.RequestAction(f.ctx, f.def, x.ID, &oversight.ActionRequest{Kind: oversight.ActionRevoke, Reason: "misuse alleged"})
			if err != nil {
				t.Fatal(err)
			}
			a, err := f.svc.ApproveAction(f.ctx, f.fa, r.ID, &oversight.ActionApprovalRequest{Decision: tc.decision})
			if err != nil || a.Status != tc.wantStatus {
				t.Fatalf("%s: %+v, %v", tc.decision, a, err)
			}
			decided := a.Approvals[len(a.Approvals)-1]
			e, err := f.svc.LogEntry(f.ctx, decided.LogIndex)
			if err != nil {
				t.Fatal(err)
			}
			var ev struct {
				Type    string `json:"type"`
				Subject string `json:"subject"`
			}
			if err := json.Unmarshal(e.Event, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Type != tc.wantType || ev.Subject != a.ID {
				t.Errorf("%s: the decision's event is %s about %s, want %s about %s", tc.decision, ev.Type, ev.Subject, tc.wantType, a.ID)
			}
		}
	})
}
