package main

import (
	"math/rand/v2"
	"strings"
	"unicode"
)

// The benchmark writes Latin names in other scripts the way a clerk or a
// foreign passport would, with its own rules, independent of the tables
// package screen reads them back with: otherwise the benchmark would only
// measure that two tables agree.

type rule struct{ latin, out string }

func applyRules(word string, rules []rule, final map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(word); {
		matched := false
		for _, r := range rules {
			if strings.HasPrefix(word[i:], r.latin) {
				out := r.out
				if i+len(r.latin) == len(word) && final != nil {
					if f, ok := final[r.out]; ok {
						out = f
					}
				}
				b.WriteString(out)
				i += len(r.latin)
				matched = true
				break
			}
		}
		if !matched {
			i++
		}
	}
	return b.String()
}

var cyrRules = []rule{
	{"shch", "щ"}, {"sch", "щ"}, {"sh", "ш"}, {"ch", "ч"}, {"kh", "х"}, {"zh", "ж"}, {"ts", "ц"}, {"tz", "ц"},
	{"ya", "я"}, {"yu", "ю"}, {"yo", "ё"}, {"ye", "е"}, {"ay", "ай"}, {"ey", "ей"}, {"oy", "ой"}, {"iy", "ий"},
	{"uy", "уй"}, {"ph", "ф"}, {"th", "т"}, {"dh", "д"}, {"gh", "г"}, {"ck", "к"}, {"ou", "у"}, {"oo", "у"}, {"ee", "и"},
	{"a", "а"}, {"b", "б"}, {"c", "к"}, {"d", "д"}, {"e", "е"}, {"f", "ф"}, {"g", "г"}, {"h", "х"}, {"i", "и"},
	{"j", "дж"}, {"k", "к"}, {"l", "л"}, {"m", "м"}, {"n", "н"}, {"o", "о"}, {"p", "п"}, {"q", "к"}, {"r", "р"},
	{"s", "с"}, {"t", "т"}, {"u", "у"}, {"v", "в"}, {"w", "в"}, {"x", "кс"}, {"y", "и"}, {"z", "з"},
}

var greekRules = []rule{
	{"th", "θ"}, {"ch", "τσ"}, {"kh", "χ"}, {"ps", "ψ"}, {"ks", "ξ"}, {"x", "ξ"}, {"ou", "ου"}, {"oo", "ου"}, {"u", "ου"},
	{"sh", "σ"}, {"zh", "ζ"}, {"ph", "φ"}, {"ee", "ι"}, {"ai", "αι"}, {"ei", "ει"}, {"mb", "μπ"}, {"nd", "ντ"},
	{"b", "μπ"}, {"d", "ντ"}, {"g", "γκ"}, {"j", "τζ"}, {"ts", "τσ"}, {"gh", "γ"},
	{"a", "α"}, {"c", "κ"}, {"e", "ε"}, {"f", "φ"}, {"h", ""}, {"i", "ι"}, {"k", "κ"}, {"l", "λ"}, {"m", "μ"},
	{"n", "ν"}, {"o", "ο"}, {"p", "π"}, {"q", "κ"}, {"r", "ρ"}, {"s", "σ"}, {"t", "τ"}, {"v", "β"}, {"w", "β"},
	{"y", "ι"}, {"z", "ζ"},
}

var greekFinal = map[string]string{"σ": "ς"}

var arabicRules = []rule{
	{"th", "ث"}, {"kh", "خ"}, {"dh", "ذ"}, {"sh", "ش"}, {"gh", "غ"}, {"ch", "تش"}, {"ph", "ف"}, {"ck", "ك"},
	{"ou", "و"}, {"oo", "و"}, {"ee", "ي"}, {"ie", "ي"},
	{"b", "ب"}, {"c", "ك"}, {"d", "د"}, {"f", "ف"}, {"g", "ج"}, {"h", "ه"}, {"j", "ج"}, {"k", "ك"}, {"l", "ل"},
	{"m", "م"}, {"n", "ن"}, {"p", "ب"}, {"q", "ق"}, {"r", "ر"}, {"s", "س"}, {"t", "ت"}, {"v", "ف"}, {"w", "و"},
	{"x", "كس"}, {"y", "ي"}, {"z", "ز"},
	{"i", "ي"}, {"o", "و"}, {"u", "و"},
}

