package service_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/service/servicetest"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// fixture is a service with officers and a vendor whose product is
// export-ready, an eligible country and an agency with a declaration.
type fixture struct {
	t                         *testing.T
	ctx                       context.Context
	svc                       *service.Service
	admin, def, def2, fa, fa2 *oversight.Principal
	vendor, vendorB           *oversight.Principal
	product                   *oversight.Product
	endUser                   *oversight.EndUser
	declaration               *oversight.Declaration
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	svc, err := service.New(t.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, svc: svc}
	b := servicetest.NewBuilder(ctx, svc)
	f.admin, f.def, f.fa = b.Admin, b.Defense, b.Foreign
	f.def2, _ = b.Token(oversight.Principal{Role: oversight.RoleDefense, Name: "Avi"})
	// The same user as f.def presenting as the other ministry: a person is
	// one user with one role, so this can only be forged, and the
	// two-person rule must still see one person.
	fa2 := *f.def
	fa2.Role, fa2.TokenID = oversight.RoleForeignAffairs, oversight.NewID(oversight.PrefixToken)
	f.fa2 = &fa2
	_, f.vendor = b.RegisterVendor(&oversight.Vendor{Name: "Kestrel", Country: "IL"})
	_, f.vendorB = b.RegisterVendor(&oversight.Vendor{Name: "Other", Country: "IL"})
	f.product = b.ExportReady(f.vendor, &oversight.Product{Name: "Harrier", Capabilities: []string{"locate"}, ControlEntries: []string{"4.A.5"}})
	b.Eligible("FR")
	f.endUser, f.declaration, _ = b.SignedEndUser("FR", "Directorate")
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	return f
}

// ok2 fails the test on err and returns v as an interface.
func (f *fixture) ok2(v any, err error) any {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fixture) scope() oversight.Scope {
	now := time.Now().UTC()
	return oversight.Scope{Purposes: []oversight.Category{oversight.CategoryTerrorism}, Operations: oversight.Operations,
		MaxActiveOperations: 5, ValidFrom: now, ValidUntil: now.AddDate(1, 0, 0)}
}

func (f *fixture) apply(kind oversight.LicenseKind) (*oversight.License, error) {
	a := &oversight.LicenseApplication{Kind: kind, ProductID: f.product.ID, EndUserID: f.endUser.ID, Scope: f.scope()}
	if kind == oversight.KindExport {
		a.DeclarationID = f.declaration.ID
	}
	return f.svc.ApplyLicense(f.ctx, f.vendor, a)
}

func (f *fixture) decide(p *oversight.Principal, id, decision string) (*oversight.License, error) {
	return f.svc.DecideLicense(f.ctx, p, id, &oversight.ApprovalRequest{Decision: decision, Reason: "reason"})
}

func wantCode(t *testing.T, err error, code, state string) {
	t.Helper()
	if oversight.ErrorCode(err) != code {
		t.Fatalf("err = %v (%s), want %s", err, oversight.ErrorCode(err), code)
	}
	var e *oversight.Error
	if state != "" && (!errors.As(err, &e) || e.State != state) {
		t.Fatalf("err = %v, want current state %q", err, state)
	}
}

// The licence lifecycle: marketing before export, active only after both
// ministries approve by two distinct people, a denial ends it, and every
// illegal transition is a conflict naming the current state.
func TestLicenseLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		_, err := f.apply(oversight.KindExport)
		wantCode(t, err, oversight.ECONFLICT, "no active marketing licence")

		m, err := f.apply(oversight.KindMarketing)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != oversight.LicenseApplied || m.Template != "" {
			t.Fatalf("applied licence = %+v", m)
		}
		// An officer decides only for their own ministry.
		_, err = f.svc.DecideLicense(f.ctx, f.def, m.ID, &oversight.ApprovalRequest{Ministry: oversight.MinistryForeignAffairs, Decision: "approve"})
		wantCode(t, err, oversight.EFORBIDDEN, "")
		// Vendors and admins do not approve.
		_, err = f.decide(f.vendor, m.ID, "approve")
		wantCode(t, err, oversight.EFORBIDDEN, "")
		_, err = f.decide(f.admin, m.ID, "approve")
		wantCode(t, err, oversight.EFORBIDDEN, "")

		if m, err = f.decide(f.def, m.ID, "approve"); err != nil || m.Status != oversight.LicenseApplied {
			t.Fatalf("after defense approval: %v, %v", m, err)
		}
		// The same ministry twice, and the same person for the other
		// ministry, are refused.
		_, err = f.decide(f.def2, m.ID, "approve")
		wantCode(t, err, oversight.ECONFLICT, "applied")
		_, err = f.decide(f.fa2, m.ID, "approve")
		wantCode(t, err, oversight.ECONFLICT, "applied")
		if m, err = f.decide(f.fa, m.ID, "approve"); err != nil || m.Status != oversight.LicenseActive {
			t.Fatalf("after both approvals: %v, %v", m, err)
		}
		_, err = f.decide(f.fa, m.ID, "approve")
		wantCode(t, err, oversight.ECONFLICT, "active")

		x, err := f.apply(oversight.KindExport)
		if err != nil {
			t.Fatal(err)
		}
		if x.Template != "IL-2021" || x.Country != "FR" {
			t.Errorf("export licence = %+v", x)
		}
		if x, err = f.decide(f.fa, x.ID, "deny"); err != nil || x.Status != oversight.LicenseDenied {
			t.Fatalf("after denial: %v, %v", x, err)
		}
		_, err = f.decide(f.def, x.ID, "approve")
		wantCode(t, err, oversight.ECONFLICT, "denied")

		// The history is the licence's events, in order.
		v, err := f.svc.License(f.ctx, f.def, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, ev := range v.History {
			types = append(types, ev.Type)
		}
		want := []string{oversight.EventLicenseApplied, oversight.EventLicenseDecided, oversight.EventLicenseDecided, oversight.EventLicenseStatus}
		if len(types) != len(want) {
			t.Fatalf("history = %v, want %v", types, want)
		}
		for i := range want {
			if types[i] != want[i] {
				t.Fatalf("history = %v, want %v", types, want)
			}
		}
		if v.LogIndex != v.History[len(v.History)-1].Index {
			t.Errorf("log_index %d is not the last event's %d", v.LogIndex, v.History[len(v.History)-1].Index)
		}
	})
}

