package screen

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oversight-dev/oversight"
)

// Index holds designations in memory for screening. Queries look up the
// tokens of the query in an inverted index of the distinct tokens of every
// listed name (exact, folded romanisation, consonant skeleton and character
// bigrams), gather the names holding similar tokens, and compare in full only
// the best few hundred of those: no query scans every entry.
//
// An Index is safe for concurrent use: any number of queries run at once,
// and Put and Remove wait for running queries and block new ones briefly.
// The zero value is not usable; call NewIndex.
type Index struct {
	mu sync.RWMutex

	// The vocabulary: every distinct token of every indexed name, with the
	// names holding it. Tokens are never forgotten, only their postings:
	// the vocabulary of names grows slowly and is small.
	terms  []vocabTerm
	lens   []keyLens // per term, kept apart from terms for the bigram search's sake
	termID map[termKey]uint32
	folds  map[string][]uint32
	skels  map[string][]uint32
	grams  *gramIndex // bigrams of fold keys
	sgrams *gramIndex // bigrams of consonant skeletons

	names []nameSlot
	free  []uint32
	byID  map[string]*entry
	nameN int

	scratch sync.Pool
	memo    lookupMemo
}

// keyLens are the lengths of a term's fold and skeleton keys.
type keyLens struct{ fold, skel uint8 }

type termKey struct {
	text string
	kind Kind
}

type vocabTerm struct {
	term
	postings []uint32 // name slots
}

// nameSlot is one name or alias of a designation.
type nameSlot struct {
	e     *entry // nil when the slot is free
	text  string // as written on the list
	terms []uint32
}

type entry struct {
	d     oversight.Designation
	slots []uint32
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		termID: make(map[termKey]uint32),
		folds:  make(map[string][]uint32),
		skels:  make(map[string][]uint32),
		grams:  new(gramIndex),
		sgrams: new(gramIndex),
		byID:   make(map[string]*entry),
		memo:   lookupMemo{cap: DefaultLookupMemo},
	}
}

// ErrNoID is returned by Put for a designation without an id.
var ErrNoID = errors.New("screen: designation has no id")

// Put adds d to the index, or replaces the designation with its id. The
// index keeps its own copy of d.
func (ix *Index) Put(d oversight.Designation) error {
	if d.ID == "" {
		return ErrNoID
	}
	prepared := prepare(&d)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.put(d, prepared)
	return nil
}

// PutAll adds or replaces many designations under one lock, which is how a
// list import or a server start should load them. It adds none if one has
// no id.
func (ix *Index) PutAll(ds []oversight.Designation) error {
	for i := range ds {
		if ds[i].ID == "" {
			return fmt.Errorf("designation %d (%q): %w", i, ds[i].Name, ErrNoID)
		}
	}
	// Names are analysed outside the lock: it is most of the work.
	prepared := make([][]preparedName, len(ds))
	for i := range ds {
		prepared[i] = prepare(&ds[i])
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i := range ds {
		ix.put(ds[i], prepared[i])
	}
	return nil
}

// Remove drops the designation with id and reports whether it was there.
// Delisting is not removal: put the designation again with DelistedAt set,
// so that screening with Query.IncludeDelisted still finds it.
func (ix *Index) Remove(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	e, ok := ix.byID[id]
	if ok {
		ix.remove(e)
		delete(ix.byID, id)
	}
	return ok
}

// Get returns a copy of the indexed designation with id.
func (ix *Index) Get(id string) (oversight.Designation, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if e, ok := ix.byID[id]; ok {
		return cloneDesignation(e.d), true
	}
	return oversight.Designation{}, false
}

// Stats describes the size of an index.
type Stats struct {
	Designations int `json:"designations"`
	Names        int `json:"names"`  // names and aliases
	Tokens       int `json:"tokens"` // distinct tokens ever indexed
}

// Stats returns the size of the index.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return Stats{Designations: len(ix.byID), Names: ix.nameN, Tokens: len(ix.terms)}
}

// cloneDesignation copies d so that neither the caller nor the index can
// change the other's copy.
func cloneDesignation(d oversight.Designation) oversight.Designation {
	d.Aliases = slices.Clone(d.Aliases)
	if d.DelistedAt != nil {
		t := *d.DelistedAt
		d.DelistedAt = &t
	}
	return d
}

type preparedName struct {
	text  string
	terms []term
}

// prepare analyses the names of d, dropping aliases that normalise to a
// name already seen.
func prepare(d *oversight.Designation) []preparedName {
	var out []preparedName
	seen := make(map[string]bool)
	for _, n := range append([]string{d.Name}, d.Aliases...) {
		ts := analyze(n)
		if len(ts) == 0 {
			continue
		}
		var b strings.Builder
		for _, t := range ts {
			b.WriteString(t.text)
			b.WriteByte(' ')
		}
		if seen[b.String()] {
			continue
		}
		seen[b.String()] = true
		out = append(out, preparedName{text: n, terms: ts})
	}
	return out
}

