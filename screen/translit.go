package screen

import (
	"slices"
	"strings"
	"unicode"

	"github.com/mozillazg/go-unidecode"
)

// The four scripts named by the visa policy have tables of their own,
// written for personal names: a general-purpose transliterator (unidecode,
// used below as the fallback for every other script) writes Arabic محمد as
// "mHmd" and Hebrew כהן as "KHhn", which no Latin spelling of the name
// resembles. The tables follow the conventions passports and sanctions lists
// use most: ICAO 9303 / BGN-PCGN for Cyrillic, ELOT 743 for Greek (but χ
// as kh, which is how names from elsewhere are written with it), and the
// common "Mohammed"-style romanisation of Arabic and Hebrew, where short
// vowels are not written and long ones are written as letters.

var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
	// Ukrainian and Belarusian.
	'є': "ye", 'і': "i", 'ї': "yi", 'ґ': "g", 'ў': "u",
	// Serbian and Macedonian.
	'ђ': "dj", 'ј': "j", 'љ': "lj", 'њ': "nj", 'ћ': "c", 'џ': "dz",
	'ѓ': "gj", 'ќ': "kj", 'ѕ': "dz",
	// Kazakh, Tajik and others often met in Russian-language passports.
	'ә': "a", 'ғ': "g", 'қ': "k", 'ң': "n", 'ө': "o", 'ұ': "u", 'ү': "u",
	'һ': "h", 'ҳ': "h", 'ҷ': "j", 'ӣ': "i", 'ӯ': "u",
}

var greek = map[rune]string{
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i",
	'θ': "th", 'ι': "i", 'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x",
	'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t", 'υ': "y",
	'φ': "f", 'χ': "kh", 'ψ': "ps", 'ω': "o",
}

// greekPairs are the Greek digraphs whose reading differs from their
// letters'. The nasal clusters μπ, ντ, γκ are read b, d, g at the start of
// a word and mb, nd, ng inside it.
var greekPairs = map[[2]rune][2]string{ // [start of word, inside]
	{'ο', 'υ'}: {"ou", "ou"},
	{'α', 'υ'}: {"av", "av"},
	{'ε', 'υ'}: {"ev", "ev"},
	{'η', 'υ'}: {"iv", "iv"},
	{'μ', 'π'}: {"b", "mb"},
	{'ν', 'τ'}: {"d", "nd"},
	{'γ', 'κ'}: {"g", "ng"},
	{'γ', 'γ'}: {"ng", "ng"},
	{'γ', 'χ'}: {"nkh", "nkh"},
	{'γ', 'ξ'}: {"nx", "nx"},
	{'τ', 'σ'}: {"ts", "ts"},
	{'τ', 'ζ'}: {"tz", "tz"},
}

var arabic = map[rune]string{
	'ا': "a", 'أ': "a", 'إ': "i", 'آ': "a", 'ٱ': "a", 'ء': "", 'ؤ': "u", 'ئ': "i",
	'ب': "b", 'ت': "t", 'ث': "th", 'ج': "j", 'ح': "h", 'خ': "kh", 'د': "d",
	'ذ': "dh", 'ر': "r", 'ز': "z", 'س': "s", 'ش': "sh", 'ص': "s", 'ض': "d",
	'ط': "t", 'ظ': "z", 'ع': "a", 'غ': "gh", 'ف': "f", 'ق': "q", 'ك': "k",
	'ل': "l", 'م': "m", 'ن': "n", 'ه': "h", 'ة': "a", 'ى': "a",
	// Persian and Urdu letters.
	'پ': "p", 'چ': "ch", 'ژ': "zh", 'گ': "g", 'ک': "k", 'ی': "i", 'ۀ': "a",
	'ٹ': "t", 'ڈ': "d", 'ڑ': "r", 'ں': "n", 'ہ': "h", 'ھ': "h", 'ے': "e",
	// Vowel signs, when a name is written with them.
	'\u064E': "a", '\u064F': "u", '\u0650': "i", '\u0670': "a",
	'\u064B': "", '\u064C': "", '\u064D': "", '\u0652': "", 'ـ': "",
}

