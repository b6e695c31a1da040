package service_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// wantRefused checks a refusal's code and, for bad input, that it names
// field, for a conflict that field is its current state.
func wantRefused(t *testing.T, err error, code, field string) {
	t.Helper()
	if code != oversight.EINVALID {
		wantCode(t, err, code, field)
		return
	}
	wantCode(t, err, code, "")
	if !strings.Contains(err.Error(), field) {
		t.Fatalf("refusal %q does not name %s", err, field)
	}
}

// PATCH /v1/vendors/{id}: who may change a vendor, which input is refused
// and naming what, and what a change records.
func TestUpdateVendor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		owner := oversight.Person{Identity: oversight.Identity{Name: "Yael Shafir", BirthDate: "1975-02-03"}, Role: oversight.PersonOwner, Share: 60}
		v := f.ok2(f.svc.UpdateVendor(f.ctx, f.def, f.vendor.VendorID, &oversight.VendorUpdate{AddPersons: []oversight.Person{owner}})).(*oversight.Vendor)
		if len(v.Persons) != 1 || !strings.HasPrefix(v.Persons[0].ID, oversight.PrefixPerson) {
			t.Fatalf("after adding an owner: %+v", v.Persons)
		}
		noNameIn(t, f, v.LogIndex, oversight.EventVendorUpdated, "Yael", "Shafir", "1975")
		per := v.Persons[0].ID
		stale := v.LogIndex - 1
		for _, tc := range []struct {
			name  string
			p     *oversight.Principal
			id    string
			u     oversight.VendorUpdate
			code  string
			field string // in the error, for EINVALID; the current state for ECONFLICT
		}{
			{"the vendor itself", f.vendor, f.vendor.VendorID, oversight.VendorUpdate{Name: ptr("Kestrel Two")}, oversight.EFORBIDDEN, ""},
			{"foreign affairs", f.fa, f.vendor.VendorID, oversight.VendorUpdate{Name: ptr("Kestrel Two")}, oversight.EFORBIDDEN, ""},
			{"nothing to change", f.def, f.vendor.VendorID, oversight.VendorUpdate{}, oversight.EINVALID, "body"},
			{"empty name", f.def, f.vendor.VendorID, oversight.VendorUpdate{Name: ptr("  ")}, oversight.EINVALID, "name"},
			{"bad country", f.def, f.vendor.VendorID, oversight.VendorUpdate{Country: ptr("Israel")}, oversight.EINVALID, "country"},
			{"bad person", f.def, f.vendor.VendorID, oversight.VendorUpdate{AddPersons: []oversight.Person{{Role: "boss", Share: 120}}}, oversight.EINVALID, "add_persons[0].share"},
			{"shares over 100", f.def, f.vendor.VendorID, oversight.VendorUpdate{AddPersons: []oversight.Person{{Identity: oversight.Identity{Name: "Ori Tal"}, Role: oversight.PersonOwner, Share: 50}}}, oversight.EINVALID, "add_persons"},
			{"not a person id", f.def, f.vendor.VendorID, oversight.VendorUpdate{RemovePersons: []string{"Yael"}}, oversight.EINVALID, "remove_persons[0]"},
			{"another's person", f.def, f.vendor.VendorID, oversight.VendorUpdate{RemovePersons: []string{oversight.NewID(oversight.PrefixPerson)}}, oversight.EINVALID, "remove_persons[0]"},
			{"read before a change", f.def, f.vendor.VendorID, oversight.VendorUpdate{LogIndex: &stale, Name: ptr("Kestrel Two")}, oversight.ECONFLICT, "changed"},
			{"no such vendor", f.def, "ven_nope", oversight.VendorUpdate{Name: ptr("Kestrel Two")}, oversight.ENOTFOUND, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.UpdateVendor(f.ctx, tc.p, tc.id, &tc.u)
				wantRefused(t, err, tc.code, tc.field)
			})
		}

		// A change pinned to the version read, by an administrator:
		// renamed, moved, the owner replaced.
		u := &oversight.VendorUpdate{LogIndex: &v.LogIndex, Name: ptr(" Kestrel Dynamics "), Country: ptr("cy"), Address: ptr("1 Harbour Road, Limassol"),
			RemovePersons: []string{per}, AddPersons: []oversight.Person{{Identity: oversight.Identity{Name: "Ori Tal"}, Role: oversight.PersonOwner, Share: 100}}}
		w := f.ok2(f.svc.UpdateVendor(f.ctx, f.admin, v.ID, u)).(*oversight.Vendor)
		if w.Name != "Kestrel Dynamics" || w.Country != "CY" || w.Address == "" || len(w.Persons) != 1 || w.Persons[0].Name != "Ori Tal" || w.LogIndex <= v.LogIndex {
			t.Fatalf("after the change: %+v", w)
		}
		if got := f.ok2(f.svc.Vendor(f.ctx, f.def, v.ID)).(*oversight.Vendor); got.Name != w.Name || got.LogIndex != w.LogIndex {
			t.Fatalf("read back: %+v", got)
		}
		noNameIn(t, f, w.LogIndex, oversight.EventVendorUpdated, "Ori Tal", "Yael")
		// The same values again change nothing and record nothing.
		same := f.ok2(f.svc.UpdateVendor(f.ctx, f.def, v.ID, &oversight.VendorUpdate{Name: ptr("Kestrel Dynamics")})).(*oversight.Vendor)
		if same.LogIndex != w.LogIndex {
			t.Fatalf("a change to the same name was recorded at %d", same.LogIndex)
		}
	})
}

