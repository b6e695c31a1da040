package oversight

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Basis is why a person is designated for visa refusal.
type Basis string

// The designation bases of the visa policy.
const (
	BasisMisuse            Basis = "misuse"             // involved in misusing spyware
	BasisFinancialGain     Basis = "financial_gain"     // facilitated or profited from misuse
	BasisImmediateRelative Basis = "immediate_relative" // spouse, child, … of a designated person
	// BasisSanctionsList is the basis of an entry imported from a public
	// sanctions or denied-party list: the list and its programme say why
	// (see Designation.Provenance), not this system's visa policy.
	BasisSanctionsList Basis = "sanctions_list"
)

// Valid reports whether b is a known basis.
func (b Basis) Valid() bool {
	return b == BasisMisuse || b == BasisFinancialGain || b == BasisImmediateRelative || b == BasisSanctionsList
}

// PartyType says whether a designation names a person or an organisation.
type PartyType string

// Party types. A designation without a type is an individual: every
// designation made before organisations were listed is one.
const (
	PartyIndividual PartyType = "individual"
	PartyEntity     PartyType = "entity" // a company, an agency, an organisation
)

// Valid reports whether t is a known party type, or empty.
func (t PartyType) Valid() bool { return t == "" || t == PartyIndividual || t == PartyEntity }

// lists are the public lists whose entries carry a Source of the form
// "list:entry", with the name an officer reads.
var listNames = map[string]string{
	"ofac-sdn":  "OFAC SDN",
	"ofac-cons": "OFAC consolidated (non-SDN)",
	"bis-dpl":   "BIS Denied Persons List",
}

// ListOf returns the list a source names ("ofac-sdn" for "ofac-sdn:36216"),
// or "" for a designation made here (from a case, a vendor's record or an
// officer's hand).
func ListOf(source string) string {
	l, _, ok := strings.Cut(source, ":")
	if !ok || listNames[l] == "" {
		return ""
	}
	return l
}

// Provenance says where a designation comes from, as an officer reads it:
// "OFAC SDN, programme CYBER2", "BIS Denied Persons List", or for a
// designation made here its basis ("misuse, case case_…").
func (d *Designation) Provenance() string {
	if l := ListOf(d.Source); l != "" {
		s := listNames[l]
		switch {
		case strings.Contains(d.Program, ","):
			s += ", programmes " + d.Program
		case d.Program != "":
			s += ", programme " + d.Program
		}
		return s
	}
	s := string(d.Basis)
	if d.CaseID != "" {
		s += ", case " + d.CaseID
	}
	return s
}

// Relation is a family relation between two people.
type Relation string

// Relations on record.
const (
	RelationSpouse  Relation = "spouse"
	RelationChild   Relation = "child"
	RelationParent  Relation = "parent"
	RelationSibling Relation = "sibling"
)

// Valid reports whether r is a known relation.
func (r Relation) Valid() bool {
	return slices.Contains([]Relation{RelationSpouse, RelationChild, RelationParent, RelationSibling}, r)
}

// Designation is a person designated for visa refusal, or a person or
// organisation on a sanctions or denied-party list, with every name it is
// known by in any script.
type Designation struct {
	ID string `json:"id"`
	// Type is individual (the default) or entity.
	Type PartyType `json:"type,omitempty"`
	Identity
	// Countries are the ISO 3166-1 alpha-2 codes of the addresses a list
	// gives, in the order it gives them: for an organisation, where it
	// operates.
	Countries []string `json:"countries,omitempty"`
	Basis     Basis    `json:"basis"`
	// RelatedTo is the designation id of the person this one is a relative
	// of, with Relation saying how; set only for immediate_relative.
	RelatedTo string   `json:"related_to,omitempty"`
	Relation  Relation `json:"relation,omitempty"`
	CaseID    string   `json:"case_id,omitempty"`
	// Source identifies where an imported designation came from, such as
	// "ofac-sdn:36216"; importing the same source again updates it in place.
	Source     string     `json:"source,omitempty"`
	Program    string     `json:"program,omitempty"`
	Remarks    string     `json:"remarks,omitempty"`
	ListedAt   time.Time  `json:"listed_at"`
	DelistedAt *time.Time `json:"delisted_at,omitempty"`
	// DelistReason says why the designation was lifted; it is set with
	// DelistedAt.
	DelistReason string `json:"delist_reason,omitempty"`
	LogIndex     int64  `json:"log_index"`
}

