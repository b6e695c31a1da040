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
	checkPersons(&p, "persons", v.Persons)
	checkShares(&p, "persons", v.Persons)
	return p.Err("invalid vendor")
}

// checkPersons records what is wrong with each of persons, found at path
// ("persons" at registration, "add_persons" in a change).
func checkPersons(p *Problems, path string, persons []Person) {
	for i, per := range persons {
		f := fmt.Sprintf("%s[%d]", path, i)
		per.check(p, f+".")
		switch per.Role {
		case PersonOwner, PersonExecutive, PersonDirector:
		default:
			p.Add(f+".role", "must be owner, executive or director")
		}
		if per.Share < 0 || per.Share > 100 {
			p.Add(f+".share", "must be between 0 and 100")
		}
		checkRelatives(p, f+".relatives", per.Relatives)
	}
}

// checkShares records, at path, ownership shares adding up to more than
// the whole company.
func checkShares(p *Problems, path string, persons []Person) {
	var total float64
	for _, per := range persons {
		total += per.Share
	}
	if total > 100.0001 {
		p.Add(path, "ownership shares add up to %.2f%%, more than 100%%", total)
	}
}

// VendorUpdate is the body of PATCH /v1/vendors/{id}: each field that is
// set changes the vendor. Persons are added and removed, never edited in
// place: a person's id stays the one its screening matches and any
// designation from a case name, and a changed share or name is a person
// removed and one added, screened as new.
type VendorUpdate struct {
	// LogIndex, when set, is the vendor's log_index as the caller read
	// it: the change is refused (409, current_state changed) if the
	// vendor was changed since, so that two officers editing the same
	// record do not overwrite each other's change unseen.
	LogIndex      *int64   `json:"log_index,omitempty"`
	Name          *string  `json:"name,omitempty"`
	Country       *string  `json:"country,omitempty"`
	Address       *string  `json:"address,omitempty"`
	AddPersons    []Person `json:"add_persons,omitempty"`
	RemovePersons []string `json:"remove_persons,omitempty"`
}

// Tidy trims the update's text and tidies the identities of the persons
// it adds, as Vendor.Tidy does at registration.
func (u *VendorUpdate) Tidy() {
	trimPtr(u.Name)
	trimPtr(u.Address)
	if u.Country != nil {
		*u.Country = strings.ToUpper(strings.TrimSpace(*u.Country))
	}
	for i := range u.AddPersons {
		u.AddPersons[i].Tidy()
		tidyRelatives(u.AddPersons[i].Relatives)
	}
}

func trimPtr(s *string) {
	if s != nil {
		*s = strings.TrimSpace(*s)
	}
}

// Validate checks the update's fields on their own, by the rules of
// registration; Apply checks what depends on the vendor.
func (u *VendorUpdate) Validate() error {
	var p Problems
	if u.Name != nil && p.Required("name", *u.Name) && len(*u.Name) > 200 {
		p.Add("name", "at most 200 characters")
	}
	if u.Country != nil && !validISO2(*u.Country) {
		p.Add("country", "must be an ISO 3166-1 alpha-2 code such as DE")
	}
	if u.LogIndex != nil && *u.LogIndex < 0 {
		p.Add("log_index", "must be the log_index the vendor was read with")
	}
	if len(u.AddPersons) > maxDesignation {
		p.Add("add_persons", "at most %d persons at a time", maxDesignation)
	} else {
		checkPersons(&p, "add_persons", u.AddPersons)
	}
	if len(u.RemovePersons) > maxDesignation {
		p.Add("remove_persons", "at most %d persons at a time", maxDesignation)
	}
	for i, id := range u.RemovePersons {
		if !ValidID(PrefixPerson, id) {
			p.Add(fmt.Sprintf("remove_persons[%d]", i), "must be a person id (per_…) of the vendor")
		} else if slices.Contains(u.RemovePersons[:i], id) {
			p.Add(fmt.Sprintf("remove_persons[%d]", i), "%s is listed twice", id)
		}
	}
	if u.Name == nil && u.Country == nil && u.Address == nil && len(u.AddPersons) == 0 && len(u.RemovePersons) == 0 {
		p.Add("body", "nothing to change: give name, country, address, add_persons or remove_persons")
	}
	return p.Err("invalid vendor update")
}

// RecordChange says what a change of a registry record changed: the
// fields, and the persons added and removed (by id). It is the public
// part of the change's event: which fields, never a person's values.
type RecordChange struct {
	Fields         []string `json:"fields"`
	PersonsAdded   []string `json:"persons_added,omitempty"`
	PersonsRemoved []string `json:"persons_removed,omitempty"`
}

// Empty reports whether nothing changed.
func (c *RecordChange) Empty() bool {
	return len(c.Fields) == 0 && len(c.PersonsAdded) == 0 && len(c.PersonsRemoved) == 0
}

// Apply returns a copy of v with u's changes, the persons added given new
// ids, and what changed. A person to remove that v does not have, or
// shares that would add up to more than 100%, are refused, naming the
// field; a stale LogIndex is a conflict.
func (u *VendorUpdate) Apply(v *Vendor) (*Vendor, *RecordChange, error) {
	if u.LogIndex != nil && *u.LogIndex != v.LogIndex {
		return nil, nil, staleRecord("vendor", v.ID, *u.LogIndex, v.LogIndex)
	}
	out := *v
	out.Persons = slices.Clone(v.Persons)
	ch := &RecordChange{Fields: []string{}}
	set := func(field string, to *string, at *string) {
		if to != nil && *to != *at {
			*at = *to
			ch.Fields = append(ch.Fields, field)
		}
	}
	set("name", u.Name, &out.Name)
	set("country", u.Country, &out.Country)
	set("address", u.Address, &out.Address)
	var p Problems
	for i, id := range u.RemovePersons {
		j := slices.IndexFunc(out.Persons, func(per Person) bool { return per.ID == id })
		if j < 0 {
			p.Add(fmt.Sprintf("remove_persons[%d]", i), "%s is not a person of vendor %s", id, v.ID)
			continue
		}
		out.Persons = slices.Delete(out.Persons, j, j+1)
		ch.PersonsRemoved = append(ch.PersonsRemoved, id)
	}
	for _, per := range u.AddPersons {
		per.ID = NewID(PrefixPerson)
		out.Persons = append(out.Persons, per)
		ch.PersonsAdded = append(ch.PersonsAdded, per.ID)
	}
	if len(u.AddPersons) > 0 {
		checkShares(&p, "add_persons", out.Persons)
	}
	if err := p.Err("invalid vendor update"); err != nil {
		return nil, nil, err
	}
	return &out, ch, nil
}

// staleRecord is the conflict of a change made to a record read before
// its latest change.
func staleRecord(kind, id string, read, now int64) error {
	return Conflictf("changed", "%s %s was changed since it was read (log_index %d, now %d): read it again and redo the change", kind, id, read, now)
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