func (ix *Index) put(d oversight.Designation, names []preparedName) {
	if old, ok := ix.byID[d.ID]; ok {
		ix.remove(old)
	}
	e := &entry{d: cloneDesignation(d)}
	for _, n := range names {
		var slot uint32
		if k := len(ix.free); k > 0 {
			slot = ix.free[k-1]
			ix.free = ix.free[:k-1]
		} else {
			slot = uint32(len(ix.names))
			ix.names = append(ix.names, nameSlot{})
		}
		ids := make([]uint32, len(n.terms))
		for i, t := range n.terms {
			ids[i] = ix.intern(t)
		}
		ix.names[slot] = nameSlot{e: e, text: n.text, terms: ids}
		for i, id := range ids {
			if !slices.Contains(ids[:i], id) {
				ix.terms[id].postings = append(ix.terms[id].postings, slot)
			}
		}
		e.slots = append(e.slots, slot)
		ix.nameN++
	}
	ix.byID[d.ID] = e
}

func (ix *Index) remove(e *entry) {
	for _, slot := range e.slots {
		for _, id := range ix.names[slot].terms {
			p := ix.terms[id].postings
			if k := slices.Index(p, slot); k >= 0 {
				p[k] = p[len(p)-1]
				ix.terms[id].postings = p[:len(p)-1]
			}
		}
		ix.names[slot] = nameSlot{}
		ix.free = append(ix.free, slot)
		ix.nameN--
	}
}

// intern returns the vocabulary id of t, adding it if new.
func (ix *Index) intern(t term) uint32 {
	k := termKey{t.text, t.kind}
	if id, ok := ix.termID[k]; ok {
		return id
	}
	id := uint32(len(ix.terms))
	ix.memo.forget() // the new token may be like one looked up
	ix.terms = append(ix.terms, vocabTerm{term: t})
	ix.lens = append(ix.lens, keyLens{uint8(min(len(t.fold), 255)), uint8(min(len(t.skel), 255))})
	ix.termID[k] = id
	if t.kind == Regular {
		ix.folds[t.fold] = append(ix.folds[t.fold], id)
		ix.skels[t.skel] = append(ix.skels[t.skel], id)
		ix.grams.add(id, t.fold)
		ix.sgrams.add(id, t.skel)
	}
	return id
}

// forGrams calls f with each character bigram of s, padded at both ends.
func forGrams(s string, f func(uint16)) {
	prev := byte(1) // start of token
	for i := 0; i < len(s); i++ {
		f(uint16(prev)<<8 | uint16(s[i]))
		prev = s[i]
	}
	f(uint16(prev)<<8 | 2) // end of token
}

// scratch is the per-query working memory, pooled so that a query
// allocates little however large the index.
type scratch struct {
	acc     []float32 // per name slot: query weight matched so far
	mark    []uint8   // per name slot: last query token that touched it, +1
	touched []uint32
	gcount  []uint16 // per vocabulary term: bigrams shared with a query token
	gtouch  []uint32
	gram    gramScratch
	stamp   []uint32 // per vocabulary term: gen when last compared
	gen     uint32
	caches  [maxTokens]map[uint32]simEntry
	found   []uint32
	terms   []term // listed terms of the names compared, back to back
	// maps of the search for runs of tokens and for split tokens,
	// cleared before each use
	joinCache  map[uint32]simEntry
	splitCache map[uint32]simEntry
	byScore    []scoredID
	splitOut   slotScores
	splitParts [2]slotScores
	partsOut   slotScores
}

// scoredID is a vocabulary token and its similarity to a query token.
type scoredID struct {
	score float64
	id    uint32
}

// slotScores maps name slots to scores. A split token's search touches the
// names of thousands of tokens, and a map spends most of that time
// hashing: the scores are kept in arrays indexed by slot, and the slots
// set in a list, which is what clearing them walks.
type slotScores struct {
	val   []float32
	has   []bool
	slots []uint32 // the slots set, in the order first set
}

// reset empties s and makes room for n slots.
func (s *slotScores) reset(n int) *slotScores {
	for _, k := range s.slots {
		s.val[k], s.has[k] = 0, false
	}
	s.slots = s.slots[:0]
	if len(s.val) < n {
		s.val = make([]float32, n+n/4)
		s.has = make([]bool, n+n/4)
	}
	return s
}

// setOnce sets slot k to v unless it is set.
func (s *slotScores) setOnce(k uint32, v float32) {
	if !s.has[k] {
		s.has[k], s.val[k] = true, v
		s.slots = append(s.slots, k)
	}
}

