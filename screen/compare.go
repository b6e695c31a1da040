package screen

import (
	"slices"
	"strings"

	"github.com/oversight-dev/oversight"
)

// term is an analysed token: its text and the keys it is compared by.
type term struct {
	text  string
	fold  string
	skel  string
	kind  Kind
	abjad bool
	// idf is in (0, 1]: how rare the token is among the indexed names,
	// 1 for rare ones and less for common ones (Mohammed, Ali, Kim); zero
	// when unknown, which counts as 1.
	idf float64
	// alts are the other readings of a token written in Cyrillic or
	// Greek (see Token.Alts); a comparison takes the best.
	alts []term
	// units are such a token's letters, each with the Latin letters it
	// may stand for (letterUnits), and the sets of those letters
	// (unitLetters).
	units       []letterUnit
	unitLetters []uint32
	spellings   []string // its Latin spellings, when few (Token.spellings)
	// memo is what a query token's comparisons with runs of listed
	// tokens (joinedSim) work out once for all the names a query is
	// compared with; shared by the copies of the term.
	memo *joinMemo
}

// joinMemo is a query token's memo of joinedSim.
type joinMemo struct {
	parts []partTerm // the token's parts read as name parts
	// sims are its similarities with runs of listed tokens, by runKey:
	// many names compared with one query hold the same run (a
	// designation's aliases).
	sims map[string]float64
	key  []byte // runKey's buffer
}

// memoOf returns t's memo, making it on first use.
func (t *term) memoOf() *joinMemo {
	if t.memo == nil {
		t.memo = &joinMemo{}
	}
	return t.memo
}

// readings returns t and its other readings.
func (t *term) readings() []term {
	if len(t.alts) == 0 {
		return []term{*t}
	}
	return append([]term{*t}, t.alts...)
}

// rarity returns the idf factor of t, 1 when unknown.
func (t *term) rarity() float64 {
	if t.idf == 0 {
		return 1
	}
	return t.idf
}

func newTerm(t Token) term {
	out := term{text: t.Text, fold: foldKey(t.Text), skel: skeletonKey(t.Text), kind: t.Kind, abjad: t.Script.abjad()}
	for _, a := range t.Alts {
		out.alts = append(out.alts, term{text: a, fold: foldKey(a), skel: skeletonKey(a), kind: t.Kind})
	}
	if len(t.units) > 0 && t.Kind == Regular {
		out.units = t.units
		out.unitLetters = unitLetters(out.units)
		out.spellings = t.spellings
	}
	return out
}

func analyze(name string) []term {
	toks := Tokenize(name)
	if len(toks) > maxTokens {
		toks = toks[:maxTokens]
	}
	out := make([]term, len(toks))
	for i, t := range toks {
		out[i] = newTerm(t)
	}
	return out
}

// maxTokens bounds the tokens of a name that are compared; no real name has
// more, and the bound keeps a hostile query cheap.
const maxTokens = 16

// weight is how much a token counts in a name's score. Longer tokens carry
// more evidence than short ones; particles and initials carry little.
func (t *term) weight() float64 {
	switch t.kind {
	case Particle, LegalForm:
		return 0.15
	case Initial:
		return 0.35
	}
	return 0.5 + 0.5*float64(min(len(t.text), 8))/8
}

// Thresholds of token similarity.
const (
	pairFloor   = 0.60 // below this two tokens are not paired at all
	strongMatch = 0.90 // at or above this a pair counts in full
	sureMatch   = 0.80 // a pair at or above this counts as a matched name part
	joinFloor   = 0.85 // tokens written together must match at least this well
	joinWhole   = 0.80 // and as one word, at least this well
)

// tokenSim compares two tokens and says by which method they matched best:
// the best of their readings.
func tokenSim(a, b *term) (float64, oversight.MatchMethod) { return tokenSimFold(a, b, -1) }

