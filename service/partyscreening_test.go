package service_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reportsign"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// listEntity imports one entity of a sanctions list, as the list readers
// give it.
func (f *fixture) listEntity(source, name, program string) *oversight.Designation {
	f.t.Helper()
	out := f.ok2(f.svc.ImportDesignations(f.ctx, f.def, &oversight.DesignationImport{Designations: []oversight.Designation{{
		Type: oversight.PartyEntity, Identity: oversight.Identity{Name: name}, Basis: oversight.BasisSanctionsList,
		Source: source, Program: program,
	}}})).(*oversight.ImportResult)
	d := f.ok2(f.svc.Designation(f.ctx, f.def, out.Items[0].ID)).(*oversight.Designation)
	return d
}

// exportReadyVendor registers a vendor named name, its compliance desk and
// a product approved at every stage.
func (f *fixture) exportReadyVendor(name string) (*oversight.Principal, *oversight.Product) {
	f.t.Helper()
	v := f.ok2(f.svc.CreateVendor(f.ctx, f.def, &oversight.Vendor{Name: name, Country: "GB"})).(*oversight.Vendor)
	tk, _, err := f.svc.CreateUserWithToken(f.ctx, service.Operator, &oversight.User{Name: name + " desk", Role: oversight.RoleVendor, VendorID: v.ID}, &oversight.TokenRequest{})
	if err != nil {
		f.t.Fatal(err)
	}
	desk := &tk.Principal
	pr := f.ok2(f.svc.CreateProduct(f.ctx, desk, &oversight.Product{Name: "Gannet", Capabilities: []string{"locate"}, ControlEntries: []string{"4.A.5"}})).(*oversight.Product)
	for _, st := range oversight.Stages {
		sub := &oversight.ReviewSubmission{Stage: st, Dossier: "d", Safeguards: oversight.Safeguards}
		if st == oversight.StageTesting {
			sub.Evidence = reportsign.Fixture(pr.ID)
		}
		r := f.ok2(f.svc.SubmitReview(f.ctx, desk, pr.ID, sub)).(*oversight.Review)
		f.ok2(f.svc.DecideReview(f.ctx, f.def, r.ID, &oversight.ReviewDecisionRequest{Decision: oversight.DecideApprove}))
	}
	return desk, pr
}

// noNameIn fails when the log entry at index shows name (or the reason)
// in its public form, or withholds nothing.
func noNameIn(t *testing.T, f *fixture, index int64, typ string, hidden ...string) {
	t.Helper()
	var ev *oversight.Event
	err := f.svc.Store().View(f.ctx, func(tx *store.Tx) (err error) { ev, err = tx.Event(index); return err })
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != typ {
		t.Fatalf("entry %d is %s, want %s", index, ev.Type, typ)
	}
	var payload map[string]any
	if err := json.Unmarshal(ev.Payload, &payload); err != nil || payload[oversight.PrivateMember] == nil {
		t.Fatalf("entry %d withholds nothing: %s", index, ev.Payload)
	}
	for _, h := range hidden {
		if strings.Contains(strings.ToLower(string(ev.Payload)), strings.ToLower(h)) {
			t.Errorf("entry %d shows %q: %s", index, h, ev.Payload)
		}
	}
}

