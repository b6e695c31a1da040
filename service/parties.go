package service

import (
	"context"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// Countries lists countries, only those of tier if set.
func (lg *Licensing) Countries(ctx context.Context, p *oversight.Principal, tier oversight.Tier) ([]oversight.Country, error) {
	s := lg.s
	if err := allow(p, oversight.TaskCountryRead); err != nil {
		return nil, err
	}
	if tier != "" && !tier.Valid() {
		return nil, oversight.Invalid("invalid query", "tier", "must be unassessed, eligible, restricted or ineligible")
	}
	var out []oversight.Country
	err := s.view(ctx, func(tx *store.Tx) (err error) { out, err = tx.Countries(tier); return err })
	return out, err
}

// SetCountry sets a country's eligibility tier; only an export-control
// officer decides it.
func (lg *Licensing) SetCountry(ctx context.Context, p *oversight.Principal, iso2 string, u *oversight.CountryUpdate) (*oversight.Country, error) {
	s := lg.s
	if err := allow(p, oversight.TaskCountrySet); err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	var c *oversight.Country
	err := s.update(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.Country(iso2); err != nil {
			return err
		}
		now := s.clock()
		c.Tier, c.Notes, c.UpdatedBy, c.UpdatedAt = u.Tier, u.Notes, p.Actor(), &now
		c.LogIndex = tx.NextIndex()
		if _, err := tx.Record(oversight.EventCountryUpdated, p.Actor(), c.ISO2, now, struct {
			Tier  oversight.Tier `json:"tier"`
			Notes string         `json:"notes,omitempty"`
		}{c.Tier, c.Notes}); err != nil {
			return err
		}
		return tx.UpdateCountry(c)
	})
	if err != nil {
		return nil, fmt.Errorf("set country %s: %w", iso2, err)
	}
	return c, nil
}

// CreateEndUser registers a purchasing agency with its state's declaration
// signing key.
func (lg *Licensing) CreateEndUser(ctx context.Context, p *oversight.Principal, e *oversight.EndUser) (*oversight.EndUser, error) {
	s := lg.s
	if err := allow(p, oversight.TaskEndUserCreate); err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	e.ID = oversight.NewID(oversight.PrefixEndUser)
	e.CreatedAt = s.clock()
	found, err := s.prescreen(ctx, []oversight.Party{endUserParty(e)}, e.CreatedAt)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Country(e.Country); err != nil {
			return oversight.Invalid("invalid end user", "country", "not an ISO 3166-1 country: %s", e.Country)
		}
		e.LogIndex = tx.NextIndex()
		if _, err := tx.Record(oversight.EventEndUserRegistered, p.Actor(), e.ID, e.CreatedAt, e); err != nil {
			return err
		}
		if err := tx.CreateEndUser(e); err != nil {
			return err
		}
		return s.recordScreened(tx, p.Actor(), oversight.ScreenedRegistered, []oversight.Party{endUserParty(e)}, found, e.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("register end user: %w", err)
	}
	return e, nil
}

// EndUser returns an end user; an agency sees only itself.
func (lg *Licensing) EndUser(ctx context.Context, p *oversight.Principal, id string) (*oversight.EndUser, error) {
	s := lg.s
	if err := allow(p, oversight.TaskEndUserRead); err != nil {
		return nil, err
	}
	if err := ownEndUser(p, id, "end user", id); err != nil {
		return nil, err
	}
	var e *oversight.EndUser
	err := s.view(ctx, func(tx *store.Tx) (err error) { e, err = tx.EndUser(id); return err })
	return e, err
}

// EndUsers lists end users, of one country if set; an agency sees only
// itself. Vendors see every agency, to name one in an application.
func (lg *Licensing) EndUsers(ctx context.Context, p *oversight.Principal, country string, page oversight.Page) (*oversight.List[oversight.EndUser], error) {
	s := lg.s
	if err := allow(p, oversight.TaskEndUserRead); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.EndUser]{Items: []oversight.EndUser{}}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if p.Role == oversight.RoleEndUser {
			e, err := tx.EndUser(p.EndUserID)
			if err != nil {
				return err
			}
			if country == "" || e.Country == country {
				out.Items = append(out.Items, *e)
			}
			return nil
		}
		out.Items, out.Next, err = tx.EndUsers(country, page)
		return err
	})
	return out, err
}

// Templates lists the declaration templates, by id.
func (lg *Licensing) Templates(ctx context.Context, p *oversight.Principal) ([]*oversight.DeclarationTemplate, error) {
	s := lg.s
	if err := allow(p, oversight.TaskTemplateRead); err != nil {
		return nil, err
	}
	return s.authz.engine.Templates(), nil
}

// Template returns the template with id.
func (lg *Licensing) Template(id string) (*oversight.DeclarationTemplate, bool) {
	s := lg.s
	return s.authz.engine.Template(id)
}

// DeclarationText returns the canonical text a purchasing state signs for
// the submission's template, end user, signatory and date: what
// "oversight declaration sign" signs and what RecordDeclaration checks.
func (lg *Licensing) DeclarationText(ctx context.Context, p *oversight.Principal, sub *oversight.DeclarationSubmission) ([]byte, error) {
	s := lg.s
	if err := allow(p, oversight.TaskDeclarationRead); err != nil {
		return nil, err
	}
	if err := sub.ValidateText(); err != nil {
		return nil, err
	}
	if err := s.checkSignedOn(sub.SignedOn); err != nil {
		return nil, err
	}
	var text []byte
	err := s.view(ctx, func(tx *store.Tx) (err error) { text, _, err = s.declarationText(tx, sub); return err })
	return text, err
}

