// Command screen measures the visa-screening matcher (package screen) on
// the OFAC SDN list: quality on a perturbed query set built from the list
// (typos, dropped and swapped tokens, missing middle names, honorifics,
// names written in Cyrillic, Greek, Arabic and Hebrew script) and on names
// that are not listed, then latency, throughput, build time and memory at
// the list's size and with synthetic entries added up to -synthetic.
//
// Runs repeat: every random choice comes from -seed.
//
//	go run ./bench/screen -data ../shared/data/sanctions -synthetic 1000000
//
// or bench/screen/screen.sh, which does that and keeps the output in
// bench/out/screen.txt.
package main

import (
	"bufio"
	"cmp"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mozillazg/go-unidecode"
	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/bench/internal/cputime"
	"github.com/oversight-dev/oversight/bench/internal/latency"
	"github.com/oversight-dev/oversight/lists"
	"github.com/oversight-dev/oversight/screen"
)

var (
	dataDir    = flag.String("data", "../shared/data/sanctions", "directory holding sdn.csv, alt.csv and sdn_comments.csv")
	seed       = flag.Uint64("seed", 6, "seed of every random choice")
	nListed    = flag.Int("queries", 4000, "perturbed queries of listed persons")
	nUnlisted  = flag.Int("unlisted", 4000, "queries of persons not on the list")
	heldSeed   = flag.Uint64("heldout-seed", 2027, "seed of the held-out query set")
	nOrgs      = flag.Int("orgs", 2000, "perturbed queries of listed organisations, in each set")
	rescreen   = flag.Int("rescreen", 10000, "licensing parties re-screened after an import (0: skip)")
	synthetic  = flag.Int("synthetic", 0, "then add synthetic persons up to this many designations and measure again (0: skip)")
	verbose    = flag.Int("show", 0, "print this many failed listed queries and false positives")
	cpuprof    = flag.String("cpuprofile", "", "write a CPU profile of the speed runs to this file")
	tailprof   = flag.String("tailprofile", "", "run the slowest 1% of the queries again, 20 times each without the memo, and write a CPU profile of that to this file")
	tailOut    = flag.String("tailqueries", "", "write the slowest 2% of the queries to this file, one a line, for -replay")
	explain    = flag.String("explain", "", "only print the three best matches of each name of this file, with their explanations, and exit: for seeing why a query missed")
	replay     = flag.String("replay", "", "only screen each name of this file once, without the memo, and exit: for counting instructions (bench/screen/callgrind.sh)")
	queriesOut = flag.String("writequeries", "", "write the queries timed at the lists' size to this file, one a line, in the order timed, for -replay")
	replayMemo = flag.Bool("replay-memo", false, "-replay with the lookup memo, starting empty: the names in order, as a server meets them")
	only       = flag.String("only", "", "time only the queries of this perturbation (typo, arabic…)")
	dump       = flag.String("dump", "", "write every quality query's matches (id, score, explanation) to this file, to compare two builds of the matcher")
	memo       = flag.Int("memo", screen.DefaultLookupMemo, "query tokens' lookups the index remembers (0: none); forgotten before each speed run, which starts cold")
	doQuality  = flag.Bool("quality", true, "measure quality (false: only speed, for profiling)")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	rng := rand.New(rand.NewPCG(*seed, *seed^0x5eed))

	start := time.Now()
	ds, skipped := loadLists(*dataDir)
	fmt.Printf("lists: %d designations read in %v (skipped %v)\n", len(ds), time.Since(start).Round(time.Millisecond), skipped)

	ix := screen.NewIndex()
	start = time.Now()
	if err := ix.PutAll(ds); err != nil {
		log.Fatal(err)
	}
	build := time.Since(start)
	if *replay != "" {
		replayFile(ix, *replay)
		return
	}
	if *explain != "" {
		explainFile(ix, *explain)
		return
	}
	st := ix.Stats()
	fmt.Printf("index: %d designations, %d names, %d distinct tokens, built in %v\n", st.Designations, st.Names, st.Tokens, build.Round(time.Millisecond))
	printMemory()

	// Queries are made from the lists' active entries.
	var persons, orgs []*oversight.Designation
	for i := range ds {
		switch {
		case ds[i].DelistedAt != nil:
		case ds[i].Type == oversight.PartyEntity:
			orgs = append(orgs, &ds[i])
		default:
			persons = append(persons, &ds[i])
		}
	}
	tw := newTwins(ds)
	qs := listedQueries(rng, persons, *nListed)
	qs = append(qs, unlistedQueries(rng, ds, persons, *nUnlisted)...)
	orgQs := orgQueries(rng, orgs, *nOrgs, orgKinds)

	hrng := rand.New(rand.NewPCG(*heldSeed, *heldSeed^0xfeed))
	held := heldOutQueries(hrng, tw, persons, *nListed)
	held = append(held, heldOutUnlisted(hrng, tw, persons, *nUnlisted)...)
	heldOrgs := orgQueries(hrng, orgs, *nOrgs, heldOrgKinds)

	fmt.Printf("\n== quality, tuning set: %d listed persons (perturbed), %d not listed, seed %d\n", *nListed, *nUnlisted, *seed)
	quality(ix, qs, kinds, tw.sameName)
	fmt.Printf("\n== quality, held-out set: %d listed persons, %d not listed, seed %d, rules of heldout.go\n", *nListed, *nUnlisted, *heldSeed)
	quality(ix, held, heldKinds, tw.subset)
	fmt.Printf("\n== organisations, tuning set: %d perturbed names of %d listed entities, seed %d\n", len(orgQs), len(orgs), *seed)
	quality(ix, orgQs, orgKinds, tw.subset)
	fmt.Printf("\n== organisations, held-out set: %d perturbed names, seed %d\n", len(heldOrgs), *heldSeed)
	quality(ix, heldOrgs, heldOrgKinds, tw.subset)

	all := slices.Concat(qs, held, orgQs, heldOrgs)
	if *queriesOut != "" {
		names := make([]string, len(all))
		for i, q := range all {
			names[i] = q.name
		}
		writeNames(*queriesOut, names)
	}
	fmt.Printf("\n== speed at the lists' size (%d names)\n", st.Names)
	speed(ix, all)
	if *rescreen > 0 {
		rescreenParties(ix, rng, persons, orgs, *rescreen)
	}

	if *synthetic > len(ds) {
		n := *synthetic - len(ds)
		fmt.Printf("\n== adding %d synthetic persons\n", n)
		syn := syntheticPersons(rng, n)
		start = time.Now()
		const chunk = 50_000
		for i := 0; i < len(syn); i += chunk {
			if err := ix.PutAll(syn[i:min(i+chunk, len(syn))]); err != nil {
				log.Fatal(err)
			}
		}
		build := time.Since(start)
		// The index keeps its own copies; let the generator's go.
		synQueries := syntheticQueries(rng, syn, 2000)
		syn = nil
		st := ix.Stats()
		fmt.Printf("index: %d designations, %d names, %d distinct tokens, synthetic part built in %v\n", st.Designations, st.Names, st.Tokens, build.Round(time.Millisecond))
		printMemory()
		fmt.Printf("\n== quality with %d designations (list queries among synthetic distractors)\n", st.Designations)
		quality(ix, qs, kinds, tw.sameName)
		quality(ix, held, heldKinds, tw.subset)
		fmt.Printf("\n== speed with %d designations (list queries and perturbed synthetic names)\n", st.Designations)
		speed(ix, append(slices.Clone(all), synQueries...))
		printMemory()
	}
	runtime.KeepAlive(ix) // so that the last memory figures include it
	if dumpOut != nil {
		if err := dumpOut.Flush(); err != nil {
			log.Fatal(err)
		}
	}
}

