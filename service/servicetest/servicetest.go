// Package servicetest builds the licensed world that tests and benchmark
// programs start from, through a service as officers, a vendor and an
// agency would through the API: a vendor whose product passed every
// development stage, an agency of an eligible country whose state signed
// the IL-2021 declaration, a marketing then an export licence each approved
// by both ministries, and a registered deployment of the export licence.
//
// It is built in one place so that a change to what a licence needs (a new
// stage condition, a new field of an application) is made once, not in
// every package's tests.
package servicetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reportsign"
	"github.com/oversight-dev/oversight/service"
)

// Builder builds parts of a world on a service. The first error stops it:
// every later call does nothing and returns zero values, and Err reports
// it, so that a sequence of calls needs one check at its end.
type Builder struct {
	ctx context.Context
	svc *service.Service
	err error
	// Admin, Defense and Foreign are officers made by NewBuilder; Defense
	// decides reviews and approves for the defense ministry, Foreign
	// registers agencies, records declarations and approves for foreign
	// affairs.
	Admin, Defense, Foreign *oversight.Principal
}

// NewBuilder makes an administrator and one officer of each ministry on
// svc and returns a builder acting as them.
func NewBuilder(ctx context.Context, svc *service.Service) *Builder {
	b := &Builder{ctx: ctx, svc: svc}
	b.Admin, _ = b.Token(oversight.Principal{Role: oversight.RoleAdmin, Name: "Ada Admin"})
	b.Defense, _ = b.Token(oversight.Principal{Role: oversight.RoleDefense, Name: "Dana Defense"})
	b.Foreign, _ = b.Token(oversight.Principal{Role: oversight.RoleForeignAffairs, Name: "Farah Foreign"})
	return b
}

// Err returns the first error of the builder's calls.
func (b *Builder) Err() error { return b.err }

func (b *Builder) do(f func() error) {
	if b.err == nil {
		b.err = f()
	}
}

// Token makes a user for p with an API token and returns the token's
// principal and secret.
func (b *Builder) Token(p oversight.Principal) (*oversight.Principal, string) {
	var tok *oversight.Token
	var secret string
	b.do(func() (err error) {
		tok, secret, err = b.svc.CreateUserWithToken(b.ctx, service.Operator,
			&oversight.User{Name: p.Name, Role: p.Role, VendorID: p.VendorID, EndUserID: p.EndUserID}, &oversight.TokenRequest{})
		return err
	})
	if tok == nil {
		return nil, ""
	}
	return &tok.Principal, secret
}

// RegisterVendor registers v (as the defense officer) and returns it with a
// principal of its staff.
func (b *Builder) RegisterVendor(v *oversight.Vendor) (*oversight.Vendor, *oversight.Principal) {
	var out *oversight.Vendor
	b.do(func() (err error) { out, err = b.svc.CreateVendor(b.ctx, b.Defense, v); return err })
	if out == nil {
		return nil, nil
	}
	staff, _ := b.Token(oversight.Principal{Role: oversight.RoleVendor, VendorID: out.ID, Name: out.Name + " compliance"})
	return out, staff
}

// ExportReady registers p for the vendor staff and takes it through every
// development stage, each approved by the defense officer; the testing
// stage carries the fixture safeguards report (reportsign.Fixture).
func (b *Builder) ExportReady(vendor *oversight.Principal, p *oversight.Product) *oversight.Product {
	var out *oversight.Product
	b.do(func() (err error) { out, err = b.svc.CreateProduct(b.ctx, vendor, p); return err })
	for _, stage := range oversight.Stages {
		b.do(func() error {
			sub := &oversight.ReviewSubmission{Stage: stage, Dossier: "dossier", Safeguards: oversight.Safeguards}
			if stage == oversight.StageTesting {
				sub.Evidence = reportsign.Fixture(out.ID)
			}
			r, err := b.svc.SubmitReview(b.ctx, vendor, out.ID, sub)
			if err != nil {
				return err
			}
			_, err = b.svc.DecideReview(b.ctx, b.Defense, r.ID, &oversight.ReviewDecisionRequest{Decision: oversight.DecideApprove})
			return err
		})
	}
	return out
}

