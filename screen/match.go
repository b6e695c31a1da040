package screen

import (
	"time"

	"github.com/oversight-dev/oversight"
)

// Defaults and bounds of a query.
const (
	DefaultLimit    = 10
	MaxLimit        = 100
	DefaultMinScore = 0.70
	// ReviewScore is the lower edge of the band in which a match is strong
	// enough to refuse or hold a visa pending review.
	ReviewScore = 0.85
)

// Query is one screening request, as POST /v1/screen takes it.
type Query struct {
	Name string
	// BirthDate is the applicant's date of birth, YYYY-MM-DD or YYYY; it
	// raises or lowers the score of a designation with a birth date.
	BirthDate string
	// Nationality is an ISO 3166-1 alpha-2 code; it raises or lowers the
	// score of a designation with a nationality.
	Nationality string
	// Limit is the most matches returned: DefaultLimit when 0, at most
	// MaxLimit.
	Limit int
	// MinScore drops matches scoring below it: DefaultMinScore when 0.
	MinScore float64
	// IncludeDelisted also matches designations delisted at At.
	IncludeDelisted bool
	// At is the moment whose list applies; the zero time means now.
	At time.Time
}

// Match is a designation that resembles the query, with why.
type Match struct {
	DesignationID string `json:"designation_id"`
	// Name is the designation's primary name.
	Name string `json:"name"`
	// MatchedAlias is the name or alias of the designation that matched
	// best, as written on the list.
	MatchedAlias string          `json:"matched_alias"`
	Score        float64         `json:"score"`
	Basis        oversight.Basis `json:"basis"`
	// Relation and RelatedTo are set when the match is a designated
	// relative: Relation of RelatedTo.
	Relation  oversight.Relation `json:"relation,omitempty"`
	RelatedTo string             `json:"related_to,omitempty"`
	// Delisted is set when the designation is not listed at the query's
	// moment: delisted, or listed only later (returned only with
	// Query.IncludeDelisted).
	Delisted    bool        `json:"delisted,omitempty"`
	Explanation Explanation `json:"explanation"`
}

// Explanation says why a designation matched.
type Explanation struct {
	// Summary is one sentence for the consular officer, such as
	// `alias "Manuel Antonio NORIEGA" matched 0.95 (manuel exact, noriega
	// fuzzy 0.94, antonio not given); birth year agrees +0.02; spouse of
	// Ana VALDEZ`.
	Summary string `json:"summary"`
	// NameScore is the score of the names alone, before qualifiers.
	NameScore  float64      `json:"name_score"`
	Tokens     []TokenScore `json:"tokens"`
	Qualifiers []Qualifier  `json:"qualifiers,omitempty"`
	// Relative is set when the designation is an immediate relative of
	// another designated person.
	Relative *Relative `json:"relative,omitempty"`
}

// TokenScore is one token of the query paired with one of the listed name,
// or a token of either left without a partner (Method "unmatched", the other
// side empty). Tokens are shown normalised and in Latin letters.
type TokenScore struct {
	Query  string  `json:"query,omitempty"`
	Listed string  `json:"listed,omitempty"`
	Score  float64 `json:"score"`
	Method Method  `json:"method"`
}

// Qualifier is a fact other than the name that raised (Effect > 0) or
// lowered the score.
type Qualifier struct {
	Field  string  `json:"field"` // "birth_date" or "nationality"
	Query  string  `json:"query"`
	Listed string  `json:"listed"`
	Effect float64 `json:"effect"`
	Reason string  `json:"reason"`
}

// Relative names the designated person an immediate_relative designation
// is related to.
type Relative struct {
	Relation      oversight.Relation `json:"relation"`
	DesignationID string             `json:"designation_id"`
	// Name is empty when the related designation is not in the index.
	Name     string          `json:"name,omitempty"`
	Basis    oversight.Basis `json:"basis,omitempty"`
	Delisted bool            `json:"delisted,omitempty"`
}
