package service_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

func TestCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		op := w.authorize(w.dep, request(w.dep))
		other := w.authorize(w.dep2, request(w.dep2))

		c, err := w.svc.OpenCase(w.ctx, w.defense, &oversight.CaseRequest{
			Source: oversight.SourceForensicReport, LicenseID: w.lic.ID, Title: "Infection found on a reporter's phone",
			OperationIDs: []string{op.OperationID, op.OperationID},
			Evidence: []oversight.EvidenceInput{
				{Kind: "report", Ref: "FR-2026-031", Description: "forensic examination of the device", SHA256: strings.ToUpper(target("report"))},
				{Kind: "operation", Ref: op.OperationID, Description: "the intercept permitted that week"},
			},
		})
		w.check(err)
		if c.Status != oversight.CaseOpen || !slices.Equal(c.OperationIDs, []string{op.OperationID}) || len(c.Evidence) != 2 ||
			c.Evidence[0].SHA256 != target("report") || c.Evidence[0].AddedBy != w.defense.Actor() {
			t.Fatalf("case %+v", c)
		}
		ev := w.event(c.LogIndex)
		if ev.Type != oversight.EventCaseOpened || strings.Contains(string(ev.Payload), "reporter") || strings.Contains(string(ev.Payload), "FR-2026-031") {
			t.Errorf("case.opened event shows the case's text: %s", ev.Payload)
		}

		// The operations and evidence of a case are of its licence.
		for _, r := range []*oversight.CaseRequest{
			{Source: oversight.SourceComplaint, LicenseID: w.lic.ID, Title: "t", OperationIDs: []string{other.OperationID}},
			{Source: oversight.SourceComplaint, LicenseID: w.lic.ID, Title: "t", Evidence: []oversight.EvidenceInput{{Kind: "operation", Ref: "op_0000", Description: "d"}}},
			{Source: oversight.SourceComplaint, LicenseID: "lic_0000", Title: "t"},
			{Source: oversight.SourceRule, LicenseID: w.lic.ID, Title: "t"},
		} {
			_, err := w.svc.OpenCase(w.ctx, w.foreign, r)
			var de *oversight.Error
			if !errors.As(err, &de) || de.Code != oversight.EINVALID || len(de.Fields) == 0 {
				t.Errorf("OpenCase(%+v): %v, want invalid naming a field", r, err)
			}
		}

		// An enforcement action naming the case is linked to it.
		a, err := w.svc.RequestAction(w.ctx, w.defense, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "forensic report", CaseID: c.ID})
		w.check(err)
		findings := "The tool was used against a journalist under a pretext of serious crime."
		c, err = w.svc.UpdateCase(w.ctx, w.foreign, c.ID, &oversight.CaseUpdate{
			Status: oversight.CaseClosed, Findings: &findings, LinkDesignations: []string{"des_01abc"},
			AddEvidence: []oversight.EvidenceInput{{Kind: "statement", Description: "the agency's answer"}},
		})
		w.check(err)
		if c.Status != oversight.CaseClosed || c.ClosedAt == nil || c.Findings != findings || len(c.Evidence) != 3 ||
			!slices.Equal(c.DesignationIDs, []string{"des_01abc"}) || !slices.Equal(c.ActionIDs, []string{a.ID}) {
			t.Fatalf("updated case %+v", c)
		}
		got, err := w.svc.Case(w.ctx, w.admin, c.ID)
		w.check(err)
		if !slices.Equal(got.ActionIDs, []string{a.ID}) || got.Findings != findings {
			t.Errorf("read case %+v", got)
		}
		c, err = w.svc.UpdateCase(w.ctx, w.defense, c.ID, &oversight.CaseUpdate{Status: oversight.CaseOpen})
		w.check(err)
		if c.Status != oversight.CaseOpen || c.ClosedAt != nil {
			t.Errorf("reopened case %+v", c)
		}

		open, err := w.svc.OpenCase(w.ctx, w.foreign, &oversight.CaseRequest{Source: oversight.SourceComplaint, LicenseID: w.lic2.ID, Title: "Complaint by an NGO"})
		w.check(err)
		list, err := w.svc.Cases(w.ctx, w.defense, oversight.CaseFilter{}, oversight.Page{})
		w.check(err)
		want := []string{open.ID, c.ID} // newest first, as ids sort
		slices.Sort(want)
		slices.Reverse(want)
		if len(list.Items) != 2 || list.Items[0].ID != want[0] || list.Items[1].ID != want[1] {
			t.Errorf("cases %v, want %v", list.Items, want)
		}
		list, err = w.svc.Cases(w.ctx, w.defense, oversight.CaseFilter{LicenseID: w.lic.ID, Source: oversight.SourceForensicReport}, oversight.Page{Limit: 1})
		w.check(err)
		if len(list.Items) != 1 || list.Items[0].ID != c.ID || list.Next != "" {
			t.Errorf("filtered cases %+v", list)
		}

		// Officials only: the people a case is about do not see it.
		for _, p := range []*oversight.Principal{w.vendor, w.agency} {
			if _, err := w.svc.Case(w.ctx, p, c.ID); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
				t.Errorf("Case as %s: %v, want forbidden", p.Role, err)
			}
			if _, err := w.svc.Cases(w.ctx, p, oversight.CaseFilter{}, oversight.Page{}); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
				t.Errorf("Cases as %s: %v, want forbidden", p.Role, err)
			}
		}
		if _, err := w.svc.OpenCase(w.ctx, w.admin, &oversight.CaseRequest{Source: oversight.SourceComplaint, LicenseID: w.lic.ID, Title: "t"}); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
			t.Errorf("OpenCase as admin: %v, want forbidden", err)
		}
	})
}