// tokenSimFold is tokenSim given the similarity of the tokens' fold keys,
// or a negative number when it is not known yet.
func tokenSimFold(a, b *term, foldSim float64) (float64, oversight.MatchMethod) {
	s, m := tokenSim1(a, b, foldSim)
	if s == 1 {
		return s, m
	}
	// Another reading is a transliteration: the same once read
	// otherwise counts as equal folded keys do.
	other := func(as float64, am oversight.MatchMethod, text string) {
		if am == oversight.MethodExact {
			as, am = min(0.95, 0.85+0.03*float64(len(text))), oversight.MethodTransliteration
		}
		if as > s {
			s, m = as, am
		}
	}
	for i := range a.alts {
		as, am := tokenSim1(&a.alts[i], b, -1)
		other(as, am, b.text)
	}
	for i := range b.alts {
		as, am := tokenSim1(a, &b.alts[i], -1)
		other(as, am, a.text)
	}
	// A word written letter by letter, read toward the other. Only
	// where its own readings pair with it (pairFloor): the reading
	// toward it changes a few letters, which does not make an unlike
	// word alike, and tokenSimBelow counts on that.
	if s >= pairFloor && s < 0.95 {
		if rt, l, ok := towardReading(a, b); ok {
			as, am := tokenSim1(&rt, l, -1)
			other(as, am, l.text)
		}
	}
	return s, m
}

// towardReading returns, when one of a and b is a word written letter by
// letter and the other a Latin token, the word read toward that token,
// and the token, if the reading is near it (readsNear).
func towardReading(a, b *term) (term, *term, bool) {
	w, l := a, b
	if len(w.units) == 0 {
		w, l = b, a
	}
	if len(w.units) == 0 || len(l.units) > 0 || l.kind != Regular {
		return term{}, nil, false
	}
	r, ok := readsNear(w.units, w.unitLetters, l.text)
	if !ok {
		return term{}, nil, false
	}
	rt := term{text: r, fold: foldKey(r), kind: Regular}
	if l.abjad {
		rt.skel = skeletonKey(r) // compared only across scripts
	}
	return rt, l, true
}

// tokenSimBelow reports, without a Jaro-Winkler comparison, that
// tokenSim(a, b) is surely below bar; false when it cannot tell. It knows
// regular tokens whose readings (tokenSimFold compares each reading of one
// with the other) are of one kind of script and told apart by their folded
// keys: such readings score the better of their spellings' similarity and
// 0.96 times their keys' (a common prefix only lowers that), and
// similarityBound bounds both.
func tokenSimBelow(a, b *term, bar float64) bool {
	// A word written letter by letter is told only below pairFloor,
	// under which it is not read toward the other (tokenSimFold).
	if len(a.units) > 0 || len(b.units) > 0 {
		bar = min(bar, pairFloor)
	}
	return readingsBelow(a, b, bar)
}

// readingsBelow is tokenSimBelow for the tokens' own readings, not
// read toward each other.
func readingsBelow(a, b *term, bar float64) bool {
	// A hair under the bar, so that rounding never leaves out a pair the
	// comparison would keep.
	bar -= 1e-9
	if !readingBelow(a, b, bar, -1) {
		return false
	}
	for i := range a.alts {
		if !readingBelow(&a.alts[i], b, bar, -1) {
			return false
		}
	}
	for i := range b.alts {
		if !readingBelow(a, &b.alts[i], bar, -1) {
			return false
		}
	}
	return true
}

// readingBelow is tokenSimBelow for tokenSim1, one reading of each, given
// the similarity of their fold keys, or a negative number when it is not
// known, which similarityBound then stands for. Such readings score the
// better of their spellings' similarity (the keys' when each is its own
// key) and 0.96 times their keys'.
func readingBelow(a, b *term, bar, foldSim float64) bool {
	if a.kind != Regular || b.kind != Regular || a.abjad != b.abjad || a.fold == b.fold || a.text == b.text {
		return false
	}
	if foldSim < 0 {
		foldSim = similarityBound(a.fold, b.fold)
	}
	if a.text == a.fold && b.text == b.fold {
		return foldSim < bar
	}
	return 0.96*foldSim < bar && similarityBound(a.text, b.text) < bar
}

