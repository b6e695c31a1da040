package service_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/lists"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// screenWorld is a service with one token per role that designations
// and screening concern.
type screenWorld struct {
	*useWorld
	consular *oversight.Principal
}

func newScreenWorld(t *testing.T, st *store.Store) *screenWorld {
	t.Helper()
	w := newUseWorld(t, st, useOptions{})
	return &screenWorld{useWorld: w, consular: w.token(oversight.Principal{Role: oversight.RoleConsular, Name: "Consul Carla"})}
}

func (w *screenWorld) designate(p *oversight.Principal, r oversight.DesignationRequest) *oversight.Designation {
	w.t.Helper()
	d, err := w.svc.CreateDesignation(w.ctx, p, &r)
	w.check(err)
	return d
}

func (w *screenWorld) screen(r oversight.ScreenRequest) *oversight.ScreenResult {
	w.t.Helper()
	res, err := w.svc.Screen(w.ctx, w.consular, &r)
	w.check(err)
	return res
}

func (w *screenWorld) logSize() int64 {
	w.t.Helper()
	var n int64
	w.check(w.st.View(w.ctx, func(tx *store.Tx) (err error) { n, err = tx.LogSize(); return err }))
	return n
}

func wantInvalidField(t *testing.T, err error, field string) {
	t.Helper()
	var de *oversight.Error
	if !errors.As(err, &de) || de.Code != oversight.EINVALID {
		t.Fatalf("err = %v, want EINVALID naming %s", err, field)
	}
	for _, f := range de.Fields {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("err = %v, want a problem with %s", err, field)
}

func TestDesignations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newScreenWorld(t, st)
		d := w.designate(w.defense, oversight.DesignationRequest{
			Identity: oversight.Identity{Name: "Radomir Feliksovich ZAVADSKY", Aliases: []string{"Радомир Феликсович Завадский"}, BirthDate: "1968-04-12", Nationality: "ru"},
			Basis:    oversight.BasisMisuse, Remarks: "operated the tool against reporters",
		})
		if !strings.HasPrefix(d.ID, oversight.PrefixDesignation) || d.Nationality != "RU" || d.ListedAt.IsZero() || d.DelistedAt != nil {
			t.Fatalf("designation %+v", d)
		}
		// The public log says a designation was made, not of whom.
		ev := w.event(d.LogIndex)
		if ev.Type != oversight.EventDesignationListed || ev.Subject != d.ID || ev.Actor != w.defense.Actor() {
			t.Fatalf("event %+v", ev)
		}
		for _, secret := range []string{"ZAVADSKY", "Завадский", "1968", "reporters"} {
			if strings.Contains(string(ev.Payload), secret) {
				t.Errorf("designation.listed shows %q: %s", secret, ev.Payload)
			}
		}
		spouse := w.designate(w.foreign, oversight.DesignationRequest{Identity: oversight.Identity{Name: "Irina ZAVADSKAYA", BirthDate: "1971"},
			Basis: oversight.BasisImmediateRelative, RelatedTo: d.ID, Relation: oversight.RelationSpouse})

		// Who may designate, and what a designation must say.
		for _, p := range []*oversight.Principal{w.admin, w.consular, w.vendor, w.agency} {
			_, err := w.svc.CreateDesignation(w.ctx, p, &oversight.DesignationRequest{Identity: oversight.Identity{Name: "X"}, Basis: oversight.BasisMisuse})
			if oversight.ErrorCode(err) != oversight.EFORBIDDEN {
				t.Errorf("%s designating: %v, want forbidden", p.Role, err)
			}
		}
		for field, r := range map[string]oversight.DesignationRequest{
			"related_to":  {Identity: oversight.Identity{Name: "A"}, Basis: oversight.BasisImmediateRelative, RelatedTo: "des_0000", Relation: oversight.RelationChild},
			"relation":    {Identity: oversight.Identity{Name: "A"}, Basis: oversight.BasisImmediateRelative, RelatedTo: d.ID, Relation: "cousin"},
			"birth_date":  {Identity: oversight.Identity{Name: "A", BirthDate: "12.04.1968"}, Basis: oversight.BasisMisuse},
			"case_id":     {Identity: oversight.Identity{Name: "A"}, Basis: oversight.BasisMisuse, CaseID: "case_0000"},
			"name":        {Basis: oversight.BasisMisuse},
			"basis":       {Identity: oversight.Identity{Name: "A"}, Basis: "sanctioned"},
			"nationality": {Identity: oversight.Identity{Name: "A", Nationality: "Russia"}, Basis: oversight.BasisMisuse},
		} {
			_, err := w.svc.CreateDesignation(w.ctx, w.defense, &r)
			wantInvalidField(t, err, field)
		}
		// A relative of a relative is not immediate family of anyone designated.
		_, err := w.svc.CreateDesignation(w.ctx, w.defense, &oversight.DesignationRequest{Identity: oversight.Identity{Name: "B"},
			Basis: oversight.BasisImmediateRelative, RelatedTo: spouse.ID, Relation: oversight.RelationChild})
		wantInvalidField(t, err, "related_to")

		// Officials and consular officers read; vendors do not.
		got, err := w.svc.Designation(w.ctx, w.consular, d.ID)
		w.check(err)
		if got.Name != d.Name || got.LogIndex != d.LogIndex {
			t.Errorf("read %+v", got)
		}
		if _, err := w.svc.Designation(w.ctx, w.vendor, d.ID); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
			t.Errorf("vendor reading: %v", err)
		}
		list, err := w.svc.Designations(w.ctx, w.admin, oversight.DesignationFilter{RelatedTo: d.ID}, oversight.Page{})
		w.check(err)
		if len(list.Items) != 1 || list.Items[0].ID != spouse.ID {
			t.Errorf("relatives of %s: %+v", d.ID, list.Items)
		}

		// Screening finds the person with a typo and in Cyrillic, and the
		// spouse as a spouse.
		for _, name := range []string{"Radomir ZAVADSKIJ", "Завадский Радомир"} {
			res := w.screen(oversight.ScreenRequest{Name: name, BirthDate: "1968"})
			if len(res.Matches) == 0 || res.Matches[0].DesignationID != d.ID || res.Matches[0].Score < 0.85 {
				t.Fatalf("screen %q: %+v", name, res.Matches)
			}
		}
		res := w.screen(oversight.ScreenRequest{Name: "Irina Zavadskaja"})
		if len(res.Matches) == 0 || res.Matches[0].DesignationID != spouse.ID || res.Matches[0].Relation != oversight.RelationSpouse ||
			res.Matches[0].Explanation.Relative == nil || res.Matches[0].Explanation.Relative.Name != d.Name {
			t.Fatalf("screen the spouse: %+v", res.Matches)
		}

		// Delisting keeps the designation and its history, and takes the
		// relatives designated because of the person with it.
		if _, err := w.svc.DelistDesignation(w.ctx, w.consular, d.ID, &oversight.DelistRequest{Reason: "r"}); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
			t.Errorf("consular delisting: %v", err)
		}
		_, err = w.svc.DelistDesignation(w.ctx, w.foreign, d.ID, &oversight.DelistRequest{})
		wantInvalidField(t, err, "reason")
		before := w.logSize()
		del, err := w.svc.DelistDesignation(w.ctx, w.foreign, d.ID, &oversight.DelistRequest{Reason: "court ruling 12/2026"})
		w.check(err)
		if del.DelistedAt == nil || del.DelistReason != "court ruling 12/2026" || del.LogIndex != d.LogIndex {
			t.Fatalf("delisted %+v", del)
		}
		if n := w.logSize() - before; n != 2 {
			t.Errorf("delisting a person with one relative wrote %d events, want 2", n)
		}
		if ev := w.event(before); ev.Type != oversight.EventDesignationDelisted || ev.Subject != d.ID || strings.Contains(string(ev.Payload), "court") {
			t.Errorf("delisting event %+v %s", ev, ev.Payload)
		}
		sp, err := w.svc.Designation(w.ctx, w.admin, spouse.ID)
		w.check(err)
		if sp.DelistedAt == nil || !strings.Contains(sp.DelistReason, d.ID) {
			t.Errorf("the spouse stays listed: %+v", sp)
		}
		_, err = w.svc.DelistDesignation(w.ctx, w.defense, d.ID, &oversight.DelistRequest{Reason: "again"})
		wantCode(t, err, oversight.ECONFLICT, "delisted")

		if res := w.screen(oversight.ScreenRequest{Name: "Radomir Zavadsky"}); len(res.Matches) != 0 {
			t.Errorf("screening matches a delisted designation: %+v", res.Matches)
		}
		res = w.screen(oversight.ScreenRequest{Name: "Radomir Zavadsky", IncludeDelisted: true})
		if len(res.Matches) == 0 || res.Matches[0].DesignationID != d.ID || !res.Matches[0].Delisted {
			t.Errorf("include_delisted: %+v", res.Matches)
		}
		active, err := w.svc.Designations(w.ctx, w.consular, oversight.DesignationFilter{Status: "active"}, oversight.Page{})
		w.check(err)
		if len(active.Items) != 0 {
			t.Errorf("active designations after delisting: %+v", active.Items)
		}
	})
}

