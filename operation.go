package oversight

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Terrorist acts listed by the IL-2021 declaration (clause IL2021-2); the
// list is open, so "other" is allowed with a justification.
const (
	ActAttackOnLife             = "attack_on_life"
	ActKidnapping               = "kidnapping"
	ActHostageTaking            = "hostage_taking"
	ActAircraftSeizure          = "aircraft_seizure"
	ActDangerousSubstance       = "dangerous_substance_release"
	ActIntimidationOfPopulation = "intimidation_of_population"
	ActOther                    = "other"
)

// TerroristActs lists the values legal_basis.act may take.
var TerroristActs = []string{
	ActAttackOnLife, ActKidnapping, ActHostageTaking, ActAircraftSeizure,
	ActDangerousSubstance, ActIntimidationOfPopulation, ActOther,
}

// OperationRequest is what a deployed system asks before each use
// (DECLARATION.md, "The operation request").
type OperationRequest struct {
	DeploymentID  string     `json:"deployment_id"`
	Operation     Operation  `json:"operation"`
	Target        Target     `json:"target"`
	LegalBasis    LegalBasis `json:"legal_basis"`
	Grounds       []string   `json:"grounds"`
	CaseRef       string     `json:"case_ref"`
	WarrantRef    string     `json:"warrant_ref"`
	Justification string     `json:"justification"`
}

// Target identifies the target by keyed hash only: the raw identifier never
// leaves the deployment's site.
type Target struct {
	IDHash      string `json:"id_hash"`      // hex HMAC-SHA256(pepper, normalised identifier)
	CountryCode string `json:"country_code"` // E.164 calling code, such as +44
}

// LegalBasis is the legal ground the requester claims for an operation.
type LegalBasis struct {
	Category Category `json:"category"`
	Act      string   `json:"act,omitempty"`
	Offense  string   `json:"offense,omitempty"`
	Statute  string   `json:"statute,omitempty"`
	// MaxSentenceYears is the maximum imprisonment under national law; nil
	// when not given. Required for serious_crime.
	MaxSentenceYears *int     `json:"max_sentence_years,omitempty"`
	Conduct          []string `json:"conduct,omitempty"`
}

// Limits on free-text fields, so that a request stays small.
const (
	maxTextField = 2000
	maxWords     = 32
)

// Validate checks that r is well-formed as DECLARATION.md defines it. It
// names every field at fault. It does not decide anything: a well-formed
// request may still be denied.
func (r *OperationRequest) Validate() error {
	_, err := r.Check()
	return err
}

// TargetHash is a target's keyed hash (Target.IDHash) decoded.
type TargetHash [32]byte

// String returns the hash as 64 lower-case hex digits, the form the
// register and every comparison use.
func (h TargetHash) String() string { return hex.EncodeToString(h[:]) }

// ParseTargetHash decodes 64 hex digits, in either case.
func ParseTargetHash(s string) (h TargetHash, ok bool) {
	if len(s) != 2*len(h) {
		return h, false
	}
	for i := range h {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return h, false
		}
		h[i] = hi<<4 | lo
	}
	return h, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Check is Validate that also returns the target's hash decoded, so that
// the decision of a request decodes it once.
func (r *OperationRequest) Check() (TargetHash, error) {
	var p Problems
	if !ValidID(PrefixDeployment, r.DeploymentID) {
		p.Add("deployment_id", "must be a deployment id (dep_…)")
	}
	if !slices.Contains(Operations, r.Operation) {
		p.Add("operation", "must be intercept, extract, locate or monitor")
	}
	h, ok := ParseTargetHash(r.Target.IDHash)
	if !ok {
		p.Add("target.id_hash", "must be 64 hex digits: HMAC-SHA256 of the normalised identifier")
	}
	if !ValidCallingCode(r.Target.CountryCode) {
		p.Add("target.country_code", "must be + and 1 to 4 digits with no leading 0, such as +44")
	}
	lb := &r.LegalBasis
	switch lb.Category {
	case CategoryTerrorism:
		if !slices.Contains(TerroristActs, lb.Act) {
			p.Add("legal_basis.act", "for terrorism must be one of %s", strings.Join(TerroristActs, ", "))
		}
	case CategorySeriousCrime, CategoryOther:
		if lb.Act != "" {
			p.Add("legal_basis.act", "only a terrorism request names an act")
		}
	default:
		p.Add("legal_basis.category", "must be terrorism, serious_crime or other")
	}
	if lb.MaxSentenceYears != nil && (*lb.MaxSentenceYears < 0 || *lb.MaxSentenceYears > 200) {
		p.Add("legal_basis.max_sentence_years", "must be a whole number from 0 to 200")
	} else if lb.MaxSentenceYears == nil && lb.Category == CategorySeriousCrime {
		p.Add("legal_basis.max_sentence_years", "required for serious_crime: the maximum imprisonment in years under national law")
	}
	checkWords(&p, "legal_basis.conduct", lb.Conduct)
	checkWords(&p, "grounds", r.Grounds)
	for _, f := range []struct{ name, v string }{
		{"legal_basis.offense", lb.Offense}, {"legal_basis.statute", lb.Statute},
		{"case_ref", r.CaseRef}, {"warrant_ref", r.WarrantRef}, {"justification", r.Justification},
	} {
		if len(f.v) > maxTextField {
			p.Add(f.name, "at most %d characters", maxTextField)
		}
	}
	return h, p.Err("invalid operation request")
}

// ParseOperationRequest decodes and validates an operation request.
func ParseOperationRequest(data []byte) (*OperationRequest, error) {
	var r OperationRequest
	if err := DecodeJSON(data, &r); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// checkWords checks a list of lower-case snake_case words.
func checkWords(p *Problems, field string, words []string) {
	if len(words) > maxWords {
		p.Add(field, "at most %d words", maxWords)
		return
	}
	for i, w := range words {
		if !IsSnakeWord(w) {
			p.Add(fmt.Sprintf("%s[%d]", field, i), "must be a lower-case snake_case word such as expression_of_opinion")
		}
	}
}

// IsSnakeWord reports whether w is a lower-case snake_case word: letters,
// digits and single underscores, starting with a letter, at most 64 bytes.
func IsSnakeWord(w string) bool {
	if len(w) == 0 || len(w) > 64 || w[0] < 'a' || w[0] > 'z' || w[len(w)-1] == '_' {
		return false
	}
	for i := 1; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_' && w[i-1] != '_':
		default:
			return false
		}
	}
	return true
}

// Verdict is permit or deny.
type Verdict string

// Verdicts.
const (
	Permit Verdict = "permit"
	Deny   Verdict = "deny"
)

// Reason is one clause or rule that decided an operation.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Decision is the answer to an operation request (DECLARATION.md, "The
// decision"). OperationID and LogIndex are absent offline.
type Decision struct {
	Decision    Verdict    `json:"decision"`
	Reasons     []Reason   `json:"reasons"`
	OperationID string     `json:"operation_id,omitempty"`
	LogIndex    *int64     `json:"log_index,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	// Review is set when the permit relies on an open-ended clause (an act
	// of "other") and a person should look at it.
	Review bool `json:"review,omitempty"`
}
