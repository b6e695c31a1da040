package oversight

import "strings"

// legalForms maps each spelling of a company's legal form, as a lower-case
// word of Latin letters (the way screening reads names, so that S.A. is
// "sa" and ООО is "ooo"), to one canonical spelling. Forms that mean the
// same in different countries (Ltd, GmbH, SARL, ООО) keep their own
// spelling: a name written with another legal form is a little less alike,
// not a different name.
var legalForms = map[string]string{
	"ltd": "ltd", "limited": "ltd", "ltda": "ltda", "limitada": "ltda",
	"llc": "llc", "llp": "llp", "lp": "lp", "plc": "plc", "pllc": "llc",
	"inc": "inc", "incorporated": "inc", "corp": "corp", "corporation": "corp",
	"co": "co", "company": "co", "cie": "co", "cia": "co", "compania": "co", "companhia": "co",
	"gmbh": "gmbh", "ag": "ag", "kg": "kg", "ohg": "ohg", "ug": "ug",
	"sa": "sa", "sas": "sas", "sarl": "sarl", "srl": "srl", "spa": "spa", "sl": "sl", "sau": "sau",
	"bv": "bv", "nv": "nv", "ab": "ab", "oy": "oy", "oyj": "oyj", "asa": "asa",
	"jsc": "jsc", "ojsc": "ojsc", "cjsc": "cjsc", "pjsc": "pjsc",
	"ooo": "ooo", "oao": "oao", "zao": "zao", "pao": "pao", "ao": "ao", "tov": "tov",
	"sro": "sro", "doo": "doo", "kft": "kft", "zrt": "zrt",
	"pte": "pte", "pty": "pty", "pvt": "pvt", "bhd": "bhd", "berhad": "bhd", "sdn": "sdn", "tbk": "tbk",
	"kk": "kk", "fze": "fze", "fzco": "fzco", "fzc": "fzc", "fzllc": "fzllc", "dmcc": "dmcc",
	"est": "est", "establishment": "est",
}

// LegalForm returns the canonical spelling of word when it names a legal
// form of company (Limited and Ltd are "ltd", Company and Co are "co"),
// or "". word is lower-case Latin letters, as a screening token.
func LegalForm(word string) string { return legalForms[word] }

// entityWords are words that, in a name, say an organisation is meant
// rather than a person, besides the legal forms.
var entityWords = map[string]bool{
	"bank": true, "group": true, "holding": true, "holdings": true, "trading": true, "industries": true,
	"industrial": true, "industry": true, "international": true, "technologies": true, "technology": true,
	"electronics": true, "electronic": true, "systems": true, "services": true, "enterprises": true,
	"enterprise": true, "airlines": true, "airline": true, "shipping": true, "logistics": true,
	"ministry": true, "agency": true, "institute": true, "organization": true, "organisation": true,
	"foundation": true, "association": true, "university": true, "committee": true, "council": true,
	"front": true, "army": true, "brigade": true, "brigades": true, "movement": true, "party": true,
	"network": true, "import": true, "export": true, "factory": true, "plant": true, "center": true,
	"centre": true, "laboratory": true, "laboratories": true, "solutions": true, "software": true,
	"aviation": true, "freight": true, "cargo": true, "supply": true, "supplies": true, "partners": true,
}

// LooksLikeEntity reports whether a name reads as an organisation's: a word
// after its first is a legal form (ACME TRADING LTD, Northwind S.A.) or
// one of the words organisations are named with (bank, group, trading,
// industries…). Lists that do not say whether an entry is a person, such
// as the BIS Denied Persons List, are typed by it.
func LooksLikeEntity(name string) bool {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '.') })
	for i, w := range words {
		bare := strings.ReplaceAll(w, ".", "")
		if entityWords[bare] || i > 0 && legalForms[bare] != "" && (len(bare) > 2 || strings.Contains(w, ".") || i == len(words)-1) {
			return true
		}
	}
	return false
}
