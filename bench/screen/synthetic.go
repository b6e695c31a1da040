package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/oversight-dev/oversight"
)

// Synthetic persons: invented names built from syllables, drawn with a
// Zipf law so that, as in real populations, a few given names and surnames
// are very common (long posting lists, the slow case of an inverted index)
// and most are rare.

var (
	onsets = []string{"b", "d", "k", "l", "m", "n", "r", "s", "t", "v", "z", "sh", "kh", "ch", "g", "h", "f", "p", "j", "y", "br", "tr", "st", "dr"}
	nuclei = []string{"a", "e", "i", "o", "u", "a", "e", "i", "ai", "ou", "ia", "ei"}
	codas  = []string{"", "", "", "n", "r", "l", "s", "m", "k", "t", "v", "d"}
)

func word(rng *rand.Rand, syllables int) string {
	var b strings.Builder
	for range syllables {
		b.WriteString(onsets[rng.IntN(len(onsets))])
		b.WriteString(nuclei[rng.IntN(len(nuclei))])
		b.WriteString(codas[rng.IntN(len(codas))])
	}
	w := b.String()
	return strings.ToUpper(w[:1]) + w[1:]
}

func pool(rng *rand.Rand, n int) []string {
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		w := word(rng, 2+rng.IntN(2))
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

var nationalities = strings.Fields("RU IR SY KP CN VE BY MM CU IQ LB YE AF PK SA AE TR EG LY SD NI MX CO DE FR GB IL GR UA KZ")

func syntheticPersons(rng *rand.Rand, n int) []oversight.Designation {
	given := pool(rng, 20_000)
	family := pool(rng, 200_000)
	zg := rand.NewZipf(rng, 1.1, 4, uint64(len(given)-1))
	zf := rand.NewZipf(rng, 1.05, 8, uint64(len(family)-1))
	out := make([]oversight.Designation, n)
	for i := range out {
		name := given[zg.Uint64()]
		if rng.IntN(3) == 0 {
			name += " " + given[zg.Uint64()]
		}
		surname := strings.ToUpper(family[zf.Uint64()])
		d := oversight.Designation{
			ID:       fmt.Sprintf("des_syn-%d", i),
			Identity: oversight.Identity{Name: name + " " + surname},
			Basis:    oversight.BasisMisuse,
			Source:   fmt.Sprintf("synthetic:%d", i),
		}
		if rng.IntN(10) < 3 {
			d.Aliases = []string{given[zg.Uint64()] + " " + surname}
		}
		if rng.IntN(10) < 8 {
			d.BirthDate = fmt.Sprintf("%d", 1940+rng.IntN(60))
		}
		if rng.IntN(10) < 7 {
			d.Nationality = nationalities[rng.IntN(len(nationalities))]
		}
		out[i] = d
	}
	return out
}

func syntheticQueries(rng *rand.Rand, ds []oversight.Designation, n int) []query {
	out := make([]query, 0, n)
	for i := range n {
		d := &ds[rng.IntN(len(ds))]
		kind := kinds[i%len(kinds)]
		out = append(out, query{name: perturb(rng, d.Name, kind), source: d.ID, from: d.Name, kind: kind})
	}
	return out
}
