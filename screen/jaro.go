package screen

import "math/bits"

// JaroWinkler returns the Jaro-Winkler similarity of a and b in [0, 1],
// with the usual prefix scale 0.1 over at most four characters. It compares
// bytes: the tokens it is given are ASCII. Strings longer than 64 bytes are
// compared on their first 64.
func JaroWinkler(a, b string) float64 {
	j := jaro(a, b)
	if j <= 0.7 {
		return j
	}
	prefix := 0
	for prefix < 4 && prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	return j + float64(prefix)*0.1*(1-j)
}

func jaro(a, b string) float64 {
	if len(a) > 64 {
		a = a[:64]
	}
	if len(b) > 64 {
		b = b[:64]
	}
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	window := max(la, lb)/2 - 1
	if window < 0 {
		window = 0
	}
	// Jaro matches each byte of a to the first unmatched equal byte of
	// b within the window. The positions of b's bytes as bit sets, by
	// their low five bits, find it with a few word operations instead of
	// a scan of the window: it is the lowest set bit among the
	// candidates, the bytes sharing those bits checked for equality (a
	// letter and a digit may). This is where screening spends much of
	// its time.
	var at [32]uint64
	for k := 0; k < lb; k++ {
		at[b[k]&31] |= 1 << k
	}
	var ma, mb uint64 // matched positions, as bit sets
	matches := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb, i+window+1)
		if lo >= hi {
			continue
		}
		// Bits lo to hi-1; a shift by 64 gives 0 in Go.
		in := (uint64(1)<<hi - 1) &^ (uint64(1)<<lo - 1)
		for c := at[a[i]&31] & in &^ mb; c != 0; c &= c - 1 {
			if k := bits.TrailingZeros64(c); b[k] == a[i] {
				ma |= 1 << i
				mb |= 1 << k
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	// The matched bytes of each, in order, paired: the pairs that differ
	// are transposed.
	transpositions := 0
	for ma != 0 {
		if a[bits.TrailingZeros64(ma)] != b[bits.TrailingZeros64(mb)] {
			transpositions++
		}
		ma &= ma - 1
		mb &= mb - 1
	}
	m := float64(matches)
	return (m/float64(la) + m/float64(lb) + (m-float64(transpositions/2))/m) / 3
}

// similarity is Jaro-Winkler with the penalties watchman found to cut false
// positives between names: a different first letter multiplies the score by
// 0.9, and a difference in length lowers it by up to 30% (so that "ali" is
// not nearly "alibaba").
func similarity(a, b string) float64 {
	if a == b {
		return 1
	}
	s := JaroWinkler(a, b)
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		s *= 0.9
	}
	la, lb := len(a), len(b)
	if d := la - lb; d != 0 {
		if d < 0 {
			d = -d
		}
		s *= 1 - 0.3*float64(d)/float64(max(la, lb))
	}
	return s
}

// similarityBound is at least similarity(a, b) and much cheaper: Jaro
// matches a byte only to an equal byte of the other string, so it counts
// no more matches than either string has bytes found anywhere in the
// other, and at best no transposition. It lets a caller skip comparing
// tokens that could not reach a bar.
func similarityBound(a, b string) float64 {
	if a == b {
		return 1
	}
	ta, tb := a[:min(len(a), 64)], b[:min(len(b), 64)]
	la, lb := len(ta), len(tb)
	if la == 0 || lb == 0 {
		return 0
	}
	// The bytes of each as sets, by their low five bits: bytes that
	// share them (a letter and a digit) count as found, which only
	// raises the bound.
	var sa, sb uint32
	for i := 0; i < la; i++ {
		sa |= 1 << (ta[i] & 31)
	}
	for i := 0; i < lb; i++ {
		sb |= 1 << (tb[i] & 31)
	}
	ina, inb := 0, 0
	for i := 0; i < la; i++ {
		ina += int(sb >> (ta[i] & 31) & 1)
	}
	for i := 0; i < lb; i++ {
		inb += int(sa >> (tb[i] & 31) & 1)
	}
	m := float64(min(ina, inb))
	if m == 0 {
		return 0
	}
	j := (m/float64(la) + m/float64(lb) + 1) / 3
	s := j
	if a[0] != b[0] {
		s *= 0.9
	} else if j > 0.7 {
		// At most four letters of prefix, the first being equal.
		prefix := 1
		for prefix < 4 && prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
			prefix++
		}
		s += float64(prefix) * 0.1 * (1 - j)
	}
	if d := len(a) - len(b); d != 0 {
		if d < 0 {
			d = -d
		}
		s *= 1 - 0.3*float64(d)/float64(max(len(a), len(b)))
	}
	return s
}
