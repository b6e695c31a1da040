package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/oversight-dev/oversight"
)

func (s *Server) routesSignIn() {
	s.handlePublic("GET", "/signin", s.signInPage)
	s.handlePublic("POST", "/signin/options", s.signInOptions)
	s.handlePublic("POST", "/signin", s.signIn)
	s.handlePublic("GET", "/enrol/{secret}", s.enrolPage)
	s.handlePublic("POST", "/enrol/{secret}/options", s.enrolOptions)
	s.handlePublic("POST", "/enrol/{secret}", s.enrol)
	s.handlePublic("GET", "/link/{secret}", s.linkPage)
	s.handlePublic("POST", "/link/{secret}", s.linkSignIn)
	s.handlePublic("GET", "/demo", s.demoPage)
	s.handlePublic("POST", "/demo/{user}", s.demoSignIn)
	s.handle("POST", "/signout", s.signOut)
	s.handle("POST", "/stepup/options", s.stepUpOptions)
	s.handle("GET", "/account", s.accountPage)
	s.handle("POST", "/account/passkeys/options", s.addPasskeyOptions)
	s.handle("POST", "/account/passkeys", s.addPasskey)
}

// signInPage offers the passkey sign-in.
func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) error {
	if _, p, err := s.session(r); err == nil {
		return redirect(w, r, safeNext(r.URL.Query().Get("next")))
	} else if p != nil {
		s.clearSession(w)
	}
	pg := &page{Title: "Sign in", Form: r.URL.Query()}
	if why := r.URL.Query().Get("why"); why != "" && len(why) < 300 {
		pg.Problem = sentence(why)
	}
	return s.render(w, r, nil, "signin", pg)
}

// signInOptions begins a discoverable passkey sign-in: the browser offers
// the passkeys it holds for this site.
func (s *Server) signInOptions(w http.ResponseWriter, r *http.Request) error {
	assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return err
	}
	return s.beginCeremony(w, r, "signin", sd, assertion.Response)
}

// signIn verifies the passkey's answer and opens a session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	pg := &page{Title: "Sign in", Form: r.PostForm}
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	pg.Form = r.PostForm
	fail := func(err error) error {
		if formError(pg, err, nil) {
			return s.renderStatus(w, r, nil, oversight.NewProblem(err).Status, "signin", pg)
		}
		return err
	}
	answer := r.PostFormValue("credential")
	if answer == "" {
		return fail(noScript)
	}
	sd, err := s.finishCeremony(r, "signin")
	if err != nil {
		return fail(err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(answer))
	if err != nil {
		return fail(s.passkeyRefused(err))
	}
	var owner *oversight.User
	lookup := func(rawID, userHandle []byte) (webauthn.User, error) {
		u, keys, err := s.svc.Passkeys(r.Context(), string(userHandle))
		if err != nil {
			return nil, err
		}
		owner = u
		return newWAUser(u, keys)
	}
	_, cred, err := s.wa.ValidatePasskeyLogin(lookup, *sd, parsed)
	if err != nil {
		return fail(s.passkeyRefused(err))
	}
	k, err := passkeyOf(owner.ID, cred)
	if err != nil {
		return err
	}
	_, secret, err := s.svc.SignInWithPasskey(r.Context(), k)
	if err != nil {
		return fail(err)
	}
	s.setSession(w, secret)
	return redirect(w, r, safeNext(r.PostFormValue("next")))
}

// enrolPage shows an invitation: register a passkey to sign in.
func (s *Server) enrolPage(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.svc.OpenLink(r.Context(), r.PathValue("secret"))
	if err != nil {
		return s.renderStatus(w, r, nil, http.StatusGone, "enrol", &page{Title: "Invitation", Problem: sentence(oversight.ErrorMessage(err))})
	}
	return s.render(w, r, nil, "enrol", &page{Title: "Register your passkey", Data: u})
}

func (s *Server) enrolOptions(w http.ResponseWriter, r *http.Request) error {
	l, u, err := s.svc.OpenLink(r.Context(), r.PathValue("secret"))
	if err != nil {
		return err
	}
	if l.Kind != oversight.LinkEnrol {
		return oversight.Errorf(oversight.EUNAUTHORIZED, "This link signs in; it does not register a passkey.")
	}
	return s.registrationOptions(w, r, u, "enrol:"+l.ID)
}

