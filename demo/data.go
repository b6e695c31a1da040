package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reportsign"
	"github.com/oversight-dev/oversight/service"
)

// Token is a token of the demo, one per role: the environment variable it
// is exported as, the secret, who holds it and their user id.
type Token struct{ Env, Secret, Who, UserID string }

// builder builds the demo data set through the service, as officers and
// vendors would, so that every change is in the audit log like any other.
// Every name in it is invented.
type builder struct {
	ctx context.Context
	svc *service.Service
	now func() time.Time // svc's clock
	err error

	admin, defense, defense2, foreign, consular *oversight.Principal
	vendors                                     map[string]*oversight.Principal
	keys                                        map[string]ed25519.PrivateKey // end user id → declaration signing key
}

// Load loads the demo data set into an empty database through svc and
// returns the tokens to print.
func Load(ctx context.Context, svc *service.Service, logger *slog.Logger) ([]Token, error) {
	start := time.Now()
	d := &builder{ctx: ctx, svc: svc, now: time.Now, vendors: map[string]*oversight.Principal{}, keys: map[string]ed25519.PrivateKey{}}
	var tokens []Token
	tok := func(env string, p oversight.Principal) *oversight.Principal {
		pr, secret := d.token(p)
		if env != "" && pr != nil {
			tokens = append(tokens, Token{env, secret, string(p.Role) + ": " + p.Name, pr.UserID})
		}
		return pr
	}
	d.admin = tok("ADMIN", oversight.Principal{Role: oversight.RoleAdmin, Name: "Demo Administrator"})
	d.defense = tok("DEFENSE", oversight.Principal{Role: oversight.RoleDefense, Name: "Officer Tamar Golan"})
	d.defense2 = tok("DEFENSE2", oversight.Principal{Role: oversight.RoleDefense, Name: "Officer Avi Mizrahi"})
	d.foreign = tok("FOREIGN", oversight.Principal{Role: oversight.RoleForeignAffairs, Name: "Officer Noa Peretz"})
	d.consular = tok("CONSULAR", oversight.Principal{Role: oversight.RoleConsular, Name: "Consul Lior Weiss"})
	if d.err != nil {
		return nil, d.err
	}

	// Country eligibility, set by an export-control officer.
	for iso, tier := range map[string]oversight.Tier{
		"FR": oversight.TierEligible, "DE": oversight.TierEligible, "JP": oversight.TierEligible, "KR": oversight.TierEligible,
		"IN": oversight.TierEligible, "GB": oversight.TierEligible, "CA": oversight.TierEligible, "MX": oversight.TierRestricted,
		"AE": oversight.TierIneligible, "SA": oversight.TierIneligible,
	} {
		d.call(func() error {
			_, err := svc.SetCountry(ctx, d.defense, iso, &oversight.CountryUpdate{Tier: tier, Notes: "demo assessment"})
			return err
		})
	}

	kestrel := d.vendor("Kestrel Dynamics Ltd (demo)", "IL", []oversight.Person{
		{Identity: oversight.Identity{Name: "Yoav Ben-Ami", BirthDate: "1971-04-09", Nationality: "IL"}, Role: oversight.PersonOwner, Title: "Founder", Share: 55,
			Relatives: []oversight.Relative{{Identity: oversight.Identity{Name: "Michal Ben-Ami", BirthDate: "1974"}, Relation: oversight.RelationSpouse},
				{Identity: oversight.Identity{Name: "Itai Ben-Ami", BirthDate: "2001-11-30"}, Relation: oversight.RelationChild}}},
		{Identity: oversight.Identity{Name: "Ronit Halevi", Nationality: "IL"}, Role: oversight.PersonOwner, Share: 45},
		{Identity: oversight.Identity{Name: "Dana Shapira", Nationality: "IL"}, Role: oversight.PersonExecutive, Title: "Chief Executive Officer"},
	})
	argent := d.vendor("Argent Signal Systems (demo)", "CY", []oversight.Person{
		{Identity: oversight.Identity{Name: "Nikos Andreou", BirthDate: "1966", Nationality: "CY"}, Role: oversight.PersonOwner, Title: "Managing Director", Share: 100,
			Relatives: []oversight.Relative{{Identity: oversight.Identity{Name: "Eleni Andreou"}, Relation: oversight.RelationSpouse}}},
		{Identity: oversight.Identity{Name: "Marta Kowalczyk", Nationality: "PL"}, Role: oversight.PersonExecutive, Title: "Head of Sales"},
	})
	sable := d.vendor("Sable Intercept Labs (demo)", "IL", []oversight.Person{
		{Identity: oversight.Identity{Name: "Gideon Stern", Nationality: "IL"}, Role: oversight.PersonOwner, Share: 70},
		{Identity: oversight.Identity{Name: "Hila Stern", Nationality: "IL"}, Role: oversight.PersonOwner, Share: 30},
	})
	if d.err != nil {
		return nil, d.err
	}
	d.vendors[kestrel.ID] = tok("VENDOR", oversight.Principal{Role: oversight.RoleVendor, VendorID: kestrel.ID, Name: "Kestrel compliance desk"})
	d.vendors[argent.ID] = tok("", oversight.Principal{Role: oversight.RoleVendor, VendorID: argent.ID, Name: "Argent compliance desk"})
	d.vendors[sable.ID] = tok("", oversight.Principal{Role: oversight.RoleVendor, VendorID: sable.ID, Name: "Sable compliance desk"})

	// Products spread over the development stages.
	harrier := d.product(kestrel, "Harrier", []string{"zero_click", "intercept_messages", "extract_files", "locate"}, oversight.StageExportReady)
	lantern := d.product(argent, "Lantern", []string{"one_click", "intercept_calls", "microphone"}, oversight.StageExportReady)
	d.product(kestrel, "Merlin", []string{"remote_install", "extract_credentials"}, oversight.StageTesting)
	d.product(sable, "Quill", []string{"network_surveillance"}, oversight.StagePrototype)
	wick := d.product(argent, "Wick", []string{"physical_access", "extract_files"}, oversight.StageConcept)
	kite := d.product(kestrel, "Kite", []string{"one_click", "camera"}, "")
	// Wick's design review needs changes; Kite's concept is under review.
	d.review(wick, oversight.StageDesign, []string{oversight.SafeguardAuditHook}, &oversight.ReviewDecisionRequest{
		Decision: oversight.DecideChangesRequired, Conditions: []string{"design the operating-lease check into the implant loader"}})
	d.review(kite, oversight.StageConcept, nil, nil)

	// Ten agencies in eight countries.
	agencies := map[string]*oversight.EndUser{}
	for _, a := range []struct {
		key, country, name string
		kind               oversight.EndUserKind
	}{
		{"fr-ct", "FR", "Directorate for Counter-Terrorism Investigations (demo)", oversight.KindLawEnforcement},
		{"fr-int", "FR", "Internal Security Intelligence Service (demo)", oversight.KindIntelligence},
		{"de", "DE", "Federal Office for Serious Crime (demo)", oversight.KindLawEnforcement},
		{"jp", "JP", "National Investigation Bureau (demo)", oversight.KindLawEnforcement},
		{"kr", "KR", "Counter-Terrorism Intelligence Centre (demo)", oversight.KindIntelligence},
		{"in-1", "IN", "Central Organised Crime Unit (demo)", oversight.KindLawEnforcement},
		{"in-2", "IN", "Defence Signals Directorate (demo)", oversight.KindMilitary},
		{"gb", "GB", "Serious Crime Investigation Command (demo)", oversight.KindLawEnforcement},
		{"ca", "CA", "Federal Security Intelligence Office (demo)", oversight.KindIntelligence},
		{"mx", "MX", "Special Prosecutor for Kidnapping (demo)", oversight.KindLawEnforcement},
	} {
		agencies[a.key] = d.endUser(a.country, a.name, a.kind)
	}
	if d.err != nil {
		return nil, d.err
	}
	if p := tok("END_USER", oversight.Principal{Role: oversight.RoleEndUser, EndUserID: agencies["fr-ct"].ID, Name: "Directorate systems"}); p == nil {
		return nil, d.err
	}

	now := time.Now().UTC()
	year := oversight.Scope{
		Purposes:   []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime},
		Operations: oversight.Operations, BlockedCountryCodes: []string{"+1", "+44", "+972"},
		MaxActiveOperations: 50, ValidFrom: now.Truncate(time.Second), ValidUntil: now.AddDate(1, 0, 0).Truncate(time.Second),
	}
	// Licences in every state.
	active := d.exportLicense(harrier, agencies["fr-ct"], year, "active")
	d.exportLicense(harrier, agencies["de"], year, "applied")
	d.exportLicense(lantern, agencies["jp"], year, "half") // defense approved, foreign affairs pending
	d.license(oversight.KindMarketing, lantern, agencies["mx"], "", year, "denied")
	suspended := d.exportLicense(lantern, agencies["gb"], year, "active")
	revoked := d.exportLicense(harrier, agencies["in-1"], year, "active")
	// An expired licence, applied for and approved a year ago, as it was
	// then: through a service over the same database whose clock is a year
	// back, since a licence is never granted for a time gone by.
	yearAgo := func() time.Time { return time.Now().AddDate(-1, 0, -1) }
	then, err := service.New(ctx, svc.Store(), service.Options{Logger: logger, Now: yearAgo})
	if err != nil {
		return nil, err
	}
	past := year
	past.ValidFrom, past.ValidUntil = yearAgo().Truncate(time.Second), now.Add(-time.Hour).Truncate(time.Second)
	d.svc, d.now = then, yearAgo
	d.exportLicense(harrier, agencies["kr"], past, "active")
	d.svc, d.now = svc, time.Now
	d.call(func() error { _, err := svc.ExpireLicenses(ctx); return err })

	// The active export licences' sites use them: mostly permitted, some
	// denied, each for a clause of its own (the report's denials by
	// clause). India's site also targets a journalist on the register,
	// which opens a misuse case.
	paris := d.deployment(active, "Directorate site, Paris", "+33", "DGSI")
	london := d.deployment(suspended, "Command site, London", "+353", "SCIC")
	delhi := d.deployment(revoked, "Unit site, New Delhi", "+91", "COCU")
	d.uses(paris, 1, map[use]int{useTerrorism: 14, useSeriousCrime: 14, useBlocked: 2, useOutOfScope: 1, useMinorCrime: 1}, "")
	d.uses(london, 2, map[use]int{useTerrorism: 8, useSeriousCrime: 12, useBlocked: 1, useCriticism: 1, useNoWarrant: 1}, "")
	if delhi != nil {
		journalist := delhi.target("journalist (demo)")
		d.call(func() error {
			_, _, err := svc.AddProtected(ctx, d.defense, &oversight.ProtectedRegistration{IDHash: journalist, Category: oversight.ProtectedJournalist})
			return err
		})
		d.uses(delhi, 3, map[use]int{useTerrorism: 6, useSeriousCrime: 10, useCriticism: 2, useProtected: 2, useOutOfScope: 1}, journalist)
	}

	if active != nil {
		d.action(active.ID, &oversight.ActionRequest{Kind: oversight.ActionRestrict, Reason: "Pending review of a complaint: terrorism investigations only",
			Restriction: &oversight.Restriction{Purposes: []oversight.Category{oversight.CategoryTerrorism}}}, false)
	}
	if suspended != nil {
		d.action(suspended.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "Forensic report of a journalist's device under review"}, false)
	}
	if revoked != nil {
		d.action(revoked.ID, &oversight.ActionRequest{Kind: oversight.ActionRevoke, Reason: "Use against an opposition politician confirmed"}, true)
	}
	// Under its restriction, Paris's serious-crime requests are denied.
	d.uses(paris, 4, map[use]int{useTerrorism: 8, useSeriousCrime: 3}, "")
	if d.err != nil {
		return nil, d.err
	}
	logger.Info("demo data loaded", "duration", time.Since(start).Round(time.Millisecond))
	return tokens, nil
}

