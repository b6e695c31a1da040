package oversight

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"time"
)

// Tier is a country's eligibility to receive licensed cyber systems, set by
// an export-control officer.
type Tier string

// Eligibility tiers. Only eligible and restricted countries may be licensed;
// a country nobody has assessed yet is treated as ineligible (fail closed).
const (
	TierUnassessed Tier = "unassessed"
	TierEligible   Tier = "eligible"   // licences reviewed case by case
	TierRestricted Tier = "restricted" // eligible, but only narrow scopes and extra scrutiny
	TierIneligible Tier = "ineligible"
)

// Valid reports whether t is a known tier.
func (t Tier) Valid() bool {
	switch t {
	case TierUnassessed, TierEligible, TierRestricted, TierIneligible:
		return true
	}
	return false
}

// Licensable reports whether a licence may name a country of tier t.
func (t Tier) Licensable() bool { return t == TierEligible || t == TierRestricted }

// Country is an ISO 3166-1 country with its eligibility.
type Country struct {
	ISO2 string `json:"iso2"`
	Name string `json:"name"`
	// CallingCode is the E.164 country calling code, such as "+44".
	CallingCode string     `json:"calling_code,omitempty"`
	Tier        Tier       `json:"tier"`
	Notes       string     `json:"notes,omitempty"`
	UpdatedBy   string     `json:"updated_by,omitempty"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	LogIndex    int64      `json:"log_index,omitempty"`
}

// CountryUpdate is the body of PUT /v1/countries/{iso2}.
type CountryUpdate struct {
	Tier  Tier   `json:"tier"`
	Notes string `json:"notes"`
}

// Validate checks the update.
func (u *CountryUpdate) Validate() error {
	var p Problems
	if !u.Tier.Valid() {
		p.Add("tier", "must be unassessed, eligible, restricted or ineligible")
	}
	if len(u.Notes) > 10_000 {
		p.Add("notes", "at most 10000 characters")
	}
	return p.Err("invalid country update")
}

// EndUserKind is the kind of a purchasing agency.
type EndUserKind string

// End-user kinds.
const (
	KindLawEnforcement EndUserKind = "law_enforcement"
	KindIntelligence   EndUserKind = "intelligence"
	KindMilitary       EndUserKind = "military"
)

// EndUser is a purchasing state's agency that may receive a licensed tool.
type EndUser struct {
	ID      string      `json:"id"`
	Country string      `json:"country"` // ISO 3166-1 alpha-2
	Agency  string      `json:"agency"`
	Kind    EndUserKind `json:"kind"`
	// SigningKey is the Ed25519 public key (base64, 32 bytes) with which the
	// purchasing state signs its end-user declarations for this agency.
	SigningKey string    `json:"signing_key"`
	CreatedAt  time.Time `json:"created_at"`
	LogIndex   int64     `json:"log_index"`
}

// Validate checks e as submitted by a caller.
func (e *EndUser) Validate() error {
	var p Problems
	if !validISO2(e.Country) {
		p.Add("country", "must be an ISO 3166-1 alpha-2 code such as FR")
	}
	p.Required("agency", e.Agency)
	if len(e.Agency) > 200 {
		p.Add("agency", "at most 200 characters")
	}
	switch e.Kind {
	case KindLawEnforcement, KindIntelligence, KindMilitary:
	default:
		p.Add("kind", "must be law_enforcement, intelligence or military")
	}
	if _, err := ParsePublicKey(e.SigningKey); err != nil {
		p.Add("signing_key", "%v", err)
	}
	return p.Err("invalid end user")
}

// ValidCallingCode reports whether s is an E.164 country calling code as the
// declaration writes it: "+" and 1 to 4 digits, no leading zero.
func ValidCallingCode(s string) bool {
	if len(s) < 2 || len(s) > 5 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func checkCallingCodes(p *Problems, field string, codes []string) {
	for i, c := range codes {
		if !ValidCallingCode(c) {
			p.Add(fmt.Sprintf("%s[%d]", field, i), "must be + and 1 to 4 digits with no leading 0, such as +44")
		}
	}
}

//go:embed data/countries.csv
var countriesCSV []byte

// Countries returns the ISO 3166-1 reference list shipped with the
// program (code, English name, calling code), every country unassessed:
// what a new store is seeded with, and what the agent resolves calling
// codes with.
func Countries() ([]Country, error) {
	r := csv.NewReader(bytes.NewReader(countriesCSV))
	r.Comment = '#'
	r.FieldsPerRecord = 3
	var out []Country
	for line := 0; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("countries.csv: %w", err)
		}
		if line == 0 {
			continue // header
		}
		out = append(out, Country{ISO2: rec[0], Name: rec[1], CallingCode: rec[2], Tier: TierUnassessed})
	}
}
