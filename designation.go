package oversight

import (
	"fmt"
	"slices"
	"time"
)

// Basis is why a person is designated for visa refusal.
type Basis string

// The designation bases of the visa policy.
const (
	BasisMisuse            Basis = "misuse"             // involved in misusing spyware
	BasisFinancialGain     Basis = "financial_gain"     // facilitated or profited from misuse
	BasisImmediateRelative Basis = "immediate_relative" // spouse, child, … of a designated person
)

// Valid reports whether b is a known basis.
func (b Basis) Valid() bool {
	return b == BasisMisuse || b == BasisFinancialGain || b == BasisImmediateRelative
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

// Designation is a person designated for visa refusal, with every name the
// person is known by in any script.
type Designation struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	// BirthDate is YYYY-MM-DD or, when only the year is known, YYYY.
	BirthDate   string `json:"birth_date,omitempty"`
	Nationality string `json:"nationality,omitempty"` // ISO 3166-1 alpha-2
	Basis       Basis  `json:"basis"`
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
	LogIndex   int64      `json:"log_index"`
}

// Active reports whether d is listed at t.
func (d *Designation) Active(t time.Time) bool {
	return !d.ListedAt.After(t) && (d.DelistedAt == nil || d.DelistedAt.After(t))
}

// Validate checks d as submitted by a caller or read from a list file.
func (d *Designation) Validate() error {
	var p Problems
	p.Required("name", d.Name)
	for i, a := range d.Aliases {
		p.Required(fmt.Sprintf("aliases[%d]", i), a)
	}
	if d.BirthDate != "" && !ValidBirthDate(d.BirthDate) {
		p.Add("birth_date", "must be YYYY-MM-DD or YYYY")
	}
	if d.Nationality != "" && !validISO2(d.Nationality) {
		p.Add("nationality", "must be an ISO 3166-1 alpha-2 code such as RU")
	}
	if !d.Basis.Valid() {
		p.Add("basis", "must be misuse, financial_gain or immediate_relative")
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
	return p.Err("invalid designation")
}