// token makes a user for p with a token, and returns the token's
// principal and secret.
func (d *builder) token(p oversight.Principal) (*oversight.Principal, string) {
	if d.err != nil {
		return nil, ""
	}
	t, secret, err := d.svc.CreateUserWithToken(d.ctx, service.Operator,
		&oversight.User{Name: p.Name, Role: p.Role, VendorID: p.VendorID, EndUserID: p.EndUserID}, &oversight.TokenRequest{Label: "demo"})
	if err != nil {
		d.err = err
		return nil, ""
	}
	return &t.Principal, secret
}

func (d *builder) call(f func() error) {
	if d.err == nil {
		d.err = f()
	}
}

func (d *builder) vendor(name, country string, persons []oversight.Person) *oversight.Vendor {
	var v *oversight.Vendor
	d.call(func() (err error) {
		v, err = d.svc.CreateVendor(d.ctx, d.defense, &oversight.Vendor{Name: name, Country: country, Persons: persons})
		return err
	})
	return v
}

// product registers a product and takes it through every stage up to upTo.
func (d *builder) product(v *oversight.Vendor, name string, caps []string, upTo oversight.Stage) *oversight.Product {
	if d.err != nil {
		return nil
	}
	vp := d.vendors[v.ID]
	var p *oversight.Product
	d.call(func() (err error) {
		p, err = d.svc.CreateProduct(d.ctx, vp, &oversight.Product{Name: name, Description: name + " (demo product)",
			Capabilities: caps, ControlEntries: []string{"4.A.5", "4.D.4"}})
		return err
	})
	if upTo == "" {
		return p
	}
	for _, st := range oversight.Stages {
		d.review(p, st, oversight.Safeguards, &oversight.ReviewDecisionRequest{Decision: oversight.DecideApprove, Notes: "meets the stage's conditions"})
		if st == upTo {
			break
		}
	}
	return p
}

