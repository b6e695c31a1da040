package screen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/oversight-dev/oversight"
)

// Qualifier effects, after OpenSanctions' logic-v1 (which subtracts 0.15
// to 0.2 for a disjoint birth date or country) with small raises for
// agreement: a name alone decides most of the score, and a qualifier can
// move a borderline match across the review band but not make one.
const (
	effectDateEqual    = 0.05
	effectYearEqual    = 0.02
	effectDayDiffers   = -0.10
	effectYearNear     = -0.05
	effectYearDiffers  = -0.15
	effectNationEqual  = 0.03
	effectNationDiffer = -0.10
	effectCountryIn    = 0.03
	effectCountryOut   = -0.05 // an organisation may operate where the list has no address
)

// qualify compares the birth date and nationality of the query with the
// designation's, where both are known.
func qualify(q *Query, d *oversight.Designation) []oversight.Qualifier {
	var out []oversight.Qualifier
	if q.BirthDate != "" && d.BirthDate != "" {
		out = append(out, birthQualifier(q.BirthDate, d.BirthDate))
	}
	if q.Nationality != "" && d.Nationality != "" {
		if q.Nationality == d.Nationality {
			out = append(out, oversight.Qualifier{Field: "nationality", Query: q.Nationality, Listed: d.Nationality, Effect: effectNationEqual, Reason: "nationality agrees"})
		} else {
			out = append(out, oversight.Qualifier{Field: "nationality", Query: q.Nationality, Listed: d.Nationality, Effect: effectNationDiffer, Reason: "nationality differs"})
		}
	}
	if q.Country != "" && len(d.Countries) > 0 {
		listed := strings.Join(d.Countries, ",")
		if slices.Contains(d.Countries, q.Country) {
			out = append(out, oversight.Qualifier{Field: "country", Query: q.Country, Listed: listed, Effect: effectCountryIn, Reason: "an address in that country"})
		} else {
			out = append(out, oversight.Qualifier{Field: "country", Query: q.Country, Listed: listed, Effect: effectCountryOut, Reason: "no address in that country"})
		}
	}
	return out
}

func birthQualifier(q, listed string) oversight.Qualifier {
	out := oversight.Qualifier{Field: "birth_date", Query: q, Listed: listed}
	yq, _ := strconv.Atoi(q[:4])
	yl, _ := strconv.Atoi(listed[:4])
	d := yq - yl
	if d < 0 {
		d = -d
	}
	full := len(q) == 10 && len(listed) == 10
	switch {
	case full && q == listed:
		out.Effect, out.Reason = effectDateEqual, "birth date agrees"
	case d == 0 && full:
		out.Effect, out.Reason = effectDayDiffers, "same birth year, different day"
	case d == 0:
		out.Effect, out.Reason = effectYearEqual, "birth year agrees"
	case d == 1:
		out.Effect, out.Reason = effectYearNear, "birth years one apart"
	default:
		out.Effect, out.Reason = effectYearDiffers, fmt.Sprintf("birth years %d apart", d)
	}
	return out
}