// tokenSim1 compares one reading of each token.
func tokenSim1(a, b *term, foldSim float64) (float64, oversight.MatchMethod) {
	if a.kind == LegalForm || b.kind == LegalForm {
		// Forms match only themselves: Ltd is not LLC.
		if a.kind == b.kind && a.text == b.text {
			return 1, oversight.MethodExact
		}
		return 0, oversight.MethodUnmatched
	}
	if a.kind == Particle || b.kind == Particle {
		if a.kind == b.kind && a.text == b.text {
			return 1, oversight.MethodExact
		}
		return 0, oversight.MethodUnmatched
	}
	if a.kind == Initial || b.kind == Initial {
		switch {
		case a.text == b.text:
			return 1, oversight.MethodExact
		case a.kind == Initial && b.kind == Initial:
			return 0, oversight.MethodUnmatched
		case a.text[0] == b.text[0]:
			return 0.85, oversight.MethodInitial
		}
		return 0, oversight.MethodUnmatched
	}
	if a.text == b.text {
		return 1, oversight.MethodExact
	}
	s, m := spellingSim(a, b, foldSim)
	// Names built on a common prefix (Abdul-, Abu-) are told apart by
	// the rest: Abdolsamad is not Abdolhamid, however long the prefix
	// they share.
	if pa, pb := theophoric(a.text), theophoric(b.text); pa > 0 && pb > 0 && len(a.text)-pa >= 3 && len(b.text)-pb >= 3 {
		// The shorter prefix of the two, so that a typo in a longer
		// one (Abddulbasit) does not make the rests differ.
		pa = min(pa, pb)
		ra, rb := a.text[pa:], b.text[pa:]
		ta := term{text: ra, fold: foldKey(ra), skel: skeletonKey(ra), kind: Regular, abjad: a.abjad}
		tb := term{text: rb, fold: foldKey(rb), skel: skeletonKey(rb), kind: Regular, abjad: b.abjad}
		if rs, rm := spellingSim(&ta, &tb, -1); rs < s {
			s, m = rs, rm
		}
	}
	return s, m
}

// spellingSim compares two regular tokens by spelling, by folded
// romanisation and, when either was written in an abjad, by consonants.
// Equal keys of short tokens are weaker evidence than of long ones.
func spellingSim(a, b *term, foldSim float64) (float64, oversight.MatchMethod) {
	if a.text == b.text {
		return 1, oversight.MethodExact
	}
	// Most tokens are their own folded keys (Petrov, Hassan): their
	// spellings compare as their keys do, computed once.
	asKeys := a.text == a.fold && b.text == b.fold
	var s float64
	if asKeys && foldSim >= 0 {
		s = foldSim
	} else {
		s = similarity(a.text, b.text)
	}
	m := oversight.MethodFuzzy
	if a.fold == b.fold {
		if fs := min(0.95, 0.85+0.03*float64(len(a.fold))); s < fs {
			s, m = fs, oversight.MethodTransliteration
		}
	} else {
		switch {
		case foldSim >= 0:
		case asKeys:
			foldSim = s
		default:
			foldSim = similarity(a.fold, b.fold)
		}
		if fs := 0.96 * foldSim; fs > s {
			s, m = fs, oversight.MethodTransliteration
		}
	}
	if a.abjad == b.abjad {
		return s, m
	}
	// One token was read from Arabic or Hebrew script, the other not.
	ab, lat := a, b
	if b.abjad {
		ab, lat = b, a
	}
	switch {
	case abjadMatch(ab.text, lat.text):
		// The Latin name with short vowels left out: as good as a
		// transliteration, a little less for very short tokens.
		if ks := min(0.95, 0.87+0.02*float64(len(ab.text))); s < ks {
			s, m = ks, oversight.MethodConsonants
		}
	case a.skel == b.skel && len(a.skel) >= 2:
		// The same consonants, but vowels written where the Latin
		// name has none or others: weaker evidence.
		if s < 0.8 {
			s, m = 0.8, oversight.MethodConsonants
		}
	case len(a.skel) >= 2 && len(b.skel) >= 2:
		if ks := 0.88 * similarity(a.skel, b.skel); ks > s {
			s, m = ks, oversight.MethodConsonants
		}
	}
	return s, m
}

