package oversight

import (
	"encoding/hex"
	"strings"
	"time"
)

// ProtectedCategory is why a person is on the protected-persons register.
type ProtectedCategory string

// Categories of the protected-persons register.
const (
	ProtectedDiplomat       ProtectedCategory = "diplomat"
	ProtectedJournalist     ProtectedCategory = "journalist"
	ProtectedRightsDefender ProtectedCategory = "human_rights_defender"
	ProtectedAlliedOfficial ProtectedCategory = "allied_official"
	ProtectedOther          ProtectedCategory = "other"
)

// ProtectedCategories lists every category.
var ProtectedCategories = []ProtectedCategory{
	ProtectedDiplomat, ProtectedJournalist, ProtectedRightsDefender, ProtectedAlliedOfficial, ProtectedOther,
}

// Valid reports whether c is one of ProtectedCategories.
func (c ProtectedCategory) Valid() bool {
	for _, x := range ProtectedCategories {
		if c == x {
			return true
		}
	}
	return false
}

// ProtectedPerson is an entry of the protected-persons register: a keyed
// hash of an identifier (as deployments send it in target.id_hash) that no
// operation may target (rule SCOPE-PROTECTED).
type ProtectedPerson struct {
	IDHash   string            `json:"id_hash"` // 64 hex digits, lower case
	Category ProtectedCategory `json:"category"`
	AddedBy  string            `json:"added_by"`
	AddedAt  time.Time         `json:"added_at"`
	LogIndex int64             `json:"log_index"`
}

// ProtectedRegistration is the body of POST /v1/protected.
type ProtectedRegistration struct {
	IDHash   string            `json:"id_hash"`
	Category ProtectedCategory `json:"category"`
}

// Validate checks r and puts its hash in lower case.
func (r *ProtectedRegistration) Validate() error {
	var p Problems
	h, ok := NormalizeIDHash(r.IDHash)
	if !ok {
		p.Add("id_hash", "must be 64 hex digits: HMAC-SHA256 of the normalised identifier with the site pepper")
	}
	r.IDHash = h
	if !r.Category.Valid() {
		p.Add("category", "must be diplomat, journalist, human_rights_defender, allied_official or other")
	}
	return p.Err("invalid protected person")
}

// NormalizeIDHash returns a target hash in lower case and whether it is 64
// hex digits. Hashes are compared in lower case everywhere.
func NormalizeIDHash(s string) (string, bool) {
	if len(s) != 64 {
		return s, false
	}
	if _, err := hex.DecodeString(s); err != nil {
		return s, false
	}
	return strings.ToLower(s), true
}

// ProtectedImport is the answer to a bulk import of the register
// (POST /v1/protected:import): how many hashes the file held, how many
// were added and how many were already there (or repeated in the file).
type ProtectedImport struct {
	Category ProtectedCategory `json:"category"`
	Received int               `json:"received"`
	Added    int               `json:"added"`
	Present  int               `json:"already_present"`
	// LogIndex is the protected.added event of the import; absent when
	// nothing was added.
	LogIndex *int64 `json:"log_index,omitempty"`
}