// Eligible makes countries eligible for export licences.
func (b *Builder) Eligible(countries ...string) {
	for _, c := range countries {
		b.do(func() error {
			_, err := b.svc.SetCountry(b.ctx, b.Defense, c, &oversight.CountryUpdate{Tier: oversight.TierEligible})
			return err
		})
	}
}

// SignedEndUser registers a law-enforcement agency of country with a fresh
// signing key of its state, has the state sign IL-2021, and returns the
// agency, the recorded declaration and the key.
func (b *Builder) SignedEndUser(country, agency string) (*oversight.EndUser, *oversight.Declaration, ed25519.PrivateKey) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	var eu *oversight.EndUser
	b.do(func() (err error) {
		eu, err = b.svc.CreateEndUser(b.ctx, b.Foreign, &oversight.EndUser{Country: country, Agency: agency,
			Kind: oversight.KindLawEnforcement, SigningKey: oversight.EncodeKey(pub)})
		return err
	})
	var dec *oversight.Declaration
	b.do(func() error {
		sub := &oversight.DeclarationSubmission{Template: "IL-2021", EndUserID: eu.ID,
			Signatory: oversight.Signatory{Name: "Minister Léa Marchand", Title: "Minister of the Interior"}, SignedOn: "2026-01-15"}
		text, err := b.svc.DeclarationText(b.ctx, b.Foreign, sub)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(text)
		sub.TextSHA256 = hex.EncodeToString(sum[:])
		sub.Signature = oversight.EncodeKey(ed25519.Sign(key, text))
		dec, err = b.svc.RecordDeclaration(b.ctx, b.Foreign, sub)
		return err
	})
	return eu, dec, key
}

// ActiveLicense has the vendor staff apply for a licence of a (with its
// DeclarationID for an export licence) and has both ministries approve
// it, which makes it active.
func (b *Builder) ActiveLicense(vendor *oversight.Principal, a *oversight.LicenseApplication) *oversight.License {
	var lic *oversight.License
	b.do(func() (err error) { lic, err = b.svc.ApplyLicense(b.ctx, vendor, a); return err })
	b.do(func() error {
		_, err := b.svc.DecideLicense(b.ctx, b.Defense, lic.ID, &oversight.ApprovalRequest{Ministry: oversight.MinistryDefense, Decision: "approve"})
		return err
	})
	b.do(func() (err error) {
		lic, err = b.svc.DecideLicense(b.ctx, b.Foreign, lic.ID, &oversight.ApprovalRequest{Ministry: oversight.MinistryForeignAffairs, Decision: "approve"})
		return err
	})
	return lic
}

// RegisterDeployment has the vendor staff register a deployment of the licence
// with a fresh key, and returns it with the key.
func (b *Builder) RegisterDeployment(vendor *oversight.Principal, licenseID, label string) (*oversight.Deployment, ed25519.PrivateKey) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	var d *oversight.RegisteredDeployment
	b.do(func() (err error) {
		d, err = b.svc.RegisterDeployment(b.ctx, vendor, &oversight.DeploymentRegistration{LicenseID: licenseID, Label: label, PublicKey: oversight.EncodeKey(pub)})
		return err
	})
	if d == nil {
		return nil, nil
	}
	return &d.Deployment, key
}

// SubstantiatedCase has the world's defense officer open a misuse case and
// carry it through investigation to substantiated on the findings given:
// the state enforcement actions and designations follow from.
func (b *Builder) SubstantiatedCase(r *oversight.CaseRequest, findings string) *oversight.Case {
	var c *oversight.Case
	b.do(func() (err error) { c, err = b.svc.OpenCase(b.ctx, b.Defense, r); return err })
	for _, st := range []oversight.CaseStatus{oversight.CaseInvestigating, oversight.CaseSubstantiated} {
		b.do(func() (err error) {
			c, err = b.svc.UpdateCase(b.ctx, b.Defense, c.ID, &oversight.CaseUpdate{Status: st, Findings: &findings})
			return err
		})
	}
	return c
}

