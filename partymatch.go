package oversight

import (
	"fmt"
	"strings"
	"time"
)

// PartyKind says which party of a licence was screened: the vendor, one of
// its owners, executives or directors, the end-user agency, or the official
// who signed the agency's declaration.
type PartyKind string

// Party kinds.
const (
	PartyVendor       PartyKind = "vendor"
	PartyVendorPerson PartyKind = "vendor_person"
	PartyEndUser      PartyKind = "end_user"
	PartySignatory    PartyKind = "signatory"
)

// Party is one name screened for licensing: who it is in the registry and
// the name as registered. Name is personal data for a vendor's person and a
// signatory: the public log never carries it (PersonalPartyMatch).
type Party struct {
	Kind PartyKind `json:"kind"`
	// ID names the party: the vendor's, the agency's or the declaration's
	// id, or for a vendor's person "VENDOR_ID/PERSON_ID".
	ID string `json:"id"`
	// RecordID is the registry record the party belongs to (a vendor, an
	// agency, a declaration): a licence names these.
	RecordID    string `json:"record_id"`
	Name        string `json:"name"`
	BirthDate   string `json:"birth_date,omitempty"`
	Nationality string `json:"nationality,omitempty"`
	// Country is where an organisation is registered, ISO 3166-1 alpha-2.
	Country string `json:"country,omitempty"`
}

// Type is the party type a party is screened as: organisations against
// entities, people against individuals.
func (p *Party) Type() PartyType {
	if p.Kind == PartyVendor || p.Kind == PartyEndUser {
		return PartyEntity
	}
	return PartyIndividual
}

// PartyMatchStatus is where a party's match stands.
type PartyMatchStatus string

// Party match statuses. An open match blocks the approval of every licence
// naming the party until an officer clears it (a false match, with a
// reason) or confirms it (the party is the listed one: the licence applied
// for is denied, and a confirmed match keeps blocking).
const (
	PartyMatchOpen      PartyMatchStatus = "open"
	PartyMatchCleared   PartyMatchStatus = "cleared"
	PartyMatchConfirmed PartyMatchStatus = "confirmed"
)

// Blocks reports whether a match in status s keeps a licence from being
// approved.
func (s PartyMatchStatus) Blocks() bool { return s == PartyMatchOpen || s == PartyMatchConfirmed }

// When a party was screened: the occasion a match was found on.
const (
	ScreenedRegistered = "registered" // the vendor, agency or declaration was recorded
	ScreenedApplied    = "applied"    // a licence naming it was applied for
	ScreenedApproval   = "approval"   // a ministry approved a licence naming it
	ScreenedRescreen   = "rescreen"   // a list was imported or a designation made
	ScreenedChanged    = "changed"    // the vendor or agency was changed (PATCH)
)

// PartyMatch is a licensing party's name found at or above the review band
// (0.85) against a designation: one per party and designation, whatever
// the licences naming the party, so that an officer decides on it once.
type PartyMatch struct {
	ID     string           `json:"id"` // pm_…
	Party  Party            `json:"party"`
	Match  Match            `json:"match"`
	Status PartyMatchStatus `json:"status"`
	// FoundOn is the occasion of the screening that found it (Screened…)
	// and FoundAt its time.
	FoundOn string    `json:"found_on"`
	FoundAt time.Time `json:"found_at"`
	// Reason, DecidedBy and DecidedAt are the officer's decision, once
	// cleared or confirmed; LicenseID is the licence it was decided on.
	Reason    string     `json:"reason,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	LicenseID string     `json:"license_id,omitempty"`
	LogIndex  int64      `json:"log_index"`
}

// Describe says in one line what matched, for a refusal and the console:
// `vendor ven_… "Northwind Limited" matches des_… "NORTHWIND LLC" (OFAC
// SDN, programme CYBER2) at 0.93`.
func (m *PartyMatch) Describe() string {
	kind := strings.ReplaceAll(string(m.Party.Kind), "_", " ")
	return fmt.Sprintf("%s %s %q matches %s %q (%s) at %.2f", kind, m.Party.ID, m.Party.Name,
		m.Match.DesignationID, m.Match.MatchedAlias, m.Match.Provenance, m.Match.Score)
}

// PartyMatchDecision is the body of POST
// /v1/licenses/{id}/party-matches/{match}/clear and …/confirm: why.
type PartyMatchDecision struct {
	Reason string `json:"reason"`
}

// Validate checks the decision's fields on their own.
func (r *PartyMatchDecision) Validate() error {
	var p Problems
	checkReason(&p, r.Reason)
	return p.Err("invalid decision on a party match")
}

// LicenseScreening is the answer to GET /v1/licenses/{id}/party-matches:
// every match of the licence's parties, and whether one blocks approval.
type LicenseScreening struct {
	LicenseID string       `json:"license_id"`
	Blocked   bool         `json:"blocked"`
	Matches   []PartyMatch `json:"matches"`
}

// RescreenResult says what a re-screening of the licensing parties did.
type RescreenResult struct {
	Parties    int `json:"parties"`
	Licenses   int `json:"licenses"`
	NewMatches int `json:"new_matches"`
	Cases      int `json:"cases"`
}

// PersonalPartyMatch is what a party match's events withhold: the party's
// name (a person's, for a vendor's person or a signatory) and the
// officer's reason, which is free text and may name people.
var PersonalPartyMatch = []string{"party_name", "birth_date", "nationality", "reason"}
