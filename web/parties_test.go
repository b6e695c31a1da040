package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

// The change forms of the vendor's and the agency's pages, role by role:
// shown to the roles that register them and taken from them (a redirect to
// the page as changed), refused to every other (403); a person added and
// then taken off the record; a change made from a page rendered before
// another change is refused, with what was typed kept.
func TestChangeVendorAndAgencyPages(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		page, form string
		may        []oversight.Role
		field      string // the field each role's change sets
	}{
		{"/vendors/" + w.lic.VendorID, "Change this vendor", []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense}, "address"},
		{"/end-users/" + w.lic.EndUserID, "Change this agency", []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs}, "agency"},
	} {
		for _, role := range oversight.Roles {
			allowed := slices.Contains(tc.may, role)
			if rec := w.do(role, "GET", tc.page, nil); rec.Code == http.StatusOK && strings.Contains(rec.Body.String(), tc.form) != allowed {
				t.Errorf("%s as %s: form shown %v, want %v", tc.page, role, !allowed, allowed)
			}
			value := "Changed by " + string(role)
			rec := w.do(role, "POST", tc.page, url.Values{tc.field: {value}})
			noTrace(t, tc.page+" as "+string(role), rec)
			switch {
			case allowed && rec.Code != http.StatusSeeOther:
				t.Errorf("change of %s as %s: %d, want a redirect:\n%s", tc.page, role, rec.Code, rec.Body)
			case !allowed && rec.Code != http.StatusForbidden:
				t.Errorf("change of %s as %s: %d, want 403", tc.page, role, rec.Code)
			case allowed:
				if body := w.do(role, "GET", tc.page, nil).Body.String(); !strings.Contains(body, value) {
					t.Errorf("%s after %s's change does not show %q", tc.page, role, value)
				}
			}
		}
	}

	page := "/vendors/" + w.lic.VendorID
	def := oversight.RoleDefense
	rec := w.do(def, "POST", page, url.Values{"add.name": {"Maayan Oz-Levi"}, "add.role": {"executive"}, "add.title": {"Chief compliance officer"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("adding a person: %d:\n%s", rec.Code, rec.Body)
	}
	v, err := w.svc.Vendor(w.ctx, w.people[def], w.lic.VendorID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(v.Persons, func(p oversight.Person) bool { return p.Name == "Maayan Oz-Levi" })
	if i < 0 {
		t.Fatalf("persons after adding: %+v", v.Persons)
	}
	if rec := w.do(def, "POST", page, url.Values{"remove_persons": {v.Persons[i].ID}, "log_index": {"1"}, "address": {"address kept"}}); rec.Code != http.StatusConflict ||
		!strings.Contains(rec.Body.String(), "changed since it was read") || !strings.Contains(rec.Body.String(), "address kept") {
		t.Errorf("a change from a stale page: %d:\n%s", rec.Code, rec.Body)
	}
	if rec := w.do(def, "POST", page, url.Values{"remove_persons": {v.Persons[i].ID}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("removing a person: %d:\n%s", rec.Code, rec.Body)
	}
	if body := w.do(def, "GET", page, nil).Body.String(); strings.Contains(body, "Maayan Oz-Levi") {
		t.Errorf("the person removed is still shown:\n%s", body)
	}
}
