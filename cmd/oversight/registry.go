package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// VendorCmd groups the vendor commands.
type VendorCmd struct {
	Create VendorCreateCmd `cmd:"" help:"Register a vendor (admin, defense)."`
	List   VendorListCmd   `cmd:"" help:"List vendors."`
	Show   VendorShowCmd   `cmd:"" help:"Show a vendor and its owners and executives."`
	Update VendorUpdateCmd `cmd:"" help:"Change a vendor: name, country, address, owners and executives added or removed (admin, defense)."`
}

// VendorCreateCmd registers a vendor.
type VendorCreateCmd struct {
	clientFlags
	File    string   `short:"f" help:"Read the vendor from a JSON file (- for stdin), as POST /v1/vendors takes it."`
	Name    string   `help:"Company name."`
	Country string   `help:"Country of incorporation, ISO 3166-1 alpha-2."`
	Person  []string `help:"An owner or executive as NAME:ROLE[:SHARE], ROLE owner, executive or director (repeatable)."`
}

// Help is shown by --help.
func (c *VendorCreateCmd) Help() string {
	return `Example:
  oversight vendor create --name "Kestrel Dynamics Ltd" --country IL \
      --person "Yoav Ben-Ami:owner:60" --person "Dana Shapira:executive"`
}

// Run registers the vendor.
func (c *VendorCreateCmd) Run(ctx context.Context, env *Env) error {
	var v oversight.Vendor
	if c.File != "" {
		if err := readJSONFile(env, c.File, &v); err != nil {
			return err
		}
	} else {
		v = oversight.Vendor{Name: c.Name, Country: c.Country}
		var err error
		if v.Persons, err = parsePersons("--person", c.Person); err != nil {
			return err
		}
	}
	out, err := c.client().CreateVendor(ctx, &v)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { vendorTable(w, out) })
}

// parsePersons reads persons given on the command line as
// NAME:ROLE[:SHARE], for flag.
func parsePersons(flag string, in []string) ([]oversight.Person, error) {
	var out []oversight.Person
	for _, p := range in {
		parts := strings.Split(p, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("%s %q: want NAME:ROLE[:SHARE]", flag, p)}
		}
		per := oversight.Person{Identity: oversight.Identity{Name: parts[0]}, Role: oversight.PersonRole(parts[1])}
		if len(parts) == 3 {
			share, err := strconv.ParseFloat(parts[2], 64)
			if err != nil {
				return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("%s %q: share must be a number", flag, p)}
			}
			per.Share = share
		}
		out = append(out, per)
	}
	return out, nil
}

// VendorUpdateCmd changes a vendor.
type VendorUpdateCmd struct {
	clientFlags
	ID           string   `arg:"" help:"Vendor id (ven_…)."`
	File         string   `short:"f" help:"Read the change from a JSON file (- for stdin), as PATCH /v1/vendors/{id} takes it."`
	Name         *string  `help:"The company's new name."`
	Country      *string  `help:"The new country of incorporation, ISO 3166-1 alpha-2."`
	Address      *string  `help:"The new address."`
	AddPerson    []string `name:"add-person" sep:"none" help:"An owner or executive to add, as NAME:ROLE[:SHARE], ROLE owner, executive or director (repeatable)."`
	RemovePerson []string `name:"remove-person" sep:"none" help:"A person to take off the record, by id (per_…, as 'oversight vendor show' lists them; repeatable)."`
	LogIndex     *int64   `name:"log-index" help:"The vendor's log index as you read it: the change is refused if the vendor changed since."`
}

// Help is shown by --help.
func (c *VendorUpdateCmd) Help() string {
	return `Each flag given changes the vendor; the rest stays. A person is changed by
removing them and adding them anew. The company renamed or moved and the
persons added are screened against every list and designation, as at
registration: a match holds the approval of the vendor's pending licences
and opens a PARTY-LISTED case on its licences in force.

Example:
  oversight vendor update ven_… --name "Kestrel Dynamics Holdings Ltd" \
      --add-person "Dana Shapira:owner:40" --remove-person per_…`
}