var dumpOut *bufio.Writer

// dumpMatches writes the matches of one query to -dump: two builds of the
// matcher that dump the same file answer every quality query alike, which
// is how a change made for speed shows it changed no answer.
func dumpMatches(name string, ms []oversight.Match) {
	if *dump == "" {
		return
	}
	if dumpOut == nil {
		f, err := os.Create(*dump)
		if err != nil {
			log.Fatal(err)
		}
		dumpOut = bufio.NewWriter(f)
	}
	fmt.Fprintf(dumpOut, "%q\n", name)
	for _, m := range ms {
		fmt.Fprintf(dumpOut, "\t%s %.3f %s\n", m.DesignationID, m.Score, m.Explanation.Summary)
	}
}

// loadLists reads every list of dir that is there: the OFAC SDN list
// (required), the consolidated list and the Denied Persons List, with ids
// made from their sources.
func loadLists(dir string) ([]oversight.Designation, map[string]int) {
	var ds []oversight.Designation
	skipped := map[string]int{}
	for _, l := range []struct {
		format   lists.Format
		file     string
		optional bool
	}{{lists.FormatOFACSDN, "sdn.csv", false}, {lists.FormatOFACSDN, "CONS_PRIM.CSV", true}, {lists.FormatBISDPL, "bis_dpl_2022.txt", true}} {
		path := filepath.Join(dir, l.file)
		if _, err := os.Stat(path); err != nil && l.optional {
			continue
		}
		res, err := lists.Load(l.format, path, lists.Options{})
		if err != nil {
			log.Fatal(err)
		}
		for k, v := range res.Skipped {
			skipped[k] += v
		}
		ds = append(ds, res.Designations...)
	}
	for i := range ds {
		ds[i].ID = "des_" + strings.NewReplacer(":", "-", "/", "-").Replace(ds[i].Source)
	}
	return ds, skipped
}