// Active reports whether d is listed at t.
func (d *Designation) Active(t time.Time) bool {
	return !d.ListedAt.After(t) && (d.DelistedAt == nil || d.DelistedAt.After(t))
}

// Validate checks d as submitted by a caller or read from a list file.
func (d *Designation) Validate() error {
	var p Problems
	d.check(&p, "")
	if !d.Type.Valid() {
		p.Add("type", "must be individual or entity")
	}
	for i, c := range d.Countries {
		if !validISO2(c) {
			p.Add(fmt.Sprintf("countries[%d]", i), "must be an ISO 3166-1 alpha-2 code such as RU")
		}
	}
	if !d.Basis.Valid() {
		p.Add("basis", "must be misuse, financial_gain, immediate_relative or sanctions_list")
	}
	if d.Type == PartyEntity && (d.BirthDate != "" || d.Basis == BasisImmediateRelative) {
		p.Add("type", "an entity has no birth date and is no one's relative")
	}
	if d.Basis == BasisImmediateRelative {
		if !ValidID(PrefixDesignation, d.RelatedTo) {
			p.Add("related_to", "an immediate_relative designation must name the designated person (des_…)")
		}
		if !d.Relation.Valid() {
			p.Add("relation", "must be spouse, child, parent or sibling")
		}
	} else {
		if d.RelatedTo != "" {
			p.Add("related_to", "only an immediate_relative designation is related to another")
		}
		if d.Relation != "" {
			p.Add("relation", "only an immediate_relative designation has a relation")
		}
	}
	if d.CaseID != "" && !ValidID(PrefixCase, d.CaseID) {
		p.Add("case_id", "must be a case id (case_…)")
	}
	checkDesignationSizes(&p, d)
	return p.Err("invalid designation")
}

// maxRemarksLen bounds a designation's remarks and the reason for lifting
// it, far above what any list holds (see maxNameLen).
const maxRemarksLen = 10000

// checkDesignationSizes bounds what the identity's rule does not: the
// list's own text.
func checkDesignationSizes(p *Problems, d *Designation) {
	if len(d.Countries) > maxAliases {
		p.Add("countries", "at most %d countries", maxAliases)
	}
	if len(d.Program) > maxNameLen {
		p.Add("program", "at most %d bytes", maxNameLen)
	}
	if len(d.Remarks) > maxRemarksLen {
		p.Add("remarks", "at most %d bytes", maxRemarksLen)
	}
	if len(d.DelistReason) > maxRemarksLen {
		p.Add("delist_reason", "at most %d bytes", maxRemarksLen)
	}
}

// DesignationRequest is the body of POST /v1/designations: a person
// designated by an officer. The server assigns the id and the listing
// time.
type DesignationRequest struct {
	Identity
	Basis     Basis    `json:"basis"`
	RelatedTo string   `json:"related_to"`
	Relation  Relation `json:"relation"`
	CaseID    string   `json:"case_id"`
	Program   string   `json:"program"`
	Remarks   string   `json:"remarks"`
}

// Designation returns the designation r asks for, without id or times.
func (r *DesignationRequest) Designation() Designation {
	return Designation{Identity: r.Identity,
		Basis: r.Basis, RelatedTo: r.RelatedTo, Relation: r.Relation, CaseID: r.CaseID, Program: r.Program, Remarks: r.Remarks}
}

// DelistRequest is the body of POST /v1/designations/{id}/delist.
type DelistRequest struct {
	Reason string `json:"reason"`
}

// Validate checks the request's fields on their own.
func (r *DelistRequest) Validate() error {
	var p Problems
	checkReason(&p, r.Reason)
	return p.Err("invalid delisting")
}

// checkReason checks the reason of an officer's decision: required, and
// at most as long as a designation's remarks.
func checkReason(p *Problems, reason string) {
	if p.Required("reason", reason) && len(reason) > maxRemarksLen {
		p.Add("reason", "at most %d bytes", maxRemarksLen)
	}
}

