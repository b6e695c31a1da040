package service_test

import (
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// The work lists of the officers' home pages are filters of the store,
// not scans: the licences awaiting one ministry, the reviews awaiting a
// decision; on both databases.
func TestWorkLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		awaiting := func(p *oversight.Principal, m oversight.Ministry) []string {
			t.Helper()
			l, err := f.svc.Licenses(f.ctx, p, oversight.LicenseFilter{Awaiting: m}, oversight.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, x := range l.Items {
				ids = append(ids, x.ID)
			}
			return ids
		}
		m, err := f.apply(oversight.KindMarketing)
		if err != nil {
			t.Fatal(err)
		}
		if got := awaiting(f.def, oversight.MinistryDefense); len(got) != 1 || got[0] != m.ID {
			t.Fatalf("awaiting defense, nobody decided: %v", got)
		}
		f.ok2(f.decide(f.def, m.ID, "approve"))
		if got := awaiting(f.def, oversight.MinistryDefense); len(got) != 0 {
			t.Fatalf("awaiting defense after defense approved: %v", got)
		}
		if got := awaiting(f.fa, oversight.MinistryForeignAffairs); len(got) != 1 {
			t.Fatalf("awaiting foreign affairs after defense approved: %v", got)
		}
		f.ok2(f.decide(f.fa, m.ID, "approve"))
		if got := awaiting(f.fa, oversight.MinistryForeignAffairs); len(got) != 0 {
			t.Fatalf("awaiting foreign affairs once active: %v", got)
		}
		if _, err := f.svc.Licenses(f.ctx, f.def, oversight.LicenseFilter{Awaiting: "vendor"}, oversight.Page{}); oversight.ErrorCode(err) != oversight.EINVALID {
			t.Fatalf("awaiting a ministry that is none: %v", err)
		}

		// The fixture's five reviews are decided; one more waits.
		p := f.ok2(f.svc.CreateProduct(f.ctx, f.vendor, &oversight.Product{Name: "Osprey", Capabilities: []string{"locate"}, ControlEntries: []string{"4.A.5"}})).(*oversight.Product)
		r := f.ok2(f.svc.SubmitReview(f.ctx, f.vendor, p.ID, &oversight.ReviewSubmission{Stage: oversight.StageConcept, Dossier: "d", Safeguards: []string{}})).(*oversight.Review)
		open, err := f.svc.Reviews(f.ctx, f.def, oversight.ReviewFilter{Status: oversight.ReviewSubmitted}, oversight.Page{})
		if err != nil || len(open.Items) != 1 || open.Items[0].ID != r.ID {
			t.Fatalf("reviews awaiting a decision: %+v, %v", open, err)
		}
		all, err := f.svc.Reviews(f.ctx, f.vendor, oversight.ReviewFilter{ProductID: f.product.ID}, oversight.Page{})
		if err != nil || len(all.Items) != len(oversight.Stages) {
			t.Fatalf("a product's reviews: %+v, %v", all, err)
		}
		// Products by the last stage approved: the fixture's is export-ready,
		// the new one has none approved yet.
		byStage := func(p *oversight.Principal, st oversight.Stage) []oversight.Product {
			t.Helper()
			l, err := f.svc.Products(f.ctx, p, oversight.ProductFilter{Stage: st}, oversight.Page{})
			if err != nil {
				t.Fatalf("products at stage %q: %v", st, err)
			}
			return l.Items
		}
		if got := byStage(f.def, oversight.StageExportReady); len(got) != 1 || got[0].ID != f.product.ID {
			t.Fatalf("export-ready products: %+v", got)
		}
		if got := byStage(f.vendor, oversight.StageConcept); len(got) != 0 {
			t.Fatalf("products whose concept is the last stage approved: %+v", got)
		}
		if got := byStage(f.vendor, ""); len(got) != 2 {
			t.Fatalf("every product of the vendor: %+v", got)
		}
		if _, err := f.svc.Products(f.ctx, f.def, oversight.ProductFilter{Stage: "beta"}, oversight.Page{}); oversight.ErrorCode(err) != oversight.EINVALID {
			t.Fatalf("a stage that is none: %v", err)
		}

		// Every product's reviews are for officials; a vendor names its product.
		if _, err := f.svc.Reviews(f.ctx, f.vendor, oversight.ReviewFilter{Status: oversight.ReviewSubmitted}, oversight.Page{}); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
			t.Fatalf("a vendor listing every product's reviews: %v", err)
		}
		if _, err := f.svc.Reviews(f.ctx, f.def, oversight.ReviewFilter{Status: "pending"}, oversight.Page{}); oversight.ErrorCode(err) != oversight.EINVALID {
			t.Fatalf("an unknown review status: %v", err)
		}
	})
}

// Names for the record's user ids: officials read everyone's, others only
// their own.
func TestUserNames(t *testing.T) {
	f := newFixture(t, storetest.Open(t, "sqlite"))
	ids := []string{f.def.UserID, f.fa.UserID, f.vendor.UserID, "usr_unknown", "not an id"}
	got, err := f.svc.UserNames(f.ctx, f.fa, ids)
	if err != nil || got[f.def.UserID] != "Dana Defense" || got[f.fa.UserID] != "Farah Foreign" || got[f.vendor.UserID] != "Kestrel compliance" || len(got) != 3 {
		t.Fatalf("an official's names: %v, %v", got, err)
	}
	got, err = f.svc.UserNames(f.ctx, f.vendor, ids)
	if err != nil || len(got) != 1 || got[f.vendor.UserID] != "Kestrel compliance" {
		t.Fatalf("a vendor's names: %v, %v", got, err)
	}
	if _, err := f.svc.UserNames(f.ctx, f.def, make([]string, 201)); oversight.ErrorCode(err) != oversight.EINVALID {
		t.Fatalf("too many ids at once: %v", err)
	}
}

// A deployment's lease state is its latest lease.issued event and its
// licence: none before the first lease, the latest after renewals, and the
// licence's new status after a suspension; only its parties and officials
// read it.
func TestDeploymentLease(t *testing.T) {
	w := newUseWorld(t, storetest.Open(t, "sqlite"), useOptions{})
	st, err := w.svc.DeploymentLease(w.ctx, w.agency, w.dep.ID)
	if err != nil || st.Lease != nil || st.License.Status != oversight.LicenseActive {
		t.Fatalf("before any lease: %+v, %v", st, err)
	}
	var last *oversight.Lease
	for range 3 {
		if last, err = w.svc.IssueLease(w.ctx, w.nonce(w.dep)); err != nil {
			t.Fatal(err)
		}
	}
	st, err = w.svc.DeploymentLease(w.ctx, w.defense, w.dep.ID)
	if err != nil || st.Lease == nil || st.Lease.LeaseID != last.ID || st.LogIndex != last.LogIndex || !st.Lease.ExpiresAt.Equal(last.ExpiresAt) {
		t.Fatalf("after three leases: %+v, %v; the last was %+v", st, err, last)
	}
	if _, err := w.svc.RequestAction(w.ctx, w.defense, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	st, err = w.svc.DeploymentLease(w.ctx, w.vendor, w.dep.ID)
	if err != nil || st.License.Status != oversight.LicenseSuspended || st.Lease.LeaseID != last.ID {
		t.Fatalf("after the suspension: %+v, %v", st, err)
	}
	consul := w.token(oversight.Principal{Role: oversight.RoleConsular, Name: "Consul"})
	if _, err := w.svc.DeploymentLease(w.ctx, consul, w.dep.ID); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
		t.Fatalf("a consul reading a deployment's lease: %v", err)
	}
}
