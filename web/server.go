// Package web serves the officers' console: server-rendered html/template
// pages over package service, the same use cases as the HTTP API, so that
// no rule, role check or event is written twice; a change made here is the
// same event, with the same actor (role:usr_…), as through the API.
//
// People sign in with passkeys (WebAuthn). A session is a cookie whose
// secret's hash the service keeps, ended by sign-out or after an idle
// timeout. Every state-changing request passes net/http's
// CrossOriginProtection, and approving a licence, an enforcement action or
// a delisting asks for a fresh passkey assertion (step-up), so that the
// two-person rule is two people present. Assets are embedded; htmx is the
// one script library, and every form also works without JavaScript, except
// the passkey ceremonies, which are JavaScript by nature.
//
// The layout follows miniflux's internal/ui: one file per page or action,
// typed form values, embedded templates.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/internal/ratelimit"
	"github.com/oversight-dev/oversight/internal/reqlog"
	"github.com/oversight-dev/oversight/service"
)

//go:embed static
var staticFS embed.FS

// Options configure the console.
type Options struct {
	// Origin is the console's public origin, such as
	// https://oversight.example or http://localhost:8080: passkeys are bound
	// to its host (an IP address cannot hold passkeys; use a name).
	Origin string
	// IdleTimeout ends a session unused for that long; 0 means
	// service.DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Logger receives one line per request and every internal error; nil
	// means slog.Default().
	Logger *slog.Logger
	// Demo shows the demo's banner.
	Demo bool
	// DemoReport, in a demonstration, makes a fixture safeguards report
	// for a product (reportsign.Fixture): a vendor trying the console can
	// then take a new product to export_ready without running the
	// safeguards kit. The report says that the kit was not run.
	DemoReport func(productID string) *oversight.SafeguardReport
	// DemoPeople are the demonstration's people, whom the demo page
	// (/demo) signs in, each with a one-time sign-in link DemoSignIn
	// makes: one browser can then be each person in turn. Without them
	// there is no demo page.
	DemoPeople []DemoPerson
	DemoSignIn func(ctx context.Context, userID string) (secret string, err error)
	// ComplaintLimit bounds the complaint forms a client address may
	// send (ratelimit.Complaints when zero), as the API does.
	ComplaintLimit ratelimit.Limit
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client a per-address limit counts (ratelimit.Addresses.Client).
	TrustedProxies []netip.Prefix
}

// DemoPerson is a person of the demonstration: who, and their user id.
type DemoPerson struct{ Who, UserID string }

// Server is the console.
type Server struct {
	svc     *service.Service
	log     *slog.Logger
	origin  *url.URL
	secure  bool
	idle    time.Duration
	demo    bool
	report  func(productID string) *oversight.SafeguardReport
	people  []DemoPerson
	demoIn  func(ctx context.Context, userID string) (string, error)
	wa      *webauthn.WebAuthn
	views   *views
	mux     *http.ServeMux
	handler http.Handler
	routes  []Route
	changes *changes // wakes the live regions (live.go)

	complaintLimits *ratelimit.Limiters
	addresses       *ratelimit.Addresses
}

// Route is one of the console's endpoints, with the roles that may use it
// (none: any signed-in user; Public: anyone).
type Route struct {
	Method, Pattern string
	Public          bool
	Roles           []oversight.Role
}

// New returns the console over svc.
func New(svc *service.Service, opts Options) (*Server, error) {
	if opts.Origin == "" {
		return nil, errors.New("web: an origin is required")
	}
	origin, err := url.Parse(opts.Origin)
	if err != nil || (origin.Scheme != "http" && origin.Scheme != "https") || origin.Host == "" || origin.Path != "" {
		return nil, fmt.Errorf("web: origin %q must be scheme://host[:port], nothing more", opts.Origin)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = service.DefaultIdleTimeout
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          origin.Hostname(),
		RPDisplayName: "Oversight",
		RPOrigins:     []string{origin.String()},
	})
	if err != nil {
		return nil, fmt.Errorf("web: passkeys: %w", err)
	}
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	s := &Server{svc: svc, log: opts.Logger, origin: origin, secure: origin.Scheme == "https", idle: opts.IdleTimeout,
		demo: opts.Demo, report: opts.DemoReport, people: opts.DemoPeople, demoIn: opts.DemoSignIn, wa: wa, views: v, mux: http.NewServeMux(), changes: newChanges()}
	s.complaintLimits = ratelimit.New(opts.ComplaintLimit.OrDefault(ratelimit.Complaints), "address")
	s.addresses = ratelimit.NewAddresses(opts.TrustedProxies...)
	svc.Subscribe(func(service.LicenseChange) { s.changes.notify() })
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheForever(http.FileServerFS(static))))
	s.routesSignIn()
	s.routesHome()
	s.routesUsers()
	s.routesLicenses()
	s.routesProducts()
	s.routesActions()
	s.routesRegistry()
	s.routesDeployments()
	s.routesDecisions()
	s.routesCases()
	s.routesProtected()
	s.routesDesignations()
	s.routesScreening()
	s.routesComplaints()
	s.routesTransparency()
	s.routesLogExplorer()
	s.handlePublic("GET", "/", s.notFound) // anything else
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, nil, oversight.Errorf(oversight.EFORBIDDEN,
			"This request came from another site, so it was refused: the console acts only on forms it served itself."))
	}))
	s.handler = s.headers(cop.Handler(s.mux))
	return s, nil
}