// Issue 16 point 6: a vendor named like an SDN entity, its legal form
// changed (LLC on the list, Limited in the registry), cannot get an active
// licence until an officer clears the match with a reason; only the
// licensing ministries' officers read and decide on matches; the decision
// is an event that names no one.
func TestPartyMatchBlocksApprovalUntilCleared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		des := f.listEntity("ofac-sdn:99001", "NORTHWIND SIGNAL SYSTEMS LLC", "CYBER2")
		desk, pr := f.exportReadyVendor("Northwind Signal Systems Limited")
		l := f.ok2(f.svc.ApplyLicense(f.ctx, desk, &oversight.LicenseApplication{Kind: oversight.KindMarketing,
			ProductID: pr.ID, EndUserID: f.endUser.ID, Scope: f.scope()})).(*oversight.License)

		ls := f.ok2(f.svc.LicenseScreening(f.ctx, f.def, l.ID)).(*oversight.LicenseScreening)
		if !ls.Blocked || len(ls.Matches) != 1 {
			t.Fatalf("screening = %+v, want one blocking match", ls)
		}
		m := ls.Matches[0]
		if m.Match.DesignationID != des.ID || m.Party.Kind != oversight.PartyVendor || m.Status != oversight.PartyMatchOpen ||
			m.FoundOn != oversight.ScreenedRegistered || m.Match.Score < 0.85 || !strings.Contains(m.Match.Provenance, "OFAC SDN") ||
			m.Match.Explanation.Summary == "" {
			t.Fatalf("match = %+v", m)
		}
		noNameIn(t, f, m.LogIndex, oversight.EventPartyMatched, "Northwind")

		// Approval is refused, naming the match and what it matched.
		_, err := f.decide(f.def, l.ID, "approve")
		wantCode(t, err, oversight.ECONFLICT, "party_match")
		for _, want := range []string{m.ID, des.ID, "NORTHWIND SIGNAL SYSTEMS LLC", "OFAC SDN"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal %q does not name %s", err, want)
			}
		}
		// Screening again at approval adds nothing: one record per party
		// and designation.
		if ls := f.ok2(f.svc.LicenseScreening(f.ctx, f.def, l.ID)).(*oversight.LicenseScreening); len(ls.Matches) != 1 {
			t.Fatalf("after a refused approval, %d matches", len(ls.Matches))
		}

		// Only the licensing ministries' officers read and decide.
		_, err = f.svc.LicenseScreening(f.ctx, desk, l.ID)
		wantCode(t, err, oversight.EFORBIDDEN, "")
		_, err = f.svc.ClearPartyMatch(f.ctx, f.admin, l.ID, m.ID, &oversight.PartyMatchDecision{Reason: "r"})
		wantCode(t, err, oversight.EFORBIDDEN, "")
		_, err = f.svc.ClearPartyMatch(f.ctx, desk, l.ID, m.ID, &oversight.PartyMatchDecision{Reason: "r"})
		wantCode(t, err, oversight.EFORBIDDEN, "")
		_, err = f.svc.ClearPartyMatch(f.ctx, f.def, l.ID, m.ID, &oversight.PartyMatchDecision{Reason: " "})
		wantCode(t, err, oversight.EINVALID, "")
		// A match of another licence's party is not found through this one.
		other := f.ok2(f.apply(oversight.KindMarketing)).(*oversight.License)
		_, err = f.svc.ClearPartyMatch(f.ctx, f.def, other.ID, m.ID, &oversight.PartyMatchDecision{Reason: "r"})
		wantCode(t, err, oversight.ENOTFOUND, "")

		reason := "Northwind Signal Systems Limited is registered in GB since 1998, officer Dana checked"
		c := f.ok2(f.svc.ClearPartyMatch(f.ctx, f.def, l.ID, m.ID, &oversight.PartyMatchDecision{Reason: reason})).(*oversight.PartyMatch)
		if c.Status != oversight.PartyMatchCleared || c.Reason != reason || c.LicenseID != l.ID || c.DecidedAt == nil {
			t.Fatalf("cleared = %+v", c)
		}
		noNameIn(t, f, c.LogIndex, oversight.EventPartyCleared, "Northwind", "Dana")
		_, err = f.svc.ConfirmPartyMatch(f.ctx, f.fa, l.ID, m.ID, &oversight.PartyMatchDecision{Reason: "r"})
		wantCode(t, err, oversight.ECONFLICT, "cleared")

		f.ok2(f.decide(f.def, l.ID, "approve"))
		if l = f.ok2(f.decide(f.fa, l.ID, "approve")).(*oversight.License); l.Status != oversight.LicenseActive {
			t.Fatalf("after clearing and two approvals: %s", l.Status)
		}
	})
}

