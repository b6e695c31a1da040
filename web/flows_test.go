package web_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/demo"
	"github.com/oversight-dev/oversight/reportsign"
	"github.com/oversight-dev/oversight/web"
)

// The walkthrough of issue 14 in a real browser, as new users do it on
// the demo, without the command line: each person on their own browser
// with their own passkey. A vendor enrols and takes a new product from its
// concept to export-ready; a defense officer decides each stage; the
// vendor applies for a marketing licence, then an export licence under
// the state's declaration, and officers of the two ministries activate
// each with a fresh passkey; the vendor registers a deployment, whose real
// agent starts its tool; a defense officer suspends the licence, the agent
// stops the tool, and the deployment page, left open, shows it.
func TestBrowserWalkthrough(t *testing.T) {
	e := newEnv(t, func(o *web.Options) {
		o.Demo = true
		o.DemoReport = func(id string) *oversight.SafeguardReport { return reportsign.Fixture(id) }
	})
	if _, err := demo.Load(e.ctx, e.svc, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	admin := e.user(oversight.RoleAdmin, "Flow Admin")
	// The agency the demo's state signed a declaration for, and the vendor.
	active, err := e.svc.Licenses(e.ctx, admin, oversight.LicenseFilter{Status: oversight.LicenseActive, Kind: oversight.KindExport}, oversight.Page{Limit: 1})
	if err != nil || len(active.Items) == 0 {
		t.Fatalf("the demo's active export licence: %v", err)
	}
	agency, vendorID := active.Items[0].EndUserID, active.Items[0].VendorID
	st := newSite(t) // builds the command line while the browsers start

	vendor := e.browser(t)
	vendor.open(e.invite(&oversight.User{Role: oversight.RoleVendor, Name: "Rina Tal", VendorID: vendorID}))
	vendor.click("main form button[type=submit]")
	defense := e.browser(t)
	defense.open(e.invite(&oversight.User{Role: oversight.RoleDefense, Name: "Officer Dana Levi"}))
	defense.click("main form button[type=submit]")
	foreign := e.browser(t)
	foreign.open(e.invite(&oversight.User{Role: oversight.RoleForeignAffairs, Name: "Officer Yael Bar"}))
	foreign.click("main form button[type=submit]")

	var product string
	t.Run("vendor registers a product", func(t *testing.T) {
		vendor.open("/")
		vendor.click("a[href='/products/new']")
		// Bad input keeps what was typed and says what is wrong, by the field.
		vendor.do(chromedp.SetValue(chromedp.CSS(`[name=capabilities]`), "one_click"))
		vendor.click("main form button[type=submit]")
		vendor.contains("Register a product")
		if v := run(vendor, chromedp.Value(chromedp.CSS(`[name=capabilities]`))); v != "one_click" {
			t.Errorf("the refused form lost its input: capabilities = %q", v)
		}
		vendor.do(chromedp.SetValue(chromedp.CSS(`[name=name]`), "Osprey"),
			chromedp.SetValue(chromedp.CSS(`[name=capabilities]`), "one_click\nlocate"),
			chromedp.SetValue(chromedp.CSS(`[name=control_entries]`), "4.A.5"))
		vendor.click("main form button[type=submit]")
		vendor.contains("Product registered", "Osprey")
		product = strings.TrimPrefix(vendor.path(), "/products/")
	})

	t.Run("the product goes from concept to export-ready, stage by stage", func(t *testing.T) {
		for _, stage := range oversight.Stages {
			vendor.open("/products/" + product)
			vendor.do(chromedp.SetValue(chromedp.CSS(`[name=dossier]`), "Osprey "+string(stage)+" dossier"),
				chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("input[name=safeguards]").forEach(c => c.checked = true)`))
			if stage == oversight.StageTesting {
				// The demo's fixture report stands for the safeguards kit's.
				vendor.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("input[name=fixture]").checked = true`))
			}
			if got := run(vendor, chromedp.Value(chromedp.CSS(`[name=stage]`))); got != string(stage) {
				t.Fatalf("the form offers stage %s next, want %s", got, stage)
			}
			vendor.click("form[action$='/reviews'] button[type=submit]")
			vendor.contains("Submitted; an export-control officer decides.")
			if stage == oversight.StageConcept {
				vendor.screenshot("product-submitted")
				defense.open("/")
				defense.contains("Reviews to decide", "Osprey: concept stage")
				defense.screenshot("home-defense")
				defense.click("a[href='/products/" + product + "']")
			} else {
				defense.open("/products/" + product)
			}
			defense.contains("Decide the " + strings.ReplaceAll(string(stage), "_", " ") + " review")
			defense.click("form[action^='/reviews/'] button[type=submit]")
			defense.contains("Decision recorded.")
		}
		vendor.open("/products/" + product)
		vendor.contains("export ready")
	})

	apply := func(t *testing.T, kind oversight.LicenseKind) string {
		vendor.open("/licenses/new")
		vendor.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("input[name=kind][value=`+string(kind)+`]").checked = true`),
			chromedp.SetValue(chromedp.CSS(`#f-product_id`), product),
			chromedp.SetValue(chromedp.CSS(`#f-end_user_id`), agency),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("input[name=purposes][value=terrorism]").checked = true`))
		if kind == oversight.KindExport {
			// The agency's state's declaration, chosen by its agency's name.
			vendor.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#f-declaration_id");
				s.value = [...s.options].find(o => o.text.startsWith("Directorate for Counter-Terrorism")).value; })()`))
		}
		vendor.click("form[action='/licenses'] button[type=submit]")
		vendor.contains("Your application is recorded")
		id := strings.TrimPrefix(vendor.path(), "/licenses/")
		for _, officer := range []*browser{defense, foreign} {
			officer.open("/")
			officer.contains("Licences awaiting your ministry")
			officer.click("a[href='/licenses/" + id + "']")
			officer.contains("Osprey")
			officer.click("form[data-stepup] button[type=submit]")
			officer.contains("Your ministry's decision is recorded.")
		}
		foreign.contains("active")
		return id
	}
	var export string
	t.Run("two officers activate a marketing licence, then an export licence, each with a fresh passkey", func(t *testing.T) {
		apply(t, oversight.KindMarketing)
		export = apply(t, oversight.KindExport)
		foreign.contains("Officer Dana Levi", "Officer Yael Bar", "Osprey")
		foreign.screenshot("license-active")
		l, err := e.svc.License(e.ctx, admin, export)
		if err != nil || l.Status != oversight.LicenseActive {
			t.Fatalf("export licence after two approvals: %v, %v", l.Status, err)
		}
	})

	var deployment string
	var agent *agentProc
	var tool int
	t.Run("the vendor registers a deployment and its agent starts the tool", func(t *testing.T) {
		vendor.open("/licenses/" + export)
		vendor.click("a[href='/deployments?license=" + export + "']")
		vendor.click("a[href^='/deployments/new']")
		vendor.do(chromedp.SetValue(chromedp.CSS(`[name=label]`), "Directorate, Paris site"),
			chromedp.SetValue(chromedp.CSS(`[name=public_key]`), st.pub))
		vendor.click("form[action='/deployments'] button[type=submit]")
		vendor.contains("Save the site pepper now")
		pepper := run(vendor, chromedp.Value(chromedp.CSS(`#pepper`)))
		if err := os.WriteFile(filepath.Join(st.dir, "agent.pepper"), []byte(pepper+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		href := run(vendor, chromedp.Evaluate[string](`document.querySelector("a[href^='/deployments/dep_']").getAttribute("href")`))
		deployment = strings.TrimPrefix(href, "/deployments/")
		agent = startAgent(t, st, e.origin, deployment, e.svc.LeaseKey().PublicKey)
		tool = agent.tool(t)
	})

	t.Run("a suspension from the console stops the agent's tool, and the deployment page shows it", func(t *testing.T) {
		watch := defense.tab()
		watch.open("/deployments/" + deployment)
		watch.waitText("Operating under a valid lease")
		watch.screenshot("deployment-operating")
		before := watch.rendered()

		defense.open("/licenses/" + export + "/actions/new")
		defense.do(chromedp.SetValue(chromedp.CSS(`[name=reason]`), "Forensic report of a journalist's device"))
		defense.click("form[data-stepup] button[type=submit]")
		defense.contains("In force now", "executed")
		defense.screenshot("suspended")

		stopped(t, tool, agent)
		watch.waitText("Shut down: the licence is suspended")
		if after := watch.rendered(); after != before {
			t.Errorf("the deployment page was loaded again (%s, then %s); it should change in place", before, after)
		}
		watch.screenshot("deployment-shutdown")
	})

	t.Run("a decision without a fresh passkey is refused", func(t *testing.T) {
		// A form posted without the assertion (no script): refused, and
		// nothing recorded.
		other := e.browser(t)
		p := e.user(oversight.RoleForeignAffairs, "Officer No Passkey")
		other.signIn(p)
		list, _ := e.svc.Licenses(e.ctx, admin, oversight.LicenseFilter{Status: oversight.LicenseApplied}, oversight.Page{})
		if len(list.Items) == 0 {
			t.Fatal("no applied licence left")
		}
		other.open("/licenses/" + list.Items[0].ID)
		other.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("form[data-stepup]").removeAttribute("data-stepup")`))
		other.click("form[action$='/decision'] button[type=submit]")
		other.contains("passkeys need JavaScript")
		l, err := e.svc.License(e.ctx, admin, list.Items[0].ID)
		if err != nil || len(l.Approvals) != len(list.Items[0].Approvals) {
			t.Fatalf("a refused decision changed the licence: %+v, %v", l.Approvals, err)
		}
	})
}
