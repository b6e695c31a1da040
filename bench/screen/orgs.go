package main

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/bench/internal/cputime"
	"github.com/oversight-dev/oversight/screen"
)

// Organisation queries: names of listed entities as a company registry, a
// licence application or an invoice may write them. The tuning kinds and
// the held-out kinds share no rule.
var (
	orgKinds     = []string{"org-typo", "org-legal-change", "org-legal-drop", "org-swap", "org-punct"}
	heldOrgKinds = []string{"org-abbrev", "org-foreign-form", "org-drop-generic", "org-joined-typo", "org-case", "org-cyr-letters"}
)

var tuningForms = []string{"Ltd", "Limited", "LLC", "Inc.", "Corp.", "GmbH", "S.A.", "JSC", "Co.", "Company"}

// heldForms are written the way the tuning forms are not: with other
// punctuation, other languages, two words.
var heldForms = []string{"L.L.C.", "Pvt. Ltd.", "S.A.R.L.", "OOO", "SRL", "A.G.", "B.V.", "Sdn. Bhd.", "PJSC", "Co., Ltd.", "FZE", "Establishment"}

var abbreviations = [][2]string{
	{"international", "Intl"}, {"company", "Co"}, {"corporation", "Corp"}, {"limited", "Ltd"}, {"technology", "Tech"},
	{"technologies", "Tech"}, {"industries", "Inds"}, {"industrial", "Indl"}, {"trading", "Trdg"}, {"manufacturing", "Mfg"},
	{"engineering", "Eng"}, {"services", "Svcs"}, {"and", "&"}, {"&", "and"}, {"brothers", "Bros"}, {"general", "Gen"},
	{"electronics", "Elec"}, {"establishment", "Est"}, {"group", "Grp"}, {"management", "Mgmt"}, {"national", "Natl"},
}

func orgQueries(rng *rand.Rand, orgs []*oversight.Designation, n int, kinds []string) []query {
	out := make([]query, 0, n)
	for len(out) < n {
		kind := kinds[len(out)%len(kinds)]
		d := orgs[rng.IntN(len(orgs))]
		names := append([]string{d.Name}, d.Aliases...)
		name := names[rng.IntN(len(names))]
		if !latinName(name) || len(keyTokens(name)) == 0 {
			continue
		}
		q, ok := orgPerturb(rng, name, kind)
		if !ok || len(keyTokens(q)) == 0 {
			continue
		}
		out = append(out, query{name: q, source: d.ID, from: name, kind: kind})
	}
	return out
}

// isForm reports whether a word of a name is a legal form.
func isForm(w string) bool {
	k := strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, w))
	return k != "" && oversight.LegalForm(k) != ""
}

func orgPerturb(rng *rand.Rand, name, kind string) (string, bool) {
	w := words(name)
	stripped := slices.DeleteFunc(slices.Clone(w), func(s string) bool { return isForm(s) })
	if len(stripped) == 0 {
		stripped = w
	}
	switch kind {
	case "org-typo":
		return typo(rng, w, 1+rng.IntN(2)), true
	case "org-legal-change":
		return strings.Join(stripped, " ") + " " + tuningForms[rng.IntN(len(tuningForms))], true
	case "org-legal-drop":
		return strings.Join(stripped, " "), len(stripped) < len(w)
	case "org-swap":
		s := slices.Clone(stripped)
		if len(s) < 2 {
			return "", false
		}
		rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
		return strings.Join(s, " "), true
	case "org-punct":
		return strings.NewReplacer(",", "", ".", "", "-", " ", "&", "and").Replace(name), true
	case "org-abbrev":
		s := slices.Clone(w)
		changed := false
		for i, x := range s {
			lx := strings.ToLower(strings.Trim(x, ".,"))
			for _, a := range abbreviations {
				if lx == a[0] && rng.IntN(3) > 0 {
					s[i], changed = a[1], true
					break
				}
			}
		}
		return strings.Join(s, " "), changed
	case "org-foreign-form":
		return strings.Join(stripped, " ") + " " + heldForms[rng.IntN(len(heldForms))], true
	case "org-drop-generic":
		var generic []int
		for i, x := range stripped {
			if oversight.LooksLikeEntity("x " + x) {
				generic = append(generic, i)
			}
		}
		if len(generic) == 0 || len(stripped) < 3 {
			return "", false
		}
		k := generic[rng.IntN(len(generic))]
		return strings.Join(slices.Delete(slices.Clone(stripped), k, k+1), " "), true
	case "org-joined-typo":
		if len(stripped) < 2 {
			return "", false
		}
		k := rng.IntN(len(stripped) - 1)
		j := slices.Concat(stripped[:k], []string{stripped[k] + strings.ToLower(stripped[k+1])}, stripped[k+2:])
		return keySlips(rng, j, 1), true
	case "org-case":
		s := strings.ToLower(strings.NewReplacer("-", " ", ".", "", ",", " ,").Replace(name))
		if rng.IntN(2) == 0 {
			s = strings.ToUpper(s)
		}
		return s, true
	case "org-cyr-letters":
		return letterByLetter(rng, name, cyrLetters, nil), true
	}
	return "", false
}

// rescreenParties measures what re-screening the parties of every licence
// after a list import costs: n parties (vendors, their people, agencies and
// signatories: listed and unlisted names of people and organisations,
// perturbed), screened on every core, each query against the whole index.
func rescreenParties(ix *screen.Index, rng *rand.Rand, persons, orgs []*oversight.Designation, n int) {
	names := make([]string, n)
	for i := range names {
		switch rng.IntN(4) {
		case 0:
			d := orgs[rng.IntN(len(orgs))]
			names[i], _ = orgPerturb(rng, d.Name, "org-legal-change")
		case 1:
			names[i] = perturb(rng, persons[rng.IntN(len(persons))].Name, "typo")
		default:
			names[i] = givenNames[rng.IntN(len(givenNames))] + " " + surnames[rng.IntN(len(surnames))]
		}
	}
	workers := runtime.GOMAXPROCS(0)
	var next atomic.Int64
	var hits atomic.Int64
	var wg sync.WaitGroup
	ix.SetLookupMemo(*memo) // cold, as after the import that starts it
	start, cpu := time.Now(), cputime.Process()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(names) {
					return
				}
				ms, err := ix.Screen(screen.Query{Name: names[i], MinScore: screen.ReviewScore, Limit: 3})
				if err == nil && len(ms) > 0 {
					hits.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("re-screening %d licensing parties on %d workers: %v, %v of CPU, load average %s (%d at or above %.2f)\n", n, workers,
		time.Since(start).Round(time.Millisecond), (cputime.Process() - cpu).Round(time.Millisecond), loadavg(), hits.Load(), screen.ReviewScore)
}
