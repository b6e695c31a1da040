package screen

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-unidecode"
	"github.com/oversight-dev/oversight"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Kind is the role a token plays in a name.
type Kind uint8

// Token kinds. Honorifics are dropped; particles (al-, bin, van, de…) are
// kept but weigh little, since they are written, omitted and attached
// differently from one document to the next; initials match any token they
// begin; a company's legal form (Ltd, GmbH, S.A., ООО) weighs as little as
// a particle: the same firm is registered, invoiced and listed with
// another or none.
const (
	Regular Kind = iota
	Particle
	Initial
	Honorific
	LegalForm
)

var kindNames = [...]string{"regular", "particle", "initial", "honorific", "legal_form"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Token is one word of a normalised name.
type Token struct {
	// Text is the token in lower-case ASCII Latin letters. A particle is
	// written in its canonical form ("el", "ul", "ad"… become "al"; "ibn",
	// "ben" become "bin").
	Text   string
	Kind   Kind
	Script Script // the script the word was written in
	// Alts are other readings of a word written in Cyrillic or Greek:
	// a Latin name written letter by letter (Смитх, Σμιθ for Smith)
	// reads back otherwise than a native one.
	Alts []string
	// units are the letters of a Cyrillic or Greek word with the Latin
	// letters each may stand for (letterUnits): a comparison reads it
	// letter by letter toward the Latin token it is compared with.
	units []letterUnit
	// spellings are such a word's Latin spellings, when it has few
	// (maxSpellings): titles are told by them, and short words looked
	// up by them.
	spellings []string
}

// honorifics are titles, ranks and suffixes that say nothing about who a
// person is. Words that are also given names (Amir, Sayyid) are not here.
var honorifics = setOf(
	"mr", "mrs", "ms", "mx", "miss", "madam", "madame", "mme", "mlle", "herr", "frau",
	"dr", "doctor", "prof", "professor", "sir", "dame", "lord", "lady", "rev", "reverend",
	"honorable", "honourable", "excellency", "hrh",
	"sheikh", "shaykh", "shaikh", "sheik", "shaik", "cheikh", "sheykh", "shekh",
	"haji", "hajji", "hadji", "hajj", "alhaji", "alhaj", "mullah", "mulla", "molla",
	"maulana", "mawlana", "mawlawi", "maulvi", "moulavi", "imam", "ayatollah",
	"hojatoleslam", "hojjatoleslam",
	"gen", "general", "col", "colonel", "maj", "capt", "captain", "cpt",
	"lt", "lieutenant", "sgt", "sergeant", "cmdr", "commander", "adm", "admiral", "brig", "brigadier",
	"jr", "jnr", "sr", "snr", "ii", "iii", "iv",
	"gospodin", "gospozha",
	// As they read back from Arabic and Hebrew script (شيخ, حاج, دكتور).
	"shikh", "shykh", "shiikh", "haj", "hji", "hjji", "hjj", "dktur", "duktur", "ustadh", "ustaz",
)

// particles map each spelling of a name particle to its canonical form.
var particles = map[string]string{
	"al": "al", "el": "al", "ul": "al",
	"bin": "bin", "ibn": "bin", "bn": "bin", "ebn": "bin", "ben": "bin", "bint": "bint",
	"van": "van", "von": "von", "der": "der", "den": "den", "ter": "ter", "zu": "zu",
	"de": "de", "da": "da", "di": "di", "du": "du", "del": "del", "della": "della",
	"dos": "dos", "das": "das", "des": "des", "le": "le", "la": "la",
	// The small words of organisations' names.
	"and": "and", "und": "and", "et": "and", "the": "the", "of": "of", "for": "for",
}

// abbreviations are the short forms of words organisations are named with,
// each written in full so that both forms are one token.
var abbreviations = map[string]string{
	"intl": "international", "int": "international", "mfg": "manufacturing", "inds": "industries",
	"indl": "industrial", "trdg": "trading", "eng": "engineering", "engg": "engineering",
	"svcs": "services", "svc": "services", "bros": "brothers", "grp": "group", "mgmt": "management",
	"natl": "national", "elec": "electronics", "assn": "association", "assoc": "association",
	"dept": "department", "govt": "government", "univ": "university", "inst": "institute",
	"tech": "technology", "techs": "technologies", "sys": "systems", "equip": "equipment",
}

// sunParticles are the forms the Arabic article takes before a "sun"
// letter, which it assimilates: ash-Shami, ad-Din, ar-Rahman. They are
// particles only when the next token does begin with that letter, so that
// the Vietnamese given name An or the English word "as" are left alone.
var sunParticles = map[string]string{
	"ad": "d", "adh": "dh", "an": "n", "ar": "r", "as": "s", "ash": "sh",
	"at": "t", "ath": "th", "az": "z",
}

// particlesNotFirst are particles only when they do not begin the name:
// "Ben Smith" is a given name, "David Ben Gurion" a particle.
var particlesNotFirst = setOf("ben", "la", "le", "da", "di", "de", "del", "du")

// honorificFolds are the folded keys of the honorifics of four letters or
// more, and the honorific each stands for.
var honorificFolds = func() map[string]string {
	m := make(map[string]string)
	for h := range honorifics {
		if k := foldKey(h); len(h) >= 4 && m[k] == "" {
			m[k] = h
		}
	}
	return m
}()

// longTitles are the titles of five letters or more, which a typo does not
// stop being recognised at the start of a name.
var longTitles = []string{"colonel", "general", "captain", "lieutenant", "commander", "brigadier", "sergeant", "admiral",
	"mullah", "sheikh", "shaykh", "maulana", "mawlana", "ayatollah", "doctor", "professor"}

// slipOf reports whether s is word w with one letter doubled or undoubled,
// or two neighbouring letters swapped.
func slipOf(s, w string) bool {
	if len(s) < len(w) {
		s, w = w, s
	}
	switch len(s) - len(w) {
	case 1:
		// s has one letter more, which doubles its neighbour.
		i := 0
		for i < len(w) && s[i] == w[i] {
			i++
		}
		return s[i+1:] == w[i:] && (i > 0 && s[i] == s[i-1] || i+1 < len(s) && s[i] == s[i+1])
	case 0:
		i := 0
		for i < len(s) && s[i] == w[i] {
			i++
		}
		return i+1 < len(s) && s[i] == w[i+1] && s[i+1] == w[i] && s[i+2:] == w[i+2:]
	}
	return false
}

// longForms are the legal forms written as words, which a typo does not
// stop being recognised: Compnay, Limted, Corporatoin.
var longForms = []string{"company", "limited", "corporation", "incorporated", "establishment", "limitada", "berhad"}

// functionWord returns the reading of t that is a word with a role of its
// own (an honorific, a particle, a legal form), if one is: the letter-by-
// letter reading of a Cyrillic word (цомпани, company), or a legal form
// with a typo when notFirst. Otherwise it returns t.Text.
func functionWord(t *Token, notFirst bool) string {
	known := func(s string) bool {
		return honorifics[s] || particles[s] != "" || oversight.LegalForm(s) != "" || abbreviations[s] != ""
	}
	if known(t.Text) {
		return t.Text
	}
	// A title of four letters or more in another romanisation (Hajee:
	// the same folded key as Haji) is that title, at the start of a
	// name, where titles are (Ivan MULAH is not a mullah).
	if !notFirst && len(t.Text) >= 4 {
		if h := honorificFolds[foldKey(t.Text)]; h != "" {
			t.Alts, t.units, t.spellings = nil, nil, nil
			return h
		}
	}
	// A word written letter by letter is one of them if any of its
	// spellings is (ιρ, jr).
	for _, as := range [...][]string{t.Alts, t.spellings} {
		for _, a := range as {
			if known(a) {
				t.Alts, t.units, t.spellings = nil, nil, nil
				return a
			}
		}
	}
	if !notFirst {
		// A title begins a name, and is written with a slip as often
		// as the rest of it (Mulah, Shiekh): lists drop titles, so a
		// query's that is not recognised is a name part nothing
		// listed has. Only a letter doubled or not, or two letters
		// swapped: a letter changed makes names (Mullan, Gener).
		if len(t.Text) >= 5 {
			for _, f := range longTitles {
				if slipOf(t.Text, f) {
					t.Alts = nil
					return f
				}
			}
		}
		return t.Text
	}
	for _, r := range append([]string{t.Text}, t.Alts...) {
		if len(r) < 5 {
			continue
		}
		for _, f := range longForms {
			if r[0] == f[0] && JaroWinkler(r, f) >= 0.92 {
				t.Alts = nil
				return f
			}
		}
	}
	return t.Text
}

// prefixForms are the legal forms written before the name.
var prefixForms = setOf("ooo", "oao", "zao", "pao", "ao", "tov", "pjsc", "ojsc", "cjsc", "jsc")

// isLegalForm reports whether toks[i] is a company's legal form: after
// the first word, or as the first the forms written first. A form of two letters or fewer (SA, AG, Co) counts only at
// the end of the name or before another form, where a person's name part
// of the same letters is unlikely.
func isLegalForm(toks []Token, i int) bool {
	t := toks[i].Text
	if oversight.LegalForm(t) == "" {
		return false
	}
	if i == 0 {
		// Russian and Ukrainian forms come first: ООО «Ромашка».
		return len(toks) > 1 && prefixForms[t]
	}
	if len(t) > 2 || i == len(toks)-1 {
		return true
	}
	return oversight.LegalForm(toks[i+1].Text) != ""
}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Normalize returns name as the matcher sees it: NFKC, case-folded,
// diacritics removed, transliterated to Latin, honorifics dropped,
// particles in canonical form, tokens separated by single spaces.
func Normalize(name string) string {
	toks := Tokenize(name)
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.Text)
	}
	return b.String()
}

