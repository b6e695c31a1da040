package web_test

import (
	"log/slog"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/demo"
)

// The flows of issue 14 in a real browser, each person on their own
// browser with their own passkey: a vendor enrols and submits a concept;
// a defense officer approves it; officers of the two ministries activate a
// licence, each with a fresh passkey assertion; a defense officer suspends
// it from the console.
func TestBrowserFlows(t *testing.T) {
	e := newEnv(t)
	if _, err := demo.Load(e.ctx, e.svc, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	admin := e.user(oversight.RoleAdmin, "Flow Admin")
	applied, err := e.svc.Licenses(e.ctx, admin, oversight.LicenseFilter{Status: oversight.LicenseApplied}, oversight.Page{})
	if err != nil || len(applied.Items) == 0 {
		t.Fatalf("the demo has no applied licence: %v", err)
	}
	lic := applied.Items[0]

	// Three people, three browsers, three passkeys.
	vendor := e.browser(t)
	vendor.open(e.invite(&oversight.User{Role: oversight.RoleVendor, Name: "Rina Tal", VendorID: lic.VendorID}))
	vendor.click("main form button[type=submit]")
	defense := e.browser(t)
	defense.open(e.invite(&oversight.User{Role: oversight.RoleDefense, Name: "Officer Dana Levi"}))
	defense.click("main form button[type=submit]")
	foreign := e.browser(t)
	foreign.open(e.invite(&oversight.User{Role: oversight.RoleForeignAffairs, Name: "Officer Yael Bar"}))
	foreign.click("main form button[type=submit]")

	t.Run("vendor registers a product and submits its concept", func(t *testing.T) {
		vendor.open("/products/new")
		// Bad input keeps what was typed and says what is wrong, by the field.
		vendor.do(chromedp.SetValue(chromedp.CSS(`[name=capabilities]`), "one_click"))
		vendor.click("main form button[type=submit]")
		vendor.contains("Register a product")
		if v := run(vendor, chromedp.Value(chromedp.CSS(`[name=capabilities]`))); v != "one_click" {
			t.Errorf("the refused form lost its input: capabilities = %q", v)
		}
		vendor.do(chromedp.SetValue(chromedp.CSS(`[name=name]`), "Osprey"),
			chromedp.SetValue(chromedp.CSS(`[name=control_entries]`), "4.A.5"))
		vendor.click("main form button[type=submit]")
		vendor.contains("Product registered", "Osprey")
		vendor.do(chromedp.SetValue(chromedp.CSS(`[name=dossier]`), "Osprey concept: architecture and data flows"))
		vendor.click("form[action$='/reviews'] button[type=submit]")
		vendor.contains("Submitted; an export-control officer decides.", "submitted")
		vendor.screenshot("product-submitted")
	})

	t.Run("defense approves the concept", func(t *testing.T) {
		defense.open("/")
		defense.contains("Reviews to decide", "Osprey")
		defense.screenshot("home-defense")
		defense.click("a[href^='/products/']:not([href='/products/new'])")
		defense.contains("Decide the concept review")
		defense.click("form[action$='/decision'] button[type=submit]")
		defense.contains("Decision recorded.", "approved")
	})

	t.Run("two officers activate a licence, each with a fresh passkey", func(t *testing.T) {
		defense.open("/licenses/" + lic.ID)
		defense.click("form[data-stepup] button[type=submit]")
		defense.contains("Your ministry's decision is recorded.", "Officer Dana Levi")
		foreign.open("/licenses/" + lic.ID)
		foreign.click("form[data-stepup] button[type=submit]")
		foreign.contains("Your ministry's decision is recorded.", "active")
		foreign.screenshot("license-active")
		l, err := e.svc.License(e.ctx, admin, lic.ID)
		if err != nil || l.Status != oversight.LicenseActive {
			t.Fatalf("licence after two approvals: %v, %v", l.Status, err)
		}
	})

	t.Run("a decision without a fresh passkey is refused", func(t *testing.T) {
		// A form posted without the assertion (no script): refused, and
		// nothing recorded.
		other := e.browser(t)
		p := e.user(oversight.RoleForeignAffairs, "Officer No Passkey")
		other.signIn(p)
		list, _ := e.svc.Licenses(e.ctx, admin, oversight.LicenseFilter{Status: oversight.LicenseApplied}, oversight.Page{})
		if len(list.Items) == 0 {
			t.Skip("no applied licence left")
		}
		other.open("/licenses/" + list.Items[0].ID)
		other.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("form[data-stepup]").removeAttribute("data-stepup")`))
		other.click("form[action$='/decision'] button[type=submit]")
		other.contains("passkeys need JavaScript")
	})

	t.Run("defense suspends the licence from the console", func(t *testing.T) {
		defense.open("/licenses/" + lic.ID + "/actions/new")
		defense.do(chromedp.SetValue(chromedp.CSS(`[name=reason]`), "Forensic report of a journalist's device"))
		defense.click("form[data-stepup] button[type=submit]")
		defense.contains("In force now", "executed")
		defense.screenshot("suspended")
		l, err := e.svc.License(e.ctx, admin, lic.ID)
		if err != nil || l.Status != oversight.LicenseSuspended {
			t.Fatalf("licence after the suspension: %v, %v", l.Status, err)
		}
	})
}