var hebrewRules = []rule{
	{"sh", "ש"}, {"ch", "צ׳"}, {"kh", "ח"}, {"ts", "צ"}, {"tz", "צ"}, {"zh", "ז׳"}, {"th", "ת"}, {"ph", "פ"},
	{"ou", "ו"}, {"oo", "ו"}, {"ee", "י"},
	{"b", "ב"}, {"c", "ק"}, {"d", "ד"}, {"f", "פ"}, {"g", "ג"}, {"h", "ה"}, {"j", "ג׳"}, {"k", "ק"}, {"l", "ל"},
	{"m", "מ"}, {"n", "נ"}, {"p", "פ"}, {"q", "ק"}, {"r", "ר"}, {"s", "ס"}, {"t", "ת"}, {"v", "ו"}, {"w", "ו"},
	{"x", "קס"}, {"y", "י"}, {"z", "ז"},
	{"i", "י"}, {"o", "ו"}, {"u", "ו"},
}

var hebrewFinal = map[string]string{"כ": "ך", "מ": "ם", "נ": "ן", "פ": "ף", "צ": "ץ"}

func latinWords(name string) []string {
	return strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
}

func clean(w string) string { return strings.ReplaceAll(w, "'", "") }

func toCyrillic(name string) string {
	var out []string
	for _, w := range latinWords(name) {
		out = append(out, applyRules(clean(w), cyrRules, nil))
	}
	return strings.Join(out, " ")
}

func toGreek(name string) string {
	var out []string
	for _, w := range latinWords(name) {
		out = append(out, applyRules(clean(w), greekRules, greekFinal))
	}
	return strings.Join(out, " ")
}

// abjad writes a word the way Arabic and Hebrew write foreign and native
// names: an initial vowel on a carrier letter, short vowels inside the word
// mostly unwritten (each kept with probability keep, as a long vowel),
// final vowels written.
func abjad(w string, rules []rule, final map[string]string, carrier, midA, endA string, rng *rand.Rand, keep float64) string {
	w = clean(w)
	if w == "" {
		return ""
	}
	var b strings.Builder
	if strings.IndexByte("aeiou", w[0]) >= 0 {
		b.WriteString(carrier)
		w = strings.TrimLeft(w[1:], "aeiou")
	}
	// Drop inner short vowels; A marks a long a inside, Z a final a or e.
	var kept strings.Builder
	for i := 0; i < len(w); i++ {
		c := w[i]
		last := i == len(w)-1
		isDigraph := i+1 < len(w) && (w[i:i+2] == "ou" || w[i:i+2] == "oo" || w[i:i+2] == "ee" || w[i:i+2] == "ie")
		switch {
		case strings.IndexByte("aeiou", c) < 0, isDigraph:
			kept.WriteByte(c)
			if isDigraph {
				kept.WriteByte(w[i+1])
				i++
			}
		case last && (c == 'a' || c == 'e'):
			kept.WriteString("Z")
		case last:
			kept.WriteByte(c)
		case c == 'a' && rng.Float64() < keep:
			kept.WriteString("A")
		case (c == 'i' || c == 'o' || c == 'u') && rng.Float64() < keep:
			kept.WriteByte(c)
		}
	}
	s := kept.String()
	for s != "" {
		k := strings.IndexAny(s, "AZ")
		if k < 0 {
			b.WriteString(applyRules(s, rules, final))
			break
		}
		b.WriteString(applyRules(s[:k], rules, nil))
		if s[k] == 'A' {
			b.WriteString(midA)
		} else {
			b.WriteString(endA)
		}
		s = s[k+1:]
	}
	return b.String()
}

func toArabic(name string, rng *rand.Rand) string {
	var out []string
	words := latinWords(name)
	for i := 0; i < len(words); i++ {
		w := words[i]
		if (w == "al" || w == "el") && i+1 < len(words) {
			// The article is written attached: الزواهري.
			out = append(out, "ال"+abjad(words[i+1], arabicRules, nil, "ا", "ا", "ة", rng, 0.4))
			i++
			continue
		}
		out = append(out, abjad(w, arabicRules, nil, "ا", "ا", "ة", rng, 0.4))
	}
	return strings.Join(out, " ")
}

func toHebrew(name string, rng *rand.Rand) string {
	var out []string
	for _, w := range latinWords(name) {
		out = append(out, abjad(w, hebrewRules, hebrewFinal, "א", "א", "ה", rng, 0.4))
	}
	return strings.Join(out, " ")
}
