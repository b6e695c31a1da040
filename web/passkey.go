package web

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/oversight-dev/oversight"
)

// The WebAuthn side of sign-in: the browser asks for options (a JSON
// POST), answers them with navigator.credentials, and posts the answer in
// an ordinary form field ("credential") with the ceremony's id
// ("ceremony"), so that the final step is a normal form post and redirect.

// waUser adapts a user and their passkeys to the WebAuthn library. The
// user handle is the user's id: opaque, stable, not personal.
type waUser struct {
	u     *oversight.User
	creds []webauthn.Credential
}

func (w *waUser) WebAuthnID() []byte                         { return []byte(w.u.ID) }
func (w *waUser) WebAuthnName() string                       { return w.u.Name }
func (w *waUser) WebAuthnDisplayName() string                { return w.u.Name }
func (w *waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

func newWAUser(u *oversight.User, keys []oversight.Passkey) (*waUser, error) {
	w := &waUser{u: u}
	for _, k := range keys {
		var c webauthn.Credential
		if err := json.Unmarshal(k.Credential, &c); err != nil {
			return nil, fmt.Errorf("passkey %s: %w", k.ID, err)
		}
		w.creds = append(w.creds, c)
	}
	return w, nil
}

// passkeyOf is the domain's record of a verified credential.
func passkeyOf(userID string, c *webauthn.Credential) (*oversight.Passkey, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return &oversight.Passkey{ID: base64.RawURLEncoding.EncodeToString(c.ID), UserID: userID, Credential: b}, nil
}

// ceremonyOptions is the JSON the browser gets: the ceremony's id and the
// options for navigator.credentials.
type ceremonyOptions struct {
	Ceremony  string `json:"ceremony"`
	PublicKey any    `json:"publicKey"`
}

// beginCeremony stores the library's session data bound to binding and
// writes the options.
func (s *Server) beginCeremony(w http.ResponseWriter, r *http.Request, binding string, sd *webauthn.SessionData, publicKey any) error {
	data, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	id, err := s.svc.BeginCeremony(r.Context(), binding, data)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(ceremonyOptions{Ceremony: id, PublicKey: publicKey})
}

// finishCeremony takes the ceremony the form names, bound to binding.
func (s *Server) finishCeremony(r *http.Request, binding string) (*webauthn.SessionData, error) {
	data, err := s.svc.FinishCeremony(r.Context(), r.PostFormValue("ceremony"), binding)
	if err != nil {
		return nil, err
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(data, &sd); err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	return &sd, nil
}

// passkeyRefused is the error for a credential that did not verify; the
// library's reason goes to the log, not to the page.
func (s *Server) passkeyRefused(err error) error {
	s.log.Info("console: passkey refused", "err", err)
	return &oversight.Error{Code: oversight.EUNAUTHORIZED, Message: "The passkey was not accepted; try again.",
		Fields: []oversight.FieldError{{Field: "credential", Message: "the passkey's answer did not verify"}}}
}

// noScript is the error of a passkey form posted without its answer:
// passkeys need the browser to run the console's script.
var noScript = &oversight.Error{Code: oversight.EINVALID, Message: "A passkey is needed here, and passkeys need JavaScript",
	Fields: []oversight.FieldError{{Field: "credential", Message: "no passkey answer was sent: allow the console's script to run, then try again"}}}

// registrationOptions begins registering a passkey for u.
func (s *Server) registrationOptions(w http.ResponseWriter, r *http.Request, u *oversight.User, binding string) error {
	_, keys, err := s.svc.Passkeys(r.Context(), u.ID)
	if err != nil {
		return err
	}
	wu, err := newWAUser(u, keys)
	if err != nil {
		return err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range wu.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sd, err := s.wa.BeginRegistration(wu,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, UserVerification: protocol.VerificationRequired}),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return err
	}
	return s.beginCeremony(w, r, binding, sd, creation.Response)
}

// registeredPasskey verifies the browser's answer to a registration.
func (s *Server) registeredPasskey(r *http.Request, u *oversight.User, binding string) (*oversight.Passkey, error) {
	answer := r.PostFormValue("credential")
	if answer == "" {
		return nil, noScript
	}
	sd, err := s.finishCeremony(r, binding)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(answer))
	if err != nil {
		return nil, s.passkeyRefused(err)
	}
	cred, err := s.wa.CreateCredential(&waUser{u: u}, *sd, parsed)
	if err != nil {
		return nil, s.passkeyRefused(err)
	}
	return passkeyOf(u.ID, cred)
}

// assertedPasskey verifies the browser's answer to an assertion by the
// signed-in user (a step-up), and returns the passkey's updated record.
func (s *Server) assertedPasskey(r *request, binding string) (*oversight.Passkey, error) {
	answer := r.PostFormValue("credential")
	if answer == "" {
		return nil, noScript
	}
	sd, err := s.finishCeremony(r.Request, binding)
	if err != nil {
		return nil, err
	}
	u, keys, err := s.svc.Passkeys(r.Context(), r.p.UserID)
	if err != nil {
		return nil, err
	}
	wu, err := newWAUser(u, keys)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(answer))
	if err != nil {
		return nil, s.passkeyRefused(err)
	}
	cred, err := s.wa.ValidateLogin(wu, *sd, parsed)
	if err != nil {
		return nil, s.passkeyRefused(err)
	}
	return passkeyOf(u.ID, cred)
}

// stepUp checks the fresh passkey assertion a form carries for an
// approval, and records it on the session. Approving is then two people
// present, not two open tabs.
func (s *Server) stepUp(r *request) error {
	k, err := s.assertedPasskey(r, "stepup:"+r.ses.ID)
	if err != nil {
		return err
	}
	return s.svc.Asserted(r.Context(), r.ses, k)
}

// stepUpOptions begins a step-up assertion for the signed-in user.
func (s *Server) stepUpOptions(w http.ResponseWriter, r *request) error {
	u, keys, err := s.svc.Passkeys(r.Context(), r.p.UserID)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return oversight.Errorf(oversight.ECONFLICT, "You have no passkey yet: add one on your account page, then approve.")
	}
	wu, err := newWAUser(u, keys)
	if err != nil {
		return err
	}
	assertion, sd, err := s.wa.BeginLogin(wu, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return err
	}
	return s.beginCeremony(w, r.Request, "stepup:"+r.ses.ID, sd, assertion.Response)
}