// Enforcement: suspend on one defense officer's word; reinstate and revoke
// need the other ministry, a different person; a revoked licence is final.
func TestEnforcementActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		m, _ := f.apply(oversight.KindMarketing)
		f.decide(f.def, m.ID, "approve")
		f.decide(f.fa, m.ID, "approve")
		x, _ := f.apply(oversight.KindExport)
		f.decide(f.def, x.ID, "approve")
		if x, _ = f.decide(f.fa, x.ID, "approve"); x.Status != oversight.LicenseActive {
			t.Fatalf("export licence %s", x.Status)
		}
		var changes []service.LicenseChange
		f.svc.Subscribe(func(c service.LicenseChange) { changes = append(changes, c) })

		_, err := f.svc.RequestAction(f.ctx, f.fa, x.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "r"})
		wantCode(t, err, oversight.EFORBIDDEN, "")
		a, err := f.svc.RequestAction(f.ctx, f.def, x.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "forensic report"})
		if err != nil || a.Status != oversight.ActionExecuted {
			t.Fatalf("suspend: %+v, %v", a, err)
		}
		_, err = f.svc.RequestAction(f.ctx, f.def, x.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "again"})
		wantCode(t, err, oversight.ECONFLICT, "suspended")

		r, err := f.svc.RequestAction(f.ctx, f.def, x.ID, &oversight.ActionRequest{Kind: oversight.ActionReinstate, Reason: "cleared"})
		if err != nil || r.Status != oversight.ActionPending {
			t.Fatalf("reinstate: %+v, %v", r, err)
		}
		_, err = f.svc.ApproveAction(f.ctx, f.def2, r.ID, &oversight.ActionApprovalRequest{Decision: "approve"})
		wantCode(t, err, oversight.ECONFLICT, "pending") // same ministry
		_, err = f.svc.ApproveAction(f.ctx, f.fa2, r.ID, &oversight.ActionApprovalRequest{Decision: "approve"})
		wantCode(t, err, oversight.ECONFLICT, "pending") // same person, other role
		if r, err = f.svc.ApproveAction(f.ctx, f.fa, r.ID, &oversight.ActionApprovalRequest{Decision: "approve"}); err != nil || r.Status != oversight.ActionExecuted {
			t.Fatalf("reinstate approval: %+v, %v", r, err)
		}
		rs, err := f.svc.RequestAction(f.ctx, f.def, x.ID, &oversight.ActionRequest{Kind: oversight.ActionRestrict, Reason: "narrow",
			Restriction: &oversight.Restriction{Operations: []oversight.Operation{oversight.OpLocate}}})
		if err != nil {
			t.Fatal(err)
		}
		rv, _ := f.svc.RequestAction(f.ctx, f.fa, x.ID, &oversight.ActionRequest{Kind: oversight.ActionRevoke, Reason: "misuse"})
		if _, err := f.svc.ApproveAction(f.ctx, f.def, rv.ID, &oversight.ActionApprovalRequest{Decision: "approve"}); err != nil {
			t.Fatal(err)
		}
		v, _ := f.svc.License(f.ctx, f.def, x.ID)
		if v.Status != oversight.LicenseRevoked || len(v.Restrictions) != 1 || v.Restrictions[0].ID != rs.ID {
			t.Fatalf("licence after actions: %s %+v", v.Status, v.Restrictions)
		}
		_, err = f.svc.RequestAction(f.ctx, f.def, x.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "r"})
		wantCode(t, err, oversight.ECONFLICT, "revoked")

		want := []oversight.LicenseStatus{oversight.LicenseSuspended, oversight.LicenseActive, oversight.LicenseActive, oversight.LicenseRevoked}
		if len(changes) != len(want) {
			t.Fatalf("%d changes pushed, want %d", len(changes), len(want))
		}
		for i, c := range changes {
			if c.Status != want[i] || c.LicenseID != x.ID {
				t.Errorf("change %d = %+v, want status %s", i, c, want[i])
			}
			if i > 0 && c.PolicyVersion <= changes[i-1].PolicyVersion {
				t.Errorf("policy version did not grow: %d after %d", c.PolicyVersion, changes[i-1].PolicyVersion)
			}
		}
	})
}