// PATCH /v1/end-users/{id}: who may change an agency, and what.
func TestUpdateEndUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		id := f.endUser.ID
		stale := f.endUser.LogIndex - 1
		agent := &oversight.Principal{Role: oversight.RoleEndUser, EndUserID: id, UserID: oversight.NewID(oversight.PrefixUser)}
		for _, tc := range []struct {
			name  string
			p     *oversight.Principal
			id    string
			u     oversight.EndUserUpdate
			code  string
			field string
		}{
			{"a vendor", f.vendor, id, oversight.EndUserUpdate{Agency: ptr("X")}, oversight.EFORBIDDEN, ""},
			{"the agency itself", agent, id, oversight.EndUserUpdate{Agency: ptr("X")}, oversight.EFORBIDDEN, ""},
			{"nothing to change", f.fa, id, oversight.EndUserUpdate{}, oversight.EINVALID, "body"},
			{"empty name", f.fa, id, oversight.EndUserUpdate{Agency: ptr("")}, oversight.EINVALID, "agency"},
			{"bad kind", f.fa, id, oversight.EndUserUpdate{Kind: ptr(oversight.EndUserKind("police"))}, oversight.EINVALID, "kind"},
			{"bad key", f.fa, id, oversight.EndUserUpdate{SigningKey: ptr("abc")}, oversight.EINVALID, "signing_key"},
			{"another state", f.fa, id, oversight.EndUserUpdate{Country: ptr("DE")}, oversight.EINVALID, "country"},
			{"read before a change", f.fa, id, oversight.EndUserUpdate{LogIndex: &stale, Agency: ptr("X")}, oversight.ECONFLICT, "changed"},
			{"no such agency", f.fa, "eu_nope", oversight.EndUserUpdate{Agency: ptr("X")}, oversight.ENOTFOUND, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.UpdateEndUser(f.ctx, tc.p, tc.id, &tc.u)
				wantRefused(t, err, tc.code, tc.field)
			})
		}
		e := f.ok2(f.svc.UpdateEndUser(f.ctx, f.def, id, &oversight.EndUserUpdate{LogIndex: &f.endUser.LogIndex, Agency: ptr("Directorate of Judicial Police"),
			Kind: ptr(oversight.KindIntelligence), Country: ptr("FR")})).(*oversight.EndUser)
		if e.Agency != "Directorate of Judicial Police" || e.Kind != oversight.KindIntelligence || e.Country != "FR" || e.LogIndex <= f.endUser.LogIndex {
			t.Fatalf("after the change: %+v", e)
		}
		var ev *oversight.Event
		if err := f.svc.Store().View(f.ctx, func(tx *store.Tx) (err error) { ev, err = tx.Event(e.LogIndex); return err }); err != nil {
			t.Fatal(err)
		}
		if ev.Type != oversight.EventEndUserUpdated || !strings.Contains(string(ev.Payload), `"fields":["agency","kind"]`) {
			t.Fatalf("event %s %s", ev.Type, ev.Payload)
		}
	})
}