// checkSignedOn refuses a signing date after today (UTC, with a day of
// slack for the signer's time zone): a declaration is not signed ahead.
func (lg *Licensing) checkSignedOn(signedOn string) error {
	s := lg.s
	d, err := time.Parse(time.DateOnly, signedOn)
	if err == nil && d.After(s.clock().AddDate(0, 0, 1)) {
		return oversight.Invalid("invalid declaration", "signed_on", "must not be in the future: today is %s", s.clock().Format(time.DateOnly))
	}
	return nil
}

func (lg *Licensing) declarationText(tx *store.Tx, sub *oversight.DeclarationSubmission) ([]byte, *oversight.EndUser, error) {
	s := lg.s
	t, ok := s.authz.engine.Template(sub.Template)
	if !ok {
		return nil, nil, oversight.Invalid("invalid declaration", "template", "unknown declaration template %s", sub.Template)
	}
	eu, err := tx.EndUser(sub.EndUserID)
	if err != nil {
		return nil, nil, err
	}
	c, err := tx.Country(eu.Country)
	if err != nil {
		return nil, nil, err
	}
	return oversight.CanonicalDeclarationText(t, eu, c.Name, sub.Signatory, sub.SignedOn), eu, nil
}

// RecordDeclaration records a declaration signed by a purchasing state,
// after checking its Ed25519 signature over the canonical text against the
// agency's registered signing key.
func (lg *Licensing) RecordDeclaration(ctx context.Context, p *oversight.Principal, sub *oversight.DeclarationSubmission) (*oversight.Declaration, error) {
	s := lg.s
	if err := allow(p, oversight.TaskDeclarationRecord); err != nil {
		return nil, err
	}
	if err := sub.Validate(); err != nil {
		return nil, err
	}
	if err := ownEndUser(p, sub.EndUserID, "end user", sub.EndUserID); err != nil {
		return nil, err
	}
	if err := s.checkSignedOn(sub.SignedOn); err != nil {
		return nil, err
	}
	// The signatory is screened by name now; the record, with the
	// declaration's id, is written with it.
	found, err := s.prescreen(ctx, []oversight.Party{{Kind: oversight.PartySignatory, Name: sub.Signatory.Name}}, s.clock())
	if err != nil {
		return nil, err
	}
	var d *oversight.Declaration
	err = s.update(ctx, func(tx *store.Tx) error {
		text, eu, err := s.declarationText(tx, sub)
		if err != nil {
			return err
		}
		key, err := oversight.ParsePublicKey(eu.SigningKey)
		if err != nil {
			return fmt.Errorf("end user %s signing key: %w", eu.ID, err)
		}
		if err := oversight.CheckDeclarationSignature(key, text, sub); err != nil {
			return err
		}
		t, _ := s.authz.engine.Template(sub.Template)
		d = &oversight.Declaration{
			ID: oversight.NewID(oversight.PrefixDeclaration), TemplateID: t.ID, TemplateVersion: t.Version,
			EndUserID: eu.ID, Country: eu.Country, Signatory: sub.Signatory, SignedOn: sub.SignedOn,
			ValidUntil: oversight.DeclarationValidUntil(sub.SignedOn, t),
			TextSHA256: sub.TextSHA256, Signature: sub.Signature, CreatedAt: s.clock(), LogIndex: tx.NextIndex(),
		}
		if _, err := tx.RecordPrivate(oversight.EventDeclarationRecorded, p.Actor(), d.ID, d.CreatedAt, d, oversight.PersonalDeclaration...); err != nil {
			return err
		}
		if err := tx.CreateDeclaration(d); err != nil {
			return err
		}
		return s.recordScreened(tx, p.Actor(), oversight.ScreenedRegistered, []oversight.Party{signatoryParty(d)}, found, d.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("record declaration: %w", err)
	}
	return d, nil
}

// Declaration returns a declaration; an agency sees only its own, and a
// vendor only those its licences are under.
func (lg *Licensing) Declaration(ctx context.Context, p *oversight.Principal, id string) (*oversight.Declaration, error) {
	s := lg.s
	if err := allow(p, oversight.TaskDeclarationRead); err != nil {
		return nil, err
	}
	var d *oversight.Declaration
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if p.Role == oversight.RoleVendor {
			ok, err := tx.VendorHasDeclaration(p.VendorID, id)
			if err != nil {
				return err
			}
			if !ok {
				return oversight.NotFound("declaration", id)
			}
		}
		d, err = tx.Declaration(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := ownEndUser(p, d.EndUserID, "declaration", id); err != nil {
		return nil, err
	}
	return d, nil
}

// Declarations lists declarations, of one end user if set; an agency sees
// only its own, and a vendor only those its licences are under.
func (lg *Licensing) Declarations(ctx context.Context, p *oversight.Principal, endUserID string, page oversight.Page) (*oversight.List[oversight.Declaration], error) {
	s := lg.s
	if err := allow(p, oversight.TaskDeclarationRead); err != nil {
		return nil, err
	}
	if p.Role == oversight.RoleEndUser {
		if endUserID != "" && endUserID != p.EndUserID {
			return &oversight.List[oversight.Declaration]{Items: []oversight.Declaration{}}, nil
		}
		endUserID = p.EndUserID
	}
	out := &oversight.List[oversight.Declaration]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		vendorID := ""
		if p.Role == oversight.RoleVendor {
			vendorID = p.VendorID
		}
		out.Items, out.Next, err = tx.Declarations(endUserID, vendorID, page)
		return err
	})
	return out, err
}