// theophoricPrefixes begin many Arabic and Persian names, written together
// with the rest of the name or apart.
var theophoricPrefixes = []string{"abdul", "abdel", "abdol", "abdal", "abdil", "abdur", "abd", "abou", "abu"}

// theophoric returns the length of the prefix s begins with, or 0.
func theophoric(s string) int {
	if len(s) < 3 || s[0] != 'a' || s[1] != 'b' {
		return 0 // every prefix begins ab: most tokens are answered here
	}
	for _, p := range theophoricPrefixes {
		if strings.HasPrefix(s, p) {
			return len(p)
		}
	}
	return 0
}

// pair is a matched part of two names: a token or a run of adjacent tokens
// of the query (q, qn) against one of the listed name (t, tn).
type pair struct {
	q, qn  int
	t, tn  int
	score  float64
	method oversight.MatchMethod
	weight float64
}

// nameResult is the comparison of a query with one listed name.
type nameResult struct {
	score float64
	pairs []pair
	// unmatched tokens, by index
	uq, ut []int
}

// simFunc returns the similarity of query token i with listed token j; the
// index answers it from a per-query cache.
type simFunc func(i, j int) (float64, oversight.MatchMethod)

// compareNames scores a listed name against a query: tokens are paired
// greedily, best pair first, whatever their order; if some token is left
// without a good partner, runs of two or three adjacent tokens written
// together on the other side are tried too. The score is the weighted mean
// of the pair scores, where a query token without a partner counts in full
// against the match and a listed token without one (a middle name the
// applicant left out) counts a fifth.
func compareNames(q, t []term, qj []joined, sim simFunc) nameResult {
	var opts []pair
	for i := range q {
		for j := range t {
			if s, m := sim(i, j); s >= pairFloor {
				opts = append(opts, pair{q: i, qn: 1, t: j, tn: 1, score: s, method: m, weight: max(q[i].weight(), t[j].weight()) * t[j].rarity()})
			}
		}
	}
	best := assign(q, t, opts)
	if regularCount(q) != regularCount(t) && needsJoin(q, t, best) {
		opts = append(opts, joinOptions(q, t, qj)...)
		if r := assign(q, t, opts); r.score > best.score {
			best = r
		}
	}
	return best
}

func regularCount(ts []term) int {
	n := 0
	for i := range ts {
		if ts[i].kind != Initial {
			n++
		}
	}
	return n
}

// needsJoin reports whether a regular token was left without a strong
// partner, which is when tokens written together may explain it.
func needsJoin(q, t []term, r nameResult) bool {
	if len(q) < 2 && len(t) < 2 {
		return false
	}
	for _, p := range r.pairs {
		if p.score < strongMatch {
			return true
		}
	}
	for _, i := range r.uq {
		if q[i].kind == Regular {
			return true
		}
	}
	for _, j := range r.ut {
		if t[j].kind == Regular {
			return true
		}
	}
	return false
}

// joined is a run of n adjacent tokens from index from, written as one
// word.
type joined struct {
	from, n int
	t       term
	weight  float64
}