// Licensing needs an export-ready product and a licensable country.
func TestLicensePreconditions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		young := f.ok2(f.svc.CreateProduct(f.ctx, f.vendor, &oversight.Product{Name: "Kite", Capabilities: []string{"camera"}, ControlEntries: []string{"4.D.4"}})).(*oversight.Product)
		_, err := f.svc.ApplyLicense(f.ctx, f.vendor, &oversight.LicenseApplication{Kind: oversight.KindMarketing, ProductID: young.ID, EndUserID: f.endUser.ID, Scope: f.scope()})
		wantCode(t, err, oversight.ECONFLICT, "no stage approved")
		// Another vendor's product does not exist for this vendor.
		_, err = f.svc.ApplyLicense(f.ctx, f.vendorB, &oversight.LicenseApplication{Kind: oversight.KindMarketing, ProductID: f.product.ID, EndUserID: f.endUser.ID, Scope: f.scope()})
		wantCode(t, err, oversight.ENOTFOUND, "")
		f.ok2(f.svc.SetCountry(f.ctx, f.def, "FR", &oversight.CountryUpdate{Tier: oversight.TierIneligible, Notes: "reassessed"}))
		_, err = f.apply(oversight.KindMarketing)
		wantCode(t, err, oversight.ECONFLICT, "ineligible")
	})
}

// Reviews advance one stage at a time.
func TestReviewStages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		p := f.ok2(f.svc.CreateProduct(f.ctx, f.vendor, &oversight.Product{Name: "Kite", Capabilities: []string{"camera"}, ControlEntries: []string{"4.D.4"}})).(*oversight.Product)
		_, err := f.svc.SubmitReview(f.ctx, f.vendor, p.ID, &oversight.ReviewSubmission{Stage: oversight.StageDesign, Dossier: "d"})
		wantCode(t, err, oversight.ECONFLICT, "no stage")
		_, err = f.svc.SubmitReview(f.ctx, f.vendorB, p.ID, &oversight.ReviewSubmission{Stage: oversight.StageConcept, Dossier: "d"})
		wantCode(t, err, oversight.ENOTFOUND, "")
		r := f.ok2(f.svc.SubmitReview(f.ctx, f.vendor, p.ID, &oversight.ReviewSubmission{Stage: oversight.StageConcept, Dossier: "d"})).(*oversight.Review)
		_, err = f.svc.DecideReview(f.ctx, f.fa, r.ID, &oversight.ReviewDecisionRequest{Decision: oversight.DecideApprove})
		wantCode(t, err, oversight.EFORBIDDEN, "")
		f.ok2(f.svc.DecideReview(f.ctx, f.def, r.ID, &oversight.ReviewDecisionRequest{Decision: oversight.DecideReject, Notes: "no"}))
		_, err = f.svc.SubmitReview(f.ctx, f.vendor, p.ID, &oversight.ReviewSubmission{Stage: oversight.StageDesign, Dossier: "d"})
		wantCode(t, err, oversight.ECONFLICT, "rejected")
	})
}

// Nonces of signed requests are forgotten once their time has passed.
func TestPruneNonces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, err := service.New(t.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		err = st.Update(ctx, func(tx *store.Tx) error {
			for i, exp := range []time.Time{now.Add(-time.Minute), now.Add(-time.Second), now.Add(time.Minute)} {
				if _, err := tx.UseNonce([]byte{byte(i)}, exp); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := svc.PruneNonces(ctx)
		if err != nil || n != 2 {
			t.Fatalf("PruneNonces = %d, %v; want 2 expired", n, err)
		}
		st.Update(ctx, func(tx *store.Tx) error {
			fresh, err := tx.UseNonce([]byte{2}, now.Add(time.Minute))
			if err != nil || fresh {
				t.Errorf("the unexpired nonce was forgotten: fresh=%v err=%v", fresh, err)
			}
			return nil
		})
	})
}