// A new service builds its index from the store: what was designated
// before a restart is screened after it.
func TestScreeningIndexAtStart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newScreenWorld(t, st)
		d := w.designate(w.defense, oversight.DesignationRequest{Identity: oversight.Identity{Name: "Eitan Baruch LEVANON", Aliases: []string{"איתן ברוך לבנון"}}, Basis: oversight.BasisMisuse})
		svc2, err := service.New(t.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler)})
		w.check(err)
		if n := svc2.ScreeningIndex().Designations; n != 1 {
			t.Fatalf("index at start holds %d designations, want 1", n)
		}
		res, err := svc2.Screen(context.Background(), w.consular, &oversight.ScreenRequest{Name: "איתן לבנון"})
		w.check(err)
		if len(res.Matches) == 0 || res.Matches[0].DesignationID != d.ID {
			t.Errorf("screen after restart: %+v", res.Matches)
		}
	})
}

// worldWithVendor adds a vendor with an owner (a spouse and a child on
// record), an executive (a spouse) and a director, and a misuse case on a
// licence of its product.
func (w *screenWorld) caseWithVendor() (*oversight.Case, *oversight.Vendor) {
	w.t.Helper()
	v, err := w.svc.CreateVendor(w.ctx, w.defense, &oversight.Vendor{Name: "Nightjar Systems", Country: "CY", Persons: []oversight.Person{
		{Identity: oversight.Identity{Name: "Andreas KYPRIANOU", BirthDate: "1969", Nationality: "CY"}, Role: oversight.PersonOwner, Share: 70,
			Relatives: []oversight.Relative{{Identity: oversight.Identity{Name: "Eleni KYPRIANOU", BirthDate: "1972"}, Relation: oversight.RelationSpouse},
				{Identity: oversight.Identity{Name: "Nikos KYPRIANOU", BirthDate: "1998"}, Relation: oversight.RelationChild}}},
		{Identity: oversight.Identity{Name: "Maren Holt"}, Role: oversight.PersonExecutive, Title: "CEO",
			Relatives: []oversight.Relative{{Identity: oversight.Identity{Name: "Jonas Holt"}, Relation: oversight.RelationSpouse}}},
		{Identity: oversight.Identity{Name: "Petra Lind"}, Role: oversight.PersonDirector},
	}})
	w.check(err)
	vendor := w.vendor
	defer func() { w.vendor = vendor }()
	w.vendor = w.token(oversight.Principal{Role: oversight.RoleVendor, VendorID: v.ID, Name: "Nightjar compliance"})
	p := w.world.ExportReady(w.vendor, &oversight.Product{Name: "Shrike", Capabilities: []string{"zero_click"}, ControlEntries: []string{"4.A.5"}})
	w.check(w.world.Err())
	lic, _, _ := w.licensed(p, "FR", "Service of Inquiry", w.lic.Scope)
	c := w.world.SubstantiatedCase(&oversight.CaseRequest{Source: oversight.SourceForensicReport, LicenseID: lic.ID, Title: "Spyware on an opposition MP's phone"},
		"The implant on the MP's phone was served from the licensee's infrastructure.")
	w.check(w.world.Err())
	return c, v
}

func TestDesignateFromCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newScreenWorld(t, st)
		c, v := w.caseWithVendor()
		req := &oversight.CaseDesignationRequest{Persons: []oversight.InvolvedPerson{{
			Identity:  oversight.Identity{Name: "Commander Lucien MARCHETTI", BirthDate: "1975-02-03", Nationality: "FR"},
			Relatives: []oversight.Relative{{Identity: oversight.Identity{Name: "Sofia MARCHETTI"}, Relation: oversight.RelationChild}},
		}}}
		for _, p := range []*oversight.Principal{w.admin, w.consular, w.vendor} {
			if _, err := w.svc.DesignateFromCase(w.ctx, p, c.ID, req); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
				t.Errorf("%s designating from a case: %v", p.Role, err)
			}
		}
		// Not on an allegation: a case still open or under investigation
		// designates nobody.
		open, err := w.svc.OpenCase(w.ctx, w.defense, &oversight.CaseRequest{Source: oversight.SourceComplaint, LicenseID: c.LicenseID, Title: "An allegation"})
		w.check(err)
		for _, st := range []oversight.CaseStatus{"", oversight.CaseInvestigating} {
			if st != "" {
				_, err := w.svc.UpdateCase(w.ctx, w.defense, open.ID, &oversight.CaseUpdate{Status: st})
				w.check(err)
			}
			before := w.logSize()
			_, err := w.svc.DesignateFromCase(w.ctx, w.foreign, open.ID, req)
			if oversight.ErrorCode(err) != oversight.ECONFLICT || !strings.Contains(err.Error(), "substantiated") || w.logSize() != before {
				t.Errorf("designating from a case %q: %v, %d events", st, err, w.logSize()-before)
			}
		}

		out, err := w.svc.DesignateFromCase(w.ctx, w.foreign, c.ID, req)
		w.check(err)
		type want struct {
			basis    oversight.Basis
			relation oversight.Relation
			of       string
		}
		wants := map[string]want{
			"Andreas KYPRIANOU":          {oversight.BasisFinancialGain, "", ""},
			"Eleni KYPRIANOU":            {oversight.BasisImmediateRelative, oversight.RelationSpouse, "Andreas KYPRIANOU"},
			"Nikos KYPRIANOU":            {oversight.BasisImmediateRelative, oversight.RelationChild, "Andreas KYPRIANOU"},
			"Maren Holt":                 {oversight.BasisFinancialGain, "", ""},
			"Jonas Holt":                 {oversight.BasisImmediateRelative, oversight.RelationSpouse, "Maren Holt"},
			"Commander Lucien MARCHETTI": {oversight.BasisMisuse, "", ""},
			"Sofia MARCHETTI":            {oversight.BasisImmediateRelative, oversight.RelationChild, "Commander Lucien MARCHETTI"},
		}
		if out.Added != len(wants) || out.Existing != 0 || len(out.Items) != len(wants) {
			t.Fatalf("designated %d (%d existing): %+v", out.Added, out.Existing, out.Items)
		}
		byName := map[string]oversight.Designation{}
		for _, it := range out.Items {
			byName[it.Designation.Name] = it.Designation
		}
		var ids []string
		for name, wt := range wants {
			d, ok := byName[name]
			if !ok {
				t.Errorf("%s not designated", name)
				continue
			}
			ids = append(ids, d.ID)
			if d.Basis != wt.basis || d.Relation != wt.relation || d.CaseID != c.ID || (wt.of != "" && d.RelatedTo != byName[wt.of].ID) {
				t.Errorf("%s: %+v, want %+v", name, d, wt)
			}
		}
		if _, ok := byName["Petra Lind"]; ok {
			t.Error("a director was designated; the policy reaches owners and executives")
		}
		if own := byName["Andreas KYPRIANOU"]; !strings.Contains(own.Remarks, v.Name) || own.BirthDate != "1969" {
			t.Errorf("owner %+v", own)
		}
		got, err := w.svc.Case(w.ctx, w.admin, c.ID)
		w.check(err)
		if slices.Sort(ids); !slices.Equal(slices.Sorted(slices.Values(got.DesignationIDs)), ids) {
			t.Errorf("case links %v, want %v", got.DesignationIDs, ids)
		}

		// Twice is once.
		before := w.logSize()
		again, err := w.svc.DesignateFromCase(w.ctx, w.defense, c.ID, req)
		w.check(err)
		if again.Added != 0 || again.Existing != len(wants) || w.logSize() != before {
			t.Errorf("second call: %d added, %d existing, %d events", again.Added, again.Existing, w.logSize()-before)
		}

		// The owner's spouse is screened as his spouse.
		res := w.screen(oversight.ScreenRequest{Name: "Eleni Kyprianou", BirthDate: "1972"})
		if len(res.Matches) == 0 || res.Matches[0].DesignationID != byName["Eleni KYPRIANOU"].ID ||
			res.Matches[0].Relation != oversight.RelationSpouse || !strings.Contains(res.Matches[0].Explanation.Summary, "spouse of Andreas KYPRIANOU") {
			t.Errorf("screen the spouse: %+v", res.Matches)
		}

		// A delisted owner is listed again by a later call, with his family.
		_, err = w.svc.DelistDesignation(w.ctx, w.defense, byName["Andreas KYPRIANOU"].ID, &oversight.DelistRequest{Reason: "sold his shares"})
		w.check(err)
		third, err := w.svc.DesignateFromCase(w.ctx, w.defense, c.ID, &oversight.CaseDesignationRequest{})
		w.check(err)
		if third.Relisted != 3 || third.Added != 0 || third.Existing != 2 {
			t.Errorf("after delisting the owner: %d relisted, %d added, %d existing", third.Relisted, third.Added, third.Existing)
		}
		if _, err := w.svc.DesignateFromCase(w.ctx, w.defense, "case_0000", req); oversight.ErrorCode(err) != oversight.ENOTFOUND {
			t.Errorf("unknown case: %v", err)
		}
		_, err = w.svc.DesignateFromCase(w.ctx, w.defense, c.ID, &oversight.CaseDesignationRequest{Persons: []oversight.InvolvedPerson{{Identity: oversight.Identity{Name: " "}}}})
		wantInvalidField(t, err, "persons[0].name")
	})
}