// Tokenize splits a name in any script into normalised tokens. Honorifics
// are dropped unless nothing else is left.
func Tokenize(name string) []Token {
	name = norm.NFKC.String(name)
	name = cases.Fold().String(name)
	var (
		toks []Token
		word []rune
		tb   strings.Builder
	)
	flush := func() {
		if len(word) == 0 {
			return
		}
		word = stripMarks(word)
		tb.Reset()
		script := transliterateWord(&tb, word)
		n := len(toks)
		for _, f := range strings.Fields(tb.String()) {
			if f = asciiLetters(f); f != "" {
				toks = append(toks, Token{Text: f, Script: script})
			}
		}
		if len(toks) == n+1 && (script == Cyrillic || script == Greek) {
			toks[n].Alts = letterReadings(word, script, toks[n].Text)
			toks[n].units = letterUnits(word, script)
			toks[n].spellings = spellings(toks[n].units, maxSpellings)
		}
		word = word[:0]
	}
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			word = append(word, r)
		case r == '&':
			flush()
			toks = append(toks, Token{Text: "and", Script: Latin})
		case isApostrophe(r) && len(word) > 0:
			// O'Brien, Sa'ad: the apostrophe joins; after a Hebrew
			// letter it is a geresh and changes the letter.
			if scriptOf(word[len(word)-1]) == Hebrew {
				word = append(word, '\'')
			}
		default:
			flush()
		}
	}
	flush()
	return classify(joinAcronyms(toks))
}