// Renaming the vendor of an active licence to a listed entity's name
// records the match and opens one PARTY-LISTED case against the licence,
// through the re-screening's own case mechanism; a re-screening after it
// finds nothing more.
func TestRenameVendorToListedOpensCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		l := f.ok2(f.apply(oversight.KindMarketing)).(*oversight.License)
		f.ok2(f.decide(f.def, l.ID, "approve"))
		f.ok2(f.decide(f.fa, l.ID, "approve"))
		des := f.listEntity("ofac-sdn:99107", "NIGHTJAR INTRUSION SYSTEMS LTD", "CYBER2")
		cases := func() []oversight.Case {
			cs := f.ok2(f.svc.Cases(f.ctx, f.def, oversight.CaseFilter{LicenseID: l.ID, Rule: service.RulePartyListed}, oversight.Page{})).(*oversight.List[oversight.Case])
			return cs.Items
		}
		if n := len(cases()); n != 0 {
			t.Fatalf("%d cases before the rename", n)
		}

		f.ok2(f.svc.UpdateVendor(f.ctx, f.def, f.vendor.VendorID, &oversight.VendorUpdate{Name: ptr("Nightjar Intrusion Systems Limited")}))
		cs := cases()
		if len(cs) != 1 || len(cs[0].Evidence) != 1 || !strings.Contains(cs[0].Evidence[0].Description, des.ID) ||
			!strings.Contains(cs[0].Evidence[0].Description, "a change of the record") || strings.Contains(cs[0].Evidence[0].Description, "Nightjar") {
			t.Fatalf("cases after the rename = %+v", cs)
		}
		ls := f.ok2(f.svc.LicenseScreening(f.ctx, f.def, l.ID)).(*oversight.LicenseScreening)
		if len(ls.Matches) != 1 || ls.Matches[0].FoundOn != oversight.ScreenedChanged || ls.Matches[0].Party.Kind != oversight.PartyVendor {
			t.Fatalf("matches = %+v", ls.Matches)
		}
		noNameIn(t, f, ls.Matches[0].LogIndex, oversight.EventPartyMatched)
		if res := f.ok2(f.svc.RescreenParties(f.ctx)).(*oversight.RescreenResult); res.NewMatches != 0 || res.Cases != 0 {
			t.Fatalf("re-screening after the rename = %+v", res)
		}
		if n := len(cases()); n != 1 {
			t.Fatalf("%d cases after the re-screening", n)
		}
		// The licence in force is left to the enforcement actions.
		if v := f.ok2(f.svc.License(f.ctx, f.def, l.ID)).(*oversight.LicenseView); v.Status != oversight.LicenseActive {
			t.Fatalf("licence %s", v.Status)
		}

		// A clearance holds for the name it was made on: renamed again to
		// another name that matches, the match is open again; renamed
		// back to the name cleared, it stays cleared.
		rename := func(name string) *oversight.PartyMatch {
			t.Helper()
			f.ok2(f.svc.UpdateVendor(f.ctx, f.def, f.vendor.VendorID, &oversight.VendorUpdate{Name: ptr(name)}))
			ls := f.ok2(f.svc.LicenseScreening(f.ctx, f.def, l.ID)).(*oversight.LicenseScreening)
			if len(ls.Matches) != 1 {
				t.Fatalf("after renaming to %s: %+v", name, ls.Matches)
			}
			return &ls.Matches[0]
		}
		clearMatch := func(m *oversight.PartyMatch) {
			t.Helper()
			f.ok2(f.svc.ClearPartyMatch(f.ctx, f.fa, l.ID, m.ID, &oversight.PartyMatchDecision{Reason: "a different company, registered in IL since 2001"}))
		}
		first := ls.Matches[0]
		clearMatch(&first)
		m := rename("Nightjar Intrusion Systems Ltd")
		if m.ID != first.ID || m.Status != oversight.PartyMatchOpen || m.Party.Name != "Nightjar Intrusion Systems Ltd" || m.FoundOn != oversight.ScreenedChanged || m.LogIndex <= first.LogIndex {
			t.Fatalf("renamed after the clearance: %+v", m)
		}
		noNameIn(t, f, m.LogIndex, oversight.EventPartyMatched, "Nightjar")
		if cs := cases(); len(cs) != 1 || len(cs[0].Evidence) != 2 {
			t.Fatalf("cases after the match opened again = %+v", cs)
		}
		clearMatch(m)
		if m := rename("Kestrel"); m.Status != oversight.PartyMatchCleared {
			t.Fatalf("renamed to a name that does not match: %+v", m)
		}
		if m := rename("Nightjar Intrusion Systems Ltd"); m.Status != oversight.PartyMatchCleared {
			t.Fatalf("renamed back to the name cleared: %+v", m)
		}
	})
}