func printMemory() {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rss, hwm := procStatus("VmRSS"), procStatus("VmHWM")
	fmt.Printf("memory: heap in use %.0f MiB, heap sys %.0f MiB, RSS %s, peak RSS %s\n",
		float64(m.HeapInuse)/(1<<20), float64(m.HeapSys)/(1<<20), rss, hwm)
}

func procStatus(key string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

// query is one benchmark query: a name, the designation it was made from
// ("" for a name not on the list) and how it was perturbed.
type query struct {
	name   string
	source string
	from   string // the listed name it was made from
	kind   string
}

var kinds = []string{"typo", "two-typos", "drop-middle", "swap", "honorific", "cyrillic", "greek", "arabic", "hebrew", "romanised"}

var honorificWords = []string{"Mr.", "Dr.", "Sheikh", "Gen.", "Haji", "Prof.", "Mrs.", "Col."}

func listedQueries(rng *rand.Rand, persons []*oversight.Designation, n int) []query {
	out := make([]query, 0, n)
	for i := 0; i < n; i++ {
		d := persons[rng.IntN(len(persons))]
		names := append([]string{d.Name}, d.Aliases...)
		name := names[rng.IntN(len(names))]
		kind := kinds[i%len(kinds)]
		out = append(out, query{name: perturb(rng, name, kind), source: d.ID, from: name, kind: kind})
	}
	return out
}

func perturb(rng *rand.Rand, name, kind string) string {
	words := strings.Fields(name)
	switch kind {
	case "typo":
		return typo(rng, words, 1)
	case "two-typos":
		return typo(rng, words, 2)
	case "drop-middle":
		if len(words) >= 3 {
			k := 1 + rng.IntN(len(words)-2)
			return strings.Join(slices.Delete(slices.Clone(words), k, k+1), " ")
		}
		return typo(rng, words, 1)
	case "swap":
		w := slices.Clone(words)
		rng.Shuffle(len(w), func(i, j int) { w[i], w[j] = w[j], w[i] })
		if slices.Equal(w, words) && len(w) > 1 {
			slices.Reverse(w)
		}
		return strings.Join(w, " ")
	case "honorific":
		return honorificWords[rng.IntN(len(honorificWords))] + " " + name
	case "cyrillic":
		return toCyrillic(name)
	case "greek":
		return toGreek(name)
	case "arabic":
		return toArabic(name, rng)
	case "hebrew":
		return toHebrew(name, rng)
	case "romanised":
		// Into Cyrillic and back out with another romanisation
		// (unidecode's: й i, ю iu, х kh).
		return unidecode.Unidecode(toCyrillic(name))
	}
	return name
}

// typo makes n edits (insertion, deletion, substitution, transposition) in
// tokens of four letters or more, one edit per token where it can.
func typo(rng *rand.Rand, words []string, n int) string {
	w := slices.Clone(words)
	var long []int
	for i, x := range w {
		if len(x) >= 4 {
			long = append(long, i)
		}
	}
	if len(long) == 0 {
		return strings.Join(w, " ")
	}
	rng.Shuffle(len(long), func(i, j int) { long[i], long[j] = long[j], long[i] })
	for e := 0; e < n; e++ {
		k := long[e%len(long)]
		b := []byte(w[k])
		p := 1 + rng.IntN(len(b)-1) // typos rarely hit the first letter
		c := byte('a' + rng.IntN(26))
		switch rng.IntN(4) {
		case 0:
			b = slices.Insert(b, p, c)
		case 1:
			b = slices.Delete(b, p, p+1)
		case 2:
			b[p] = c
		case 3:
			if p+1 < len(b) {
				b[p], b[p+1] = b[p+1], b[p]
			} else {
				b[p] = c
			}
		}
		w[k] = string(b)
	}
	return strings.Join(w, " ")
}

// givenNames and surnames of the names not on the list: common names from
// many countries. A generated name that happens to be listed is dropped.
var givenNames = strings.Fields(`James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth
William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy
Anthony Betty Mark Sandra Paul Emily Steven Kimberly Andrew Donna Kenneth Michelle Joshua Carol
Olga Irina Natalia Elena Tatiana Svetlana Dmitry Sergei Andrei Alexei Nikolai Pavel Igor Mikhail
Wei Fang Jing Li Min Hui Lei Yan Jun Hao Mei Xiu Chen Ming Hiroshi Yuki Takeshi Sakura Kenji
Priya Rahul Anjali Vikram Sunita Arjun Deepa Rohan Kavita Sanjay Lakshmi Ravi Aisha Fatima Omar
Youssef Layla Karim Nadia Tariq Samira Hamza Zainab Bilal Mariam Kwame Ama Kofi Abena Chidi Ngozi
Emeka Amara Tunde Folake Sipho Thandiwe Juan Maria Carlos Ana Luis Sofia Jorge Lucia Pedro Camila
Diego Valentina Miguel Isabella Giovanni Francesca Luca Chiara Marco Giulia Pierre Camille Louis
Chloe Hugo Lea Lukas Anna Jonas Lena Felix Marie Jan Eva Piotr Agnieszka Tomasz Katarzyna Mehmet
Ayse Mustafa Fatma Emre Zeynep Nikos Eleni Giorgos Maria Dimitris Katerina Yosef Noa Avi Tamar
Eitan Shira Lars Ingrid Erik Astrid Bjorn Sigrid Sven Freya Aoife Cian Siobhan Padraig Niamh`)

var surnames = strings.Fields(`Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor
Thomas Moore Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright
Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker
Ivanova Smirnov Kuznetsova Popov Sokolova Lebedev Kozlova Novikov Morozova Volkov Solovyova Vasiliev
Wang Zhang Liu Yang Huang Zhao Zhou Wu Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Sato Suzuki Takahashi
Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Sharma Verma Gupta Patel Reddy Nair Iyer Menon Rao
Das Bose Mehta Kapoor Haddad Khoury Nasser Mansour Saleh Aziz Farouk Hamdan Darwish Karam Mensah
Owusu Boateng Okafor Adeyemi Okonkwo Nwosu Dlamini Nkosi Garcia Rodriguez Martinez Hernandez Lopez
Gonzalez Perez Sanchez Ramirez Torres Flores Rivera Gomez Diaz Rossi Russo Ferrari Esposito Bianchi
Romano Colombo Dubois Durand Leroy Moreau Laurent Lefebvre Muller Schmidt Schneider Fischer Weber
Meyer Wagner Becker Kowalski Nowak Wisniewski Wojcik Yilmaz Kaya Demir Sahin Celik Papadopoulos
Georgiou Nikolaidis Cohen Levi Mizrahi Peretz Biton Friedman Hansen Johansen Olsen Larsen Andersen
Nielsen Murphy Kelly Byrne Ryan Walsh OBrien Doyle`)

// unlistedQueries makes names that are not on the list. A name all of
// whose tokens appear in one listed name ("Mario SANCHEZ" for "Mario PARRA
// SANCHEZ") is not counted as unlisted: a screener must flag it.
func unlistedQueries(rng *rand.Rand, all []oversight.Designation, persons []*oversight.Designation, n int) []query {
	byToken := make(map[string][]map[string]bool)
	for i := range all {
		for _, name := range append([]string{all[i].Name}, all[i].Aliases...) {
			set := make(map[string]bool)
			for _, t := range strings.Fields(screen.Normalize(name)) {
				set[t] = true
			}
			for t := range set {
				byToken[t] = append(byToken[t], set)
			}
		}
	}
	isListed := func(name string) bool {
		toks := strings.Fields(screen.Normalize(name))
		if len(toks) == 0 {
			return true
		}
	sets:
		for _, set := range byToken[toks[0]] {
			for _, t := range toks[1:] {
				if !set[t] {
					continue sets
				}
			}
			return true
		}
		return false
	}
	out := make([]query, 0, n)
	for len(out) < n {
		var name string
		switch rng.IntN(3) {
		case 0, 1:
			// A common name from anywhere, with a middle name at times.
			name = givenNames[rng.IntN(len(givenNames))] + " " + surnames[rng.IntN(len(surnames))]
			if rng.IntN(4) == 0 {
				name = givenNames[rng.IntN(len(givenNames))] + " " + name
			}
		default:
			// The hard case: a given name of one listed person and
			// the surname of another ("George Bush" and "George
			// HABBASH").
			a := strings.Fields(persons[rng.IntN(len(persons))].Name)
			b := strings.Fields(persons[rng.IntN(len(persons))].Name)
			if len(a) < 2 || len(b) < 2 {
				continue
			}
			name = a[0] + " " + b[len(b)-1]
		}
		if isListed(name) {
			continue
		}
		kind := kinds[len(out)%len(kinds)]
		out = append(out, query{name: perturb(rng, name, kind), from: name, kind: kind})
	}
	return out
}

func sortedKey(name string) string {
	f := strings.Fields(screen.Normalize(name))
	sort.Strings(f)
	return strings.Join(f, " ")
}

// twins knows, for a query made from a listed name, which other
// designations the query fits as well: no matcher can tell two people of
// the same name apart by name, nor two whose names both hold every part
// the query gives.
type twins struct {
	byKey   map[string][]string      // sorted tokens of a name → designations
	byToken map[string][]*nameTokens // token → names holding it
}

type nameTokens struct {
	id  string
	set map[string]bool
}

// keyTokens are the tokens of a name that say who it is: normalised,
// without legal forms (Ltd, GmbH), particles or initials.
func keyTokens(name string) []string {
	var out []string
	for _, t := range screen.Tokenize(name) {
		if t.Kind == screen.Regular {
			out = append(out, t.Text)
		}
	}
	return out
}

func newTwins(ds []oversight.Designation) *twins {
	tw := &twins{byKey: map[string][]string{}, byToken: map[string][]*nameTokens{}}
	for i := range ds {
		for _, name := range append([]string{ds[i].Name}, ds[i].Aliases...) {
			k := sortedKey(name)
			if !slices.Contains(tw.byKey[k], ds[i].ID) {
				tw.byKey[k] = append(tw.byKey[k], ds[i].ID)
			}
			nt := &nameTokens{id: ds[i].ID, set: map[string]bool{}}
			for _, t := range keyTokens(name) {
				nt.set[t] = true
			}
			for t := range nt.set {
				tw.byToken[t] = append(tw.byToken[t], nt)
			}
		}
	}
	return tw
}

// holders returns the designations with a name holding every key token of
// name.
func (tw *twins) holders(name string) []string {
	toks := keyTokens(name)
	if len(toks) == 0 {
		return nil
	}
	var out []string
	rarest := toks[0]
	for _, t := range toks[1:] {
		if len(tw.byToken[t]) < len(tw.byToken[rarest]) {
			rarest = t
		}
	}
next:
	for _, nt := range tw.byToken[rarest] {
		for _, t := range toks {
			if !nt.set[t] {
				continue next
			}
		}
		if !slices.Contains(out, nt.id) {
			out = append(out, nt.id)
		}
	}
	return out
}

// sameName is the tuning set's rule: the person, or one bearing the same
// name the query was made from.
func (tw *twins) sameName(q query, id string) bool {
	return id == q.source || q.source != "" && slices.Contains(tw.byKey[sortedKey(q.from)], id)
}

// subset is the held-out and organisation sets' rule: the person, or one
// with a name holding every part of the name the query was made from (a
// query giving one of two surnames fits every listed person with that
// given name and that surname).
func (tw *twins) subset(q query, id string) bool {
	return id == q.source || q.source != "" && slices.Contains(tw.holders(q.from), id)
}

type tally struct{ n, top1, top1band, top10, fp, unlisted int }

func quality(ix *screen.Index, qs []query, kinds []string, correct func(query, string) bool) {
	if !*doQuality {
		return
	}
	byKind := map[string]*tally{}
	var listed, unlisted tally
	var bandAll, bandCorrect int
	shown := 0
	for _, q := range qs {
		ms, err := ix.Screen(screen.Query{Name: q.name, Limit: 10})
		if err != nil {
			log.Fatalf("screen %q: %v", q.name, err)
		}
		dumpMatches(q.name, ms)
		t := byKind[q.kind]
		if t == nil {
			t = new(tally)
			byKind[q.kind] = t
		}
		for _, m := range ms {
			if m.Score >= screen.ReviewScore {
				bandAll++
				if correct(q, m.DesignationID) {
					bandCorrect++
				}
			}
		}
		if q.source == "" {
			unlisted.n++
			t.unlisted++
			if len(ms) > 0 && ms[0].Score >= screen.ReviewScore {
				unlisted.fp++
				t.fp++
				if shown < *verbose {
					shown++
					fmt.Printf("  false positive: %q (from %q, %s) -> %q %.3f: %s\n", q.name, q.from, q.kind, ms[0].MatchedAlias, ms[0].Score, ms[0].Explanation.Summary)
				}
			}
			continue
		}
		listed.n++
		t.n++
		if len(ms) > 0 && correct(q, ms[0].DesignationID) {
			listed.top1++
			t.top1++
			if ms[0].Score >= screen.ReviewScore {
				listed.top1band++
				t.top1band++
			}
		} else if shown < *verbose {
			shown++
			got := "nothing"
			if len(ms) > 0 {
				got = fmt.Sprintf("%q %.3f (%s)", ms[0].MatchedAlias, ms[0].Score, ms[0].Explanation.Summary)
			}
			fmt.Printf("  missed: %q (from %q, %s) -> %s\n", q.name, q.from, q.kind, got)
		}
		for _, m := range ms {
			if correct(q, m.DesignationID) {
				listed.top10++
				t.top10++
				break
			}
		}
	}
	fmt.Printf("%-16s %6s %9s %14s %10s %12s\n", "perturbation", "listed", "recall@1", "recall@1≥0.85", "recall@10", "FP≥0.85")
	for _, k := range kinds {
		t := byKind[k]
		if t == nil {
			continue
		}
		fmt.Printf("%-16s %6d %9.3f %14.3f %10.3f %12s\n", k, t.n, ratio(t.top1, t.n), ratio(t.top1band, t.n), ratio(t.top10, t.n), fmt.Sprintf("%d/%d", t.fp, t.unlisted))
	}
	fmt.Printf("%-16s %6d %9.3f %14.3f %10.3f\n", "all listed", listed.n, ratio(listed.top1, listed.n), ratio(listed.top1band, listed.n), ratio(listed.top10, listed.n))
	fmt.Printf("recall@1 (top match is the listed entry, any score ≥ %.2f): %.4f\n", screen.DefaultMinScore, ratio(listed.top1, listed.n))
	fmt.Printf("recall@1 in the review band (score ≥ %.2f): %.4f\n", screen.ReviewScore, ratio(listed.top1band, listed.n))
	fmt.Printf("precision at %.2f (matches scoring ≥ %.2f that are right, over all queries): %.4f (%d of %d)\n", screen.ReviewScore, screen.ReviewScore, ratio(bandCorrect, bandAll), bandCorrect, bandAll)
	if unlisted.n > 0 {
		fmt.Printf("false positives on names not listed (top match ≥ %.2f): %.4f (%d of %d)\n", screen.ReviewScore, ratio(unlisted.fp, unlisted.n), unlisted.fp, unlisted.n)
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func speed(ix *screen.Index, qs []query) {
	if *only != "" {
		qs = slices.DeleteFunc(slices.Clone(qs), func(q query) bool { return q.kind != *only })
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	// Warm up, then time each query alone. The index's memo of token
	// lookups starts empty, as after a server start or a list import:
	// the queries of the quality runs would otherwise all be remembered.
	for _, q := range qs[:min(len(qs), 200)] {
		ix.Screen(screen.Query{Name: q.name})
	}
	ix.SetLookupMemo(*memo)
	// Wall time, and the CPU time of the thread, which other work on a
	// shared machine does not inflate.
	lat := make([]time.Duration, len(qs))
	cpu := make([]time.Duration, len(qs))
	runtime.LockOSThread()
	for i, q := range qs {
		c := cputime.Thread()
		t := time.Now()
		if _, err := ix.Screen(screen.Query{Name: q.name}); err != nil {
			log.Fatal(err)
		}
		lat[i] = time.Since(t)
		cpu[i] = cputime.Thread() - c
	}
	runtime.UnlockOSThread()
	if *tailprof != "" || *tailOut != "" {
		profileTail(ix, qs, cpu)
	}
	if *verbose > 0 {
		byKind := map[string][]time.Duration{}
		for i, q := range qs {
			byKind[q.kind] = append(byKind[q.kind], cpu[i])
		}
		for _, k := range slices.Concat(kinds, heldKinds, orgKinds, heldOrgKinds) {
			d := byKind[k]
			slices.Sort(d)
			if len(d) > 0 {
				fmt.Printf("  %-12s CPU p50 %v p99 %v\n", k, latency.Percentile(d, 50).Round(time.Microsecond), latency.Percentile(d, 99).Round(time.Microsecond))
			}
		}
	}
	slices.Sort(cpu)
	if *verbose > 0 {
		idx := make([]int, len(lat))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return int(lat[b] - lat[a]) })
		for _, i := range idx[:min(5, len(idx))] {
			fmt.Printf("  slow: %v %q (%s)\n", lat[i].Round(time.Microsecond), qs[i].name, qs[i].kind)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return latency.Percentile(lat, p*100) }
	fmt.Printf("one query at a time, %d queries, wall time: p50 %v, p90 %v, p99 %v, max %v\n",
		len(lat), pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	lat = cpu
	fmt.Printf("one query at a time, %d queries, thread CPU time: p50 %v, p90 %v, p99 %v, max %v\n",
		len(lat), pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	fmt.Printf("load average while measuring: %s\n", loadavg())

	// A batch: every query, by GOMAXPROCS workers, from a cold memo too.
	ix.SetLookupMemo(*memo)
	workers := runtime.GOMAXPROCS(0)
	var next atomic.Int64
	var wg sync.WaitGroup
	t, pcpu := time.Now(), cputime.Process()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(qs) {
					return
				}
				ix.Screen(screen.Query{Name: qs[i].name})
			}
		}()
	}
	wg.Wait()
	el := time.Since(t)
	fmt.Printf("batch of %d queries on %d workers: %v, %.0f queries/s; %v of CPU, load average %s\n", len(qs), workers, el.Round(time.Millisecond),
		float64(len(qs))/el.Seconds(), (cputime.Process() - pcpu).Round(time.Millisecond), loadavg())
	debug.FreeOSMemory()
}

// profileTail writes the slowest 2% of the queries by CPU time to
// -tailqueries, and runs the slowest 1% 20 times each with no memo (each
// is a first query of its tokens, as in the timed run) under a CPU
// profile written to -tailprofile, and prints their mean CPU time: the
// figure a change for the tail must lower.
func profileTail(ix *screen.Index, qs []query, cpu []time.Duration) {
	idx := make([]int, len(qs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(cpu[b], cpu[a]) })
	if *tailOut != "" {
		var names []string
		for _, i := range idx[:max(1, len(idx)/50)] {
			names = append(names, qs[i].name)
		}
		writeNames(*tailOut, names)
	}
	if *tailprof == "" {
		return
	}
	idx = idx[:max(1, len(idx)/100)]
	f, err := os.Create(*tailprof)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	ix.SetLookupMemo(0)
	defer ix.SetLookupMemo(*memo)
	const rounds = 20
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	c := cputime.Thread()
	for range rounds {
		for _, i := range idx {
			ix.Screen(screen.Query{Name: qs[i].name})
		}
	}
	used := cputime.Thread() - c
	pprof.StopCPUProfile()
	fmt.Printf("slowest 1%% (%d queries) again, %d times each without the memo: mean CPU %v a query\n",
		len(idx), rounds, (used / time.Duration(rounds*len(idx))).Round(time.Microsecond))
}

// replayFile screens each line of file once, with no memo unless
// -replay-memo, through screenOnce: callgrind counts the instructions of
// that function alone.
func replayFile(ix *screen.Index, file string) {
	names := readNames(file)
	if *replayMemo {
		ix.SetLookupMemo(*memo)
	} else {
		ix.SetLookupMemo(0)
	}
	for _, name := range names {
		if err := screenOnce(ix, name); err != nil {
			log.Fatalf("%q: %v", name, err)
		}
	}
}

// explainFile prints the three best matches of each line of file, down
// to a score of 0.5.
func explainFile(ix *screen.Index, file string) {
	for _, name := range readNames(file) {
		ms, err := ix.Screen(screen.Query{Name: name, Limit: 3, MinScore: 0.5})
		if err != nil {
			log.Fatalf("%q: %v", name, err)
		}
		fmt.Printf("%s\n", name)
		for _, m := range ms {
			fmt.Printf("  %s %.3f %s\n", m.DesignationID, m.Score, m.Explanation.Summary)
		}
	}
}

//go:noinline
func screenOnce(ix *screen.Index, name string) error {
	_, err := ix.Screen(screen.Query{Name: name})
	return err
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// readNames reads a file of names, one a line, as -tailqueries and
// -writequeries write them.
func readNames(file string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		log.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// writeNames writes names to file, one a line.
func writeNames(file string, names []string) {
	if err := os.WriteFile(file, []byte(strings.Join(names, "\n")+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
}
