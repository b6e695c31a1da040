package screen

import "strings"

// foldKey rewrites a token so that the spellings different romanisations
// give one name agree: Yevgeniy and Evgenii, Khamid and Hamid,
// Shcherbakov and Scherbakov, Abdallah and Abdalla, Youssef and Yusef all
// fold to one key. Tokens with equal keys are very likely the same name;
// the key also finds spellings that share too few letters for the n-gram
// search.
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
		switch {
		case strings.HasPrefix(s[i:], "shch"):
			b.WriteString("s")
			i += 3
		case strings.HasPrefix(s[i:], "sch"):
			b.WriteByte('s')
			i += 2
		case strings.HasPrefix(s[i:], "tch"):
			b.WriteByte('h')
			i += 2
		case strings.HasPrefix(s[i:], "dzh"):
			b.WriteByte('j')
			i += 2
		case c == 'd' && next == 'j', c == 'z' && next == 'h':
			b.WriteByte('j')
			i++
		case (c == 'k' || c == 'c' || c == 's') && next == 'h':
			if c == 's' {
				b.WriteByte('s')
			} else {
				b.WriteByte('h')
			}
			i++
		case c == 'p' && next == 'h':
			b.WriteByte('f')
			i++
		case (c == 't' || c == 'd' || c == 'g') && next == 'h':
			b.WriteByte(c)
			i++
		case c == 't' && next == 'z':
			b.WriteString("ts")
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
	b.Grow(len(s))
	var last byte
	put := func(c byte) {
		if c != last {
			b.WriteByte(c)
			last = c
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		if next == 'h' {
			switch c {
			case 's', 'z':
				put('s')
				i++
				continue
			case 'k', 'c':
				put('k')
				i++
				continue
			case 'g':
				put('g')
				i++
				continue
			case 't':
				put('t')
				i++
				continue
			case 'd':
				put('d')
				i++
				continue
			case 'p':
				put('b')
				i++
				continue
			}
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