func TestImportDesignations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newScreenWorld(t, st)
		list, err := lists.Load(lists.FormatOFACSDN, "../lists/testdata/sdn/sdn.csv", lists.Options{})
		w.check(err)
		if len(list.Designations) < 3 {
			t.Fatalf("fixture has %d individuals", len(list.Designations))
		}
		imp := func(ds []oversight.Designation) *oversight.ImportResult {
			t.Helper()
			res, err := w.svc.ImportDesignations(w.ctx, w.foreign, &oversight.DesignationImport{Designations: slices.Clone(ds)})
			w.check(err)
			return res
		}
		// In two chunks, as the command line sends a long list.
		half := len(list.Designations) / 2
		a, b := imp(list.Designations[:half]), imp(list.Designations[half:])
		if a.Added+b.Added != len(list.Designations) || a.Updated+b.Updated+a.Unchanged+b.Unchanged != 0 {
			t.Fatalf("first import: %+v %+v", a, b)
		}
		ids := map[string]string{}
		for _, it := range append(a.Items, b.Items...) {
			ids[it.Source] = it.ID
		}
		// Again: nothing changes, and no event is written.
		before := w.logSize()
		again := imp(list.Designations)
		if again.Unchanged != len(list.Designations) || again.Added+again.Updated != 0 || w.logSize() != before {
			t.Fatalf("second import: %+v, %d events", again, w.logSize()-before)
		}
		// A changed entry is updated in place, keeping its id.
		changed := slices.Clone(list.Designations)
		changed[0].Aliases = append(slices.Clone(changed[0].Aliases), "New ALIAS")
		third := imp(changed)
		if third.Updated != 1 || third.Items[0].Status != oversight.ImportUpdated || third.Items[0].ID != ids[changed[0].Source] {
			t.Fatalf("third import: %+v", third)
		}
		d, err := w.svc.Designation(w.ctx, w.consular, ids[changed[0].Source])
		w.check(err)
		if !slices.Contains(d.Aliases, "New ALIAS") {
			t.Errorf("updated designation %+v", d)
		}
		res := w.screen(oversight.ScreenRequest{Name: "Radomir Zavadski"})
		if len(res.Matches) == 0 || res.Matches[0].DesignationID != ids["ofac-sdn:101"] {
			t.Errorf("screen an imported name: %+v", res.Matches)
		}

		// A chunk with one bad designation loads nothing.
		bad := []oversight.Designation{{Identity: oversight.Identity{Name: "Good PERSON"}, Basis: oversight.BasisMisuse, Source: "test:1"},
			{Identity: oversight.Identity{Name: "Bad PERSON", BirthDate: "soon"}, Basis: oversight.BasisMisuse, Source: "test:2"}}
		_, err = w.svc.ImportDesignations(w.ctx, w.foreign, &oversight.DesignationImport{Designations: bad})
		wantInvalidField(t, err, "designations[1].birth_date")
		bad[1].BirthDate, bad[1].Basis, bad[1].RelatedTo, bad[1].Relation = "", oversight.BasisImmediateRelative, "des_nobody", oversight.RelationSpouse
		_, err = w.svc.ImportDesignations(w.ctx, w.foreign, &oversight.DesignationImport{Designations: bad})
		wantInvalidField(t, err, "designations[1].related_to")
		l, err := w.svc.Designations(w.ctx, w.admin, oversight.DesignationFilter{Source: "test:1"}, oversight.Page{})
		w.check(err)
		if len(l.Items) != 0 {
			t.Errorf("half a bad chunk was loaded: %+v", l.Items)
		}

		// The project's JSON lines: ids kept, a relative related to a
		// person of the same chunk, a delisting carried by the file.
		jl, err := lists.Load(lists.FormatJSONL, "../screen/testdata/designations.jsonl", lists.Options{})
		w.check(err)
		r := imp(jl.Designations)
		if r.Added != len(jl.Designations) {
			t.Fatalf("JSON lines import: %+v", r)
		}
		del, err := w.svc.Designation(w.ctx, w.admin, "des_fict06")
		w.check(err)
		if del.DelistedAt == nil {
			t.Errorf("des_fict06 should be delisted: %+v", del)
		}
		if _, err := w.svc.ImportDesignations(w.ctx, w.consular, &oversight.DesignationImport{Designations: jl.Designations}); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
			t.Errorf("consular importing: %v", err)
		}
	})
}

