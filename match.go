package oversight

// Match is a designation that resembles a screened name, with why: an
// item of the answer to POST /v1/screen and of each line of a batch's.
type Match struct {
	DesignationID string `json:"designation_id"`
	// Name is the designation's primary name.
	Name string `json:"name"`
	// MatchedAlias is the name or alias of the designation that matched
	// best, as written on the list.
	MatchedAlias string  `json:"matched_alias"`
	Score        float64 `json:"score"`
	Basis        Basis   `json:"basis"`
	// Type is individual or entity.
	Type PartyType `json:"type"`
	// Provenance says where the designation comes from, as an officer
	// reads it: "OFAC SDN, programme CYBER2", or the basis of one made
	// here ("misuse, case case_…").
	Provenance string `json:"provenance"`
	// Relation and RelatedTo are set when the match is a designated
	// relative: Relation of RelatedTo.
	Relation  Relation `json:"relation,omitempty"`
	RelatedTo string   `json:"related_to,omitempty"`
	// Delisted is set when the designation is not listed at the query's
	// moment: delisted, or listed only later (returned only when delisted
	// designations were asked for).
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
	Relative *RelatedDesignation `json:"relative,omitempty"`
}

// TokenScore is one token of the query paired with one of the listed name,
// or a token of either left without a partner (Method "unmatched", the other
// side empty). Tokens are shown normalised and in Latin letters.
type TokenScore struct {
	Query  string      `json:"query,omitempty"`
	Listed string      `json:"listed,omitempty"`
	Score  float64     `json:"score"`
	Method MatchMethod `json:"method"`
}

// MatchMethod says how two tokens were found alike.
type MatchMethod string

// Match methods.
const (
	MethodExact           MatchMethod = "exact"           // the same token
	MethodTransliteration MatchMethod = "transliteration" // the same once romanisation variants are folded (Yevgeniy, Evgenii)
	MethodFuzzy           MatchMethod = "fuzzy"           // Jaro-Winkler with penalties: typos, small spelling differences
	MethodConsonants      MatchMethod = "consonants"      // the same consonants, for names entered in Arabic or Hebrew script
	MethodInitial         MatchMethod = "initial"         // an initial and a name it begins
	MethodJoined          MatchMethod = "joined"          // tokens written together on one side and apart on the other (Abdul Rahman, Abdulrahman)
	MethodUnmatched       MatchMethod = "unmatched"       // a token with no counterpart
)

// Qualifier is a fact other than the name that raised (Effect > 0) or
// lowered the score.
type Qualifier struct {
	Field  string  `json:"field"` // "birth_date", "nationality" or "country"
	Query  string  `json:"query"`
	Listed string  `json:"listed"`
	Effect float64 `json:"effect"`
	Reason string  `json:"reason"`
}

// RelatedDesignation names the designated person an immediate_relative designation
// is related to.
type RelatedDesignation struct {
	Relation      Relation `json:"relation"`
	DesignationID string   `json:"designation_id"`
	// Name is empty when the related designation is not in the index.
	Name     string `json:"name,omitempty"`
	Basis    Basis  `json:"basis,omitempty"`
	Delisted bool   `json:"delisted,omitempty"`
}