func (d *builder) review(p *oversight.Product, st oversight.Stage, safeguards []string, decide *oversight.ReviewDecisionRequest) {
	if d.err != nil {
		return
	}
	var r *oversight.Review
	d.call(func() (err error) {
		sub := &oversight.ReviewSubmission{
			Stage: st, Dossier: fmt.Sprintf("%s %s dossier: architecture, data flows, safeguards (demo).", p.Name, st), Safeguards: safeguards}
		if st == oversight.StageTesting {
			// The demo's products did not run the kit: they carry a
			// fixture report that says so.
			sub.Evidence = reportsign.Fixture(p.ID)
		}
		r, err = d.svc.SubmitReview(d.ctx, d.vendors[p.VendorID], p.ID, sub)
		return err
	})
	if decide != nil {
		d.call(func() error { _, err := d.svc.DecideReview(d.ctx, d.defense, r.ID, decide); return err })
	}
}

func (d *builder) endUser(country, name string, kind oversight.EndUserKind) *oversight.EndUser {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	var e *oversight.EndUser
	d.call(func() (err error) {
		e, err = d.svc.CreateEndUser(d.ctx, d.foreign, &oversight.EndUser{Country: country, Agency: name, Kind: kind, SigningKey: oversight.EncodeKey(pub)})
		return err
	})
	if e != nil {
		d.keys[e.ID] = priv
	}
	return e
}