// ascending returns the slots set in ascending order, of n in all: read
// off the flags when they are many (a split token's search often touches
// half the names of a list's size), sorted when they are few.
func (s *slotScores) ascending(n int) []uint32 {
	if len(s.slots) < n/16 {
		slices.Sort(s.slots)
		return s.slots
	}
	s.slots = s.slots[:0]
	for k, set := range s.has[:n] {
		if set {
			s.slots = append(s.slots, uint32(k))
		}
	}
	return s.slots
}

// add adds v to slot k's score (0 when unset).
func (s *slotScores) add(k uint32, v float32) {
	if !s.has[k] {
		s.has[k] = true
		s.slots = append(s.slots, k)
	}
	s.val[k] += v
}

// raise sets slot k to v if v is greater than its score (0 when unset).
func (s *slotScores) raise(k uint32, v float32) {
	if !s.has[k] {
		s.has[k] = true
		s.slots = append(s.slots, k)
	}
	s.val[k] = max(s.val[k], v)
}

func (ix *Index) getScratch() *scratch {
	sc, _ := ix.scratch.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	if n := len(ix.names); len(sc.acc) < n {
		sc.acc = make([]float32, n+n/4)
		sc.mark = make([]uint8, n+n/4)
	}
	if n := len(ix.terms); len(sc.gcount) < n {
		sc.gcount = make([]uint16, n+n/4)
		sc.stamp = make([]uint32, n+n/4)
		sc.gen = 0
	}
	return sc
}

func (ix *Index) putScratch(sc *scratch) {
	clear(sc.terms) // let the strings go
	sc.terms = sc.terms[:0]
	for _, s := range sc.touched {
		sc.acc[s] = 0
		sc.mark[s] = 0
	}
	sc.touched = sc.touched[:0]
	ix.scratch.Put(sc)
}

// simEntry is a cached token similarity.
type simEntry struct {
	score  float64
	method oversight.MatchMethod
}

// Tuning of candidate generation.
const (
	candFloor     = 0.70 // vocabulary tokens less similar to a query token are not followed
	maxTermsPerQ  = 40   // similar vocabulary tokens followed per query token
	minCandidates = 40   // names compared in full, at least
)

// similarTerms finds the vocabulary tokens similar to query token q and
// returns them best first, filling cache with their similarity.
//
// A part of a split token that is not a listed token is searched with a
// lower bar on shared bigrams (searchLoose): it is short, and the typo that
// hid its neighbour may be in it. A listed one is searched in full too, not
// by its spelling alone: it may be a typo of another (Farah for FATAH),
// and held-out recall fell by a query in 1,000 without those.
func (ix *Index) similarTerms(q *term, sc *scratch, cache map[uint32]simEntry, mode search) []uint32 {
	k := newMemoKey(q, mode)
	if e := ix.memo.get(k); e != nil {
		for _, s := range e.sims {
			cache[s.id] = s.simEntry
		}
		sc.found = append(sc.found[:0], e.found...)
		return sc.found
	}
	found := ix.lookUp(q, sc, cache, mode)
	ix.memo.put(k, found, cache)
	return found
}

// lookUp is similarTerms without the memo.
func (ix *Index) lookUp(q *term, sc *scratch, cache map[uint32]simEntry, mode search) []uint32 {
	found := sc.found[:0]
	defer func() { sc.found = found[:0] }()
	sc.gen++
	add := func(id uint32) {
		if sc.stamp[id] == sc.gen {
			return
		}
		sc.stamp[id] = sc.gen
		t := &ix.terms[id].term
		// Cheap tests first: tokens this far apart in their folded
		// spelling, or in their consonants for an abjad, are not
		// alike in any other way either. A token with other readings
		// is compared in full: one of them may be close.
		fs := -1.0
		// (similarityBound would spare no comparison here: the
		// tokens found by shared bigrams are within it, all but 2%.)
		switch {
		case len(q.alts) > 0:
			// compared in full below
		case !q.abjad && !t.abjad:
			if fs = similarity(q.fold, t.fold); fs < candFloor-0.1 || plainBelow(q, t, fs, candFloor) {
				return
			}
		case similarity(q.skel, t.skel) < candFloor/0.92:
			if fs = similarity(q.fold, t.fold); fs < candFloor/0.96 {
				return
			}
		}
		s, m := tokenSimFold(q, t, fs)
		cache[id] = simEntry{s, m}
		if s >= candFloor {
			found = append(found, id)
		}
	}
	if q.kind != Regular {
		// Particles and initials alone say too little to find names
		// by; they only match exactly.
		if id, ok := ix.termID[termKey{q.text, q.kind}]; ok {
			add(id)
		}
		return found
	}
	for _, r := range q.readings() {
		if id, ok := ix.termID[termKey{r.text, Regular}]; ok {
			add(id)
		}
		for _, id := range ix.folds[r.fold] {
			add(id)
		}
	}
	// A short word written letter by letter shares too few bigrams
	// with its listed name to be found by them when its readings get a
	// letter wrong (Уін, Win): each of its spellings is looked up.
	for _, sp := range q.spellings {
		if id, ok := ix.termID[termKey{sp, Regular}]; ok {
			add(id)
		}
	}
	addShared := func(id uint32, _ int) { add(id) }
	for i := range q.alts {
		if a := q.alts[i].fold; a != q.fold && (i == 0 || a != q.alts[0].fold) {
			ix.gramSearch(a, ix.grams, sc, gramBar{dice: 3}, false, addShared)
		}
	}
	// Tokens sharing enough bigrams of their folded spelling (Dice
	// coefficient at least 0.6), or for a token written in an abjad,
	// whose spelling lacks most vowels, of their consonants (0.7:
	// skeletons are short and share bigrams easily).
	if !q.abjad {
		dice := 3.0
		if mode == searchLoose {
			dice = 2.4
		}
		ix.gramSearch(q.fold, ix.grams, sc, gramBar{dice: dice}, false, addShared)
	} else {
		for _, id := range ix.skels[q.skel] {
			add(id)
		}
		ix.gramSearch(q.skel, ix.sgrams, sc, gramBar{dice: 3.5}, true, addShared)
	}
	return ix.sortFound(found, cache, sc)
}