// joinAcronyms writes a legal form spelt with dots as one word: S.A.,
// L.L.C. and S. A. R. L. become sa, llc and sarl. Only a run of single
// letters after the first word that makes a legal form, at the end of the
// name or before another legal form, is joined: J. R. R. Tolkien keeps
// his initials.
func joinAcronyms(toks []Token) []Token {
	for i := 1; i < len(toks); i++ {
		j := i
		for j < len(toks) && len(toks[j].Text) == 1 && toks[j].Script == Latin {
			j++
		}
		if j-i < 2 {
			continue
		}
		var b strings.Builder
		for k := i; k < j; k++ {
			b.WriteString(toks[k].Text)
		}
		if oversight.LegalForm(b.String()) == "" || j < len(toks) && oversight.LegalForm(toks[j].Text) == "" {
			i = j
			continue
		}
		toks[i].Text = b.String()
		toks = append(toks[:i+1], toks[j:]...)
	}
	return toks
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', 'ʼ', 'ʻ', '`', '´', '׳', 'ʹ':
		return true
	}
	return false
}

// stripMarks removes the diacritics of Latin and Greek letters. Arabic
// vowel signs and shadda are kept, since the Arabic table reads them;
// Cyrillic letters are already composed by NFKC (й, ё) and read whole.
func stripMarks(w []rune) []rune {
	out := w[:0:0]
	var buf [utf8.UTFMax * 4]byte
	base := Latin // script of the last letter that is not a mark
	for _, r := range w {
		if !unicode.Is(unicode.Mn, r) {
			base = scriptOf(r)
		}
		switch {
		case r < 0x80:
			out = append(out, r)
		case unicode.Is(unicode.Mn, r):
			if base == Arabic {
				out = append(out, r)
			}
		case scriptOf(r) == Latin || scriptOf(r) == Greek:
			var b [utf8.UTFMax]byte
			n := utf8.EncodeRune(b[:], r)
			d := norm.NFD.Append(buf[:0], b[:n]...)
			for len(d) > 0 {
				c, n := utf8.DecodeRune(d)
				d = d[n:]
				if !unicode.Is(unicode.Mn, c) {
					out = append(out, c)
				}
			}
		default:
			out = append(out, r)
		}
	}
	return out
}

// asciiLetters keeps the ASCII letters of s, transliterating any Latin
// letter left without a decomposition (ø, ł, æ, þ).
func asciiLetters(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'a' || c > 'z' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r >= 0x80 {
			for _, c := range strings.ToLower(unidecode.Unidecode(string(r))) {
				if c >= 'a' && c <= 'z' {
					b.WriteRune(c)
				}
			}
			continue
		}
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// classify sets the kind of each token and drops honorifics, unless the
// name is nothing but honorifics.
func classify(toks []Token) []Token {
	// Abbreviations of three letters (Int, Eng, Sys) are also parts of
	// people's names (Junzh eng, a name written apart): they are read
	// as abbreviations in the name of a firm, which has a legal form.
	firm := false
	for i := range toks {
		firm = firm || isLegalForm(toks, i) || len(toks[i].Text) > 3 && abbreviations[toks[i].Text] != ""
	}
	for i := range toks {
		t := &toks[i]
		if i > 0 || len(t.Alts) > 0 || len(toks) > 1 {
			t.Text = functionWord(t, i > 0)
		}
		switch {
		case honorifics[t.Text]:
			t.Kind = Honorific
		case isLegalForm(toks, i):
			t.Kind = LegalForm
			t.Text = oversight.LegalForm(t.Text)
		case len(toks) > 1 && particles[t.Text] != "" && !(i == 0 && particlesNotFirst[t.Text]):
			t.Kind = Particle
			t.Text = particles[t.Text]
		case len(toks) > 1 && sunParticles[t.Text] != "" && i+1 < len(toks) &&
			strings.HasPrefix(toks[i+1].Text, sunParticles[t.Text]):
			t.Kind = Particle
			t.Text = "al"
		case len(t.Text) == 1:
			t.Kind = Initial
		case len(toks) > 1 && abbreviations[t.Text] != "" && (len(t.Text) > 3 || firm):
			t.Text = abbreviations[t.Text]
		}
	}
	kept := toks[:0:0]
	for _, t := range toks {
		if t.Kind != Honorific {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		for i := range toks {
			toks[i].Kind = Regular
		}
		return toks
	}
	return kept
}