// joins returns the runs of two or three adjacent tokens of ts, written as
// one word. Runs holding an initial are left out.
func joins(ts []term) []joined {
	var out []joined
	for n := 2; n <= 3; n++ {
	next:
		for i := 0; i+n <= len(ts); i++ {
			for k := i; k < i+n; k++ {
				if ts[k].kind == Initial || ts[k].kind == LegalForm {
					continue next
				}
			}
			out = append(out, joinRun(ts, i, n))
		}
	}
	return out
}

func joinRun(ts []term, from, n int) joined {
	var b strings.Builder
	w, idf, abjad := 0.0, 0.0, false
	for k := from; k < from+n; k++ {
		b.WriteString(ts[k].text)
		w += ts[k].weight()
		idf += ts[k].rarity()
		abjad = abjad || ts[k].abjad
	}
	s := b.String()
	return joined{from: from, n: n, weight: w,
		t: term{text: s, fold: foldKey(s), skel: skeletonKey(s), kind: Regular, abjad: abjad, idf: idf / float64(n)}}
}

// joinOptions compares runs of adjacent tokens on one side, written as one
// word, with single tokens on the other. qj are the runs of the query,
// computed once per query. Only the side with more tokens is joined.
func joinOptions(q, t []term, qj []joined) []pair {
	var out []pair
	if regularCount(q) > regularCount(t) {
		for k := range qj {
			j := &qj[k]
			for i := range t {
				if t[i].kind != Regular || !closeLength(len(j.t.text), len(t[i].text)) ||
					j.t.text[0] != t[i].text[0] && !j.t.abjad && !t[i].abjad {
					continue
				}
				if tokenSimBelow(&j.t, &t[i], joinFloor) {
					continue // told cheaply, as most are
				}
				if s, _ := tokenSim(&j.t, &t[i]); s >= joinFloor {
					out = append(out, pair{q: j.from, qn: j.n, t: i, tn: 1, score: s, method: oversight.MethodJoined, weight: max(j.weight, t[i].weight()) * t[i].rarity()})
				}
			}
		}
		return out
	}
	for n := 2; n <= 3; n++ {
	next:
		for from := 0; from+n <= len(t); from++ {
			size := 0
			for k := from; k < from+n; k++ {
				if t[k].kind == Initial || t[k].kind == LegalForm {
					continue next
				}
				size += len(t[k].text)
			}
			near := false
			for i := range q {
				near = near || q[i].kind == Regular && closeLength(len(q[i].text), size) &&
					(mayBegin(&q[i], t[from].text) || q[i].abjad || t[from].abjad)
			}
			if !near {
				continue
			}
			var j *joined
			run := func() *joined { // made when first needed
				if j == nil {
					j = new(joinRun(t, from, n))
				}
				return j
			}
			for i := range q {
				if q[i].kind != Regular || !closeLength(len(q[i].text), size) {
					continue
				}
				if s := q[i].memoOf().joinedSim(&q[i], t[from:from+n], run); s >= joinFloor {
					out = append(out, pair{q: i, qn: 1, t: from, tn: n, score: s, method: oversight.MethodJoined, weight: max(run().weight, q[i].weight()) * run().t.rarity()})
				}
			}
		}
	}
	return out
}