const arabicShadda = '\u0651'

var hebrew = map[rune]string{
	'א': "a", 'ב': "v", 'ג': "g", 'ד': "d", 'ה': "h", 'ו': "o", 'ז': "z",
	'ח': "kh", 'ט': "t", 'י': "i", 'כ': "kh", 'ך': "kh", 'ל': "l", 'מ': "m",
	'ם': "m", 'נ': "n", 'ן': "n", 'ס': "s", 'ע': "a", 'פ': "f", 'ף': "f",
	'צ': "ts", 'ץ': "ts", 'ק': "k", 'ר': "r", 'ש': "sh", 'ת': "t",
}

// hebrewInitial are the readings of letters at the start of a word, where
// the begadkefat letters are hard and vav and yod are consonants.
var hebrewInitial = map[rune]string{'ב': "b", 'כ': "k", 'פ': "p", 'ו': "v", 'י': "y"}

// hebrewGeresh are the readings of letters followed by a geresh (׳ or '),
// used for sounds Hebrew lacks: ג׳ for j, ז׳ for zh, צ׳ for ch.
var hebrewGeresh = map[rune]string{'ג': "j", 'ז': "zh", 'צ': "ch", 'ת': "th", 'ח': "kh"}

// Script is the writing system a name or token was entered in.
type Script uint8

// Scripts the normaliser distinguishes.
const (
	Latin Script = iota
	Cyrillic
	Greek
	Arabic
	Hebrew
	Other
)

var scriptNames = [...]string{"latin", "cyrillic", "greek", "arabic", "hebrew", "other"}

func (s Script) String() string {
	if int(s) < len(scriptNames) {
		return scriptNames[s]
	}
	return "unknown"
}

// abjad reports whether the script leaves short vowels unwritten, so that a
// token from it is compared by its consonants too.
func (s Script) abjad() bool { return s == Arabic || s == Hebrew }

func scriptOf(r rune) Script {
	switch {
	case r < 0x80:
		return Latin
	case unicode.Is(unicode.Cyrillic, r):
		return Cyrillic
	case unicode.Is(unicode.Greek, r):
		return Greek
	case unicode.Is(unicode.Arabic, r):
		return Arabic
	case unicode.Is(unicode.Hebrew, r):
		return Hebrew
	case unicode.Is(unicode.Latin, r):
		return Latin
	}
	return Other
}

// transliterateWord writes one word (a run of letters and marks, already
// case-folded and free of Latin diacritics) in Latin letters, and reports
// the script it was mostly written in.
func transliterateWord(b *strings.Builder, w []rune) Script {
	var counts [Other + 1]int
	for _, r := range w {
		counts[scriptOf(r)]++
	}
	script := Latin
	for s := Cyrillic; s <= Other; s++ {
		if counts[s] > counts[script] {
			script = s
		}
	}
	if script == Arabic {
		w = arabicArticle(b, w)
	}
	for i := 0; i < len(w); i++ {
		r := w[i]
		rs := scriptOf(r)
		if script == Arabic && unicode.Is(unicode.Mn, r) {
			rs = Arabic // vowel signs and shadda are of the Inherited script
		}
		switch rs {
		case Latin:
			b.WriteRune(r)
		case Cyrillic:
			if s, ok := cyrillic[r]; ok {
				b.WriteString(s)
			}
		case Greek:
			if i+1 < len(w) {
				if p, ok := greekPairs[[2]rune{r, w[i+1]}]; ok {
					if i == 0 {
						b.WriteString(p[0])
					} else {
						b.WriteString(p[1])
					}
					i++
					continue
				}
			}
			if s, ok := greek[r]; ok {
				b.WriteString(s)
			}
		case Arabic:
			i += arabicLetter(b, w, i)
		case Hebrew:
			i += hebrewLetter(b, w, i)
		default:
			if r == '\'' || r == '׳' {
				continue
			}
			b.WriteString(strings.ToLower(unidecode.Unidecode(string(r))))
		}
	}
	return script
}

