package screen

import (
	"math"
	"slices"
)

// gramIndex finds vocabulary tokens by the character bigrams of one of their
// keys (the folded spelling or the consonant skeleton): for each bigram, the
// tokens whose key holds it, by the length of their key.
//
// A query token shares bigrams with thousands of listed tokens through the
// common ones (a final a, an initial m) and with only a few dozen enough of
// them to count, so a search that reads every posting list of the query's
// bigrams spends most of its time on tokens it then drops. For each length
// of key, a token must share a known number of bigrams with the query to
// count; gramSearch reads the rarest lists of that length and only probes
// the commonest, as many as a token could miss and still count: a token in
// none of the lists it reads cannot share enough (prefix filtering, as in
// set-similarity joins). The answer is the same as reading every list.
type gramIndex struct {
	slot  [1 << 16]int32 // bigram → 1 + its index in lists; 0: no token holds it
	lists []gramList
}

// gramList is the tokens holding one bigram.
type gramList struct {
	// byLen are the tokens whose key holds no bigram twice, by the
	// length of their key (lenBucket), ascending: the number of bigrams
	// such a token shares with a query is the sum of the query's
	// occurrences of the bigrams it is listed under, which is what the
	// search bounds.
	byLen [lenBuckets][]uint32
	n     int // tokens in byLen
	// reps are the other tokens (Ananyev: an twice), once per occurrence,
	// ascending; they are few and always read in full.
	reps []uint32
	// set is the tokens of byLen as a bitmap, kept once there are many
	// (bitmapMin): probing it is cheaper than searching a list.
	set []uint64
}

// lenBuckets are the lengths of key told apart; longer keys share the last.
const lenBuckets = 32

func lenBucket(m int) int { return min(m, lenBuckets-1) }

// bitmapMin is the number of tokens from which a bigram has a bitmap as
// well: the bitmap costs a bit per vocabulary token, a list 32 bits per
// entry.
const bitmapMin = 128

func (gi *gramIndex) list(g uint16) *gramList {
	if k := gi.slot[g]; k > 0 {
		return &gi.lists[k-1]
	}
	return nil
}

// add lists token id, newer than every token listed, under the bigrams of key.
func (gi *gramIndex) add(id uint32, key string) {
	var buf [32]uint16
	gs := buf[:0]
	forGrams(key, func(g uint16) { gs = append(gs, g) })
	sorted := slices.Clone(gs)
	slices.Sort(sorted)
	repeats := len(slices.Compact(sorted)) < len(gs)
	b := lenBucket(min(len(key), 255))
	for _, g := range gs {
		if gi.slot[g] == 0 {
			gi.lists = append(gi.lists, gramList{})
			gi.slot[g] = int32(len(gi.lists))
		}
		l := &gi.lists[gi.slot[g]-1]
		if repeats {
			l.reps = append(l.reps, id)
			continue
		}
		l.byLen[b] = append(l.byLen[b], id)
		l.n++
		switch {
		case l.set != nil:
			l.set = setBit(l.set, id)
		case l.n >= bitmapMin:
			for _, ids := range l.byLen {
				for _, x := range ids {
					l.set = setBit(l.set, x)
				}
			}
		}
	}
}

func setBit(set []uint64, id uint32) []uint64 {
	if w := int(id / 64); w >= len(set) {
		set = append(set, make([]uint64, w+1-len(set))...)
	}
	set[id/64] |= 1 << (id % 64)
	return set
}

// has reports whether the list holds id, a token of length bucket b that
// repeats no bigram.
func (l *gramList) has(id uint32, b int) bool {
	if l.set != nil {
		w := int(id / 64)
		return w < len(l.set) && l.set[w]&(1<<(id%64)) != 0
	}
	_, ok := slices.BinarySearch(l.byLen[b], id)
	return ok
}

// gramScratch is gramSearch's working memory.
type gramScratch struct {
	order  []uint16 // the query's bigrams in order
	sorted []uint16
	grams  []queryGram
	bucket []queryGram
	probes [lenBuckets][]queryGram // per length: the lists probed
	left   [lenBuckets]int         // per length: the occurrences of the probed bigrams
	ends   [lenBuckets]int         // per length: where its tokens end in the tokens touched
	needs  [256]uint16
	found  []uint64 // tokens found: 1<<63 if it repeats a bigram | bigrams shared<<32 | id; then sorted as the first bigram it holds<<48 | id<<16 | shared
}

// queryGram is a distinct bigram of a query key.
type queryGram struct {
	l *gramList
	q int // occurrences in the query
}