// joinedSim compares query token q with the listed tokens parts written
// as one word, joined, as the tokens written apart would compare: q read
// with the spaces put back, each within two letters of where the listed
// name has them (a letter or two dropped or added about the join), each
// part paired (pairFloor) with the listed token it stands for, scoring
// the parts' mean weighted by their listed length. A token of three
// letters or fewer (Abd, al, bin) is compared together with the next (the
// one before, at the end): applicants and lists attach these either way
// (Abdulrahman, ABD AL-RAHMAN). A run that makes one group, and a word
// with other readings, are compared whole.
//
// Whole, a long word's common beginning counts for much (Jaro-Winkler
// weighs agreement at the start): Faisalyazdni is like FAISAL NADIM
// written together, but not once read as Faisal Yazdni; and a typo in
// each part (Ydollahbadon, YADOLLAH BADIN) puts differences at both ends,
// which counts for more than the same typos in two words.
func joinedSim(q *term, parts []term, joined *term) float64 {
	// Parts that read as the listed ones leave the words alike as a
	// whole too: told cheaply, this spares reading most pairs in parts.
	if tokenSimBelow(q, joined, joinWhole) {
		return 0
	}
	var groups [3]term
	gs := groups[:0]
	for i := 0; i < len(parts); {
		k := i + 1
		for k < len(parts) && len(parts[k-1].text) <= 3 {
			k++
		}
		if k == len(parts)-1 && len(parts[k].text) <= 3 {
			k++
		}
		if k-i == 1 {
			gs = append(gs, parts[i])
		} else {
			gs = append(gs, joinRun(parts, i, k-i).t)
		}
		i = k
	}
	if len(gs) == 1 || len(q.alts) > 0 {
		if s, _ := tokenSim(q, joined); s >= joinFloor {
			return s
		}
		return 0
	}
	size := 0
	for i := range gs {
		size += len(gs[i].text)
	}
	return partsSim(q, 0, gs, joinFloor*float64(size), size) / float64(size)
}

// partsSim is joinedSim's reading of q.text[from:], the rest of query
// token q, as the groups of listed tokens parts, of size letters in all:
// the sum of the parts' similarities weighted by their listed length, or
// 0 if a part is not paired or the sum falls short of need. Each part is
// held to what it must reach with the rest matching in full, which the
// cheap bound mostly tells.
func partsSim(q *term, from int, parts []term, need float64, size int) float64 {
	p := &parts[0]
	n := len(p.text)
	bar := max(pairFloor, (need-float64(size-n))/float64(n))
	if len(parts) == 1 {
		return float64(n) * partSim(q, from, len(q.text), p, bar)
	}
	best := 0.0
	for k := from + max(2, n-2); k <= min(len(q.text)-2, from+n+2); k++ {
		s := partSim(q, from, k, p, bar)
		if s == 0 {
			continue
		}
		if rest := partsSim(q, k, parts[1:], need-float64(n)*s, size-n); rest > 0 {
			best = max(best, float64(n)*s+rest)
		}
	}
	return best
}

// partSim is the similarity of q.text[from:to], part of query token q, to
// listed token p, or 0 if below bar.
func partSim(q *term, from, to int, p *term, bar float64) float64 {
	t := q.part(from, to)
	if tokenSimBelow(t, p, bar) {
		return 0
	}
	if s, _ := tokenSim(t, p); s >= bar {
		return s
	}
	return 0
}

// partTerm is text[from:to] of a query token, as a term.
type partTerm struct {
	from, to int
	t        term
}

// part returns q.text[from:to] as a term, made once for all the names the
// query is compared with. The term is good until the next call.
func (q *term) part(from, to int) *term {
	m := q.memoOf()
	for i := range m.parts {
		if m.parts[i].from == from && m.parts[i].to == to {
			return &m.parts[i].t
		}
	}
	text := q.text[from:to]
	m.parts = append(m.parts, partTerm{from, to, term{text: text, fold: foldKey(text), skel: skeletonKey(text), kind: Regular, abjad: q.abjad}})
	return &m.parts[len(m.parts)-1].t
}

// joinedSim is joinedSim(q, parts, &run().t), worked out once for each
// run of listed tokens; run makes the run written as one word when asked.
func (m *joinMemo) joinedSim(q *term, parts []term, run func() *joined) float64 {
	m.key = runKey(m.key[:0], parts)
	if s, ok := m.sims[string(m.key)]; ok {
		return s
	}
	s := joinedSim(q, parts, &run().t)
	if m.sims == nil {
		m.sims = make(map[string]float64)
	}
	m.sims[string(m.key)] = s
	return s
}

// runKey appends to b what joinedSim's answer depends on in a run of
// listed tokens: their texts and kinds, which name one vocabulary token
// each.
func runKey(b []byte, run []term) []byte {
	for i := range run {
		b = append(b, run[i].text...)
		b = append(b, 0, byte(run[i].kind))
	}
	return b
}

