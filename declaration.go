package oversight

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Signatory is the official who signs a declaration for the purchasing state.
type Signatory struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

// Declaration is an end-user declaration signed by a purchasing state for
// one of its agencies. The signature is Ed25519 over the canonical text
// (CanonicalDeclarationText), verified on receipt against the agency's
// registered signing key.
type Declaration struct {
	ID              string    `json:"id"`
	TemplateID      string    `json:"template"`
	TemplateVersion int       `json:"template_version"`
	EndUserID       string    `json:"end_user_id"`
	Country         string    `json:"country"`
	Signatory       Signatory `json:"signatory"`
	SignedOn        string    `json:"signed_on"` // YYYY-MM-DD
	// ValidUntil ends the declaration's term (DeclarationValidUntil): no
	// licence under it runs past it.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	TextSHA256 string    `json:"text_sha256"`
	Signature  string    `json:"signature"` // base64 Ed25519 signature over the canonical text
	CreatedAt  time.Time `json:"created_at"`
	LogIndex   int64     `json:"log_index"`
}

// DeclarationSubmission is the body of POST /v1/declarations.
type DeclarationSubmission struct {
	Template   string    `json:"template"`
	EndUserID  string    `json:"end_user_id"`
	Signatory  Signatory `json:"signatory"`
	SignedOn   string    `json:"signed_on"`
	TextSHA256 string    `json:"text_sha256"`
	Signature  string    `json:"signature"`
}

// Validate checks the submission's fields on their own.
func (s *DeclarationSubmission) Validate() error {
	var p Problems
	s.checkText(&p)
	if b, err := hex.DecodeString(s.TextSHA256); err != nil || len(b) != sha256.Size {
		p.Add("text_sha256", "must be 64 hex digits: the SHA-256 of the canonical declaration text")
	}
	if b, err := base64.StdEncoding.DecodeString(s.Signature); err != nil || len(b) != ed25519.SignatureSize {
		p.Add("signature", "must be a base64 Ed25519 signature (64 bytes)")
	}
	return p.Err("invalid declaration")
}

// ValidateText checks the fields the canonical text is made of, which is
// all POST /v1/declarations:text takes.
func (s *DeclarationSubmission) ValidateText() error {
	var p Problems
	s.checkText(&p)
	return p.Err("invalid declaration")
}

func (s *DeclarationSubmission) checkText(p *Problems) {
	p.Required("template", s.Template)
	if !ValidID(PrefixEndUser, s.EndUserID) {
		p.Add("end_user_id", "must be an end-user id (eu_…)")
	}
	for _, f := range []struct{ name, v string }{{"signatory.name", s.Signatory.Name}, {"signatory.title", s.Signatory.Title}} {
		if p.Required(f.name, f.v) && len(f.v) > 200 {
			p.Add(f.name, "at most 200 bytes")
		}
	}
	if m := DateProblem(s.SignedOn); m != "" {
		p.Add("signed_on", "%s", m)
	}
}

// DeclarationValidUntil is the end of the term of a declaration signed on
// signedOn (YYYY-MM-DD) under template t: no licence under it may run
// past it. It is zero for a date that does not parse.
func DeclarationValidUntil(signedOn string, t *DeclarationTemplate) time.Time {
	d, err := time.Parse(time.DateOnly, signedOn)
	if err != nil {
		return time.Time{}
	}
	return d.AddDate(0, t.TermMonths(), 0)
}

// CanonicalDeclarationText renders the exact text a purchasing state signs:
// the template's clauses followed by who signs for which agency and when.
// Both the signer and the regulator compute it; any difference in a byte
// makes the signature fail, which is the point.
func CanonicalDeclarationText(t *DeclarationTemplate, eu *EndUser, countryName string, s Signatory, signedOn string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s (version %d)\nIssued by: %s\n\n", t.ID, t.Title, t.Version, t.Issuer)
	fmt.Fprintf(&b, "Purchasing state: %s (%s)\nEnd user: %s (%s), %s\n\n", countryName, eu.Country, eu.Agency, eu.Kind, eu.ID)
	for _, c := range t.Clauses {
		fmt.Fprintf(&b, "%s %s\n%s\n\n", c.ID, c.Title, strings.TrimSpace(c.Text))
	}
	fmt.Fprintf(&b, "Signed for the purchasing state by %s, %s, on %s.\n", s.Name, s.Title, signedOn)
	return []byte(b.String())
}

// CheckDeclarationSignature verifies that text hashes to the submitted hash
// and that the signature over text verifies with key. It returns an EINVALID
// error naming the field at fault.
func CheckDeclarationSignature(key ed25519.PublicKey, text []byte, s *DeclarationSubmission) error {
	sum := sha256.Sum256(text)
	if hex.EncodeToString(sum[:]) != strings.ToLower(s.TextSHA256) {
		return Invalid("invalid declaration", "text_sha256", "does not match the canonical text of this template, end user, signatory and date")
	}
	sig, _ := base64.StdEncoding.DecodeString(s.Signature)
	if !ed25519.Verify(key, text, sig) {
		return Invalid("invalid declaration", "signature", "does not verify with the end user's signing key")
	}
	return nil
}
