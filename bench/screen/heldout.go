package main

import (
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/oversight-dev/oversight"
)

// The held-out set: queries made with their own seed and their own rules,
// none of which the tuning set (perturb, in main.go) applies, so that the
// matcher is measured on kinds of names it was not tuned on. Each kind is
// one a consular officer meets:
//
//   - compound-part: the given name and one of two surnames (Hispanic
//     names), or one part of a hyphenated family name;
//   - arabic-short: a long name given by its first and last parts only;
//   - joined-typo: two name parts run together, with one or two keyboard
//     slips;
//   - cyr-letters, greek-letters: a Latin name written in Cyrillic or
//     Greek letter by letter, each letter by one of the letters a clerk
//     might choose for it (c as ц, к or с), with no rule for digraphs;
//   - variant: romanisation variants (ou and u, ee and i, kh and h,
//     doubled and single consonants) the tuning set does not make;
//   - middle-initial: middle names cut to their initial;
//   - split: a long name part written as two (Abdulrahman, Abdul Rahman).
var heldKinds = []string{"compound-part", "arabic-short", "joined-typo", "cyr-letters", "greek-letters", "variant", "middle-initial", "split"}

// words splits a listed name into its words, hyphenated ones whole.
func words(name string) []string { return strings.Fields(name) }

// heldOutQueries makes n queries of listed persons, each kind in turn; a
// person whose name does not lend itself to a kind (a two-word name has no
// compound surname) is drawn again.
func heldOutQueries(rng *rand.Rand, tw *twins, persons []*oversight.Designation, n int) []query {
	out := make([]query, 0, n)
	for i := 0; len(out) < n; i++ {
		kind := heldKinds[len(out)%len(heldKinds)]
		d := persons[rng.IntN(len(persons))]
		names := append([]string{d.Name}, d.Aliases...)
		name := names[rng.IntN(len(names))]
		if !latinName(name) {
			continue
		}
		from, q, ok := heldPerturb(rng, name, kind)
		if !ok {
			continue
		}
		out = append(out, query{name: q, source: d.ID, from: from, kind: kind})
	}
	return out
}

func latinName(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && r > unicode.MaxLatin1 {
			return false
		}
	}
	return true
}

