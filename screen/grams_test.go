package screen

import (
	"slices"
	"testing"
)

// readEveryList is the search gramSearch must equal: every posting list of
// the key's bigrams read, tokens in the order they are first met.
func readEveryList(ix *Index, key string, skel bool, dice float64) []uint32 {
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
	var out []uint32
	for _, id := range order {
		m := int(ix.lens[id].fold)
		if skel {
			m = int(ix.lens[id].skel)
		}
		if s := shared[id]; s >= 2 && 10*float64(s) >= dice*float64(n+m+1) {
			out = append(out, id)
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
				for _, dice := range []float64{2.4, 3, 3.5} {
					want := readEveryList(ix, key, skel, dice)
					sc := ix.getScratch()
					var got []uint32
					ix.gramSearch(key, gi, sc, dice, skel, func(id uint32) { got = append(got, id) })
					ix.putScratch(sc)
					if !slices.Equal(got, want) {
						t.Errorf("%q (skeleton %v, dice %v): found %v, reading every list finds %v", key, skel, dice, got, want)
					}
				}
			}
		}
	}
}