// gramBar is how many bigrams a vocabulary token's key must share with a
// query key for gramSearch to find it.
type gramBar struct {
	// dice, when set: a Dice coefficient of at least dice/10, counting a
	// bigram the query holds twice twice. The token is like the query.
	dice float64
	// contain, when dice is not set: this share of the token's key
	// length, for keys of partMin letters or more and at least two
	// fewer than the query's. The token may be one part of the query,
	// a word run together from two: a part's key of m letters has m+1
	// bigrams, of which the joined word holds all but the one at the
	// join.
	contain float64
}

// noneShares is more bigrams than any query holds: need's answer when no
// key of a length can pass.
const noneShares = math.MaxUint16

// partMin is the shortest key gramBar.contain finds. The shorter ones
// (Ali, Omar, Hazem) are parts of too many words, and finding them cost
// most of the search: on the slowest 2% of bench/screen's queries, 4 and
// 5 cost 8% and 4% more instructions than 6, for about one held-out
// query in 2,000 more found.
const partMin = 6

// need returns the fewest bigrams a key of length m shares with a query
// key of n bigrams to pass, or noneShares when none passes.
func (b gramBar) need(n, m int) int {
	if b.dice == 0 {
		if m < partMin || m > n-3 {
			return noneShares
		}
		return max(3, int(math.Ceil(b.contain*float64(m))))
	}
	pass := func(shared int) bool { return shared >= 2 && 10*float64(shared) >= b.dice*float64(n+m+1) }
	s := max(2, int(b.dice*float64(n+m+1)/10)-1)
	for !pass(s) {
		s++
	}
	return s
}