// Run changes the vendor.
func (c *VendorUpdateCmd) Run(ctx context.Context, env *Env) error {
	u := oversight.VendorUpdate{Name: c.Name, Country: c.Country, Address: c.Address, RemovePersons: c.RemovePerson, LogIndex: c.LogIndex}
	if c.File != "" {
		if err := readJSONFile(env, c.File, &u); err != nil {
			return err
		}
	} else {
		var err error
		if u.AddPersons, err = parsePersons("--add-person", c.AddPerson); err != nil {
			return err
		}
	}
	out, err := c.client().UpdateVendor(ctx, c.ID, &u)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { vendorTable(w, out) })
}

func vendorTable(w io.Writer, v *oversight.Vendor) {
	row(w, "id", v.ID)
	row(w, "name", v.Name)
	row(w, "country", v.Country)
	if v.Address != "" {
		row(w, "address", v.Address)
	}
	for _, p := range v.Persons {
		row(w, "person", fmt.Sprintf("%s %s (%s%s, %.4g%%)", p.ID, p.Name, p.Role, prefixed(", ", p.Title), p.Share))
		for _, r := range p.Relatives {
			row(w, "", fmt.Sprintf("%s of %s: %s", r.Relation, p.Name, r.Name))
		}
	}
	row(w, "log index", v.LogIndex)
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// VendorListCmd lists vendors.
type VendorListCmd struct {
	clientFlags
	Limit int    `default:"100" help:"Page size."`
	After string `help:"Cursor from the previous page."`
}

// Run lists vendors.
func (c *VendorListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Vendors(ctx, oversight.Page{Limit: c.Limit, After: c.After})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(v *oversight.Vendor) string { return v.ID }), func(w io.Writer) {
		row(w, "ID", "NAME", "COUNTRY", "PERSONS")
		for _, v := range out.Items {
			row(w, v.ID, v.Name, v.Country, len(v.Persons))
		}
		nextPage(w, out.Next)
	})
}

func nextPage(w io.Writer, next string) {
	if next != "" {
		fmt.Fprintf(w, "(more: --after %s)\n", next)
	}
}

// VendorShowCmd shows a vendor.
type VendorShowCmd struct {
	clientFlags
	ID string `arg:"" help:"Vendor id (ven_…)."`
}

// Run shows the vendor.
func (c *VendorShowCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Vendor(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { vendorTable(w, out) })
}

// ProductCmd groups the product commands.
type ProductCmd struct {
	Create ProductCreateCmd `cmd:"" help:"Register a product (its vendor, admin, defense)."`
	List   ProductListCmd   `cmd:"" help:"List products."`
	Show   ProductShowCmd   `cmd:"" help:"Show a product and its stage."`
}

// ProductCreateCmd registers a product.
type ProductCreateCmd struct {
	clientFlags
	File         string   `short:"f" help:"Read the product from a JSON file (- for stdin)."`
	Vendor       string   `help:"Vendor id (a vendor token may leave it out)."`
	Name         string   `help:"Product name."`
	Description  string   `help:"What it is."`
	Capability   []string `help:"A capability, such as zero_click or intercept_messages (repeatable)."`
	ControlEntry []string `name:"control-entry" help:"A control-list entry: 4.A.5, 4.D.4, 4.E.1.c or 5.A.1.j (repeatable)."`
}

// Help is shown by --help.
func (c *ProductCreateCmd) Help() string {
	return "Capabilities: " + strings.Join(oversight.Capabilities, ", ") + `

Example:
  oversight product create --name Harrier --capability zero_click --capability locate \
      --control-entry 4.A.5 --control-entry 4.D.4`
}

// Run registers the product.
func (c *ProductCreateCmd) Run(ctx context.Context, env *Env) error {
	var p oversight.Product
	if c.File != "" {
		if err := readJSONFile(env, c.File, &p); err != nil {
			return err
		}
	} else {
		p = oversight.Product{VendorID: c.Vendor, Name: c.Name, Description: c.Description, Capabilities: c.Capability, ControlEntries: c.ControlEntry}
	}
	out, err := c.client().CreateProduct(ctx, &p)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { productTable(w, out) })
}

func productTable(w io.Writer, p *oversight.Product) {
	row(w, "id", p.ID)
	row(w, "vendor", p.VendorID)
	row(w, "name", p.Name)
	row(w, "capabilities", join(p.Capabilities))
	row(w, "control entries", join(p.ControlEntries))
	row(w, "stage approved", orDash(string(p.Stage)))
	row(w, "status", p.Status)
	if next, ok := p.Stage.Next(); ok && p.Status != oversight.ProductRejected {
		row(w, "next review", next)
	}
	row(w, "log index", p.LogIndex)
}