// heldPerturb returns the name a query was made from (after parts were
// left out, before spelling changed) and the query.
func heldPerturb(rng *rand.Rand, name, kind string) (from, q string, ok bool) {
	w := words(name)
	switch kind {
	case "compound-part":
		if len(w) >= 3 {
			k := len(w) - 1 - rng.IntN(2)
			part := w[k]
			if strings.EqualFold(w[k-1], "de") || strings.EqualFold(w[k-1], "del") {
				part = w[k-1] + " " + part
			}
			from = w[0] + " " + part
		} else if len(w) == 2 && strings.Contains(w[1], "-") {
			parts := strings.Split(w[1], "-")
			from = w[0] + " " + parts[rng.IntN(len(parts))]
		} else {
			return "", "", false
		}
		return from, from, len(keyTokens(from)) >= 2
	case "arabic-short":
		if len(w) < 4 {
			return "", "", false
		}
		first := w[0]
		if k := strings.ToLower(strings.Trim(first, "'")); k == "abd" || k == "abu" || k == "abdul" || k == "abdel" {
			first += " " + w[1]
			if l := strings.ToLower(w[1]); (l == "al" || l == "el") && len(w) > 4 {
				first += " " + w[2]
			}
		}
		last := w[len(w)-1]
		if l := strings.ToLower(w[len(w)-2]); l == "al" || l == "bin" || l == "abu" || l == "el" {
			last = w[len(w)-2] + " " + last
		}
		from = first + " " + last
		return from, from, len(keyTokens(from)) >= 2 && len(strings.Fields(from)) < len(w)
	case "joined-typo":
		if len(w) < 2 {
			return "", "", false
		}
		k := rng.IntN(len(w) - 1)
		joined := slices.Concat(w[:k], []string{w[k] + strings.ToLower(w[k+1])}, w[k+2:])
		return name, keySlips(rng, joined, 1+rng.IntN(2)), true
	case "cyr-letters":
		return name, letterByLetter(rng, name, cyrLetters, nil), true
	case "greek-letters":
		return name, letterByLetter(rng, name, greekLetters, map[string]string{"σ": "ς"}), true
	case "variant":
		v, changed := variant(rng, w)
		return name, v, changed
	case "middle-initial":
		if len(w) < 3 {
			return "", "", false
		}
		m := slices.Clone(w)
		for i := 1; i < len(m)-1; i++ {
			if len(m[i]) > 2 && !strings.EqualFold(m[i], "al") && !strings.EqualFold(m[i], "bin") {
				m[i] = m[i][:1] + "."
			}
		}
		if slices.Equal(m, w) {
			return "", "", false
		}
		// The initial stands for a name part the query does not give.
		from = strings.Join(slices.DeleteFunc(slices.Clone(m), func(s string) bool { return strings.HasSuffix(s, ".") }), " ")
		return from, strings.Join(m, " "), len(keyTokens(from)) >= 2
	case "split":
		var long []int
		for i, x := range w {
			if len(x) >= 8 && !strings.ContainsAny(x, "-'") {
				long = append(long, i)
			}
		}
		if len(long) == 0 {
			return "", "", false
		}
		i := long[rng.IntN(len(long))]
		p := 3 + rng.IntN(len(w[i])-5)
		s := slices.Concat(w[:i], []string{w[i][:p], w[i][p:]}, w[i+1:])
		return name, strings.Join(s, " "), true
	}
	return "", "", false
}

// keyboard holds the keys next to each letter on a QWERTY keyboard.
var keyboard = map[byte]string{
	'q': "wa", 'w': "qes", 'e': "wrd", 'r': "etf", 't': "ryg", 'y': "tuh", 'u': "yij", 'i': "uok", 'o': "ipl", 'p': "ol",
	'a': "qsz", 's': "adwx", 'd': "sfe", 'f': "dgr", 'g': "fht", 'h': "gjy", 'j': "hku", 'k': "jli", 'l': "ko",
	'z': "xa", 'x': "zcs", 'c': "xvd", 'v': "cbf", 'b': "vng", 'n': "bmh", 'm': "nj",
}

// keySlips makes n slips of the hand in words of five letters or more: a
// neighbouring key struck instead, a letter struck twice, or a vowel left
// out (the tuning set's typos are random letters).
func keySlips(rng *rand.Rand, w []string, n int) string {
	w = slices.Clone(w)
	var long []int
	for i, x := range w {
		if len(x) >= 5 {
			long = append(long, i)
		}
	}
	for e := 0; e < n && len(long) > 0; e++ {
		k := long[rng.IntN(len(long))]
		b := []byte(w[k])
		p := 1 + rng.IntN(len(b)-1)
		c := b[p] | 0x20
		switch rng.IntN(3) {
		case 0:
			if nb := keyboard[c]; nb != "" {
				r := nb[rng.IntN(len(nb))]
				if b[p] < 'a' {
					r &^= 0x20
				}
				b[p] = r
			}
		case 1:
			b = slices.Insert(b, p, b[p])
		case 2:
			if strings.IndexByte("aeiou", c) >= 0 && len(b) > 4 {
				b = slices.Delete(b, p, p+1)
			} else if nb := keyboard[c]; nb != "" {
				b[p] = nb[0]
			}
		}
		w[k] = string(b)
	}
	return strings.Join(w, " ")
}