// plainBelow reports that tokenSimFold(q, t, fs) is surely below bar,
// for two tokens with no other readings whose fold keys are fs alike
// (readingBelow). It spares comparing the tokens a lookup finds and then
// drops (candFloor): they are left out of the cache too, and a comparison
// that needs one computes it, to the same score.
func plainBelow(q, t *term, fs, bar float64) bool {
	// A hair under the bar, as in readingsBelow.
	return len(q.alts)+len(t.alts)+len(q.units)+len(t.units) == 0 && readingBelow(q, t, bar-1e-9, fs)
}

// search says how similarTerms looks for tokens.
type search uint8

const (
	searchFull  search = iota // by spelling, folded keys and shared bigrams
	searchLoose               // the same, with a lower bar on shared bigrams
)

// sortFound puts found best first and keeps the best maxTermsPerQ.
// Each token's score is read from cache once, not at every comparison;
// the order is the one sorting the ids by their scores would give, since
// the sort sees the same comparisons.
func (ix *Index) sortFound(found []uint32, cache map[uint32]simEntry, sc *scratch) []uint32 {
	byScore := sc.byScore[:0]
	for _, id := range found {
		byScore = append(byScore, scoredID{cache[id].score, id})
	}
	slices.SortFunc(byScore, func(a, b scoredID) int { return cmp.Compare(b.score, a.score) })
	for i := range byScore {
		found[i] = byScore[i].id
	}
	sc.byScore = byScore
	if len(found) > maxTermsPerQ {
		found = found[:maxTermsPerQ]
	}
	return found
}