// gramSearch calls add with each vocabulary token whose key shares enough
// bigrams with key (bar), and how many: exactly for a search for parts
// (bar.contain), at least enough to pass for the others. Tokens come in the order of the
// first bigram of key they hold, then of their ids. The keys are the
// tokens' skeletons if skel is set, else their folded spellings.
func (ix *Index) gramSearch(key string, gi *gramIndex, sc *scratch, bar gramBar, skel bool, add func(id uint32, shared int)) {
	n := len(key) + 1
	// needs[m] is the fewest bigrams a key of length m must share, worked
	// out when first asked (0: not yet).
	needs := &sc.gram.needs
	clear(needs[:])
	need := func(m int) int {
		if needs[m] == 0 {
			needs[m] = uint16(bar.need(n, m))
		}
		return int(needs[m])
	}
	lens := ix.lens
	lenOf := func(id uint32) int {
		if skel {
			return int(lens[id].skel)
		}
		return int(lens[id].fold)
	}
	gs := &sc.gram
	gs.order = gs.order[:0]
	forGrams(key, func(g uint16) { gs.order = append(gs.order, g) })
	gs.sorted = append(gs.sorted[:0], gs.order...)
	slices.Sort(gs.sorted)
	gs.grams = gs.grams[:0]
	maxQ := 0
	for i := 0; i < len(gs.sorted); {
		k := i + 1
		for k < len(gs.sorted) && gs.sorted[k] == gs.sorted[i] {
			k++
		}
		if l := gi.list(gs.sorted[i]); l != nil {
			gs.grams = append(gs.grams, queryGram{l, k - i})
			maxQ = max(maxQ, k-i)
		}
		i = k
	}
	// The counts and the tokens touched, in locals: through sc, every
	// step of the loop below would load them again.
	gcount, touch := sc.gcount, sc.gtouch[:0]
	count := func(ids []uint32, q int) {
		for _, id := range ids {
			c := &gcount[id]
			if *c == 0 {
				touch = append(touch, id)
			}
			*c += uint16(q)
		}
	}
	// Tokens that repeat a bigram are counted in full.
	for _, g := range gs.grams {
		count(g.l.reps, g.q)
	}
	whole := len(touch)
	// The others, length by length: those of bucket b are touch[ends[b-1]:ends[b]].
	for b := range lenBuckets {
		gs.probes[b], gs.left[b] = gs.probes[b][:0], 0
		gs.ends[b] = len(touch)
		// A token of key length m holds m+1 bigrams, and shares at
		// most maxQ times as many with the query (the last bucket's
		// keys are longer, which only makes them harder to pass).
		most := n
		if b < lenBuckets-1 {
			most = min(n, maxQ*(b+1))
		}
		need := need(b)
		if most < need {
			continue
		}
		gs.bucket = gs.bucket[:0]
		for _, g := range gs.grams {
			if len(g.l.byLen[b]) > 0 {
				gs.bucket = append(gs.bucket, g)
			}
		}
		// Longest first. Insertion: a query has a dozen bigrams or
		// so, and a sort's call per comparison cost more than this.
		for i := 1; i < len(gs.bucket); i++ {
			for j := i; j > 0 && len(gs.bucket[j].l.byLen[b]) > len(gs.bucket[j-1].l.byLen[b]); j-- {
				gs.bucket[j], gs.bucket[j-1] = gs.bucket[j-1], gs.bucket[j]
			}
		}
		// Probe the longest lists, so many that a token missing
		// from all the others would share fewer than need bigrams,
		// less a slack of about half of need. The fewer lists are
		// probed, the more bigrams a token must share with the
		// counted ones to be probed at all, which drops most of the
		// tokens touched; counting costs less than probing, a list
		// read in order against a bit looked up per token and list.
		// On the slowest queries (bench/screen/callgrind.sh) the
		// slack of (need-1)/2 did best of those tried: 0, 1 from 4,
		// need/2 and 2(need-1)/3 spent 2% to 20% more.
		slack := (need - 1) / 2
		probed := 0
		for _, g := range gs.bucket {
			if gs.left[b]+g.q >= need-slack {
				break
			}
			gs.left[b] += g.q
			probed++
		}
		gs.probes[b] = append(gs.probes[b], gs.bucket[:probed]...)
		// The other lists are counted, shortest first. A token met
		// first in a list after which the lists left, and the probed
		// ones, could not give it need bigrams is not worth following:
		// those lists only add to the tokens already met.
		counted, rest := gs.bucket[probed:], 0
		for _, g := range counted {
			rest += g.q
		}
		for i := len(counted) - 1; i >= 0; i-- {
			g := counted[i]
			met := touch[gs.ends[b]:]
			switch {
			case rest+gs.left[b] >= need:
				count(g.l.byLen[b], g.q)
			case g.l.set != nil && 4*len(met) < len(g.l.byLen[b]):
				// Under a quarter as many tokens met as
				// listed: each looked up in the list's
				// bitmap, which adds the same as reading the
				// list (the quarter did best of 1, 2, 4, 8
				// and 16 on the slowest queries).
				set := g.l.set
				for _, id := range met {
					if w := int(id / 64); w < len(set) {
						gcount[id] += uint16(g.q) & -uint16(set[w]>>(id%64)&1)
					}
				}
			default:
				for _, id := range g.l.byLen[b] {
					if c := &gcount[id]; *c != 0 {
						*c += uint16(g.q)
					}
				}
			}
			rest -= g.q
		}
		gs.ends[b] = len(touch)
	}
	sc.gtouch = touch
	gs.found = gs.found[:0]
	// Tokens that repeat a bigram: their count is whole.
	for _, id := range touch[:whole] {
		c := int(gcount[id])
		gcount[id] = 0
		if c >= need(lenOf(id)) {
			gs.found = append(gs.found, 1<<63|uint64(c)<<32|uint64(id))
		}
	}
	// A search for parts tells how many bigrams each shares, which
	// tokens that pass already must be probed for; the others only
	// tell whether they pass.
	exact := bar.dice == 0
	// The others, bucket by bucket: but in the last, a token's key is
	// of the bucket's length, and so is what it needs.
	from := whole
	for b := range lenBuckets {
		ids := touch[from:gs.ends[b]]
		from = gs.ends[b]
		needB := need(b)
		for _, id := range ids {
			c := int(gcount[id])
			gcount[id] = 0
			nd := needB
			if b == lenBuckets-1 {
				nd = need(lenOf(id))
			}
			if (c < nd || exact) && c+gs.left[b] >= nd {
				// Every probed list, without stopping early:
				// whether a token is in a list is a coin toss
				// to the processor, and adding the bit costs
				// less than mispredicting the branches that
				// would stop.
				for _, g := range gs.probes[b] {
					if set := g.l.set; set != nil {
						if w := int(id / 64); w < len(set) {
							c += g.q & -int(set[w]>>(id%64)&1)
						}
					} else if g.l.has(id, b) {
						c += g.q
					}
				}
			}
			if c >= nd {
				gs.found = append(gs.found, uint64(c)<<32|uint64(id))
			}
		}
	}
	// In the order of the first bigram they hold, then of their ids:
	// reading the lists in the query's order would give that. Each is
	// sorted as first<<48 | id<<16 | shared, which orders the same,
	// without a call per comparison.
	for i, f := range gs.found {
		id, shared := uint32(f), f>>32&math.MaxUint16
		rep, b := f>>63 != 0, lenBucket(lenOf(id))
		first := 0
		for ; first < len(gs.order); first++ {
			l := gi.list(gs.order[first])
			if l == nil {
				continue
			}
			if rep {
				if _, ok := slices.BinarySearch(l.reps, id); ok {
					break
				}
			} else if l.has(id, b) {
				break
			}
		}
		gs.found[i] = uint64(first)<<48 | uint64(id)<<16 | shared
	}
	slices.Sort(gs.found)
	for _, f := range gs.found {
		add(uint32(f>>16), int(f&math.MaxUint16))
	}
}
