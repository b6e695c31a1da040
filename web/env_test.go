package web_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
	"github.com/oversight-dev/oversight/web"
)

// env is a whole server for a test: the service on a fresh SQLite
// database, the API and the console on one real HTTP server, reached by
// the browser as http://localhost:PORT (a passkey cannot be bound to an
// IP address).
type env struct {
	t       testing.TB
	ctx     context.Context
	svc     *service.Service
	console *web.Server
	srv     *httptest.Server
	origin  string
}

func newEnv(t testing.TB, opts ...func(*web.Options)) *env {
	t.Helper()
	st := storetest.Open(t, "sqlite")
	logger := slog.New(slog.DiscardHandler)
	svc, err := service.New(t.Context(), st, service.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), svc: svc}
	e.origin = "http://localhost:" + strings.Split(ln.Addr().String(), ":")[1]
	o := web.Options{Origin: e.origin, Logger: logger}
	for _, f := range opts {
		f(&o)
	}
	e.console, err = web.New(svc, o)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: e.console.WithAPI(httpapi.New(svc, httpapi.Options{Logger: logger}))}}
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// user creates a user directly, as the operator, with a token.
func (e *env) user(role oversight.Role, name string, bind ...string) *oversight.Principal {
	e.t.Helper()
	u := &oversight.User{Role: role, Name: name}
	if role == oversight.RoleVendor {
		u.VendorID = bind[0]
	}
	if role == oversight.RoleEndUser {
		u.EndUserID = bind[0]
	}
	tok, _, err := e.svc.CreateUserWithToken(e.ctx, service.Operator, u, &oversight.TokenRequest{})
	if err != nil {
		e.t.Fatal(err)
	}
	return &tok.Principal
}

// invite invites a user and returns the enrolment link's path.
func (e *env) invite(u *oversight.User) string {
	e.t.Helper()
	_, secret, err := e.svc.InviteUser(e.ctx, service.Operator, u)
	if err != nil {
		e.t.Fatal(err)
	}
	return "/enrol/" + secret
}

// chromium finds Debian's chromium, or skips the test (fails it under
// CI=true, where .ci/run installs it).
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// browser is one headless Chromium profile with a virtual passkey
// authenticator: one person at their device.
type browser struct {
	t   testing.TB
	ctx context.Context
	e   *env
	dir string // screenshots
}