// mayBegin reports whether t may stand for a word beginning as listed
// does: t begins with its first letter, or, for a word written letter by
// letter, its first letter may stand for that letter, or for the next
// after an h, which Greek does not write (ονγκιλ, Hong-il).
func mayBegin(t *term, listed string) bool {
	if t.text[0] == listed[0] {
		return true
	}
	if len(t.units) == 0 {
		return false
	}
	for _, o := range t.units[0] {
		if o != "" && (o[0] == listed[0] || listed[0] == 'h' && len(listed) > 1 && o[0] == listed[1]) {
			return true
		}
	}
	return false
}

// minor reports whether p pairs a particle or a legal form on its own.
func minor(q []term, p pair) bool {
	return p.qn == 1 && p.tn == 1 && (q[p.q].kind == Particle || q[p.q].kind == LegalForm)
}

// assign pairs tokens greedily, best option first, and scores the result.
func assign(q, t []term, opts []pair) nameResult {
	slices.SortStableFunc(opts, func(a, b pair) int {
		// Particles and legal forms are paired last: they weigh
		// little, and the al of "Abd al-Rahman" belongs to the name
		// written together on the other side (Abdulrahman).
		if pa, pb := minor(q, a), minor(q, b); pa != pb {
			return compareBool(pa, pb)
		}
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		// On a tie prefer single tokens, then tokens in the same place.
		if d := (a.qn + a.tn) - (b.qn + b.tn); d != 0 {
			return d
		}
		return abs(a.q-a.t) - abs(b.q-b.t)
	})
	var usedQ, usedT uint32
	var r nameResult
	for _, o := range opts {
		mq := uint32(1<<o.qn-1) << o.q
		mt := uint32(1<<o.tn-1) << o.t
		if usedQ&mq != 0 || usedT&mt != 0 {
			continue
		}
		usedQ |= mq
		usedT |= mt
		r.pairs = append(r.pairs, o)
	}
	var num, den, listedRegular, listedUnmatched float64
	matched, exact := 0, true
	for _, p := range r.pairs {
		num += p.weight * credit(p.score)
		den += p.weight
		if p.score >= sureMatch && p.method != oversight.MethodInitial && q[p.q].kind != Particle && q[p.q].kind != LegalForm {
			matched += max(p.qn, p.tn)
		}
		exact = exact && p.method == oversight.MethodExact
	}
	for i := range q {
		if usedQ&(1<<i) == 0 {
			r.uq = append(r.uq, i)
			w := q[i].weight()
			if q[i].kind != Regular {
				w *= 0.5
			}
			den += w
		}
	}
	// A listed token the query does not have weighs little when it is a
	// middle name, which passports and visa forms often leave out, and
	// more when it begins or ends the name. When most of the listed name
	// is missing, the rest weighs more.
	regular := 0
	var middle, edge float64
	for j := range t {
		if t[j].kind == Regular {
			regular++
			listedRegular += t[j].weight()
		}
		if usedT&(1<<j) == 0 {
			r.ut = append(r.ut, j)
			w := t[j].weight() * t[j].rarity()
			switch {
			case t[j].kind == Regular:
				listedUnmatched += t[j].weight()
				if j == 0 || j == len(t)-1 {
					edge += w
				} else {
					middle += w
				}
			case t[j].kind == Initial:
				middle += w
			}
		}
	}
	short := false
	switch {
	case listedRegular > 0 && listedUnmatched > listedRegular/2 && shortForm(q, t, r, usedT, matched):
		// A long name given by its given name and one family name
		// (Jose RINCON for Jose Manuel RINCON MOLINA, Muhammad SHAMMOUT
		// for a name of six parts): the parts left out count little,
		// but the match stays below the review band on its own.
		den += 0.15 * listedUnmatched
		short = true
	case listedRegular > 0 && listedUnmatched > listedRegular/2:
		den += 0.5 * listedUnmatched
	default:
		den += 0.1*middle + 0.3*edge
	}
	if den > 0 {
		r.score = num / den
	}
	// One shared name part is never enough to be sure, however well it
	// matches: "George Bush" is not "George Habbash", and an initial is
	// not a name. Nor is one name alike in spelling to another the same
	// person without more.
	queryRegular := 0
	for i := range q {
		if q[i].kind == Regular {
			queryRegular++
		}
	}
	switch {
	case matched < 2 && (regular >= 2 || queryRegular >= 2):
		r.score = min(r.score, 0.8)
	case matched == 1 && !exact:
		r.score *= 0.9
	case short:
		r.score = min(r.score, shortCap)
	}
	return r
}

