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
	// Type, when set, matches only designations of that type: a visa
	// applicant is an individual, a vendor an entity.
	Type oversight.PartyType
	// Country is an ISO 3166-1 alpha-2 code where an organisation is
	// registered or operates; it raises or lowers the score of a
	// designation whose addresses the list gives.
	Country string
	// IncludeDelisted also matches designations delisted at At.
	IncludeDelisted bool
	// At is the moment whose list applies; the zero time means now.
	At time.Time
}