func (e *env) browser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 10*time.Minute)
	t.Cleanup(cancel3)
	b := &browser{t: t, ctx: ctx, e: e, dir: t.ArtifactDir()}
	no := false
	if _, err := chromedp.Call(ctx, cdpwebauthn.Enable, cdpwebauthn.EnableParams{EnableUI: &no}); err != nil {
		t.Fatal(err)
	}
	_, err := chromedp.Call(ctx, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{Options: &cdpwebauthn.VirtualAuthenticatorOptions{
		Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Ctap2version: cdpwebauthn.Ctap2versionCtap21,
		Transport: cdpwebauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
		IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// open loads a path of the console and waits for its main heading.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.e.origin+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// click clicks a button or link and waits for the next page.
func (b *browser) click(sel string) {
	b.t.Helper()
	before := b.rendered()
	b.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	b.waitNewPage(before)
}

// rendered is the mark of the page shown: it changes with every page the
// server renders, whether the browser loads it or htmx swaps it in.
func (b *browser) rendered() string {
	v, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector("main") || {}).dataset ? document.querySelector("main").dataset.rendered + "/" + document.readyState : ""`))
	return v
}

// waitNewPage waits until the browser shows another page than before,
// fully loaded.
func (b *browser) waitNewPage(before string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		now := b.rendered()
		if now != before && strings.HasSuffix(now, "/complete") {
			time.Sleep(20 * time.Millisecond) // htmx settles
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	text, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
	b.t.Fatalf("no new page after the click; the page says: %s", text)
}

// text returns the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return run(b, chromedp.Text(chromedp.CSS(sel), chromedp.NodeReady))
}

// contains fails unless the page's body contains each of want.
func (b *browser) contains(want ...string) {
	b.t.Helper()
	got := b.text("body")
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Fatalf("the page does not say %q; it says:\n%s", w, got)
		}
	}
}

// screenshot saves the page under the test's artifact directory.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := run(b, chromedp.FullScreenshot(100)) // 100: PNG
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// waitText waits until the page's body says want.
func (b *browser) waitText(want string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		got, _ = chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("the page never said %q; it says:\n%s", want, got)
}

// signIn signs p's user in through a one-time sign-in link, as the demo
// does: no passkey.
func (b *browser) signIn(p *oversight.Principal) {
	b.t.Helper()
	_, secret, err := b.e.svc.CreateLink(b.e.ctx, service.Operator, p.UserID, oversight.LinkSignIn, 0)
	if err != nil {
		b.t.Fatal(err)
	}
	b.open("/link/" + secret)
	b.click("main form button[type=submit]")
	b.contains(p.Name)
}

// tab opens another tab of the same browser: the same person, signed in,
// looking at two pages at once. It has no passkey authenticator.
func (b *browser) tab() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatal(err)
	}
	return &browser{t: b.t, ctx: ctx, e: b.e, dir: b.dir}
}

// path returns the path of the page shown.
func (b *browser) path() string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](`location.pathname`))
}

// audit fails the test for what makes a page hard to use without a mouse
// or with poor sight: a control without a label, a control or link out
// of the keyboard's reach, a link without text, headings that skip a
// level, text whose contrast with its background is below WCAG AA, a page
// wider than the screen.
func (b *browser) audit(name string) {
	b.t.Helper()
	problems := run(b, chromedp.Evaluate[[]string](auditJS))
	for _, p := range problems {
		b.t.Errorf("%s: %s", name, p)
	}
}

const auditJS = `(() => {
  const out = [];
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  for (const c of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
    if (!visible(c)) continue;
    let name = [...(c.labels || [])].map(l => l.textContent).join(" ").trim() || c.getAttribute("aria-label") || "";
    if (!name && c.tagName === "BUTTON") name = c.textContent.trim();
    if (!name) out.push("control without a label: " + c.outerHTML.slice(0, 120));
    if (c.tabIndex < 0 && !c.disabled) out.push("control out of the keyboard's reach: " + c.outerHTML.slice(0, 120));
  }
  for (const a of document.querySelectorAll("a")) {
    if (!visible(a)) continue;
    if (!a.textContent.trim() && !a.getAttribute("aria-label")) out.push("link without text: " + a.outerHTML.slice(0, 120));
    if (!a.hasAttribute("href") || a.tabIndex < 0) out.push("link out of the keyboard's reach: " + a.outerHTML.slice(0, 120));
  }
  for (const e of document.querySelectorAll("[tabindex]")) if (e.tabIndex > 0) out.push("tabindex above 0 breaks the order: " + e.outerHTML.slice(0, 80));
  if (!document.documentElement.lang) out.push("no language on <html>");
  if (document.querySelectorAll("main").length !== 1) out.push("not one <main>");
  if (document.querySelectorAll("h1").length !== 1) out.push("not one <h1>");
  let last = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4")) {
    const l = +h.tagName[1];
    if (last && l > last + 1) out.push("heading skips from h" + last + " to h" + l + ": " + h.textContent.trim().slice(0, 60));
    last = l;
  }
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3); } return [255, 255, 255]; };
  const seen = new Set();
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    const el = w.currentNode.parentElement;
    if (!w.currentNode.textContent.trim() || seen.has(el) || !visible(el) || el.closest(".skip")) continue;
    seen.add(el);
    const cs = getComputedStyle(el);
    const a = lum(rgb(cs.color).slice(0, 3)), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(cs.fontSize) >= 24 || (parseFloat(cs.fontSize) >= 18.66 && +cs.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push("contrast " + ratio.toFixed(2) + " for \"" + w.currentNode.textContent.trim().slice(0, 40) + "\"");
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push("the page is wider than the window: " + document.documentElement.scrollWidth + " > " + window.innerWidth);
  return out;
})()`