// declaration has the agency's state sign the IL-2021 declaration.
func (d *builder) declaration(e *oversight.EndUser) *oversight.Declaration {
	sub := &oversight.DeclarationSubmission{Template: "IL-2021", EndUserID: e.ID,
		Signatory: oversight.Signatory{Name: "Minister Claire Dumont (demo)", Title: "Minister of the Interior"}, SignedOn: d.now().AddDate(0, 0, -7).Format(time.DateOnly)}
	var dec *oversight.Declaration
	d.call(func() error {
		text, err := d.svc.DeclarationText(d.ctx, d.foreign, sub)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(text)
		sub.TextSHA256 = hex.EncodeToString(sum[:])
		sub.Signature = oversight.EncodeKey(ed25519.Sign(d.keys[e.ID], text))
		dec, err = d.svc.RecordDeclaration(d.ctx, d.foreign, sub)
		return err
	})
	return dec
}

// exportLicense obtains an active marketing licence and applies for an
// export licence, taking it to state.
func (d *builder) exportLicense(p *oversight.Product, e *oversight.EndUser, scope oversight.Scope, state string) *oversight.License {
	if d.err != nil {
		return nil
	}
	d.license(oversight.KindMarketing, p, e, "", scope, "active")
	dec := d.declaration(e)
	if dec == nil {
		return nil
	}
	return d.license(oversight.KindExport, p, e, dec.ID, scope, state)
}

func (d *builder) license(kind oversight.LicenseKind, p *oversight.Product, e *oversight.EndUser, decID string, scope oversight.Scope, state string) *oversight.License {
	var l *oversight.License
	d.call(func() (err error) {
		l, err = d.svc.ApplyLicense(d.ctx, d.vendors[p.VendorID], &oversight.LicenseApplication{
			Kind: kind, ProductID: p.ID, EndUserID: e.ID, DeclarationID: decID, Scope: scope})
		return err
	})
	approve := func(by *oversight.Principal, m oversight.Ministry, decision, reason string) {
		d.call(func() (err error) {
			l, err = d.svc.DecideLicense(d.ctx, by, l.ID, &oversight.ApprovalRequest{Ministry: m, Decision: decision, Reason: reason})
			return err
		})
	}
	switch state {
	case "active":
		approve(d.defense, oversight.MinistryDefense, "approve", "")
		approve(d.foreign, oversight.MinistryForeignAffairs, "approve", "")
	case "half":
		approve(d.defense, oversight.MinistryDefense, "approve", "")
	case "denied":
		approve(d.defense, oversight.MinistryDefense, "approve", "")
		approve(d.foreign, oversight.MinistryForeignAffairs, "deny", "Human-rights concerns about the requesting agency")
	}
	return l
}

// action orders an enforcement action; both asks for the foreign-affairs
// approval a revocation needs.
func (d *builder) action(licenseID string, r *oversight.ActionRequest, both bool) {
	var a *oversight.Action
	d.call(func() (err error) { a, err = d.svc.RequestAction(d.ctx, d.defense2, licenseID, r); return err })
	if both {
		d.call(func() error {
			_, err := d.svc.ApproveAction(d.ctx, d.foreign, a.ID, &oversight.ActionApprovalRequest{Decision: "approve"})
			return err
		})
	}
}
