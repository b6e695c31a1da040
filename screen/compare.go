package screen

import (
	"slices"
	"strings"
)

// Method says how two tokens were found alike.
type Method string

// Token comparison methods, from the strongest evidence to the weakest.
const (
	MethodExact           Method = "exact"           // the same token
	MethodTransliteration Method = "transliteration" // the same once romanisation variants are folded (Yevgeniy, Evgenii)
	MethodFuzzy           Method = "fuzzy"           // Jaro-Winkler with penalties: typos, small spelling differences
	MethodConsonants      Method = "consonants"      // the same consonants, for names entered in Arabic or Hebrew script
	MethodInitial         Method = "initial"         // an initial and a name it begins
	MethodJoined          Method = "joined"          // tokens written together on one side and apart on the other (Abdul Rahman, Abdulrahman)
	MethodUnmatched       Method = "unmatched"       // a token with no counterpart
)

// term is an analysed token: its text and the keys it is compared by.
type term struct {
	text  string
	fold  string
	skel  string
	kind  Kind
	abjad bool
}

func newTerm(t Token) term {
	return term{text: t.Text, fold: foldKey(t.Text), skel: skeletonKey(t.Text), kind: t.Kind, abjad: t.Script.abjad()}
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
	case Particle:
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
)

// tokenSim compares two tokens and says by which method they matched best.
func tokenSim(a, b *term) (float64, Method) {
	if a.kind == Particle || b.kind == Particle {
		if a.kind == b.kind && a.text == b.text {
			return 1, MethodExact
		}
		return 0, MethodUnmatched
	}
	if a.kind == Initial || b.kind == Initial {
		switch {
		case a.text == b.text:
			return 1, MethodExact
		case a.kind == Initial && b.kind == Initial:
			return 0, MethodUnmatched
		case a.text[0] == b.text[0]:
			return 0.85, MethodInitial
		}
		return 0, MethodUnmatched
	}
	if a.text == b.text {
		return 1, MethodExact
	}
	s, m := similarity(a.text, b.text), MethodFuzzy
	if a.fold == b.fold {
		if s < 0.95 {
			s, m = 0.95, MethodTransliteration
		}
	} else if fs := 0.96 * similarity(a.fold, b.fold); fs > s {
		s, m = fs, MethodTransliteration
	}
	if (a.abjad || b.abjad) && len(a.skel) >= 2 && len(b.skel) >= 2 {
		if a.skel == b.skel {
			if s < 0.93 {
				s, m = 0.93, MethodConsonants
			}
		} else if ks := 0.92 * similarity(a.skel, b.skel); ks > s {
			s, m = ks, MethodConsonants
		}
	}
	return s, m
}

