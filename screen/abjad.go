package screen

// Names written in Arabic or Hebrew script leave short vowels out but write
// long vowels and a word's initial vowel with letters (alef, waw, ya, ain,
// he). A name read back from such a script is therefore the Latin name with
// some vowels missing and none added: محمد (mhmd) is Mohammed; محمود
// (mhmud) is Mahmoud and not Mohammed, since its waw stands where
// Mohammed has an e. abjadMatch checks exactly that, which tells many more
// names apart than comparing consonants alone.

// Units of a token for abjadMatch: consonant classes as in skeletonKey,
// and the vowel classes below.
const (
	unitA = 'A' // a
	unitE = 'E' // e
	unitI = 'I' // i, y
	unitU = 'U' // o, u
	unitW = 'W' // w
	unitV = 'V' // v, which Hebrew writes with the letter of o and u
)

func isVowelUnit(u byte) bool { return u == unitA || u == unitE || u == unitI || u == unitU }

// abjadUnits splits a Latin-letter token into units, written into buf.
// With collapse, a run of one unit counts once (the Latin side: Mohammed's
// mm is one m); without, it does not (the abjad side: لل in ليليانا are the
// two l of Liliana).
func abjadUnits(s string, buf []byte, collapse bool) []byte {
	out := buf[:0]
	put := func(u byte) {
		if !collapse || len(out) == 0 || out[len(out)-1] != u {
			out = append(out, u)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		switch {
		case c == 't' && next == 's' && i+2 < len(s) && s[i+2] == 'h', c == 't' && next == 'c' && i+2 < len(s) && s[i+2] == 'h':
			put('c')
			i += 2
		case c == 'c' && next == 'h', c == 't' && (next == 's' || next == 'z'):
			put('c')
			i++
		case next == 'h' && (c == 's' || c == 'z'):
			put('s')
			i++
		case next == 'h' && (c == 'k' || c == 'g' || c == 't' || c == 'd' || c == 'p'):
			put("kgtdb"[indexByte("kgtdp", c)])
			i++
		default:
			switch c {
			case 'a':
				put(unitA)
			case 'e':
				put(unitE)
			case 'i', 'y':
				put(unitI)
			case 'o', 'u':
				put(unitU)
			case 'w':
				put(unitW)
			case 'v':
				put(unitV)
			case 'b', 'p', 'f':
				put('b')
			case 'k', 'q', 'c':
				put('k')
			case 'g', 'j':
				put('g')
			case 's', 'z':
				put('s')
			case 'x':
				put('k')
				put('s')
			default:
				put(c)
			}
		}
	}
	return out
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// unitCompatible reports whether unit a of the token read from an abjad
// may stand for unit l of the Latin token; first is set for the first
// unit, where alef and ain carry any vowel.
func unitCompatible(a, l byte, first bool) bool {
	if a == l {
		return true
	}
	switch a {
	case unitA:
		return l == unitE || first && isVowelUnit(l)
	case unitI:
		return l == unitE
	case unitE:
		return l == unitI || l == unitA
	case unitU, unitW:
		return l == unitU || l == unitW || l == unitV
	case unitV, 'b':
		return l == 'b' || l == unitV || l == unitW
	}
	return false
}

// abjadMatch reports whether the abjad token can be the Latin token with
// vowels left out: the abjad's units are a subsequence of the Latin's,
// each compatible, and every Latin unit left over is a vowel (or a final
// h after one, as in Abdallah for عبدالله).
func abjadMatch(abjad, latin string) bool {
	var ba, bl [48]byte
	if len(abjad) > 48 || len(latin) > 48 {
		return false
	}
	a := abjadUnits(abjad, ba[:0], false)
	l := abjadUnits(latin, bl[:0], true)
	if n := len(l); n >= 2 && l[n-1] == 'h' && isVowelUnit(l[n-2]) {
		l = l[:n-1]
	}
	if n := len(a); n >= 2 && a[n-1] == 'h' && len(l) > 0 && isVowelUnit(l[len(l)-1]) {
		// A final he or ha written where the Latin name ends in a
		// vowel: عبدالله, Abdullah; שרה, Sarah.
		a = a[:n-1]
	}
	// ok[j]: a[:i] matches l[:j], for the current i.
	var ok, prev [49]bool
	prev[0] = true
	for j := 1; j <= len(l); j++ {
		prev[j] = prev[j-1] && isVowelUnit(l[j-1])
	}
	for i := 1; i <= len(a); i++ {
		ok[0] = false
		// A letter written twice may stand for one Latin letter, as
		// when a doubled consonant is spelt out rather than marked
		// with shadda.
		again := i >= 2 && a[i-1] == a[i-2]
		for j := 1; j <= len(l); j++ {
			ok[j] = prev[j-1] && unitCompatible(a[i-1], l[j-1], i == 1) ||
				again && prev[j] && unitCompatible(a[i-1], l[j-1], false) ||
				ok[j-1] && isVowelUnit(l[j-1])
		}
		prev = ok
	}
	return prev[len(l)]
}
