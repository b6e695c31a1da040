package demo

import (
	"context"
	"crypto/ed25519"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
)

// KitWorld is what the safeguards kit's in-process regulator starts with:
// an active export licence (IL-2021; terrorism and serious crime; every
// operation; +1 blocked) for a product approved at export_ready, and
// tokens of the officers the kit acts as. Every name in it is invented.
type KitWorld struct {
	License *oversight.License
	// Vendor registers the kit's deployment.
	Vendor *oversight.Principal
	// DefenseToken suspends, restricts and keeps the protected-persons
	// register; ForeignToken approves reinstatements.
	DefenseToken, ForeignToken string
}

// LoadKit builds the kit's world into an empty database through svc.
func LoadKit(ctx context.Context, svc *service.Service) (*KitWorld, error) {
	d := &builder{ctx: ctx, svc: svc, now: time.Now, vendors: map[string]*oversight.Principal{}, keys: map[string]ed25519.PrivateKey{}}
	w := &KitWorld{}
	d.defense, w.DefenseToken = d.token(oversight.Principal{Role: oversight.RoleDefense, Name: "Kit defense officer"})
	d.foreign, w.ForeignToken = d.token(oversight.Principal{Role: oversight.RoleForeignAffairs, Name: "Kit foreign-affairs officer"})
	d.call(func() error {
		_, err := svc.SetCountry(ctx, d.defense, "FR", &oversight.CountryUpdate{Tier: oversight.TierEligible, Notes: "safeguards kit"})
		return err
	})
	v := d.vendor("Safeguards kit vendor", "IL", []oversight.Person{{Identity: oversight.Identity{Name: "Kit Owner", Nationality: "IL"}, Role: oversight.PersonOwner, Share: 100}})
	if d.err != nil {
		return nil, d.err
	}
	w.Vendor, _ = d.token(oversight.Principal{Role: oversight.RoleVendor, VendorID: v.ID, Name: "Kit vendor"})
	d.vendors[v.ID] = w.Vendor
	p := d.product(v, "Product under test", []string{"intercept_messages"}, oversight.StageExportReady)
	eu := d.endUser("FR", "Safeguards kit agency", oversight.KindLawEnforcement)
	now := time.Now().UTC()
	w.License = d.exportLicense(p, eu, oversight.Scope{
		Purposes:   []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime},
		Operations: oversight.Operations, BlockedCountryCodes: []string{"+1"}, MaxActiveOperations: 50,
		ValidFrom: now.Truncate(time.Second), ValidUntil: now.AddDate(1, 0, 0).Truncate(time.Second)}, "active")
	if d.err != nil {
		return nil, d.err
	}
	return w, nil
}