// A newer version of a list adds, updates and delists, each with its
// event; an entry back in a later version is listed again, while a
// delisting made by an officer stays.
func TestImportListVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newScreenWorld(t, st)
		list, err := lists.Load(lists.FormatOFACSDN, "../lists/testdata/sdn/sdn.csv", lists.Options{})
		w.check(err)
		version := func(label string, ds []oversight.Designation) *oversight.ImportResult {
			t.Helper()
			v := &oversight.ListVersion{List: "ofac-sdn", Version: label}
			for _, d := range ds {
				v.Sources = append(v.Sources, d.Source)
			}
			res, err := w.svc.ImportDesignations(w.ctx, w.foreign, &oversight.DesignationImport{Designations: slices.Clone(ds), DelistMissing: v})
			w.check(err)
			return res
		}
		all := list.Designations
		first := version("v1", all)
		if first.Added != len(all) || first.Delisted != 0 {
			t.Fatalf("v1: %+v", first)
		}
		ids := map[string]string{}
		for _, it := range first.Items {
			ids[it.Source] = it.ID
		}
		// v2 drops the first entry.
		before := w.logSize()
		second := version("v2", all[1:])
		if second.Delisted != 1 || second.Unchanged != len(all)-1 || w.logSize() != before+1 {
			t.Fatalf("v2: %+v, %d events", second, w.logSize()-before)
		}
		gone, err := w.svc.Designation(w.ctx, w.admin, ids[all[0].Source])
		w.check(err)
		if gone.DelistedAt == nil || gone.DelistReason != oversight.DelistedMissing+"v2" {
			t.Errorf("dropped entry: %+v", gone)
		}
		if res := w.screen(oversight.ScreenRequest{Name: all[0].Name}); len(res.Matches) > 0 && res.Matches[0].DesignationID == gone.ID {
			t.Errorf("a delisted entry still matches: %+v", res.Matches[0])
		}
		// An officer delists another; v3 holds every entry again.
		_, err = w.svc.DelistDesignation(w.ctx, w.foreign, ids[all[1].Source], &oversight.DelistRequest{Reason: "court order"})
		w.check(err)
		third := version("v3", all)
		if third.Updated != 1 || third.Delisted != 0 {
			t.Fatalf("v3: %+v", third)
		}
		back, err := w.svc.Designation(w.ctx, w.admin, ids[all[0].Source])
		w.check(err)
		kept, err := w.svc.Designation(w.ctx, w.admin, ids[all[1].Source])
		w.check(err)
		if back.DelistedAt != nil || kept.DelistedAt == nil || kept.DelistReason != "court order" {
			t.Errorf("v3: back %+v, kept %+v", back, kept)
		}
		// An empty version, or another list's entries, are refused.
		_, err = w.svc.ImportDesignations(w.ctx, w.foreign, &oversight.DesignationImport{DelistMissing: &oversight.ListVersion{List: "ofac-sdn", Version: "v4"}})
		wantInvalidField(t, err, "delist_missing.sources")
		_, err = w.svc.ImportDesignations(w.ctx, w.foreign, &oversight.DesignationImport{DelistMissing: &oversight.ListVersion{List: "ofac-sdn", Version: "v4", Sources: []string{"bis-dpl:X"}}})
		wantInvalidField(t, err, "delist_missing.sources[0]")
	})
}

