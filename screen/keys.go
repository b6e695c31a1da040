package screen

import "strings"

// foldKey rewrites a token so that the spellings different romanisations
// give one name agree: Yevgeniy and Evgenii, Khamid, Hamid and Amid,
// Shcherbakov and Scherbakov, Abdallah and Abdalla, Youssef and Yusef,
// Chong and Tsong (Greek τσ), Abdurrahman and Ampntourrachman (Greek μπ, ντ)
// all fold to one key. Tokens with equal keys are very likely the same name;
// the index also searches the keys' bigrams, so that spellings sharing few
// letters are found. The key is for comparison only: it may contain 'C',
// the class of ch, tch, ts and tz.
func foldKey(s string) string {
	if strings.HasPrefix(s, "ye") || strings.HasPrefix(s, "je") && len(s) > 3 {
		s = s[1:]
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "shch"):
			b.WriteByte('s')
			i += 3
		case strings.HasPrefix(rest, "sch"):
			b.WriteByte('s')
			i += 2
		case strings.HasPrefix(rest, "tch"), strings.HasPrefix(rest, "tsh"):
			b.WriteByte('C')
			i += 2
		case strings.HasPrefix(rest, "dzh"):
			b.WriteByte('j')
			i += 2
		case i == 0 && c == 't' && next == 'z':
			// Greek τζ, the sound j: Τζον is John.
			b.WriteByte('j')
			i++
		case c == 'd' && next == 'j', c == 'z' && next == 'h':
			b.WriteByte('j')
			i++
		case c == 'c' && next == 'h', c == 't' && (next == 's' || next == 'z'):
			b.WriteByte('C')
			i++
		case c == 'k' && next == 'h':
			// kh, h and nothing at all are one sound in
			// romanisations: Russian writes Hamid as Khamid,
			// Greek, which has no h, as Amid.
			i++
		case c == 's' && next == 'h':
			b.WriteByte('s')
			i++
		case c == 'p' && next == 'h':
			b.WriteByte('f')
			i++
		case (c == 't' || c == 'd' || c == 'g') && next == 'h':
			b.WriteByte(c)
			i++
		case (c == 'm' && (next == 'b' || next == 'p')) && i > 0:
			// Greek μπ inside a word is b in foreign names.
			b.WriteByte('b')
			i++
		case (c == 'n' && (next == 'd' || next == 't')) && i > 0:
			b.WriteByte('d')
			i++
		case c == 'n' && next == 'g' && i > 0 && i+2 < len(s):
			b.WriteByte('g')
			i++
		case c == 'c' && next == 'k':
			b.WriteByte('k')
			i++
		case c == 'o' && (next == 'u' || next == 'o'):
			b.WriteByte('u')
			i++
		case c == 'e' && next == 'e':
			b.WriteByte('i')
			i++
		case c == 'q', c == 'c':
			b.WriteByte('k')
		case c == 'x':
			b.WriteString("ks")
		case c == 'w':
			b.WriteByte('v')
		case c == 'y':
			b.WriteByte('i')
		case c == 'h':
		default:
			b.WriteByte(c)
		}
	}
	return trimFinalH(collapse(b.String()))
}

// skeletonKey is a token's consonants, in classes of letters that Arabic
// and Hebrew spellings of one name confuse: محمد (mhmd) and Mohammed, אברהם
// (abrhm) and Avraham, عبد الله and Abdullah. Abjads do not write short
// vowels, so a name entered in them can only be compared this way.
func skeletonKey(s string) string {
	s = trimFinalH(collapse(s))
	var b strings.Builder
	b.Grow(len(s) + 1)
	var last byte
	put := func(c byte) {
		if c != last {
			b.WriteByte(c)
			last = c
		}
	}
	if s != "" && strings.IndexByte("aeiou", s[0]) >= 0 {
		// Arabic and Hebrew write an initial vowel with a letter
		// (alef, ain), so whether a name begins with one is known:
		// اسد (Assad) is not سعيد (Saeed).
		put('a')
		last = 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "tsh"), strings.HasPrefix(rest, "tch"):
			put('c')
			i += 2
			continue
		case strings.HasPrefix(rest, "ch"), strings.HasPrefix(rest, "ts"), strings.HasPrefix(rest, "tz"):
			put('c')
			i++
			continue
		case len(rest) > 1 && rest[1] == 'h' && strings.IndexByte("szkgtdp", c) >= 0:
			// sh, zh, kh, gh, th, dh, ph: one consonant each.
			put("ssgkbtd"[strings.IndexByte("szgkptd", c)])
			i++
			continue
		}
		switch c {
		case 'a', 'e', 'i', 'o', 'u', 'y', 'w':
			last = 0 // a vowel separates two equal consonants (mhmd)
		case 'q', 'c', 'k':
			put('k')
		case 'g', 'j':
			put('g')
		case 'p', 'b', 'f', 'v':
			put('b')
		case 'z', 's':
			put('s')
		case 'x':
			put('k')
			put('s')
		default:
			put(c)
		}
	}
	return b.String()
}

// collapse replaces each run of one letter by a single letter.
func collapse(s string) string {
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			b := []byte(s[:i])
			for ; i < len(s); i++ {
				if s[i] != b[len(b)-1] {
					b = append(b, s[i])
				}
			}
			return string(b)
		}
	}
	return s
}

// trimFinalH drops a word-final h after a vowel: Abdallah and Abdalla,
// Sarah and Sara, and the Arabic ta marbuta written either way.
func trimFinalH(s string) string {
	if n := len(s); n > 2 && s[n-1] == 'h' && strings.IndexByte("aeiou", s[n-2]) >= 0 {
		return s[:n-1]
	}
	return s
}