// arabicArticle writes the definite article al- of an Arabic word as a
// separate token, the way Latin spellings write it ("al-Zawahiri"), and
// returns the rest of the word. "الله" (Allah), alone or closing a name such
// as عبدالله, is written whole.
func arabicArticle(b *strings.Builder, w []rune) []rune {
	allah := []rune("الله")
	if n := len(w) - len(allah); n >= 0 && string(w[n:]) == string(allah) {
		if n > 0 {
			rest := w[:n]
			for i := 0; i < len(rest); i++ {
				i += arabicLetter(b, rest, i)
			}
			b.WriteByte(' ')
		}
		b.WriteString("allah")
		return nil
	}
	if len(w) > 3 && w[0] == 'ا' && w[1] == 'ل' {
		b.WriteString("al ")
		return w[2:]
	}
	return w
}

// arabicLetter writes w[i] and returns how many following runes it
// consumed. Waw and ya are consonants (w, y) at the start of a word or
// after a vowel and long vowels (u, i) elsewhere; a letter with shadda
// (which NFKC orders after any vowel sign) is written twice.
func arabicLetter(b *strings.Builder, w []rune, i int) int {
	r := w[i]
	if r == arabicShadda {
		return 0
	}
	s, ok := arabic[r]
	switch r {
	case 'و', 'ي', 'ی':
		if i == 0 || lastIsVowel(b) {
			s = map[rune]string{'و': "w", 'ي': "y", 'ی': "y"}[r]
		} else if r == 'و' {
			s = "u"
		} else {
			s = "i"
		}
		ok = true
	}
	if !ok {
		return 0
	}
	b.WriteString(s)
	if unicode.Is(unicode.Mn, r) {
		return 0
	}
	for k := i + 1; k < len(w) && unicode.Is(unicode.Mn, w[k]); k++ {
		if w[k] == arabicShadda {
			b.WriteString(s)
			break
		}
	}
	return 0
}

// lastIsVowel reports whether the last letter written is a vowel.
func lastIsVowel(b *strings.Builder) bool {
	s := b.String()
	return len(s) > 0 && strings.IndexByte("aiu", s[len(s)-1]) >= 0
}

// hebrewLetter writes w[i] and returns how many following runes it
// consumed.
func hebrewLetter(b *strings.Builder, w []rune, i int) int {
	r := w[i]
	if i+1 < len(w) && (w[i+1] == '׳' || w[i+1] == '\'') {
		if s, ok := hebrewGeresh[r]; ok {
			b.WriteString(s)
			return 1
		}
	}
	if i+1 < len(w) && r == w[i+1] && (r == 'ו' || r == 'י') {
		// Doubled vav and yod are the consonants v and y.
		if r == 'ו' {
			b.WriteByte('v')
		} else {
			b.WriteByte('y')
		}
		return 1
	}
	if i == 0 {
		if s, ok := hebrewInitial[r]; ok {
			b.WriteString(s)
			return 0
		}
	}
	if r == 'ה' && i == len(w)-1 && i > 0 {
		// A final he is a vowel letter (שרה Sarah, משה Moshe).
		b.WriteByte('a')
		return 0
	}
	if s, ok := hebrew[r]; ok {
		b.WriteString(s)
	}
	return 0
}

// Letter-by-letter readings. A Latin name written in Cyrillic or Greek by
// someone replacing each letter (Smith as Смитх, Joseph as Йосепх or
// Ιοσηπη) reads back with the standard tables as nothing like it: х is
// kh, й is y, η is i. These tables read each letter as the Latin letter it
// most often stands for in such spellings; letterReadings offers the
// results beside the standard reading.
var cyrillicLetters = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "h", 'д': "d", 'е': "e", 'ё': "e", 'ж': "j", 'з': "z",
	'и': "i", 'й': "j", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "c", 'ч': "ch", 'ш': "sh", 'щ': "sch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "u", 'я': "ya", 'є': "e", 'і': "i", 'ї': "i",
	'ґ': "g", 'ў': "w", 'ј': "j",
}

