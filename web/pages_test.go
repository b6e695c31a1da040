package web_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oversight-dev/oversight"
)

// Each main page of the console in a real browser, as the person it is
// for: it shows what it should, passes the accessibility audit (labels,
// keyboard, headings, contrast, width) and is saved as a screenshot under
// the test's artifact directory (go test -artifacts -outputdir DIR keeps
// them), on a laptop's screen and on a phone's. A consular officer
// screens a name and sees why it matched, then screens a file of names,
// answered row by row.
func TestBrowserPages(t *testing.T) {
	w := newWorld(t)
	// A relative designated with the person, for the screening's
	// explanation to name.
	def := w.people[oversight.RoleDefense]
	if _, err := w.svc.CreateDesignation(w.ctx, def, &oversight.DesignationRequest{Identity: oversight.Identity{Name: "Irina ZAVADSKAYA", BirthDate: "1975", Nationality: "RU"},
		Basis: oversight.BasisImmediateRelative, RelatedTo: w.ids["designation"], Relation: oversight.RelationSpouse}); err != nil {
		t.Fatal(err)
	}
	b := w.browser(t)
	pages := []struct {
		role  oversight.Role
		name  string
		path  string
		wants []string
	}{
		{oversight.RoleDefense, "home-defense", "/", []string{"Licences awaiting your ministry", "Recent denials"}},
		{oversight.RoleDefense, "licenses", "/licenses", []string{"Harrier", "Directorate for Counter-Terrorism Investigations (demo)"}},
		{oversight.RoleDefense, "license", "/licenses/" + w.lic.ID, []string{"Harrier", "Kestrel Dynamics", "Officer Tamar Golan, export-control officer (Defense)"}},
		{oversight.RoleDefense, "products", "/products", []string{"Kestrel Dynamics Ltd (demo)"}},
		{oversight.RoleDefense, "product", "/products/" + w.lic.ProductID, []string{"Review history", "Safeguards report"}},
		{oversight.RoleDefense, "actions", "/actions?status=all", []string{"restrict"}},
		{oversight.RoleDefense, "vendors", "/vendors", []string{"Yoav Ben-Ami"}},
		{oversight.RoleDefense, "vendor", "/vendors/" + w.lic.VendorID, []string{"Michal Ben-Ami (spouse"}},
		{oversight.RoleDefense, "countries", "/countries?tier=eligible", []string{"France (FR)", "eligible"}},
		{oversight.RoleDefense, "end-users", "/end-users", []string{"Federal Office for Serious Crime (demo)"}},
		{oversight.RoleDefense, "end-user", "/end-users/" + w.lic.EndUserID, []string{"Declarations signed for it"}},
		{oversight.RoleDefense, "declaration", "/declarations/" + w.ids["declaration"], []string{"The clauses the state signed", "IL2021-4 Expression"}},
		{oversight.RoleDefense, "deployments", "/deployments", []string{"Directorate site"}},
		{oversight.RoleDefense, "deployment", "/deployments/" + w.dep.ID, []string{"Operating under a valid lease", "Latest decisions"}},
		{oversight.RoleDefense, "decisions", "/decisions", []string{"Why: the clauses and rules that decided", "permit", "deny"}},
		{oversight.RoleDefense, "decision", "/decisions/" + w.ids["operation"], []string{"Why", "Legal basis"}},
		{oversight.RoleDefense, "cases", "/cases", []string{"Complaint of a journalist"}},
		{oversight.RoleDefense, "case", "/cases/" + w.ids["case"], []string{"Designate for visa restriction", "Timeline", "Evidence received → tool stopped"}},
		{oversight.RoleDefense, "protected", "/protected", []string{"Import a list"}},
		{oversight.RoleDefense, "designations", "/designations", []string{"Viktor ZAVADSKY"}},
		{oversight.RoleDefense, "designation", "/designations/" + w.ids["designation"], []string{"Delist", "Irina ZAVADSKAYA", "designation.listed"}},
		{oversight.RoleVendor, "home-vendor", "/", []string{"Your products", "Harrier"}},
		{oversight.RoleVendor, "license-new", "/licenses/new", []string{"signed declaration"}},
		{oversight.RoleEndUser, "home-agency", "/", []string{"Your agency's licences"}},
		{oversight.RoleAdmin, "users", "/users", []string{"Invite a person"}},
	}
	signedIn := oversight.Role("")
	for _, p := range pages {
		if p.role != signedIn {
			b.signIn(w.people[p.role])
			signedIn = p.role
		}
		b.open(p.path)
		b.contains(p.wants...)
		b.audit(p.name)
		b.screenshot(p.name)
	}

	t.Run("a consular officer screens a name and sees why it matched", func(t *testing.T) {
		b.signIn(w.people[oversight.RoleConsular])
		b.open("/")
		b.click("a[href='/screen']")
		b.do(chromedp.SetValue(chromedp.CSS(`[name=name]`), "Wiktor Zawadski"), chromedp.SetValue(chromedp.CSS(`[name=birth_date]`), "1971"))
		b.click("form[action='/screen'] button[type=submit]")
		b.contains("possible match", "Viktor ZAVADSKY", "Why:", "Name by name", "birth")
		b.audit("screen")
		b.screenshot("screen")

		// A batch, from a file: each row answered, the relative's match
		// naming the person she is related to.
		file := filepath.Join(t.TempDir(), "applicants.csv")
		if err := os.WriteFile(file, []byte("name,birth_date,nationality\nWiktor Zawadski,1971,RU\nJean Dupont,1980,FR\nIrina Zavadskaya,,\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b.open("/screen/batch")
		b.do(chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{file}))
		b.click("form[action='/screen/batch'] button[type=submit]")
		b.waitText("All 3 rows screened: 2 with matches.")
		b.contains("Jean Dupont", "no match", "Irina ZAVADSKAYA")
		b.audit("screen-batch")
		b.screenshot("screen-batch")
	})

	t.Run("on a phone", func(t *testing.T) {
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		b.signIn(w.people[oversight.RoleDefense])
		for _, p := range []struct{ name, path string }{
			{"phone-home", "/"}, {"phone-license", "/licenses/" + w.lic.ID}, {"phone-deployment", "/deployments/" + w.dep.ID}, {"phone-decisions", "/decisions"},
		} {
			b.open(p.path)
			b.audit(p.name)
			b.screenshot(p.name)
		}
	})
}