// DesignationImport is the body of POST /v1/designations:import: one
// chunk of a list, each designation with a Source or an ID by which
// importing it again updates it in place.
type DesignationImport struct {
	Designations []Designation `json:"designations"`
	// DelistMissing, sent with the last chunk of a public list's new
	// version, delists every active designation imported from that list
	// whose entry the version no longer has: the publisher removed it.
	DelistMissing *ListVersion `json:"delist_missing,omitempty"`
	// More says that more chunks of the same import follow: the
	// re-screening of licensing parties that an import sets off waits
	// for the last chunk (the one without it).
	More bool `json:"more,omitempty"`
}

// ListVersion is one version of a public list, as imported: the list
// (ofac-sdn, ofac-cons, bis-dpl), a label of the version (the file's
// digest or date) and the source of every entry it holds.
type ListVersion struct {
	List    string   `json:"list"`
	Version string   `json:"version"`
	Sources []string `json:"sources"`
}

// DelistedMissing begins the delisting reason of an entry a list's newer
// version no longer holds; such an entry is listed again when a later
// version holds it again.
const DelistedMissing = "not in the list's version "

// Validate checks each designation, and that each has a source or an id,
// neither repeated in the chunk.
func (r *DesignationImport) Validate() error {
	var p Problems
	if len(r.Designations) == 0 && r.DelistMissing == nil {
		p.Add("designations", "at least one designation is required")
	}
	if v := r.DelistMissing; v != nil {
		if ListOf(v.List+":") == "" {
			p.Add("delist_missing.list", "must be ofac-sdn, ofac-cons or bis-dpl")
		}
		if p.Required("delist_missing.version", v.Version) && len(v.Version) > 200 {
			p.Add("delist_missing.version", "at most 200 bytes")
		}
		if len(v.Sources) == 0 {
			p.Add("delist_missing.sources", "a version holds at least one entry; an empty one would delist the whole list")
		}
		if len(v.Sources) > 1_000_000 {
			p.Add("delist_missing.sources", "at most 1,000,000 entries")
		}
		for i, s := range v.Sources {
			if !strings.HasPrefix(s, v.List+":") {
				p.Add(fmt.Sprintf("delist_missing.sources[%d]", i), "must be an entry of %s", v.List)
				break
			}
		}
	}
	if len(r.Designations) > maxDesignation*5 {
		p.Add("designations", "at most %d designations a request; split the list", maxDesignation*5)
		return p.Err("invalid import")
	}
	ids, sources := map[string]int{}, map[string]int{}
	for i, d := range r.Designations {
		f := fmt.Sprintf("designations[%d]", i)
		var de *Error
		if err := d.Validate(); errors.As(err, &de) {
			for _, fe := range de.Fields {
				p.Add(f+"."+fe.Field, "%s", fe.Message)
			}
		}
		switch {
		case d.ID == "" && d.Source == "":
			p.Add(f, "needs an id or a source, by which importing it again updates it")
		case d.ID != "" && !ValidID(PrefixDesignation, d.ID):
			p.Add(f+".id", "must be a designation id (des_…)")
		}
		if len(d.Source) > maxNameLen {
			p.Add(f+".source", "at most %d bytes", maxNameLen)
		}
		if d.ID != "" {
			if j, dup := ids[d.ID]; dup {
				p.Add(f+".id", "repeats designations[%d]", j)
			}
			ids[d.ID] = i
		}
		if d.Source != "" {
			if j, dup := sources[d.Source]; dup {
				p.Add(f+".source", "repeats designations[%d]", j)
			}
			sources[d.Source] = i
		}
		if d.DelistedAt == nil && d.DelistReason != "" {
			p.Add(f+".delist_reason", "only a delisted designation has a delist reason")
		}
		if d.LogIndex != 0 {
			p.Add(f+".log_index", "is assigned by the server")
		}
	}
	return p.Err("invalid import")
}

// ImportStatus says what importing one designation did.
type ImportStatus string

// Import statuses.
const (
	ImportAdded     ImportStatus = "added"
	ImportUpdated   ImportStatus = "updated"
	ImportUnchanged ImportStatus = "unchanged"
	ImportDelisted  ImportStatus = "delisted" // no longer in the list's version
)

// ImportItem is the outcome for one designation of an import.
type ImportItem struct {
	ID     string       `json:"id"`
	Source string       `json:"source,omitempty"`
	Status ImportStatus `json:"status"`
}