// cyrillicLetters2 differs from cyrillicLetters where a letter stands for
// two Latin letters about as often: г for g, х for x, с for c, ы and й
// for y.
var cyrillicLetters2 = map[rune]string{'г': "g", 'с': "c", 'ы': "i", 'й': "y", 'ц': "ts", 'к': "c"}

var greekLetters = map[rune]string{
	'α': "a", 'β': "b", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "h", 'θ': "th", 'ι': "i",
	'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x", 'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s",
	'ς': "s", 'τ': "t", 'υ': "u", 'φ': "f", 'χ': "h", 'ψ': "ps", 'ω': "w",
}

var greekLetters2 = map[rune]string{'η': "e", 'υ': "y", 'ω': "o", 'χ': "x", 'σ': "c", 'κ': "c", 'β': "v"}

// greekLetterPairs are the pairs a letter-by-letter writer uses for one
// Latin letter.
var greekLetterPairs = map[[2]rune]string{
	{'μ', 'π'}: "b", {'ν', 'τ'}: "d", {'γ', 'κ'}: "g", {'τ', 'ζ'}: "j", {'ο', 'υ'}: "u", {'τ', 'σ'}: "ch",
}

// letterReadings returns the letter-by-letter readings of a Cyrillic or
// Greek word that differ from std, its standard reading: at most two.
func letterReadings(w []rune, script Script, std string) []string {
	var one, two map[rune]string
	var pairs map[[2]rune]string
	switch script {
	case Cyrillic:
		one, two = cyrillicLetters, cyrillicLetters2
	case Greek:
		one, two, pairs = greekLetters, greekLetters2, greekLetterPairs
	default:
		return nil
	}
	var out []string
	for _, alt := range []map[rune]string{nil, two} {
		var b strings.Builder
		for i := 0; i < len(w); i++ {
			if i+1 < len(w) && pairs != nil {
				if s, ok := pairs[[2]rune{w[i], w[i+1]}]; ok {
					b.WriteString(s)
					i++
					continue
				}
			}
			if alt != nil && script == Greek && i == 0 && w[i] == 'ι' && len(w) > 1 && strings.ContainsRune("αεηιουω", w[1]) {
				// Greek has no j: a name beginning with one (Joseph,
				// Juan) is written with an iota before its vowel.
				b.WriteString("j")
			} else if s, ok := alt[w[i]]; ok {
				b.WriteString(s)
			} else if s, ok := one[w[i]]; ok {
				b.WriteString(s)
			} else if w[i] < 0x80 {
				b.WriteRune(w[i])
			}
		}
		if r := asciiLetters(b.String()); r != "" && r != std && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// letterUnit is a letter, or a pair of letters, of a word written letter
// by letter, with the Latin letters it may stand for, the likeliest first.
type letterUnit []string

// Letters and pairs of letters with the Latin letters clerks write them
// for: a Latin name written letter by letter chooses one for each Latin
// letter (c as ц, к or с), and the reading that uses the listed name's
// choices is the one to compare with it.
var (
	cyrillicUnits = map[rune]letterUnit{
		'а': {"a"}, 'б': {"b"}, 'в': {"v", "w"}, 'г': {"g", "h"}, 'д': {"d"}, 'е': {"e"}, 'ё': {"e", "yo"},
		'ж': {"j", "zh"}, 'з': {"z"}, 'и': {"i", "y"}, 'й': {"y", "j", "i"}, 'к': {"k", "c", "q"},
		'л': {"l"}, 'м': {"m"}, 'н': {"n"}, 'о': {"o"}, 'п': {"p"}, 'р': {"r"}, 'с': {"s", "c"},
		'т': {"t"}, 'у': {"u", "w", "ou"}, 'ф': {"f"}, 'х': {"h", "kh", "x"}, 'ц': {"c", "ts"},
		'ч': {"ch"}, 'ш': {"sh"}, 'щ': {"sch", "shch"}, 'ъ': {""}, 'ы': {"y", "i"}, 'ь': {""},
		'э': {"e"}, 'ю': {"u", "yu"}, 'я': {"ya", "ia"}, 'є': {"e", "ye"}, 'і': {"i"}, 'ї': {"i", "yi"},
		'ґ': {"g"}, 'ў': {"w", "u"}, 'ј': {"j"},
	}
	cyrillicUnitPairs = map[[2]rune]letterUnit{
		{'д', 'ж'}: {"j", "g", "dzh"}, {'к', 'с'}: {"x", "ks"}, {'т', 'с'}: {"ts", "ch"},
	}
	greekUnits = map[rune]letterUnit{
		'α': {"a"}, 'β': {"b", "v", "w"}, 'γ': {"g"}, 'δ': {"d"}, 'ε': {"e"}, 'ζ': {"z"},
		'η': {"e", "h", "i"}, 'θ': {"th"}, 'ι': {"i", "j", "y"}, 'κ': {"k", "c", "q"}, 'λ': {"l"},
		'μ': {"m"}, 'ν': {"n"}, 'ξ': {"x", "ks"}, 'ο': {"o"}, 'π': {"p"}, 'ρ': {"r"}, 'σ': {"s", "c"},
		'ς': {"s", "c"}, 'τ': {"t"}, 'υ': {"u", "y"}, 'φ': {"f", "ph"}, 'χ': {"h", "ch", "kh", "x"},
		'ψ': {"ps"}, 'ω': {"o", "w"},
	}
	greekUnitPairs = map[[2]rune]letterUnit{
		{'μ', 'π'}: {"b", "mp"}, {'ν', 'τ'}: {"d", "nt"}, {'γ', 'κ'}: {"g", "ng"}, {'τ', 'ζ'}: {"j", "tz"},
		{'ο', 'υ'}: {"u", "w", "ou"}, {'τ', 'σ'}: {"ch", "ts"}, {'γ', 'γ'}: {"ng", "g"},
	}
)

// letterUnits splits a Cyrillic or Greek word into letterUnits, pairs
// first; nil for another script.
func letterUnits(w []rune, script Script) []letterUnit {
	var one map[rune]letterUnit
	var pairs map[[2]rune]letterUnit
	switch script {
	case Cyrillic:
		one, pairs = cyrillicUnits, cyrillicUnitPairs
	case Greek:
		one, pairs = greekUnits, greekUnitPairs
	default:
		return nil
	}
	var out []letterUnit
	for i := 0; i < len(w); i++ {
		if i+1 < len(w) {
			if u, ok := pairs[[2]rune{w[i], w[i+1]}]; ok {
				out = append(out, u)
				i++
				continue
			}
		}
		if u, ok := one[w[i]]; ok {
			out = append(out, u)
		}
	}
	return out
}

// readToward reads units as the Latin word closest to target: each unit
// as the Latin letters it may stand for that target has where the unit
// falls, or as its likeliest where none does, aligned by the fewest
// letters added, dropped or changed, which it returns too. It gives up,
// returning no reading, once every alignment needs more than most edits.
// Words of more than 32 units or letters are not read: no name is that
// long.
func readToward(units []letterUnit, target string, most int) (string, int) {
	n, m := len(units), len(target)
	if n == 0 || n > 32 || m > 32 {
		return "", 255
	}
	const (
		stepDrop  = -1 // the unit read as its likeliest, not in target
		stepSub   = -2 // read as its likeliest, in place of a letter of target
		stepExtra = -3 // a letter of target the units do not give
	)
	// cost[i][j]: the fewest edits to read units[:i] as target[:j];
	// how[i][j]: the last step (a matched option's index+1, or a step).
	var cost [33][33]uint8
	var how [33][33]int8
	for j := 1; j <= m; j++ {
		cost[0][j], how[0][j] = uint8(j), stepExtra
	}
	for i := 1; i <= n; i++ {
		u := units[i-1]
		low := uint8(255)
		for j := 0; j <= m; j++ {
			c, h := cost[i-1][j]+1, int8(stepDrop)
			if j > 0 {
				if s := cost[i-1][j-1] + 1; s < c {
					c, h = s, stepSub
				}
				if s := cost[i][j-1] + 1; s < c {
					c, h = s, stepExtra
				}
			}
			for k, o := range u {
				if l := len(o); l <= j && cost[i-1][j-l] < c && (l == 0 || target[j-l] == o[0] && target[j-l:j] == o) {
					c, h = cost[i-1][j-l], int8(k+1)
				}
			}
			cost[i][j], how[i][j] = c, h
			low = min(low, c)
		}
		if int(low) > most {
			return "", int(low)
		}
	}
	// Back from the end, the units' readings in reverse.
	var parts [32]string
	for i, j := n, m; i > 0 || j > 0; {
		switch h := how[i][j]; {
		case h == stepExtra:
			j--
		case h > 0:
			parts[i-1] = units[i-1][h-1]
			i, j = i-1, j-len(parts[i-1])
		case h == stepSub:
			parts[i-1] = units[i-1][0]
			i, j = i-1, j-1
		default:
			parts[i-1] = units[i-1][0]
			i--
		}
	}
	return strings.Join(parts[:n], ""), int(cost[n][m])
}

// readsNear reads a word written letter by letter toward target, and
// reports whether the reading is near it: a letter in three or fewer
// added, dropped or changed. A reading farther off is no better than the
// word's own readings, and is not compared. letters are the Latin letters
// each unit may give, as sets (unitLetters): a letter of target no unit
// gives, or a unit giving no letter of target, is an edit at least, which
// tells most words far off without reading them.
func readsNear(units []letterUnit, letters []uint32, target string) (string, bool) {
	most := len(target) / 3
	var all, in uint32
	for _, l := range letters {
		all |= l
	}
	missing := 0
	for i := 0; i < len(target); i++ {
		b := letterBit(target[i])
		in |= b
		if all&b == 0 {
			missing++
		}
	}
	useless := 0
	for _, l := range letters {
		if l != 0 && l&in == 0 {
			useless++
		}
	}
	if missing > most || useless > most {
		return "", false
	}
	r, edits := readToward(units, target, most)
	return r, r != "" && edits <= most
}

// letterBit is the bit of a lower-case Latin letter in a set of them, 0
// for another byte.
func letterBit(c byte) uint32 {
	if c < 'a' || c > 'z' {
		return 0
	}
	return 1 << (c - 'a')
}

// unitLetters returns, for each unit, the set of the Latin letters its
// readings give (0 for one that gives none, ь).
func unitLetters(units []letterUnit) []uint32 {
	out := make([]uint32, len(units))
	for i, u := range units {
		for _, o := range u {
			for k := 0; k < len(o); k++ {
				out[i] |= letterBit(o[k])
			}
		}
	}
	return out
}

// maxSpellings is the most spellings of a word written letter by letter
// that are looked up one by one: a word of five letters, two or three of
// them read two ways, has no more.
const maxSpellings = 32

// spellings returns every Latin spelling of a word of letterUnits, or
// none if it has more than most.
func spellings(units []letterUnit, most int) []string {
	n := 1
	for _, u := range units {
		if n *= len(u); n > most {
			return nil
		}
	}
	if len(units) == 0 {
		return nil
	}
	// Counting through the choices, the last unit's fastest, each
	// spelling written once into one buffer.
	out := make([]string, 0, n)
	choice := make([]int, len(units))
	var buf []byte
	for {
		buf = buf[:0]
		for i, u := range units {
			buf = append(buf, u[choice[i]]...)
		}
		out = append(out, string(buf))
		i := len(units) - 1
		for ; i >= 0; i-- {
			if choice[i]++; choice[i] < len(units[i]) {
				break
			}
			choice[i] = 0
		}
		if i < 0 {
			return out
		}
	}
}