// enrol registers the invited user's passkey, uses up the link and signs
// them in.
func (s *Server) enrol(w http.ResponseWriter, r *http.Request) error {
	secret := r.PathValue("secret")
	l, u, err := s.svc.OpenLink(r.Context(), secret)
	pg := &page{Title: "Register your passkey", Data: u}
	if err != nil {
		pg.Problem = sentence(oversight.ErrorMessage(err))
		return s.renderStatus(w, r, nil, http.StatusGone, "enrol", pg)
	}
	k, err := s.registeredPasskey(r, u, "enrol:"+l.ID)
	if err == nil {
		var secretCookie string
		if _, secretCookie, err = s.svc.EnrolPasskey(r.Context(), secret, k); err == nil {
			s.setSession(w, secretCookie)
			return redirect(w, r, "/", "Your passkey is registered; you are signed in.")
		}
	}
	if formError(pg, err, nil) {
		return s.renderStatus(w, r, nil, oversight.NewProblem(err).Status, "enrol", pg)
	}
	return err
}

// linkPage shows a demo sign-in link; signing in is the POST, so that a
// link checker or a preview fetching the URL does not use it up.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request) error {
	l, u, err := s.svc.OpenLink(r.Context(), r.PathValue("secret"))
	if err != nil {
		return s.renderStatus(w, r, nil, http.StatusGone, "link", &page{Title: "Sign-in link", Problem: sentence(oversight.ErrorMessage(err))})
	}
	if l.Kind == oversight.LinkEnrol {
		return redirect(w, r, "/enrol/"+url.PathEscape(r.PathValue("secret")))
	}
	return s.render(w, r, nil, "link", &page{Title: "Sign in as " + u.Name, Data: u})
}

func (s *Server) linkSignIn(w http.ResponseWriter, r *http.Request) error {
	_, secret, err := s.svc.SignInWithLink(r.Context(), r.PathValue("secret"))
	if err != nil {
		return s.renderStatus(w, r, nil, http.StatusGone, "link", &page{Title: "Sign-in link", Problem: sentence(oversight.ErrorMessage(err))})
	}
	s.setSession(w, secret)
	return redirect(w, r, "/")
}

func (s *Server) signOut(w http.ResponseWriter, r *request) error {
	if err := s.svc.EndSession(r.Context(), r.ses); err != nil {
		return err
	}
	s.clearSession(w)
	return redirect(w, r.Request, "/signin?why="+url.QueryEscape("You are signed out."))
}

// accountPage shows who is signed in, and their passkeys.
func (s *Server) accountPage(w http.ResponseWriter, r *request) error {
	_, keys, err := s.svc.Passkeys(r.Context(), r.p.UserID)
	if err != nil {
		return err
	}
	return s.render(w, r.Request, r.p, "account", &page{Title: "Your account", Data: struct {
		Passkeys   []oversight.Passkey
		Asserted   bool
		SessionAge string
	}{keys, !r.ses.AssertedAt.IsZero(), ago(r.ses.CreatedAt)}})
}

func (s *Server) addPasskeyOptions(w http.ResponseWriter, r *request) error {
	u, _, err := s.svc.Passkeys(r.Context(), r.p.UserID)
	if err != nil {
		return err
	}
	return s.registrationOptions(w, r.Request, u, "add:"+r.ses.ID)
}

func (s *Server) addPasskey(w http.ResponseWriter, r *request) error {
	u, _, err := s.svc.Passkeys(r.Context(), r.p.UserID)
	if err != nil {
		return err
	}
	k, err := s.registeredPasskey(r.Request, u, "add:"+r.ses.ID)
	if err == nil {
		err = s.svc.AddPasskey(r.Context(), r.p, k)
	}
	if err != nil {
		pg := &page{Title: "Your account"}
		if formError(pg, err, nil) {
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "account", pg)
		}
		return err
	}
	return redirect(w, r.Request, "/account", "Passkey added.")
}

// demoPage lists the demonstration's people, each signed in by a button:
// one browser can be the vendor, then the officer who decides, then the
// other ministry's. There is no such page outside a demonstration.
func (s *Server) demoPage(w http.ResponseWriter, r *http.Request) error {
	if s.demoIn == nil {
		return oversight.Errorf(oversight.ENOTFOUND, "There is no page at %s.", r.URL.Path)
	}
	_, p, _ := s.session(r)
	return s.render(w, r, p, "demo", &page{Title: "Be one of the demonstration's people", Data: s.people})
}

// demoSignIn signs a demonstration person in, through a one-time sign-in
// link made for it, as the links serve --demo prints.
func (s *Server) demoSignIn(w http.ResponseWriter, r *http.Request) error {
	if s.demoIn == nil {
		return oversight.Errorf(oversight.ENOTFOUND, "There is no page at %s.", r.URL.Path)
	}
	id := r.PathValue("user")
	if !slices.ContainsFunc(s.people, func(d DemoPerson) bool { return d.UserID == id }) {
		return oversight.Errorf(oversight.ENOTFOUND, "No person of the demonstration is %s.", id)
	}
	link, err := s.demoIn(r.Context(), id)
	if err != nil {
		return err
	}
	_, secret, err := s.svc.SignInWithLink(r.Context(), link)
	if err != nil {
		return err
	}
	s.setSession(w, secret)
	return redirect(w, r, "/")
}