// ProductListCmd lists products.
type ProductListCmd struct {
	clientFlags
	Vendor string `help:"Only this vendor's products."`
	Stage  string `help:"Only the products whose last approved stage is this one (concept, design, prototype, testing, export_ready)."`
	Limit  int    `default:"100" help:"Page size."`
	After  string `help:"Cursor from the previous page."`
}

// Run lists products.
func (c *ProductListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Products(ctx, oversight.ProductFilter{VendorID: c.Vendor, Stage: oversight.Stage(c.Stage)}, oversight.Page{Limit: c.Limit, After: c.After})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(p *oversight.Product) string { return p.ID }), func(w io.Writer) {
		row(w, "ID", "VENDOR", "NAME", "STAGE", "STATUS")
		for _, p := range out.Items {
			row(w, p.ID, p.VendorID, p.Name, orDash(string(p.Stage)), p.Status)
		}
		nextPage(w, out.Next)
	})
}

// ProductShowCmd shows a product.
type ProductShowCmd struct {
	clientFlags
	ID string `arg:"" help:"Product id (prd_…)."`
}

// Run shows the product.
func (c *ProductShowCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Product(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { productTable(w, out) })
}

// ReviewCmd groups the development-review commands.
type ReviewCmd struct {
	Submit ReviewSubmitCmd `cmd:"" help:"Submit a product for review at its next stage (vendor)."`
	Decide ReviewDecideCmd `cmd:"" help:"Decide a review: approve, changes_required or reject (defense)."`
	List   ReviewListCmd   `cmd:"" help:"List a product's reviews."`
	Show   ReviewShowCmd   `cmd:"" help:"Show a review."`
}

// ReviewSubmitCmd submits a review.
type ReviewSubmitCmd struct {
	clientFlags
	Product      string   `arg:"" help:"Product id (prd_…)."`
	Stage        string   `required:"" enum:"concept,design,prototype,testing,export_ready" help:"Stage: ${enum}. One stage at a time, in order."`
	Dossier      string   `help:"The dossier text."`
	DossierFile  string   `name:"dossier-file" type:"existingfile" help:"Read the dossier from a file."`
	Safeguard    []string `help:"A safeguard built in: lease_enforcement, audit_hook, blocked_countries, protected_persons (repeatable)."`
	ConditionMet []string `name:"condition-met" help:"On a resubmission, a condition of the previous review that is met (repeatable)."`
	Evidence     string   `type:"existingfile" help:"A safeguards report to attach (oversight safeguards test writes it), at the testing or export_ready stage."`
}

// Help is shown by --help.
func (c *ReviewSubmitCmd) Help() string {
	return `Design needs lease_enforcement and audit_hook; from prototype on every safeguard is required.
export_ready is approved only if the latest safeguards report attached to the product's
reviews (--evidence, from the testing stage on) passes every check.

Example:
  oversight review submit prd_01h… --stage concept --dossier "Architecture and intended use"`
}

// Run submits the review.
func (c *ReviewSubmitCmd) Run(ctx context.Context, env *Env) error {
	dossier := c.Dossier
	if c.DossierFile != "" {
		b, err := readFile(c.DossierFile)
		if err != nil {
			return err
		}
		dossier = string(b)
	}
	sub := &oversight.ReviewSubmission{Stage: oversight.Stage(c.Stage), Dossier: dossier, Safeguards: c.Safeguard, ConditionsMet: c.ConditionMet}
	if c.Evidence != "" {
		b, err := readFile(c.Evidence)
		if err != nil {
			return err
		}
		sub.Evidence = &oversight.SafeguardReport{}
		if err := oversight.DecodeJSON(b, sub.Evidence); err != nil {
			return &exitError{code: exitUsage, msg: fmt.Sprintf("--evidence %s: %v", c.Evidence, err)}
		}
	}
	out, err := c.client().SubmitReview(ctx, c.Product, sub)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { reviewTable(w, out) })
}