// Adding a designated owner to the vendor of a pending licence blocks its
// approval with a 409 naming the match, until an officer clears it.
func TestAddListedOwnerBlocksApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		l := f.ok2(f.apply(oversight.KindMarketing)).(*oversight.License)
		des := f.ok2(f.svc.CreateDesignation(f.ctx, f.def, &oversight.DesignationRequest{
			Identity: oversight.Identity{Name: "Tomasz Aleksander WIERZBICKI"}, Basis: oversight.BasisMisuse})).(*oversight.Designation)
		f.ok2(f.decide(f.def, l.ID, "approve")) // one ministry before the change

		f.ok2(f.svc.UpdateVendor(f.ctx, f.def, f.vendor.VendorID, &oversight.VendorUpdate{AddPersons: []oversight.Person{{
			Identity: oversight.Identity{Name: "Tomasz Wierzbicki"}, Role: oversight.PersonOwner, Share: 40}}}))
		ls := f.ok2(f.svc.LicenseScreening(f.ctx, f.fa, l.ID)).(*oversight.LicenseScreening)
		if !ls.Blocked || len(ls.Matches) != 1 || ls.Matches[0].Party.Kind != oversight.PartyVendorPerson || ls.Matches[0].Match.DesignationID != des.ID {
			t.Fatalf("screening = %+v", ls)
		}
		m := ls.Matches[0]
		_, err := f.decide(f.fa, l.ID, "approve")
		wantCode(t, err, oversight.ECONFLICT, "party_match")
		for _, want := range []string{m.ID, des.ID} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal %q does not name %s", err, want)
			}
		}
		f.ok2(f.svc.ClearPartyMatch(f.ctx, f.fa, l.ID, m.ID, &oversight.PartyMatchDecision{Reason: "a namesake: another birth year, checked with the registry"}))
		if l = f.ok2(f.decide(f.fa, l.ID, "approve")).(*oversight.License); l.Status != oversight.LicenseActive {
			t.Fatalf("after clearing: %s", l.Status)
		}
	})
}

// Changes made at once without a pinned version are each applied to the
// version the other left: none is lost, each is its own event.
func TestConcurrentVendorChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		names := []string{"Adi Golan", "Ben Mor", "Carmel Yogev", "Dor Eshel"}
		errs := make(chan error, len(names))
		for _, n := range names {
			go func() {
				_, err := f.svc.UpdateVendor(f.ctx, f.def, f.vendor.VendorID, &oversight.VendorUpdate{
					AddPersons: []oversight.Person{{Identity: oversight.Identity{Name: n}, Role: oversight.PersonDirector}}})
				errs <- err
			}()
		}
		for range names {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		v := f.ok2(f.svc.Vendor(f.ctx, f.def, f.vendor.VendorID)).(*oversight.Vendor)
		for _, n := range names {
			if !slices.ContainsFunc(v.Persons, func(p oversight.Person) bool { return p.Name == n }) {
				t.Errorf("%s was lost: %+v", n, v.Persons)
			}
		}
	})
}
