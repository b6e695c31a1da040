package screen

import (
	"slices"
	"testing"
)

// readEveryList is the search gramSearch must equal: every posting list of
// the key's bigrams read, tokens in the order they are first met, with the
// bigrams each shares.
func readEveryList(ix *Index, key string, skel bool, bar gramBar) [][2]int {
	n := len(key) + 1
	shared := map[uint32]int{}
	var order []uint32
	forGrams(key, func(g uint16) {
		for id := range ix.terms {
			t := &ix.terms[id].term
			k := t.fold
			if skel {
				k = t.skel
			}
			if t.kind != Regular {
				continue
			}
			forGrams(k, func(h uint16) {
				if h == g {
					if shared[uint32(id)] == 0 {
						order = append(order, uint32(id))
					}
					shared[uint32(id)]++
				}
			})
		}
	})
	var out [][2]int
	for _, id := range order {
		m := int(ix.lens[id].fold)
		if skel {
			m = int(ix.lens[id].skel)
		}
		s := shared[id]
		if bar.dice != 0 && s >= 2 && 10*float64(s) >= bar.dice*float64(n+m+1) ||
			bar.dice == 0 && m >= partMin && m+3 <= n && s >= 3 && float64(s) >= bar.contain*float64(m) {
			out = append(out, [2]int{int(id), s})
		}
	}
	return out
}

func TestGramSearchReadsEnough(t *testing.T) {
	ix := NewIndex()
	ix.PutAll(loadFixtures(t))
	ix.PutAll(syntheticDesignations(3000, 11)) // long lists, with bitmaps
	queries := []string{
		"Radomir Feliksovich ZAVADSKI", "Zavadskiyradomir", "Ananyev", "Banana Mamamia",
		"mohammesammadar", "Abdulrahman", "Kovalenkobaritorlidra", "يوسف الحرازي", "Ko", "bakorivendal",
		"Κώστας Παπαμιχαήλ", "Дмитрий",
	}
	for _, name := range queries {
		for _, tm := range analyze(name) {
			for _, skel := range []bool{false, true} {
				key, gi := tm.fold, ix.grams
				if skel {
					key, gi = tm.skel, ix.sgrams
				}
				for _, bar := range []gramBar{{dice: 2.4}, {dice: 3}, {dice: 3.5}, {contain: 0.6}, {contain: 0.75}} {
					want := readEveryList(ix, key, skel, bar)
					sc := ix.getScratch()
					var got [][2]int
					ix.gramSearch(key, gi, sc, bar, skel, func(id uint32, shared int) { got = append(got, [2]int{int(id), shared}) })
					ix.putScratch(sc)
					if bar.dice != 0 {
						// Only a search for parts is told exact counts.
						for i := range min(len(got), len(want)) {
							if got[i][0] == want[i][0] && got[i][1] <= want[i][1] {
								got[i][1] = want[i][1]
							}
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("%q (skeleton %v, %+v): found %v, reading every list finds %v", key, skel, bar, got, want)
					}
				}
			}
		}
	}
}