// Screen returns the designations whose names resemble q.Name, best first.
// It returns an EINVALID *oversight.Error for a query it cannot run.
func (ix *Index) Screen(q Query) ([]oversight.Match, error) {
	if err := q.normalize(); err != nil {
		return nil, err
	}
	qt := analyze(q.Name)
	if len(qt) == 0 {
		return nil, oversight.Invalid("invalid screening query", "name", "has no letters to match")
	}
	at := q.At
	if at.IsZero() {
		at = time.Now()
	}

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sc := ix.getScratch()
	defer ix.putScratch(sc)

	// Gather the names holding tokens similar to the query's, adding up
	// for each the weight of the query tokens it may match.
	caches := sc.caches[:len(qt)]
	// add counts, for each name holding one of the tokens found, the
	// similarity of the best, weighted w, once per mark.
	add := func(found []uint32, cache map[uint32]simEntry, mark uint8, w float32) {
		for _, id := range found {
			s := float32(cache[id].score)
			for _, slot := range ix.terms[id].postings {
				switch sc.mark[slot] {
				case mark:
					continue // a better token of this name was counted
				case 0:
					sc.touched = append(sc.touched, slot)
				}
				sc.mark[slot] = mark
				sc.acc[slot] += w * s
			}
		}
	}
	gather := func(t *term, mark uint8, w float32, cache map[uint32]simEntry) {
		add(ix.similarTerms(t, sc, cache, searchFull), cache, mark, w)
	}
	var weak uint32 // query tokens with no good match: perhaps one name written apart
	for i := range qt {
		if caches[i] == nil {
			caches[i] = make(map[uint32]simEntry, 256)
		}
		clear(caches[i])
		found := ix.similarTerms(&qt[i], sc, caches[i], searchFull)
		best := 0.0
		if len(found) > 0 {
			best = caches[i][found[0]].score
		}
		w := float32(qt[i].weight())
		if best >= sureStrong(&qt[i]) || qt[i].kind != Regular {
			add(found, caches[i], uint8(i+1), w)
			continue
		}
		weak |= 1 << i
		if len(qt[i].text) < 6 {
			add(found, caches[i], uint8(i+1), w)
			continue
		}
		// A token like nothing on the list may be two name parts run
		// together, with a typo in one of them (Petergrifin): a name
		// counts by the best reading, the token whole or split where
		// one part, or both, is a listed token.
		// In the order of the slots: the candidates kept among
		// equals depend on it, and a query must always get the same
		// answer.
		best2 := ix.splitScores(&qt[i], found, caches[i], w, sc)
		ix.runTogether(&qt[i], w, sc, best2)
		for _, slot := range best2.ascending(len(ix.names)) {
			v := best2.val[slot]
			if sc.mark[slot] == 0 {
				sc.touched = append(sc.touched, slot)
			}
			sc.mark[slot] = uint8(i + 1)
			sc.acc[slot] += v
		}
	}
	// Short name parts are often written together with their neighbours
	// on the list (حسن نصرالله, Hasan NASRALLAH; عبد الرحمن,
	// Abdulrahman): look such runs up whole too, and a weak token
	// together with its neighbour. Three weak tokens' worth written as
	// one listed token found no held-out name two did not (seeds 2027
	// to 2030), for 4% of the slowest queries' instructions.
	qj := joins(qt)
	for k := range qj {
		if j := &qj[k]; (joinWorthSearching(qt[j.from:j.from+j.n]) || j.n == 2 && weak>>j.from&(1<<j.n-1) != 0) && len(qt)+k+1 < 256 {
			joinCache := clearMap(&sc.joinCache)
			gather(&j.t, uint8(len(qt)+k+1), float32(j.weight), joinCache)
		}
	}
	// Compare in full the names that matched most of the query.
	cands := ix.topCandidates(sc, q, at)
	if debugQuery != nil {
		debugQuery(ix, sc, cands)
	}
	best := make(map[*entry]scored)
	for _, slot := range cands {
		ns := &ix.names[slot]
		from := len(sc.terms)
		for _, id := range ns.terms {
			t := ix.terms[id].term
			t.idf = idf(len(ix.terms[id].postings), ix.nameN)
			sc.terms = append(sc.terms, t)
		}
		lt := sc.terms[from:len(sc.terms):len(sc.terms)]
		r := compareNames(qt, lt, qj, func(i, j int) (float64, oversight.MatchMethod) {
			id := ns.terms[j]
			if c, ok := caches[i][id]; ok {
				return c.score, c.method
			}
			// Most pairs left (two in three) are unlike tokens,
			// which compareNames drops below pairFloor: told
			// cheaply, and remembered as unmatched, which is all
			// compareNames would make of their scores. Nothing
			// reads the cache after the comparisons.
			if tokenSimBelow(&qt[i], &lt[j], pairFloor) {
				caches[i][id] = simEntry{0, oversight.MethodUnmatched}
				return 0, oversight.MethodUnmatched
			}
			s, m := tokenSim(&qt[i], &lt[j])
			caches[i][id] = simEntry{s, m}
			return s, m
		})
		// A designation's best name, the first of equals (its
		// primary name before its aliases), whatever the order the
		// candidates came in.
		if b, ok := best[ns.e]; !ok || r.score > b.r.score || r.score == b.r.score && nameOrder(ns.e, slot) < nameOrder(ns.e, b.slot) {
			best[ns.e] = scored{slot: slot, r: r, terms: lt}
		}
	}

	type ranked struct {
		m           oversight.Match
		unexplained int // listed name parts the query does not give
		alias       bool
		listed      time.Time
	}
	var out []ranked
	for e, b := range best {
		quals := qualify(&q, &e.d)
		score := b.r.score
		for _, x := range quals {
			score += x.Effect
		}
		score = math.Max(0, math.Min(1, score))
		if score < q.MinScore {
			continue
		}
		m := oversight.Match{
			DesignationID: e.d.ID,
			Name:          e.d.Name,
			MatchedAlias:  ix.names[b.slot].text,
			Score:         round3(score),
			Basis:         e.d.Basis,
			Type:          partyType(&e.d),
			Provenance:    e.d.Provenance(),
			Relation:      e.d.Relation,
			RelatedTo:     e.d.RelatedTo,
			Delisted:      !e.d.Active(at),
			Explanation: oversight.Explanation{
				NameScore:  round3(b.r.score),
				Tokens:     tokenScores(qt, b.terms, b.r),
				Qualifiers: quals,
			},
		}
		if e.d.Basis == oversight.BasisImmediateRelative && e.d.RelatedTo != "" {
			rel := &oversight.RelatedDesignation{Relation: e.d.Relation, DesignationID: e.d.RelatedTo}
			if other, ok := ix.byID[e.d.RelatedTo]; ok {
				rel.Name, rel.Basis, rel.Delisted = other.d.Name, other.d.Basis, !other.d.Active(at)
			}
			m.Explanation.Relative = rel
		}
		m.Explanation.Summary = summary(&m)
		unexplained := 0
		for _, j := range b.r.ut {
			if b.terms[j].kind == Regular {
				unexplained++
			}
		}
		out = append(out, ranked{m: m, unexplained: unexplained, alias: m.MatchedAlias != m.Name, listed: e.d.ListedAt})
	}
	// Ties are broken by the evidence first, then by what an officer
	// expects: the higher name score (qualifiers aside); the fewer parts
	// of the listed name the query leaves unexplained; a primary name
	// before an alias; an active listing before a delisted one; the
	// earlier listing; the lower id, so that the order never varies.
	slices.SortFunc(out, func(a, b ranked) int {
		return cmp.Or(
			cmp.Compare(b.m.Score, a.m.Score),
			cmp.Compare(b.m.Explanation.NameScore, a.m.Explanation.NameScore),
			cmp.Compare(a.unexplained, b.unexplained),
			compareBool(a.alias, b.alias),
			compareBool(a.m.Delisted, b.m.Delisted),
			a.listed.Compare(b.listed),
			strings.Compare(a.m.DesignationID, b.m.DesignationID),
		)
	})
	ms := make([]oversight.Match, 0, min(len(out), q.Limit))
	for i := range out[:min(len(out), q.Limit)] {
		ms = append(ms, out[i].m)
	}
	return ms, nil
}