func reviewTable(w io.Writer, r *oversight.Review) {
	row(w, "id", r.ID)
	row(w, "product", r.ProductID)
	row(w, "stage", r.Stage)
	row(w, "status", r.Status)
	row(w, "safeguards", join(r.Safeguards))
	for _, c := range r.Conditions {
		row(w, "condition", c)
	}
	if r.Notes != "" {
		row(w, "notes", r.Notes)
	}
	if e := r.Evidence; e != nil {
		verdict := "does not pass"
		if e.Passed {
			verdict = "passes"
		}
		signed := "signed by the kit (" + e.KitKey + "), not countersigned"
		switch {
		case e.CountersignedHere:
			signed = "countersigned by this regulator"
		case e.CountersignedBy != "":
			signed = "countersigned by another regulator (" + e.CountersignedBy + ")"
		}
		row(w, "safeguards report", fmt.Sprintf("%s %s; %s; ran %s against %s", e.ReportSHA256[:12], verdict, signed,
			e.RanAt.Format(time.RFC3339), e.Regulator.Mode))
		row(w, "tested build", e.Build.Executable.SHA256+" "+e.Build.Executable.Path)
		for _, g := range e.Safeguards {
			row(w, "  "+g.Safeguard, g.Result)
			for _, c := range g.Checks {
				if c.Result != oversight.CheckPass {
					row(w, "    "+c.Name, string(c.Result)+": "+c.Observed)
				}
			}
		}
	}
	row(w, "log index", r.LogIndex)
}

// ReviewDecideCmd decides a review.
type ReviewDecideCmd struct {
	clientFlags
	ID        string   `arg:"" help:"Review id (rev_…)."`
	Decision  string   `required:"" enum:"approve,changes_required,reject" help:"Decision: ${enum}."`
	Condition []string `help:"For changes_required: what the vendor must meet before resubmitting (repeatable)."`
	Notes     string   `help:"Notes for the record."`
}

// Run decides the review.
func (c *ReviewDecideCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().DecideReview(ctx, c.ID, &oversight.ReviewDecisionRequest{
		Decision: oversight.ReviewDecision(c.Decision), Conditions: c.Condition, Notes: c.Notes})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { reviewTable(w, out) })
}

// ReviewListCmd lists a product's reviews.
type ReviewListCmd struct {
	clientFlags
	Product string `arg:"" help:"Product id (prd_…)."`
}

// Run lists the reviews.
func (c *ReviewListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Reviews(ctx, c.Product, oversight.Page{Limit: 1000})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(r *oversight.Review) string { return r.ID }), func(w io.Writer) {
		row(w, "ID", "STAGE", "STATUS", "CONDITIONS")
		for _, r := range out.Items {
			row(w, r.ID, r.Stage, r.Status, len(r.Conditions))
		}
	})
}

// ReviewShowCmd shows a review.
type ReviewShowCmd struct {
	clientFlags
	ID string `arg:"" help:"Review id (rev_…)."`
}

// Run shows the review.
func (c *ReviewShowCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Review(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { reviewTable(w, out) })
}

// CountryCmd groups the country commands.
type CountryCmd struct {
	List CountryListCmd `cmd:"" help:"List countries and their eligibility."`
	Set  CountrySetCmd  `cmd:"" help:"Set a country's eligibility tier (defense)."`
}

// CountryListCmd lists countries.
type CountryListCmd struct {
	clientFlags
	Tier string `enum:",unassessed,eligible,restricted,ineligible" default:"" help:"Only countries of this tier."`
}

// Run lists countries.
func (c *CountryListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Countries(ctx, oversight.Tier(c.Tier))
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out, func(c *oversight.Country) string { return c.ISO2 }), func(w io.Writer) {
		row(w, "ISO2", "NAME", "CALLING CODE", "TIER")
		for _, x := range out {
			row(w, x.ISO2, x.Name, orDash(x.CallingCode), x.Tier)
		}
	})
}

// CountrySetCmd sets a country's tier.
type CountrySetCmd struct {
	clientFlags
	ISO2  string `arg:"" help:"ISO 3166-1 alpha-2 code."`
	Tier  string `required:"" enum:"unassessed,eligible,restricted,ineligible" help:"Tier: ${enum}."`
	Notes string `help:"Why, for the record."`
}

// Run sets the tier.
func (c *CountrySetCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().SetCountry(ctx, strings.ToUpper(c.ISO2), &oversight.CountryUpdate{Tier: oversight.Tier(c.Tier), Notes: c.Notes})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ISO2), func(w io.Writer) {
		row(w, "country", out.ISO2+" "+out.Name)
		row(w, "tier", out.Tier)
		row(w, "log index", out.LogIndex)
	})
}