// shortCap is the most a short form of a long name scores on its name:
// a candidate, ranked below a full match and below the review band unless
// the birth date or nationality agrees.
const shortCap = 0.84

// shortForm reports whether the query is a short form of the listed name:
// every regular query token is paired well, with the listed name's first
// (given) name and with at least one other of its parts.
func shortForm(q, t []term, r nameResult, usedT uint32, matched int) bool {
	if matched < 2 {
		return false
	}
	for _, i := range r.uq {
		if q[i].kind == Regular {
			return false
		}
	}
	for _, p := range r.pairs {
		if q[p.q].kind == Regular && p.score < sureMatch {
			return false
		}
	}
	first := -1
	others := 0
	for j := range t {
		if t[j].kind != Regular {
			continue
		}
		if first < 0 {
			first = j
			if usedT&(1<<j) == 0 {
				return false
			}
			continue
		}
		if usedT&(1<<j) != 0 {
			others++
		}
	}
	return first >= 0 && others > 0
}

// credit maps a pair's similarity to what it contributes: in full above
// strongMatch, and falling away quickly below, since tokens that are only
// somewhat alike are most often different names.
func credit(s float64) float64 {
	if s >= strongMatch {
		return s
	}
	return max(0, s-2*(strongMatch-s))
}

// closeLength reports whether two lengths differ by at most a third.
func closeLength(a, b int) bool {
	return 3*abs(a-b) <= max(a, b)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Compare scores how well name matches listed, in [0, 1], with the per-token
// detail, without an index. It is the comparison the index applies to its
// candidates, offered for tests, tools and one-off checks.
func Compare(name, listed string) (float64, []oversight.TokenScore) {
	q, t := analyze(name), analyze(listed)
	r := compareNames(q, t, joins(q), func(i, j int) (float64, oversight.MatchMethod) { return tokenSim(&q[i], &t[j]) })
	return round3(r.score), tokenScores(q, t, r)
}

// tokenScores lists the pairs and the unmatched tokens of a comparison, in
// the order of the query's tokens.
func tokenScores(q, t []term, r nameResult) []oversight.TokenScore {
	out := make([]oversight.TokenScore, 0, len(r.pairs)+len(r.uq)+len(r.ut))
	span := func(ts []term, from, n int) string {
		parts := make([]string, n)
		for k := range n {
			parts[k] = ts[from+k].text
		}
		return strings.Join(parts, " ")
	}
	pairs := slices.Clone(r.pairs)
	slices.SortFunc(pairs, func(a, b pair) int { return a.q - b.q })
	for _, p := range pairs {
		out = append(out, oversight.TokenScore{Query: span(q, p.q, p.qn), Listed: span(t, p.t, p.tn), Score: round3(p.score), Method: p.method})
	}
	for _, i := range r.uq {
		out = append(out, oversight.TokenScore{Query: q[i].text, Method: oversight.MethodUnmatched})
	}
	for _, j := range r.ut {
		out = append(out, oversight.TokenScore{Listed: t[j].text, Method: oversight.MethodUnmatched})
	}
	return out
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}