func TestOperationsListing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		// Listings are newest first, by id: ids begin with their
		// millisecond, and two of one millisecond sort by their random
		// part, so the order expected is the ids' own.
		var ids, deniedIDs []string
		for i := range 5 {
			r := request(w.dep)
			if i%2 == 1 {
				r.WarrantRef = ""
			}
			id := w.authorize(w.dep, r).OperationID
			ids = append(ids, id)
			if i%2 == 1 {
				deniedIDs = append(deniedIDs, id)
			}
		}
		slices.Sort(ids)
		slices.Sort(deniedIDs)
		w.authorize(w.dep2, request(w.dep2))

		page1, err := w.svc.Operations(w.ctx, w.agency, oversight.OperationFilter{LicenseID: w.lic.ID}, oversight.Page{Limit: 3})
		w.check(err)
		if len(page1.Items) != 3 || page1.Items[0].ID != ids[4] || page1.Items[2].ID != ids[2] || page1.Next != ids[2] {
			t.Fatalf("first page %v next %q, want the newest three", opIDs(page1.Items), page1.Next)
		}
		page2, err := w.svc.Operations(w.ctx, w.vendor, oversight.OperationFilter{LicenseID: w.lic.ID}, oversight.Page{Limit: 3, After: page1.Next})
		w.check(err)
		if !slices.Equal(opIDs(page2.Items), []string{ids[1], ids[0]}) || page2.Next != "" {
			t.Fatalf("second page %v next %q", opIDs(page2.Items), page2.Next)
		}
		denied, err := w.svc.Operations(w.ctx, w.defense, oversight.OperationFilter{LicenseID: w.lic.ID, Decision: oversight.Deny}, oversight.Page{})
		w.check(err)
		if !slices.Equal(opIDs(denied.Items), []string{deniedIDs[1], deniedIDs[0]}) {
			t.Errorf("denied %v", opIDs(denied.Items))
		}
		all, err := w.svc.Operations(w.ctx, w.admin, oversight.OperationFilter{}, oversight.Page{})
		w.check(err)
		if len(all.Items) != 6 {
			t.Errorf("officials see %d operations, want 6", len(all.Items))
		}

		// An agency sees only its own licence's operations, and must name it.
		if _, err := w.svc.Operations(w.ctx, w.agency2, oversight.OperationFilter{LicenseID: w.lic.ID}, oversight.Page{}); oversight.ErrorCode(err) != oversight.ENOTFOUND {
			t.Errorf("another agency's licence: %v, want not found", err)
		}
		if _, err := w.svc.Operation(w.ctx, w.agency2, ids[0]); oversight.ErrorCode(err) != oversight.ENOTFOUND {
			t.Errorf("another agency's operation: %v, want not found", err)
		}
		if _, err := w.svc.Operations(w.ctx, w.agency, oversight.OperationFilter{}, oversight.Page{}); oversight.ErrorCode(err) != oversight.EINVALID {
			t.Errorf("agency without a licence: %v, want invalid", err)
		}
		if _, err := w.svc.Operations(w.ctx, w.defense, oversight.OperationFilter{Decision: "maybe"}, oversight.Page{}); oversight.ErrorCode(err) != oversight.EINVALID {
			t.Errorf("bad decision filter: %v, want invalid", err)
		}
	})
}

func opIDs(ops []oversight.OperationRecord) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.ID
	}
	return out
}