// A designation made after a licence is active re-screens every party of
// the live licences: the new match opens a PARTY-LISTED case on each
// licence naming the party, and holds the pending ones; confirming it
// denies the application, and a confirmed match blocks every later one.
func TestRescreenOpensCaseAndConfirmDenies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		m1 := f.ok2(f.apply(oversight.KindMarketing)).(*oversight.License)
		f.ok2(f.decide(f.def, m1.ID, "approve"))
		f.ok2(f.decide(f.fa, m1.ID, "approve"))

		des := f.listEntity("bis-dpl:KESTREL LTD", "KESTREL LTD", "")
		cases := f.ok2(f.svc.Cases(f.ctx, f.def, oversight.CaseFilter{LicenseID: m1.ID, Rule: service.RulePartyListed}, oversight.Page{})).(*oversight.List[oversight.Case])
		if len(cases.Items) != 1 || len(cases.Items[0].Evidence) != 1 || !strings.Contains(cases.Items[0].Evidence[0].Description, des.ID) {
			t.Fatalf("cases after the listing = %+v", cases.Items)
		}
		if strings.Contains(cases.Items[0].Evidence[0].Description, "Kestrel") {
			t.Errorf("the case's evidence names the party: %s", cases.Items[0].Evidence[0].Description)
		}
		// Re-screening again finds nothing new and opens nothing.
		res := f.ok2(f.svc.RescreenParties(f.ctx)).(*oversight.RescreenResult)
		if res.NewMatches != 0 || res.Cases != 0 || res.Licenses < 1 || res.Parties < 2 {
			t.Fatalf("second re-screening = %+v", res)
		}

		x := f.ok2(f.apply(oversight.KindExport)).(*oversight.License)
		_, err := f.decide(f.fa, x.ID, "approve")
		wantCode(t, err, oversight.ECONFLICT, "party_match")
		ls := f.ok2(f.svc.LicenseScreening(f.ctx, f.fa, x.ID)).(*oversight.LicenseScreening)
		var m oversight.PartyMatch
		for _, pm := range ls.Matches {
			if pm.Match.DesignationID == des.ID {
				m = pm
			}
		}
		if m.FoundOn != oversight.ScreenedRescreen {
			t.Fatalf("matches = %+v", ls.Matches)
		}
		cm := f.ok2(f.svc.ConfirmPartyMatch(f.ctx, f.fa, x.ID, m.ID, &oversight.PartyMatchDecision{Reason: "same company, same address"})).(*oversight.PartyMatch)
		if cm.Status != oversight.PartyMatchConfirmed {
			t.Fatalf("confirmed = %+v", cm)
		}
		v := f.ok2(f.svc.License(f.ctx, f.def, x.ID)).(*oversight.LicenseView)
		if v.Status != oversight.LicenseDenied || v.History[len(v.History)-1].Type != oversight.EventLicenseStatus {
			t.Fatalf("after confirming: %s, %v", v.Status, v.History)
		}
		// The active licence is not changed by the confirmation: its case
		// and the enforcement actions act on it.
		if l := f.ok2(f.svc.License(f.ctx, f.def, m1.ID)).(*oversight.LicenseView); l.Status != oversight.LicenseActive {
			t.Fatalf("marketing licence %s", l.Status)
		}
		m2 := f.ok2(f.apply(oversight.KindMarketing)).(*oversight.License)
		_, err = f.decide(f.def, m2.ID, "approve")
		wantCode(t, err, oversight.ECONFLICT, "party_listed")
	})
}

// A list imported in chunks re-screens the licensing parties once, after
// its last chunk: the chunks marked more leave the parties as they were,
// and the last one finds the match and opens the case.
func TestImportRescreensAfterLastChunk(t *testing.T) {
	f := newFixture(t, storetest.Open(t, "sqlite"))
	m := f.ok2(f.apply(oversight.KindMarketing)).(*oversight.License)
	f.ok2(f.decide(f.def, m.ID, "approve"))
	f.ok2(f.decide(f.fa, m.ID, "approve"))
	entity := func(src, name string) oversight.Designation {
		return oversight.Designation{Type: oversight.PartyEntity, Identity: oversight.Identity{Name: name}, Basis: oversight.BasisSanctionsList, Source: src}
	}
	cases := func() int {
		cs := f.ok2(f.svc.Cases(f.ctx, f.def, oversight.CaseFilter{LicenseID: m.ID, Rule: service.RulePartyListed}, oversight.Page{})).(*oversight.List[oversight.Case])
		return len(cs.Items)
	}
	f.ok2(f.svc.ImportDesignations(f.ctx, f.def, &oversight.DesignationImport{More: true, Designations: []oversight.Designation{entity("ofac-sdn:1", "KESTREL")}}))
	if n := cases(); n != 0 {
		t.Fatalf("%d PARTY-LISTED cases after a chunk with more to come", n)
	}
	f.ok2(f.svc.ImportDesignations(f.ctx, f.def, &oversight.DesignationImport{Designations: []oversight.Designation{entity("ofac-sdn:2", "UNRELATED HOLDINGS PLC")}}))
	if n := cases(); n != 1 {
		t.Fatalf("%d PARTY-LISTED cases after the last chunk, want 1", n)
	}
}