// Scope is the scope the world's licences have unless told otherwise:
// terrorism and serious crime, every operation, +1 blocked, at most
// maxActive operations at once, valid for a year from now (to the second).
func Scope(maxActive int) oversight.Scope {
	now := time.Now().UTC().Truncate(time.Second)
	return oversight.Scope{
		Purposes:   []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime},
		Operations: oversight.Operations, BlockedCountryCodes: []string{"+1"}, MaxActiveOperations: maxActive,
		ValidFrom: now, ValidUntil: now.AddDate(1, 0, 0),
	}
}

// Licensed is one agency's licensing of the world's product.
type Licensed struct {
	EndUser     *oversight.EndUser
	Declaration *oversight.Declaration
	// StateKey signs the agency's declarations.
	StateKey ed25519.PrivateKey
	// Marketing is the active marketing licence the export licence needed.
	Marketing *oversight.License
	// License is the active export licence.
	License    *oversight.License
	Deployment *oversight.Deployment
	// DeploymentKey signs the deployment's requests.
	DeploymentKey ed25519.PrivateKey
	// Agency is a principal of the agency's staff.
	Agency *oversight.Principal
}

// World is the licensed world: the builder's officers, a vendor with an
// export-ready product, and one agency licensed for it.
type World struct {
	*Builder
	Vendor      *oversight.Vendor
	VendorStaff *oversight.Principal
	Product     *oversight.Product
	Licensed
}

// Options say what differs from the default world.
type Options struct {
	// Country and Agency are the licensed agency's (default FR, the
	// Directorate of Counter-Terrorism).
	Country, Agency string
	// Scope is the licences' (default Scope(10)).
	Scope *oversight.Scope
}

// NewWorld builds the licensed world on svc: Kestrel Dynamics (IL) with
// Harrier export-ready, o.Country eligible, and o.Agency licensed for
// Harrier with a deployment.
func NewWorld(ctx context.Context, svc *service.Service, o Options) (*World, error) {
	if o.Country == "" {
		o.Country = "FR"
	}
	if o.Agency == "" {
		o.Agency = "Directorate of Counter-Terrorism"
	}
	if o.Scope == nil {
		s := Scope(10)
		o.Scope = &s
	}
	w := &World{Builder: NewBuilder(ctx, svc)}
	w.Vendor, w.VendorStaff = w.RegisterVendor(&oversight.Vendor{Name: "Kestrel Dynamics", Country: "IL"})
	w.Product = w.ExportReady(w.VendorStaff, &oversight.Product{Name: "Harrier", Capabilities: []string{"zero_click"}, ControlEntries: []string{"4.A.5"}})
	w.Licensed = w.LicenseAgency(o.Country, o.Agency, *o.Scope)
	return w, w.Err()
}

// LicenseAgency registers an agency of country (made eligible) whose state
// signs IL-2021, gives it an active marketing then export licence of the
// world's product with scope, a deployment of the export licence and a
// principal of its staff.
func (w *World) LicenseAgency(country, agency string, scope oversight.Scope) Licensed {
	var l Licensed
	w.Eligible(country)
	l.EndUser, l.Declaration, l.StateKey = w.SignedEndUser(country, agency)
	if w.err != nil {
		return l
	}
	a := oversight.LicenseApplication{Kind: oversight.KindMarketing, ProductID: w.Product.ID, EndUserID: l.EndUser.ID, Scope: scope}
	l.Marketing = w.ActiveLicense(w.VendorStaff, &a)
	a.Kind, a.DeclarationID = oversight.KindExport, l.Declaration.ID
	l.License = w.ActiveLicense(w.VendorStaff, &a)
	if w.err != nil {
		return l
	}
	l.Deployment, l.DeploymentKey = w.RegisterDeployment(w.VendorStaff, l.License.ID, agency+" site")
	l.Agency, _ = w.Token(oversight.Principal{Role: oversight.RoleEndUser, EndUserID: l.EndUser.ID, Name: agency + " staff"})
	return l
}