// WithAPI serves the API's paths with api and every other path with the
// console: what "oversight serve" listens with.
func (s *Server) WithAPI(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/v1/", "/log/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, api)
	}
	mux.Handle("/", s)
	return mux
}

// Routes lists the console's endpoints, for the tests that try each with
// every role.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// headers sets what every page carries: a content security policy that
// runs only the console's own scripts, no framing, no referrer leaving
// the site.
func (s *Server) headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		if s.secure {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// request is what a signed-in handler gets: the request, the session and
// the principal.
type request struct {
	*http.Request
	ses *oversight.Session
	p   *oversight.Principal
}

// handlerFunc is a signed-in handler; an error it returns is rendered as
// an error page (or, for invalid input, the handler re-renders its form).
type handlerFunc func(w http.ResponseWriter, r *request) error

// handle registers a route for signed-in users of roles (any role when
// none is given). The role check here only decides what to show; the
// service checks again, and is the one that decides.
func (s *Server) handle(method, pattern string, h handlerFunc, roles ...oversight.Role) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Roles: roles})
	s.mux.Handle(method+" "+pattern, s.instrument(pattern, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
		ses, p, err := s.session(r)
		if err != nil {
			s.toSignIn(w, r, err)
			return
		}
		if len(roles) > 0 && !p.Is(roles...) {
			s.renderError(w, r, p, oversight.Errorf(oversight.EFORBIDDEN, "This page is for %s; you are signed in as %s.", roleNames(roles), p.Role))
			return
		}
		if err := h(w, &request{Request: r, ses: ses, p: p}); err != nil {
			s.renderError(w, r, p, err)
		}
	}))
}

// handlePublic registers a route that needs no session.
func (s *Server) handlePublic(method, pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Public: true})
	s.mux.Handle(method+" "+pattern, s.instrument(pattern, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := h(w, r); err != nil {
			_, p, _ := s.session(r)
			s.renderError(w, r, p, err)
		}
	}))
}

func roleNames(roles []oversight.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = roleLabel(r)
	}
	return strings.Join(names, " or ")
}

// instrument logs each request by route, never its query or form.
func (s *Server) instrument(route string, h http.HandlerFunc) http.Handler {
	return reqlog.Handler(s.log, "console", route, h, nil)
}

// cookieName names the session cookie; behind TLS it takes the __Host-
// prefix, which browsers accept only Secure, host-only and for path /.
func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-oversight-session"
	}
	return "oversight-session"
}

// session returns the request's session and principal.
func (s *Server) session(r *http.Request) (*oversight.Session, *oversight.Principal, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return nil, nil, oversight.Errorf(oversight.EUNAUTHORIZED, "Sign in to continue.")
	}
	return s.svc.SessionPrincipal(r.Context(), c.Value, s.idle)
}

// setSession sets the session cookie: HttpOnly, SameSite=Strict, Secure
// behind TLS; it lasts as long as the browser, the server ending it when
// idle.
func (s *Server) setSession(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: secret, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

// toSignIn sends a request without a valid session to the sign-in page,
// coming back to where it was going for a GET.
func (s *Server) toSignIn(w http.ResponseWriter, r *http.Request, err error) {
	q := url.Values{}
	if r.Method == http.MethodGet {
		q.Set("next", r.URL.RequestURI())
	}
	if msg := oversight.ErrorMessage(err); msg != "" && msg != "Sign in to continue." && msg != "not signed in" {
		q.Set("why", msg)
	}
	target := "/signin"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// redirect answers a successful form post: see the result (post, redirect,
// get), with done as a one-line confirmation there.
func redirect(w http.ResponseWriter, r *http.Request, path string, done ...string) error {
	if len(done) > 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + url.QueryEscape(done[0])
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// safeNext returns next if it is a path on this site, else "/".
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Path == "/" {
		// The home page needs a session; this route only catches the rest.
		return redirect(w, r, "/signin")
	}
	return oversight.Errorf(oversight.ENOTFOUND, "There is no page at %s.", r.URL.Path)
}