// Letter-by-letter choices: every Latin letter to the letters of the other
// script a clerk might write for it, one chosen per name.
var cyrLetters = map[rune][]string{
	'a': {"а"}, 'b': {"б"}, 'c': {"ц", "к", "с"}, 'd': {"д"}, 'e': {"е", "э"}, 'f': {"ф"}, 'g': {"г", "дж"},
	'h': {"х", "г"}, 'i': {"и", "і"}, 'j': {"дж", "й", "ж"}, 'k': {"к"}, 'l': {"л"}, 'm': {"м"}, 'n': {"н"},
	'o': {"о"}, 'p': {"п"}, 'q': {"к"}, 'r': {"р"}, 's': {"с"}, 't': {"т"}, 'u': {"у", "ю"}, 'v': {"в"},
	'w': {"в", "у"}, 'x': {"кс", "х"}, 'y': {"й", "и", "ы"}, 'z': {"з"},
}

var greekLetters = map[rune][]string{
	'a': {"α"}, 'b': {"β", "μπ"}, 'c': {"κ", "σ"}, 'd': {"δ", "ντ"}, 'e': {"ε", "η"}, 'f': {"φ"}, 'g': {"γ", "γκ"},
	'h': {"η", "χ", ""}, 'i': {"ι"}, 'j': {"τζ", "ι"}, 'k': {"κ"}, 'l': {"λ"}, 'm': {"μ"}, 'n': {"ν"},
	'o': {"ο", "ω"}, 'p': {"π"}, 'q': {"κ"}, 'r': {"ρ"}, 's': {"σ"}, 't': {"τ"}, 'u': {"ου", "υ"}, 'v': {"β"},
	'w': {"ω", "β", "ου"}, 'x': {"ξ", "χ"}, 'y': {"υ", "ι"}, 'z': {"ζ"},
}

