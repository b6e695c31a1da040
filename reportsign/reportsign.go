// Package reportsign signs and verifies the safeguards kit's reports: the
// kit signs a report with its run key, a regulator that served the run
// countersigns it, and the regulator verifies both when the report is
// attached to a review. Each signature is Ed25519 over a context string
// and the report's RFC 8785 canonical JSON, so that a report re-indented
// or with its members reordered still verifies, and a report with any
// value changed does not.
package reportsign

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/oversight-dev/oversight"
)

// Contexts put in front of the signed JSON, so that neither signature can
// be taken for the other, nor for anything else the same keys sign.
const (
	kitContext     = "oversight-safeguards-report-v1\n"
	counterContext = "oversight-safeguards-countersignature-v1\n"
)

// canonical returns the RFC 8785 canonical JSON of v.
func canonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(raw)
}

// kitMessage is what the kit signs: the report without its signature and
// countersignature.
func kitMessage(r *oversight.SafeguardReport) ([]byte, error) {
	c := *r
	c.Signature, c.Countersignature = "", nil
	b, err := canonical(&c)
	return append([]byte(kitContext), b...), err
}

// counterMessage is what the regulator signs: the report, the kit's
// signature included, with the countersignature's own signature left out.
func counterMessage(r *oversight.SafeguardReport) ([]byte, error) {
	c := *r
	cs := *r.Countersignature
	cs.Signature = ""
	c.Countersignature = &cs
	b, err := canonical(&c)
	return append([]byte(counterContext), b...), err
}

// Sign signs r with the kit's run key: it sets Key and Signature and
// drops any countersignature, which would no longer be over this report.
func Sign(r *oversight.SafeguardReport, key ed25519.PrivateKey) error {
	r.Key = oversight.EncodeKey(key.Public().(ed25519.PublicKey))
	r.Countersignature = nil
	msg, err := kitMessage(r)
	if err != nil {
		return fmt.Errorf("sign report: %w", err)
	}
	r.Signature = oversight.EncodeKey(ed25519.Sign(key, msg))
	return nil
}

// Countersign adds a regulator's countersignature to r, already signed by
// the kit, saying that it confirmed operations authorisations and actions
// enforcement actions of the report.
func Countersign(r *oversight.SafeguardReport, key ed25519.PrivateKey, operations, actions int, now time.Time) error {
	r.Countersignature = &oversight.Countersignature{Key: oversight.EncodeKey(key.Public().(ed25519.PublicKey)),
		SignedAt: now.UTC(), Operations: operations, Actions: actions}
	msg, err := counterMessage(r)
	if err != nil {
		return fmt.Errorf("countersign report: %w", err)
	}
	r.Countersignature.Signature = oversight.EncodeKey(ed25519.Sign(key, msg))
	return nil
}

// Verify checks the kit's signature on r and, if r is countersigned, the
// countersignature, each with the key the report gives: a report changed
// after it was signed is refused. It does not say whose keys they are:
// the caller compares them with those it trusts. Errors are EINVALID and
// name the signature at fault.
func Verify(r *oversight.SafeguardReport) error {
	bad := func(field, msg string) error {
		return oversight.Invalid("invalid safeguards report", field, "%s", msg)
	}
	key, err := oversight.ParsePublicKey(r.Key)
	if err != nil {
		return bad("key", err.Error())
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil {
		return bad("signature", "not valid base64")
	}
	msg, err := kitMessage(r)
	if err != nil {
		return bad("signature", err.Error())
	}
	if !ed25519.Verify(key, msg, sig) {
		return bad("signature", "does not verify with the report's key: the report was changed after the kit signed it")
	}
	cs := r.Countersignature
	if cs == nil {
		return nil
	}
	ckey, err := oversight.ParsePublicKey(cs.Key)
	if err != nil {
		return bad("countersignature.key", err.Error())
	}
	csig, err := base64.StdEncoding.DecodeString(cs.Signature)
	if err != nil {
		return bad("countersignature.signature", "not valid base64")
	}
	if msg, err = counterMessage(r); err != nil {
		return bad("countersignature.signature", err.Error())
	}
	if !ed25519.Verify(ckey, msg, csig) {
		return bad("countersignature.signature", "does not verify with the regulator's key: the report was changed after it was countersigned")
	}
	return nil
}

// Digest returns the SHA-256, in hex, of r's canonical JSON, signatures
// included: the name by which a review and the audit log know the report.
func Digest(r *oversight.SafeguardReport) (string, error) {
	b, err := canonical(r)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
