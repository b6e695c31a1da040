package oversight

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
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

// EndUserUpdate is the body of PATCH /v1/end-users/{id}: each field that
// is set changes the agency. Its state is not among them: an agency is an
// organ of its state, and the declarations and licences naming it were
// signed and decided for that state; another state's agency is registered
// anew.
type EndUserUpdate struct {
	// LogIndex, when set, is the agency's log_index as the caller read
	// it: the change is refused (409, current_state changed) if the
	// agency was changed since.
	LogIndex *int64       `json:"log_index,omitempty"`
	Agency   *string      `json:"agency,omitempty"`
	Kind     *EndUserKind `json:"kind,omitempty"`
	// SigningKey replaces the key the state signs its declarations for
	// the agency with (a key rotated or compromised); the declarations
	// recorded before were checked against the old key and stand.
	SigningKey *string `json:"signing_key,omitempty"`
	// Country may be given only as the agency's own state.
	Country *string `json:"country,omitempty"`
}

// Tidy trims the update's text.
func (u *EndUserUpdate) Tidy() {
	trimPtr(u.Agency)
	trimPtr(u.SigningKey)
	if u.Country != nil {
		*u.Country = strings.ToUpper(strings.TrimSpace(*u.Country))
	}
}

// Validate checks the update's fields on their own, by the rules of
// registration.
func (u *EndUserUpdate) Validate() error {
	var p Problems
	if u.Agency != nil && p.Required("agency", *u.Agency) && len(*u.Agency) > 200 {
		p.Add("agency", "at most 200 characters")
	}
	if u.Kind != nil {
		switch *u.Kind {
		case KindLawEnforcement, KindIntelligence, KindMilitary:
		default:
			p.Add("kind", "must be law_enforcement, intelligence or military")
		}
	}
	if u.SigningKey != nil {
		if _, err := ParsePublicKey(*u.SigningKey); err != nil {
			p.Add("signing_key", "%v", err)
		}
	}
	if u.Country != nil && !validISO2(*u.Country) {
		p.Add("country", "must be an ISO 3166-1 alpha-2 code such as FR")
	}
	if u.LogIndex != nil && *u.LogIndex < 0 {
		p.Add("log_index", "must be the log_index the agency was read with")
	}
	if u.Agency == nil && u.Kind == nil && u.SigningKey == nil && u.Country == nil {
		p.Add("body", "nothing to change: give agency, kind or signing_key")
	}
	return p.Err("invalid end user update")
}

// Apply returns a copy of e with u's changes and what changed; another
// state is refused, naming country, and a stale LogIndex is a conflict.
func (u *EndUserUpdate) Apply(e *EndUser) (*EndUser, *RecordChange, error) {
	if u.LogIndex != nil && *u.LogIndex != e.LogIndex {
		return nil, nil, staleRecord("end user", e.ID, *u.LogIndex, e.LogIndex)
	}
	if u.Country != nil && *u.Country != e.Country {
		return nil, nil, Invalid("invalid end user update", "country",
			"an agency stays with its state (%s): register the agency of %s anew", e.Country, *u.Country)
	}
	out := *e
	ch := &RecordChange{Fields: []string{}}
	if u.Agency != nil && *u.Agency != out.Agency {
		out.Agency = *u.Agency
		ch.Fields = append(ch.Fields, "agency")
	}
	if u.Kind != nil && *u.Kind != out.Kind {
		out.Kind = *u.Kind
		ch.Fields = append(ch.Fields, "kind")
	}
	if u.SigningKey != nil && *u.SigningKey != out.SigningKey {
		out.SigningKey = *u.SigningKey
		ch.Fields = append(ch.Fields, "signing_key")
	}
	return &out, ch, nil
}
