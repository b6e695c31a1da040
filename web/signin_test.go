package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/demo"
	"github.com/oversight-dev/oversight/web"
)

// A person invited by an administrator enrols a passkey from the one-time
// link, is signed in, signs out and signs in again with the passkey; the
// link works once.
func TestBrowserPasskeyEnrolAndSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	v, err := e.svc.CreateVendor(e.ctx, e.user(oversight.RoleDefense, "Officer Dana Levi"), &oversight.Vendor{Name: "Kestrel Dynamics", Country: "IL"})
	if err != nil {
		t.Fatal(err)
	}
	link := e.invite(&oversight.User{Role: oversight.RoleVendor, Name: "Rina Tal", VendorID: v.ID})

	b.open(link)
	b.contains("You are invited as Rina Tal")
	b.screenshot("enrol")
	b.click("main form button[type=submit]")
	b.contains("Your passkey is registered; you are signed in.", "Rina Tal", "Your products")
	b.screenshot("home-vendor")

	b.click("form[action='/signout'] button")
	b.contains("You are signed out.")
	b.open("/")
	if h := b.text("main h1"); h != "Sign in" {
		t.Fatalf("signed out, / shows %q", h)
	}
	b.click("main form button[type=submit]")
	b.contains("Waiting for you", "Rina Tal")

	// The invitation was used up.
	b.open(link)
	b.contains("already used")
}

// A form posted to the console from another site is refused, and changes
// nothing: net/http's CrossOriginProtection, on top of SameSite=Strict
// cookies.
func TestBrowserCrossSitePostRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	admin := e.user(oversight.RoleAdmin, "Ada Admin")
	b.signIn(admin)
	// The attacker's page, on another origin, posts an invitation form to
	// the console as soon as it loads.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><title>evil</title><form id=f method=post action="` + e.origin + `/users">
<input name=name value="Mallory Intruder"><input name=role value=admin></form><script>document.getElementById('f').submit()</script>`))
	}))
	t.Cleanup(evil.Close)
	b.do(chromedp.Navigate(evil.URL))
	b.waitText("came from another site")
	b.screenshot("cross-site-refused")
	users, err := e.svc.Users(e.ctx, admin, "", oversight.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users.Items {
		if strings.Contains(u.Name, "Mallory") {
			t.Fatalf("a cross-site post created %+v", u)
		}
	}
}

// The demo page signs in any person of the demonstration, as often as one
// likes, and no one else; outside a demonstration there is no such page.
func TestDemoPage(t *testing.T) {
	e := newEnv(t)
	p := e.user(oversight.RoleDefense, "Officer Demo")
	e.console, _ = web.New(e.svc, web.Options{Origin: e.origin, Demo: true, DemoPeople: []web.DemoPerson{{Who: "defense: Officer Demo", UserID: p.UserID}},
		DemoSignIn: func(ctx context.Context, userID string) (string, error) { return demo.SignInLink(ctx, e.svc, userID) }})
	get := func(c *web.Server, method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(method, e.origin+path, nil))
		return rec
	}
	if rec := get(e.console, "GET", "/demo"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "Sign in as defense: Officer Demo") {
		t.Fatalf("the demo page: %d\n%s", rec.Code, rec.Body)
	}
	for range 2 {
		rec := get(e.console, "POST", "/demo/"+p.UserID)
		if rec.Code != 303 || len(rec.Result().Cookies()) != 1 {
			t.Fatalf("signing in as a demo person: %d %v", rec.Code, rec.Result().Cookies())
		}
	}
	other := e.user(oversight.RoleAdmin, "Not In The Demo")
	if rec := get(e.console, "POST", "/demo/"+other.UserID); rec.Code != 404 {
		t.Fatalf("signing in as someone not of the demo: %d", rec.Code)
	}
	plain, _ := web.New(e.svc, web.Options{Origin: e.origin})
	if rec := get(plain, "GET", "/demo"); rec.Code != 404 {
		t.Fatalf("the demo page outside a demonstration: %d", rec.Code)
	}
}