// ImportResult is the answer to POST /v1/designations:import: counts, and
// the outcome of each designation in the order given.
type ImportResult struct {
	Added     int          `json:"added"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
	Delisted  int          `json:"delisted"` // entries the version no longer holds
	Items     []ImportItem `json:"items"`
}

// InvolvedPerson is a person a misuse investigation found involved in the
// misuse, with the immediate family members on record.
type InvolvedPerson struct {
	Identity
	Relatives []Relative `json:"relatives"`
}

// CaseDesignationRequest is the body of POST /v1/cases/{id}/designations.
// The vendor's owners and executives and their relatives on record are
// always designated; Persons adds the people involved in the misuse.
type CaseDesignationRequest struct {
	Persons []InvolvedPerson `json:"persons"`
}

// Tidy tidies the identities of the persons and their relatives (see
// Identity.Tidy).
func (r *CaseDesignationRequest) Tidy() {
	for i := range r.Persons {
		r.Persons[i].Tidy()
		tidyRelatives(r.Persons[i].Relatives)
	}
}

// Validate checks the request's fields on their own, each person and
// relative by the rule of every identity.
func (r *CaseDesignationRequest) Validate() error {
	var p Problems
	if len(r.Persons) > maxDesignation {
		p.Add("persons", "at most %d persons", maxDesignation)
		return p.Err("invalid request")
	}
	for i, per := range r.Persons {
		f := fmt.Sprintf("persons[%d]", i)
		per.check(&p, f+".")
		checkRelatives(&p, f+".relatives", per.Relatives)
	}
	return p.Err("invalid request")
}

// DesignationStatus says what designating one person from a case did.
type DesignationStatus string

// Statuses of a designation from a case.
const (
	DesignationAdded    DesignationStatus = "added"    // newly designated
	DesignationExisting DesignationStatus = "existing" // already designated, left as it was
	DesignationRelisted DesignationStatus = "relisted" // had been delisted; listed again on this case
)

// CaseDesignation is one person designated from a case.
type CaseDesignation struct {
	Status      DesignationStatus `json:"status"`
	Designation Designation       `json:"designation"`
}

// CaseDesignations is the answer to POST /v1/cases/{id}/designations.
type CaseDesignations struct {
	CaseID   string            `json:"case_id"`
	Added    int               `json:"added"`
	Existing int               `json:"existing"`
	Relisted int               `json:"relisted"`
	Items    []CaseDesignation `json:"items"`
}

// ScreenRequest is the body of POST /v1/screen: an applicant's name as a
// passport or visa form gives it, in any script, with what else is known.
type ScreenRequest struct {
	Name string `json:"name"`
	// BirthDate is YYYY-MM-DD or YYYY.
	BirthDate   string `json:"birth_date"`
	Nationality string `json:"nationality"` // ISO 3166-1 alpha-2
	// Limit is the most matches returned: 10 when 0, at most 100.
	Limit int `json:"limit"`
	// MinScore drops weaker matches: 0.70 when 0.
	MinScore float64 `json:"min_score"`
	// Type, when set, matches only individuals or only entities.
	Type PartyType `json:"type"`
	// Country is where an organisation is registered or operates (ISO
	// 3166-1 alpha-2); it qualifies matches whose list gives addresses.
	Country string `json:"country"`
	// IncludeDelisted also matches designations that were lifted.
	IncludeDelisted bool `json:"include_delisted"`
}

// Validate checks the request's fields on their own.
func (r *ScreenRequest) Validate() error {
	var p Problems
	// The applicant is an identity without aliases (a form gives one
	// name), held to the rule of every identity.
	id := Identity{Name: r.Name, BirthDate: r.BirthDate, Nationality: r.Nationality}
	id.check(&p, "")
	if r.Country != "" && !validISO2(r.Country) {
		p.Add("country", "must be an ISO 3166-1 alpha-2 code such as RU")
	}
	if !r.Type.Valid() {
		p.Add("type", "must be individual or entity")
	}
	if r.Limit < 0 || r.Limit > 100 {
		p.Add("limit", "must be from 1 to 100 (0 for the default, 10)")
	}
	if !(r.MinScore >= 0 && r.MinScore <= 1) { // NaN included
		p.Add("min_score", "must be between 0 and 1 (0 for the default, 0.70)")
	}
	return p.Err("invalid screening request")
}