func letterByLetter(rng *rand.Rand, name string, table map[rune][]string, final map[string]string) string {
	choice := map[rune]string{}
	var out []string
	for _, w := range strings.Fields(strings.ToLower(name)) {
		var b strings.Builder
		var last string
		for _, r := range w {
			opts, ok := table[r]
			if !ok {
				continue // apostrophes, hyphens, dots
			}
			c, seen := choice[r]
			if !seen {
				c = opts[rng.IntN(len(opts))]
				choice[r] = c
			}
			b.WriteString(c)
			last = c
		}
		s := b.String()
		if f, ok := final[last]; ok && last != "" {
			s = strings.TrimSuffix(s, last) + f
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// variants are spellings one romanisation gives and another does not.
var variants = [][2]string{
	{"ou", "u"}, {"oo", "u"}, {"ee", "i"}, {"kh", "h"}, {"ph", "f"}, {"ie", "i"}, {"dj", "j"}, {"q", "k"},
	{"u", "ou"}, {"i", "ee"}, {"f", "ph"}, {"j", "dj"}, {"sh", "ch"}, {"w", "v"}, {"y", "i"}, {"ck", "k"},
}

// variant rewrites one or two words with a romanisation variant, or
// doubles or undoubles a consonant.
func variant(rng *rand.Rand, w []string) (string, bool) {
	w = slices.Clone(w)
	changed := false
	for e := 0; e < 1+rng.IntN(2); e++ {
		k := rng.IntN(len(w))
		lw := strings.ToLower(w[k])
		if len(lw) < 4 {
			continue
		}
		upper := w[k] == strings.ToUpper(w[k])
		var opts []string
		for _, v := range variants {
			if i := strings.Index(lw[1:], v[0]); i >= 0 {
				opts = append(opts, lw[:i+1]+v[1]+lw[i+1+len(v[0]):])
			}
		}
		for i := 1; i+1 < len(lw); i++ {
			c := lw[i]
			if strings.IndexByte("aeiouy", c) < 0 && c != lw[i+1] && c != lw[i-1] {
				opts = append(opts, lw[:i+1]+lw[i:])
			}
			if c == lw[i+1] {
				opts = append(opts, lw[:i]+lw[i+1:])
			}
		}
		if len(opts) == 0 {
			continue
		}
		nw := opts[rng.IntN(len(opts))]
		if upper {
			nw = strings.ToUpper(nw)
		} else {
			nw = strings.ToUpper(nw[:1]) + nw[1:]
		}
		changed = changed || !strings.EqualFold(nw, w[k])
		w[k] = nw
	}
	return strings.Join(w, " "), changed
}

// Names not on the list for the held-out set: given names and compound
// family names from pools of their own, and names mixing one listed
// person's given name or surname with a pool's, perturbed by the held-out
// kinds that apply to any name.
var heldGiven = strings.Fields(`Alejandro Beatriz Catalina Domingo Esteban Fernanda Gustavo Hortensia Ignacio Jimena
Leonardo Marisol Nicolas Octavio Paloma Ramiro Soledad Teodoro Ursula Valeria Xavier Yolanda Zacarias
Abdelaziz Basma Dalia Faisal Ghassan Hala Ismail Jamal Khalid Lina Mahmoud Nabil Rania Sami Tarek Wael
Yasmin Ziad Anatoly Bogdan Vadim Galina Darya Yegor Zhanna Kirill Lyudmila Maxim Oksana Rostislav
Stanislav Taras Ulyana Fyodor Arash Behrouz Darius Farhad Golnaz Kaveh Laleh Mehrdad Nasrin Parisa
Sina Shirin Anh Bao Chau Duc Hanh Khanh Linh Minh Phuong Quang Thanh Tuan Sung Jae Hyun Seo Ji Dong`)

var heldFamily = strings.Fields(`Alvarado Bustamante Cardenas Echeverria Figueroa Galindo Huerta Iglesias Jaramillo
Lozano Maldonado Navarro Ochoa Pacheco Quintero Salazar Trujillo Urrutia Valdivia Zamora Barakat Chehab
Dabbagh Fakhoury Ghandour Haddadin Jaber Kanaan Labaki Maalouf Nahas Rahal Sabbagh Tannous Zoghbi
Belov Vinogradov Gusev Zaitsev Tarasov Belyakov Zhukov Komarov Orlov Kiselev Makarov Afshar Bahrami
Ebrahimi Farahani Ghorbani Hosseini Jafarzadeh Karimi Mousavi Nouri Rahimi Sadeghi Tehrani Yazdani
Nguyen Tran Pham Hoang Vu Dang Bui Do Ngo Duong Park Choi Jung Kang Yoon Jang Lim Han Shin`)

func heldOutUnlisted(rng *rand.Rand, tw *twins, persons []*oversight.Designation, n int) []query {
	generic := []string{"joined-typo", "cyr-letters", "greek-letters", "variant", "split"}
	out := make([]query, 0, n)
	for len(out) < n {
		var name string
		switch rng.IntN(4) {
		case 0:
			// A Hispanic-style name with two family names.
			name = heldGiven[rng.IntN(len(heldGiven))] + " " + heldFamily[rng.IntN(len(heldFamily))] + " " + heldFamily[rng.IntN(len(heldFamily))]
		case 1:
			name = heldGiven[rng.IntN(len(heldGiven))] + " " + heldFamily[rng.IntN(len(heldFamily))]
		case 2:
			// A listed person's family name with a pool's given name.
			w := words(persons[rng.IntN(len(persons))].Name)
			name = heldGiven[rng.IntN(len(heldGiven))] + " " + w[len(w)-1]
		default:
			// A listed person's given name with a pool's family name.
			w := words(persons[rng.IntN(len(persons))].Name)
			name = w[0] + " " + heldFamily[rng.IntN(len(heldFamily))]
		}
		if len(tw.holders(name)) > 0 {
			continue // every part of it is in one listed name
		}
		kind := generic[len(out)%len(generic)]
		_, q, ok := heldPerturb(rng, name, kind)
		if !ok {
			q = name
		}
		out = append(out, query{name: q, from: name, kind: kind})
	}
	return out
}