// TestVendorPersonsDesignatable is the review's probe 1 (issue 13): a
// person or relative the registry accepts on a vendor must be one a case
// can designate later, since designating from a case takes them as they
// are. One rule for both: what the designation would refuse, the vendor
// refuses when it is registered.
func TestVendorPersonsDesignatable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newScreenWorld(t, st)
		for _, tc := range []struct {
			name  string
			per   oversight.Person
			field string
		}{
			{"relative's nationality", oversight.Person{Identity: oversight.Identity{Name: "Andreas KYPRIANOU"}, Role: oversight.PersonOwner,
				Relatives: []oversight.Relative{{Identity: oversight.Identity{Name: "Eleni KYPRIANOU", Nationality: "Cyprus"}, Relation: oversight.RelationSpouse}}},
				"persons[0].relatives[0].nationality"},
			{"empty alias", oversight.Person{Identity: oversight.Identity{Name: "Andreas KYPRIANOU", Aliases: []string{" "}}, Role: oversight.PersonOwner},
				"persons[0].aliases[0]"},
			{"relative's empty alias", oversight.Person{Identity: oversight.Identity{Name: "Andreas KYPRIANOU"}, Role: oversight.PersonOwner,
				Relatives: []oversight.Relative{{Identity: oversight.Identity{Name: "Eleni KYPRIANOU", Aliases: []string{""}}, Relation: oversight.RelationSpouse}}},
				"persons[0].relatives[0].aliases[0]"},
			{"long name", oversight.Person{Identity: oversight.Identity{Name: strings.Repeat("A", 501)}, Role: oversight.PersonExecutive},
				"persons[0].name"},
		} {
			_, err := w.svc.CreateVendor(w.ctx, w.defense, &oversight.Vendor{Name: "Nightjar Systems", Country: "CY", Persons: []oversight.Person{tc.per}})
			if err == nil {
				t.Errorf("%s: vendor registered with a person no case could designate", tc.name)
				continue
			}
			wantInvalidField(t, err, tc.field)
		}
		// What the registry accepts, a case designates.
		c, _ := w.caseWithVendor()
		if _, err := w.svc.DesignateFromCase(w.ctx, w.foreign, c.ID, &oversight.CaseDesignationRequest{}); err != nil {
			t.Fatalf("designating the vendor's persons: %v", err)
		}
	})
}
