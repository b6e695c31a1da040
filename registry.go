package oversight

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Vendor is a company that develops cyber-intrusion tools and is registered
// with the export-control authority.
type Vendor struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Country   string    `json:"country"` // ISO 3166-1 alpha-2 of incorporation
	Address   string    `json:"address,omitempty"`
	Persons   []Person  `json:"persons"`
	CreatedAt time.Time `json:"created_at"`
	LogIndex  int64     `json:"log_index"`
}

// PersonRole is a person's relation to a vendor.
type PersonRole string

// Person roles. Owners and executives are who the visa policy reaches as
// "directing or owning the vendor".
const (
	PersonOwner     PersonRole = "owner"
	PersonExecutive PersonRole = "executive"
	PersonDirector  PersonRole = "director"
)

// Person is an owner or executive of a vendor, with the immediate family
// members on record (needed to designate relatives in one step).
type Person struct {
	ID string `json:"id,omitempty"`
	Identity
	Role      PersonRole `json:"role"`
	Title     string     `json:"title,omitempty"`
	Share     float64    `json:"share"` // ownership share in percent, 0..100
	Relatives []Relative `json:"relatives,omitempty"`
}

// Tidy tidies the identities of v's persons and their relatives (see
// Identity.Tidy).
func (v *Vendor) Tidy() {
	for i := range v.Persons {
		v.Persons[i].Tidy()
		tidyRelatives(v.Persons[i].Relatives)
	}
}

// Validate checks v as submitted by a caller. Its persons and their
// relatives are checked by the rule of every identity, the one a
// designation of them from a case will be held to.
func (v *Vendor) Validate() error {
	var p Problems
	p.Required("name", v.Name)
	if len(v.Name) > 200 {
		p.Add("name", "at most 200 characters")
	}
	if !validISO2(v.Country) {
		p.Add("country", "must be an ISO 3166-1 alpha-2 code such as DE")
	}
	var total float64
	for i, per := range v.Persons {
		f := fmt.Sprintf("persons[%d]", i)
		per.check(&p, f+".")
		switch per.Role {
		case PersonOwner, PersonExecutive, PersonDirector:
		default:
			p.Add(f+".role", "must be owner, executive or director")
		}
		if per.Share < 0 || per.Share > 100 {
			p.Add(f+".share", "must be between 0 and 100")
		}
		total += per.Share
		checkRelatives(&p, f+".relatives", per.Relatives)
	}
	if total > 100.0001 {
		p.Add("persons", "ownership shares add up to %.2f%%, more than 100%%", total)
	}
	return p.Err("invalid vendor")
}

// ControlEntries are the control-list entries a product may be classified
// under: Wassenaar/EU Annex I intrusion-software and IP-surveillance items.
var ControlEntries = map[string]string{
	"4.A.5":   "systems, equipment and components for the generation, operation or delivery of, or communication with, intrusion software",
	"4.D.4":   "software for the generation, operation or delivery of, or communication with, intrusion software",
	"4.E.1.c": "technology for the development of intrusion software",
	"5.A.1.j": "IP network communications surveillance systems or equipment",
}

// Capabilities a product may declare.
var Capabilities = []string{
	"remote_install", "zero_click", "one_click", "physical_access",
	"intercept_calls", "intercept_messages", "extract_files", "extract_credentials",
	"locate", "microphone", "camera", "keylogging", "persistence", "network_surveillance",
}

// Product is a cyber-intrusion tool under supervision.
type Product struct {
	ID             string   `json:"id"`
	VendorID       string   `json:"vendor_id"`
	Name           string   `json:"name"`
	Description    string   `json:"description,omitempty"`
	Capabilities   []string `json:"capabilities"`
	ControlEntries []string `json:"control_entries"`
	// Stage is the last stage approved, "" before the concept is approved.
	Stage     Stage         `json:"stage"`
	Status    ProductStatus `json:"status"`
	LogIndex  int64         `json:"log_index"`
	CreatedAt time.Time     `json:"created_at"`
}

// Validate checks p as submitted by a caller.
func (p *Product) Validate() error {
	var pr Problems
	if !ValidID(PrefixVendor, p.VendorID) {
		pr.Add("vendor_id", "must be a vendor id (ven_…)")
	}
	pr.Required("name", p.Name)
	if len(p.Name) > 200 {
		pr.Add("name", "at most 200 characters")
	}
	if len(p.Capabilities) == 0 {
		pr.Add("capabilities", "at least one capability is required")
	}
	for i, c := range p.Capabilities {
		if !slices.Contains(Capabilities, c) {
			pr.Add(fmt.Sprintf("capabilities[%d]", i), "unknown capability %q; one of %s", c, strings.Join(Capabilities, ", "))
		}
	}
	if len(p.ControlEntries) == 0 {
		pr.Add("control_entries", "at least one control-list entry is required")
	}
	for i, c := range p.ControlEntries {
		if _, ok := ControlEntries[c]; !ok {
			pr.Add(fmt.Sprintf("control_entries[%d]", i), "unknown control-list entry %q; one of 4.A.5, 4.D.4, 4.E.1.c, 5.A.1.j", c)
		}
	}
	return pr.Err("invalid product")
}

func validISO2(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}
