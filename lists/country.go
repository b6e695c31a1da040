package lists

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// ofacCountries are the country names of OFAC remarks that differ from the
// English names CLDR gives.
var ofacCountries = map[string]string{
	"korea, north": "KP", "north korea": "KP", "korea, south": "KR", "south korea": "KR",
	"burma": "MM", "russia": "RU", "iran": "IR", "syria": "SY", "venezuela": "VE",
	"bolivia": "BO", "tanzania": "TZ", "moldova": "MD", "laos": "LA", "vietnam": "VN",
	"congo, democratic republic of the": "CD", "democratic republic of the congo": "CD",
	"congo, republic of the": "CG", "republic of the congo": "CG",
	"cote d ivoire": "CI", "cote d'ivoire": "CI", "ivory coast": "CI",
	"west bank": "PS", "gaza": "PS", "palestinian": "PS", "palestine": "PS",
	"macedonia": "MK", "north macedonia": "MK", "the former yugoslav republic of macedonia": "MK",
	"bosnia and herzegovina": "BA", "bosnia-herzegovina": "BA", "turkey": "TR", "turkiye": "TR",
	"united states": "US", "united kingdom": "GB", "czech republic": "CZ", "czechia": "CZ",
	"brunei": "BN", "cabo verde": "CV", "cape verde": "CV", "eswatini": "SZ", "swaziland": "SZ",
	"micronesia, federated states of": "FM", "the bahamas": "BS", "bahamas, the": "BS",
	"the gambia": "GM", "gambia, the": "GM", "timor-leste": "TL", "east timor": "TL",
	"holy see": "VA", "taiwan": "TW", "hong kong": "HK", "macau": "MO", "kosovo": "XK",
	"saint kitts and nevis": "KN", "saint lucia": "LC", "saint vincent and the grenadines": "VC",
	"sao tome and principe": "ST", "curacao": "CW", "netherlands antilles": "CW",
	"macedonia, the former yugoslav republic of": "MK",
}

var (
	countryOnce  sync.Once
	countryNames map[string]string
)

// CountryCode returns the ISO 3166-1 alpha-2 code of a country named in
// English as OFAC and CLDR name them ("Korea, North", "Russia", "Germany"),
// or "" when the name is not known.
func CountryCode(name string) string {
	countryOnce.Do(func() {
		countryNames = make(map[string]string, 300)
		namer := display.English.Regions()
		for a := 'A'; a <= 'Z'; a++ {
			for b := 'A'; b <= 'Z'; b++ {
				code := string([]rune{a, b})
				r, err := language.ParseRegion(code)
				// Skip deprecated codes (DD, YD, FX), which
				// canonicalise to their successors.
				if err != nil || !r.IsCountry() || r.String() != code || r.Canonicalize().String() != code {
					continue
				}
				// The first code of a name wins: France is FR, not
				// FX (Metropolitan France, reserved).
				if n := namer.Name(r); n != "" && countryNames[countryKey(n)] == "" {
					countryNames[countryKey(n)] = code
				}
			}
		}
		for n, code := range ofacCountries {
			countryNames[countryKey(n)] = code
		}
	})
	return countryNames[countryKey(name)]
}

// countryKey folds the spellings of one country name together: case, "&"
// and "and", "St." and "Saint".
func countryKey(name string) string {
	k := strings.ToLower(strings.TrimSpace(name))
	k = strings.ReplaceAll(k, "&", "and")
	k = strings.ReplaceAll(k, "st. ", "saint ")
	return strings.Join(strings.Fields(k), " ")
}