// sureStrong is the similarity at which query token t's best listed token
// is taken for it, without looking for it as two name parts written
// together: strongMatch, and a near-exact one for a token that begins with
// the Arabic article, which lists write apart as often as not (Almajid,
// AL-MAJID): that such a token is like another written together
// (Alrahhal, Alrahmah) says little.
func sureStrong(t *term) float64 {
	if len(t.text) >= 6 && (strings.HasPrefix(t.text, "al") || strings.HasPrefix(t.text, "el")) {
		return 0.98
	}
	return strongMatch
}

// nameOrder is the place of the name in slot among e's names: 0 for its
// primary name, then its aliases in the order listed.
func nameOrder(e *entry, slot uint32) int {
	return slices.Index(e.slots, slot)
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// partyType is d's type, individual when the designation does not say.
func partyType(d *oversight.Designation) oversight.PartyType {
	if d.Type == "" {
		return oversight.PartyIndividual
	}
	return d.Type
}

var debugQuery func(ix *Index, sc *scratch, cands []uint32)

type scored struct {
	slot  uint32
	r     nameResult
	terms []term
}

// splitScores returns, for each name holding a token like t (found, with
// their similarities in cache) or like the parts of its likeliest splits,
// the weight of t it matches by the best of these readings.
func (ix *Index) splitScores(t *term, found []uint32, cache map[uint32]simEntry, w float32, sc *scratch) *slotScores {
	n := len(ix.names)
	out := sc.splitOut.reset(n)
	collect := func(found []uint32, cache map[uint32]simEntry, w float32, dst *slotScores) {
		for _, id := range found {
			s := float32(cache[id].score)
			for _, slot := range ix.terms[id].postings {
				dst.setOnce(slot, w*s)
			}
		}
	}
	collect(found, cache, w, out) // before similarTerms reuses found
	parts := ix.splits(t)
	for k := 0; k+1 < len(parts); k += 2 {
		first, second := sc.splitParts[0].reset(n), sc.splitParts[1].reset(n)
		for n, dst := range []*slotScores{first, second} {
			p := &parts[k+n]
			pc := clearMap(&sc.splitCache)
			mode := searchLoose
			if ix.known(p.text) {
				mode = searchFull
			}
			collect(ix.similarTerms(p, sc, pc, mode), pc, w*float32(len(p.text))/float32(len(t.text)), dst)
		}
		for _, slot := range first.slots {
			out.raise(slot, first.val[slot]+second.val[slot])
		}
		for _, slot := range second.slots {
			if !first.has[slot] {
				out.raise(slot, second.val[slot])
			}
		}
	}
	return out
}

// runTogether raises the score in out of each name holding listed tokens
// that may be the parts of t, a word like nothing listed, written without
// the space between them and a typo or two in each (Dragnzelenocic,
// Dragan ZELENOVIC), where splitScores finds no part listed to split at:
// tokens most of whose bigrams t holds (gramBar.contain). A name scores
// the weight of t times the share of t's bigrams its tokens hold.
func (ix *Index) runTogether(t *term, w float32, sc *scratch, out *slotScores) {
	if t.abjad || len(t.fold) < 2*partMin {
		return
	}
	n := len(t.fold) + 1
	acc := sc.partsOut.reset(len(ix.names))
	ix.gramSearch(t.fold, ix.grams, sc, gramBar{contain: partShare}, false, func(id uint32, shared int) {
		for _, slot := range ix.terms[id].postings {
			acc.add(slot, float32(shared))
		}
	})
	for _, slot := range acc.slots {
		out.raise(slot, w*min(1, acc.val[slot]/float32(n)))
	}
}

// partShare is the share of its bigrams a listed token must have in a
// word run together to be taken for one of its parts: Zelenovic, with a
// letter changed, keeps seven of its nine in Dragnzelenocic. (0.7 lost
// parts whose folded keys a typo changed more, Karfoul in Hzemkarfouk.)
const partShare = 0.6

// clearMap empties *m, made on first use, and returns it: the maps of a
// query are kept with its scratch memory, and keep their room.
func clearMap[V any](m *map[uint32]V) map[uint32]V {
	if *m == nil {
		*m = make(map[uint32]V)
	}
	clear(*m)
	return *m
}

// known reports whether s, or its folded key, is a listed token.
func (ix *Index) known(s string) bool {
	if _, ok := ix.termID[termKey{s, Regular}]; ok {
		return true
	}
	if _, ok := ix.termID[termKey{particles[s], Particle}]; ok && particles[s] != "" {
		return true
	}
	return len(ix.folds[foldKey(s)]) > 0
}

// splits returns the parts of the three likeliest ways to split t into
// two name parts: those where a part, or both, is a listed token.
func (ix *Index) splits(t *term) []term {
	type split struct {
		text  string
		k     int
		score int
	}
	var best [3]split
	// Every reading of the token is tried: a name written letter by
	// letter in Cyrillic splits in the reading that spells it.
	for _, r := range t.readings() {
		s := r.text
		for k := 2; k+2 <= len(s); k++ {
			// A part of two letters (Su, Li, al) counts only when
			// the other is known too.
			score := 0
			pk, sk := ix.known(s[:k]), ix.known(s[k:])
			if pk && (k > 2 || sk) {
				score += k
			}
			if sk && (len(s)-k > 2 || pk) {
				score += len(s) - k
			}
			if score == 0 || slices.ContainsFunc(best[:], func(b split) bool { return b.text[:b.k] == s[:k] }) {
				continue
			}
			// Keep the best three, best first.
			for i := range best {
				if score > best[i].score {
					copy(best[i+1:], best[i:len(best)-1])
					best[i] = split{s, k, score}
					break
				}
			}
		}
	}
	var out []term
	for _, b := range best {
		if b.score == 0 {
			continue
		}
		for _, p := range []string{b.text[:b.k], b.text[b.k:]} {
			kind := Regular
			if particles[p] != "" {
				kind = Particle
			}
			out = append(out, term{text: p, fold: foldKey(p), skel: skeletonKey(p), kind: kind, abjad: t.abjad})
		}
	}
	return out
}

// idf is the weight factor of a token held by df of n names: 1 for a rare
// token, falling by 0.1 each time its frequency per thousand names doubles,
// to 0.4 at the least. "Mohammed" on the SDN list (one name in 25) weighs
// about half as much as a surname found once.
//
// Below 10,000 names frequencies say little, and are taken per 10,000.
func idf(df, n int) float64 {
	n = max(n, 10_000)
	return max(0.4, 1-0.1*math.Log2(1+1000*float64(df)/float64(n)))
}

// joinWorthSearching reports whether a run of query tokens is one the list
// may write as one word: it holds a name part of three letters or fewer
// (abd, abu, nsr) or "allah".
func joinWorthSearching(run []term) bool {
	for i := range run {
		if t := &run[i]; t.kind == Regular && (len(t.text) <= 3 || t.text == "allah") {
			return true
		}
	}
	return false
}

// topCandidates returns the name slots worth comparing in full: those
// that matched at least half as much of the query as the best, at most
// max(minCandidates, 4 × limit) of them, leaving out delisted designations
// unless asked for.
func (ix *Index) topCandidates(sc *scratch, q Query, at time.Time) []uint32 {
	var top float32
	for _, s := range sc.touched {
		top = max(top, sc.acc[s])
	}
	limit := max(minCandidates, 4*q.Limit)
	h := &slotHeap{acc: sc.acc}
	for _, s := range sc.touched {
		if sc.acc[s] < top/2 || h.Len() == limit && sc.acc[s] <= sc.acc[h.slots[0]] {
			continue // not kept, whatever its designation
		}
		e := ix.names[s].e
		if e == nil || !q.IncludeDelisted && !e.d.Active(at) || q.Type != "" && partyType(&e.d) != q.Type {
			continue
		}
		if h.Len() < limit {
			// heap.Push, without boxing s in an interface
			h.slots = append(h.slots, s)
			heap.Fix(h, len(h.slots)-1)
		} else if sc.acc[s] > sc.acc[h.slots[0]] {
			h.slots[0] = s
			heap.Fix(h, 0)
		}
	}
	return h.slots
}

// slotHeap is a min-heap of name slots by accumulated weight.
type slotHeap struct {
	slots []uint32
	acc   []float32
}

func (h *slotHeap) Len() int           { return len(h.slots) }
func (h *slotHeap) Less(i, j int) bool { return h.acc[h.slots[i]] < h.acc[h.slots[j]] }
func (h *slotHeap) Swap(i, j int)      { h.slots[i], h.slots[j] = h.slots[j], h.slots[i] }
func (h *slotHeap) Push(x any)         { h.slots = append(h.slots, x.(uint32)) }
func (h *slotHeap) Pop() any {
	x := h.slots[len(h.slots)-1]
	h.slots = h.slots[:len(h.slots)-1]
	return x
}

// normalize checks q and fills in its defaults.
func (q *Query) normalize() error {
	var p oversight.Problems
	q.Name = strings.TrimSpace(q.Name)
	if p.Required("name", q.Name) && len(q.Name) > 1000 {
		p.Add("name", "at most 1000 bytes")
	}
	if m := oversight.BirthDateProblem(q.BirthDate); q.BirthDate != "" && m != "" {
		p.Add("birth_date", "%s", m)
	}
	q.Nationality = strings.ToUpper(strings.TrimSpace(q.Nationality))
	if n := q.Nationality; n != "" && !iso2(n) {
		p.Add("nationality", "must be an ISO 3166-1 alpha-2 code such as RU")
	}
	q.Country = strings.ToUpper(strings.TrimSpace(q.Country))
	if n := q.Country; n != "" && !iso2(n) {
		p.Add("country", "must be an ISO 3166-1 alpha-2 code such as RU")
	}
	if !q.Type.Valid() {
		p.Add("type", "must be individual or entity")
	}
	switch {
	case q.Limit < 0 || q.Limit > MaxLimit:
		p.Add("limit", "must be between 1 and %d", MaxLimit)
	case q.Limit == 0:
		q.Limit = DefaultLimit
	}
	switch {
	case q.MinScore < 0 || q.MinScore > 1 || math.IsNaN(q.MinScore):
		p.Add("min_score", "must be between 0 and 1")
	case q.MinScore == 0:
		q.MinScore = DefaultMinScore
	}
	return p.Err("invalid screening query")
}

func iso2(n string) bool {
	return len(n) == 2 && n[0] >= 'A' && n[0] <= 'Z' && n[1] >= 'A' && n[1] <= 'Z'
}

// summary writes the explanation of m in one sentence.
func summary(m *oversight.Match) string {
	var b strings.Builder
	kind := "alias"
	if m.MatchedAlias == m.Name {
		kind = "name"
	}
	fmt.Fprintf(&b, "%s %q matched %.2f (", kind, m.MatchedAlias, m.Explanation.NameScore)
	for i, t := range m.Explanation.Tokens {
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case t.Method == oversight.MethodUnmatched && t.Listed == "":
			fmt.Fprintf(&b, "%s not on the list", t.Query)
		case t.Method == oversight.MethodUnmatched:
			fmt.Fprintf(&b, "%s not given", t.Listed)
		case t.Method == oversight.MethodExact:
			fmt.Fprintf(&b, "%s exact", t.Query)
		default:
			fmt.Fprintf(&b, "%s~%s %s %.2f", t.Query, t.Listed, t.Method, t.Score)
		}
	}
	b.WriteString(")")
	for _, x := range m.Explanation.Qualifiers {
		fmt.Fprintf(&b, "; %s %+.2f", x.Reason, x.Effect)
	}
	if r := m.Explanation.Relative; r != nil {
		name := r.Name
		if name == "" {
			name = r.DesignationID
		}
		fmt.Fprintf(&b, "; %s of %s", r.Relation, name)
		if r.Basis != "" {
			fmt.Fprintf(&b, " (%s, %s)", r.DesignationID, r.Basis)
		}
		if r.Delisted {
			b.WriteString(", who is delisted")
		}
	}
	if m.Delisted {
		b.WriteString("; delisted")
	}
	return b.String()
}
