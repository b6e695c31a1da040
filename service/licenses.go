package service

import (
	"context"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// Licensing is the service's aggregate of licensing: licence applications
// and decisions with their expiry, the end-user agencies and the
// eligibility of their countries, the end users' declarations and their
// templates, and the screening of a licence's parties against the
// designations. Service embeds it, so its methods are the Service's; it
// shares the Service's store, clock and screening index.
type Licensing struct{ s *Service }

// ApplyLicense files a licence application. The product must be approved
// at export_ready, the end user's country licensable, an export licence
// needs the end user's signed declaration and an active marketing licence
// for the same product and end user.
func (lg *Licensing) ApplyLicense(ctx context.Context, p *oversight.Principal, a *oversight.LicenseApplication) (*oversight.License, error) {
	s := lg.s
	if err := allow(p, oversight.TaskLicenseApply); err != nil {
		return nil, err
	}
	if p.Role == oversight.RoleVendor && a.VendorID == "" {
		a.VendorID = p.VendorID
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := ownVendor(p, a.VendorID, "vendor", a.VendorID); err != nil {
		return nil, err
	}
	now := s.clock()
	l := &oversight.License{
		ID: oversight.NewID(oversight.PrefixLicense), Kind: a.Kind, VendorID: a.VendorID, ProductID: a.ProductID,
		EndUserID: a.EndUserID, DeclarationID: a.DeclarationID, Status: oversight.LicenseApplied, Scope: a.Scope,
		Restrictions: []oversight.Restriction{}, Approvals: []oversight.Approval{}, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.catchUp(ctx, s.scr); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Vendor(a.VendorID); err != nil {
			return err
		}
		pr, err := tx.Product(a.ProductID)
		if err != nil {
			return err
		}
		if pr.VendorID != a.VendorID {
			return oversight.NotFound("product", a.ProductID)
		}
		if pr.Stage != oversight.StageExportReady {
			at := string(pr.Stage)
			if at == "" {
				at = "no stage approved"
			}
			return oversight.Conflictf(at, "product %s is at %s; only a product approved at export_ready can be licensed", pr.ID, at)
		}
		eu, err := tx.EndUser(a.EndUserID)
		if err != nil {
			return err
		}
		c, err := tx.Country(eu.Country)
		if err != nil {
			return err
		}
		if !c.Tier.Licensable() {
			return oversight.Conflictf(string(c.Tier), "%s (%s) is %s; no licence may name it", c.Name, c.ISO2, c.Tier)
		}
		l.Country = eu.Country
		term, until := oversight.DefaultMaxTermMonths, time.Time{}
		if a.DeclarationID != "" {
			d, err := tx.Declaration(a.DeclarationID)
			if err != nil {
				return err
			}
			if d.EndUserID != eu.ID {
				return oversight.Invalid("invalid licence application", "declaration_id", "declaration %s was signed for end user %s, not %s", d.ID, d.EndUserID, eu.ID)
			}
			l.Template = d.TemplateID
			t, _ := s.Template(d.TemplateID)
			term, until = t.TermMonths(), oversight.DeclarationValidUntil(d.SignedOn, t)
		}
		var bad oversight.Problems
		a.Scope.CheckTerm(&bad, "scope", now, term, until)
		if err := bad.Err("invalid licence application"); err != nil {
			return err
		}
		if a.Kind == oversight.KindExport {
			ok, err := tx.HasLicense(oversight.KindMarketing, oversight.LicenseActive, pr.ID, eu.ID)
			if err != nil {
				return err
			}
			if !ok {
				return oversight.Conflictf("no active marketing licence",
					"an export licence for product %s to end user %s needs an active marketing licence for them first", pr.ID, eu.ID)
			}
		}
		l.LogIndex = tx.NextIndex()
		if _, err := tx.RecordPrivate(oversight.EventLicenseApplied, p.Actor(), l.ID, l.CreatedAt, l, oversight.PersonalAction...); err != nil {
			return err
		}
		if err := tx.CreateLicense(l); err != nil {
			return err
		}
		// Its parties are screened now; a match does not refuse the
		// application, it holds the approval (DecideLicense).
		parties, err := licenseParties(tx, l)
		if err != nil {
			return err
		}
		return s.screenPartiesIn(tx, p.Actor(), oversight.ScreenedApplied, parties, now)
	})
	if err != nil {
		return nil, fmt.Errorf("apply for licence: %w", err)
	}
	return l, nil
}

// DecideLicense records one ministry's approval or denial of an applied
// licence; see oversight.License.Approve for the rules. An approval first
// screens the licence's parties again (the matches found are recorded
// whatever the decision) and is refused while a match of one of them is
// open or confirmed: a conflict naming the match.
func (lg *Licensing) DecideLicense(ctx context.Context, p *oversight.Principal, id string, r *oversight.ApprovalRequest) (*oversight.License, error) {
	s := lg.s
	if err := allow(p, oversight.TaskLicenseDecide); err != nil {
		return nil, err
	}
	if r.Ministry == "" {
		r.Ministry = oversight.Ministry(p.Role) // an officer decides for their own ministry
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Decision == "approve" {
		if err := s.screenLicense(ctx, p.Actor(), oversight.ScreenedApproval, id); err != nil {
			return nil, fmt.Errorf("decide licence %s: %w", id, err)
		}
	}
	var l *oversight.License
	err := s.update(ctx, func(tx *store.Tx) error {
		var err error
		if l, err = tx.License(id); err != nil {
			return err
		}
		before := l.Status
		a, err := l.Approve(r, p, s.clock())
		if err != nil {
			return err
		}
		if r.Decision == "approve" {
			if err := blockingMatch(tx, l); err != nil {
				return err
			}
		}
		a.LogIndex = tx.NextIndex() // the approval names its own event
		if _, err = tx.RecordPrivate(oversight.EventLicenseDecided, p.Actor(), l.ID, a.At, a, oversight.PersonalApproval...); err != nil {
			return err
		}
		l.LogIndex = a.LogIndex
		if l.Status != before {
			if l.LogIndex, err = s.recordStatus(tx, p.Actor(), l, before, ""); err != nil {
				return err
			}
			s.changed(tx, l, nil, nil)
		}
		return tx.UpdateLicense(l)
	})
	if err != nil {
		return nil, fmt.Errorf("decide licence %s: %w", id, err)
	}
	return l, nil
}

// recordStatus records a licence's change of status, at the time of the
// change (l.UpdatedAt).
func (lg *Licensing) recordStatus(tx *store.Tx, actor string, l *oversight.License, from oversight.LicenseStatus, reason string) (int64, error) {
	return tx.Record(oversight.EventLicenseStatus, actor, l.ID, l.UpdatedAt, struct {
		From          oversight.LicenseStatus `json:"from"`
		To            oversight.LicenseStatus `json:"to"`
		PolicyVersion int                     `json:"policy_version"`
		Reason        string                  `json:"reason,omitempty"`
	}{from, l.Status, l.PolicyVersion, reason})
}

// License returns a licence with its history. A vendor sees only its own
// licences, an agency only those naming it.
func (lg *Licensing) License(ctx context.Context, p *oversight.Principal, id string) (*oversight.LicenseView, error) {
	s := lg.s
	if err := allow(p, oversight.TaskLicenseRead); err != nil {
		return nil, err
	}
	v := &oversight.LicenseView{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if v.License, err = tx.License(id); err != nil {
			return err
		}
		if err := ownVendor(p, v.VendorID, "licence", id); err != nil {
			return err
		}
		if err := ownEndUser(p, v.EndUserID, "licence", id); err != nil {
			return err
		}
		v.History, err = tx.History(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Licenses lists licences matching f; a vendor sees only its own, an
// agency only those naming it.
func (lg *Licensing) Licenses(ctx context.Context, p *oversight.Principal, f oversight.LicenseFilter, page oversight.Page) (*oversight.List[oversight.License], error) {
	s := lg.s
	if err := allow(p, oversight.TaskLicenseRead); err != nil {
		return nil, err
	}
	empty := &oversight.List[oversight.License]{Items: []oversight.License{}}
	switch p.Role {
	case oversight.RoleVendor:
		if f.VendorID != "" && f.VendorID != p.VendorID {
			return empty, nil
		}
		f.VendorID = p.VendorID
	case oversight.RoleEndUser:
		if f.EndUserID != "" && f.EndUserID != p.EndUserID {
			return empty, nil
		}
		f.EndUserID = p.EndUserID
	}
	var pr oversight.Problems
	switch f.Status {
	case "", oversight.LicenseApplied, oversight.LicenseActive, oversight.LicenseDenied,
		oversight.LicenseSuspended, oversight.LicenseRevoked, oversight.LicenseExpired:
	default:
		pr.Add("status", "must be applied, active, denied, suspended, revoked or expired")
	}
	if f.Kind != "" && f.Kind != oversight.KindMarketing && f.Kind != oversight.KindExport {
		pr.Add("kind", "must be marketing or export")
	}
	if f.Awaiting != "" && f.Awaiting != oversight.MinistryDefense && f.Awaiting != oversight.MinistryForeignAffairs {
		pr.Add("awaiting", "must be defense or foreign_affairs")
	}
	if err := pr.Err("invalid query"); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.License]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.Licenses(f, page)
		return err
	})
	return out, err
}

// ExpireLicenses marks active and suspended licences past their validity
// as expired, each with its event, and returns how many it expired. The
// server runs it periodically; decisions do not wait for it, because the
// policy checks validity itself.
func (lg *Licensing) ExpireLicenses(ctx context.Context) (int, error) {
	s := lg.s
	now := s.clock()
	var due []string
	err := s.view(ctx, func(tx *store.Tx) error {
		for _, st := range []oversight.LicenseStatus{oversight.LicenseActive, oversight.LicenseSuspended} {
			page := oversight.Page{Limit: 1000}
			for {
				ls, next, err := tx.Licenses(oversight.LicenseFilter{Status: st}, page)
				if err != nil {
					return err
				}
				for i := range ls {
					if ls[i].EffectiveStatus(now) == oversight.LicenseExpired {
						due = append(due, ls[i].ID)
					}
				}
				if next == "" {
					break
				}
				page.After = next
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire licences: %w", err)
	}
	n := 0
	for _, id := range due {
		err := s.update(ctx, func(tx *store.Tx) error {
			l, err := tx.License(id)
			if err != nil {
				return err
			}
			if l.EffectiveStatus(now) != oversight.LicenseExpired || l.Status == oversight.LicenseExpired {
				return nil // changed meanwhile
			}
			before := l.Status
			l.Status, l.UpdatedAt = oversight.LicenseExpired, now
			l.PolicyVersion++
			if l.LogIndex, err = s.recordStatus(tx, "system", l, before, "validity ended "+l.Scope.ValidUntil.Format("2006-01-02T15:04:05Z07:00")); err != nil {
				return err
			}
			s.changed(tx, l, nil, nil)
			n++
			return tx.UpdateLicense(l)
		})
		if err != nil {
			return n, fmt.Errorf("expire licence %s: %w", id, err)
		}
	}
	return n, nil
}