// pair is a matched part of two names: a token or a run of adjacent tokens
// of the query (q, qn) against one of the listed name (t, tn).
type pair struct {
	q, qn  int
	t, tn  int
	score  float64
	method Method
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
type simFunc func(i, j int) (float64, Method)

// compareNames scores a listed name against a query: tokens are paired
// greedily, best pair first, whatever their order; if some token is left
// without a good partner, runs of two or three adjacent tokens written
// together on the other side are tried too. The score is the weighted mean
// of the pair scores, where a query token without a partner counts in full
// against the match and a listed token without one (a middle name the
// applicant left out) counts a fifth.
func compareNames(q, t []term, sim simFunc) nameResult {
	var opts []pair
	for i := range q {
		for j := range t {
			if s, m := sim(i, j); s >= pairFloor {
				opts = append(opts, pair{q: i, qn: 1, t: j, tn: 1, score: s, method: m, weight: max(q[i].weight(), t[j].weight())})
			}
		}
	}
	best := assign(q, t, opts)
	if needsJoin(q, t, best) {
		opts = append(opts, joinOptions(q, t)...)
		if r := assign(q, t, opts); r.score > best.score {
			best = r
		}
	}
	return best
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

// joinOptions compares runs of two or three adjacent tokens on one side,
// written as one word, with single tokens on the other.
func joinOptions(q, t []term) []pair {
	var out []pair
	join := func(ts []term, from, n int) (term, float64, bool) {
		var b strings.Builder
		w := 0.0
		abjad := false
		for k := from; k < from+n; k++ {
			if ts[k].kind == Initial {
				return term{}, 0, false
			}
			b.WriteString(ts[k].text)
			w += ts[k].weight()
			abjad = abjad || ts[k].abjad
		}
		s := b.String()
		return term{text: s, fold: foldKey(s), skel: skeletonKey(s), kind: Regular, abjad: abjad}, w, true
	}
	for n := 2; n <= 3; n++ {
		for i := 0; i+n <= len(q); i++ {
			jq, w, ok := join(q, i, n)
			if !ok {
				continue
			}
			for j := range t {
				if t[j].kind != Regular {
					continue
				}
				if s, _ := tokenSim(&jq, &t[j]); s >= strongMatch {
					out = append(out, pair{q: i, qn: n, t: j, tn: 1, score: s, method: MethodJoined, weight: max(w, t[j].weight())})
				}
			}
		}
		for j := 0; j+n <= len(t); j++ {
			jt, w, ok := join(t, j, n)
			if !ok {
				continue
			}
			for i := range q {
				if q[i].kind != Regular {
					continue
				}
				if s, _ := tokenSim(&q[i], &jt); s >= strongMatch {
					out = append(out, pair{q: i, qn: 1, t: j, tn: n, score: s, method: MethodJoined, weight: max(w, q[i].weight())})
				}
			}
		}
	}
	return out
}

// assign pairs tokens greedily, best option first, and scores the result.
func assign(q, t []term, opts []pair) nameResult {
	slices.SortStableFunc(opts, func(a, b pair) int {
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
	matched := 0
	for _, p := range r.pairs {
		num += p.weight * credit(p.score)
		den += p.weight
		if p.score >= sureMatch && p.method != MethodInitial && q[p.q].kind != Particle {
			matched += max(p.qn, p.tn)
		}
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
	regular := 0
	for j := range t {
		if t[j].kind == Regular {
			regular++
			listedRegular += t[j].weight()
		}
		if usedT&(1<<j) == 0 {
			r.ut = append(r.ut, j)
			if t[j].kind == Regular {
				listedUnmatched += t[j].weight()
			}
		}
	}
	// A listed token the query does not have weighs a fifth: passports
	// and visa forms leave out middle names. When most of the listed name
	// is missing, the rest weighs more.
	beta := 0.2
	if listedRegular > 0 && listedUnmatched > listedRegular/2 {
		beta = 0.5
	}
	den += beta * listedUnmatched
	if den > 0 {
		r.score = num / den
	}
	// One shared name part is never enough to be sure, however well it
	// matches: "George Bush" is not "George Habbash".
	if matched < 2 && regular >= 2 {
		r.score = min(r.score, 0.8)
	}
	return r
}

// credit maps a pair's similarity to what it contributes: in full above
// strongMatch, and falling away quickly below, since tokens that are only
// somewhat alike are most often different names.
func credit(s float64) float64 {
	if s >= strongMatch {
		return s
	}
	return max(0, s-1.5*(strongMatch-s))
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
func Compare(name, listed string) (float64, []TokenScore) {
	q, t := analyze(name), analyze(listed)
	r := compareNames(q, t, func(i, j int) (float64, Method) { return tokenSim(&q[i], &t[j]) })
	return round3(r.score), tokenScores(q, t, r)
}

// tokenScores lists the pairs and the unmatched tokens of a comparison, in
// the order of the query's tokens.
func tokenScores(q, t []term, r nameResult) []TokenScore {
	out := make([]TokenScore, 0, len(r.pairs)+len(r.uq)+len(r.ut))
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
		out = append(out, TokenScore{Query: span(q, p.q, p.qn), Listed: span(t, p.t, p.tn), Score: round3(p.score), Method: p.method})
	}
	for _, i := range r.uq {
		out = append(out, TokenScore{Query: q[i].text, Method: MethodUnmatched})
	}
	for _, j := range r.ut {
		out = append(out, TokenScore{Listed: t[j].text, Method: MethodUnmatched})
	}
	return out
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}
