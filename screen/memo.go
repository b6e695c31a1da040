package screen

import (
	"strings"
	"sync"
)

// lookupMemo remembers, for query tokens met before, the vocabulary tokens
// similarTerms found like them and their similarities: names repeat their
// parts (Mohammed, Ali, Ivanov, Limited), and finding the tokens like one
// is most of a query's work. The answer depends only on the token and on
// the vocabulary, which only grows, so the index forgets every lookup when
// a put adds a token to it. Lookups are kept until the memo holds its
// capacity, and then all forgotten at once: a lookup is cheap to redo, and
// the common ones come back first.
type lookupMemo struct {
	mu      sync.RWMutex
	m       map[memoKey]*memoEntry
	cap     int // lookups kept at most; 0: none
	entries int // similarities held, all lookups together
}

// DefaultLookupMemo is the number of query tokens' lookups an index
// remembers unless told otherwise (SetLookupMemo): with some tens of
// similarities a lookup, a few megabytes.
const DefaultLookupMemo = 20_000

// maxMemoEntries bounds the similarities the memo holds in all, whatever
// its capacity in lookups: 16 bytes each.
const maxMemoEntries = 4_000_000

// memoKey is what a lookup depends on: the token (its keys derive from its
// text), its other readings and how it is searched.
type memoKey struct {
	text  string
	alts  string
	kind  Kind
	abjad bool
	mode  search
}

// memoEntry is one remembered lookup: the tokens found, best first, and
// the similarity of every token compared that pairs at all (pairFloor);
// the others are recomputed if a comparison needs them.
type memoEntry struct {
	found []uint32
	sims  []memoSim
}

type memoSim struct {
	id uint32
	simEntry
}

func newMemoKey(q *term, mode search) memoKey {
	k := memoKey{text: q.text, kind: q.kind, abjad: q.abjad, mode: mode}
	if len(q.alts) > 0 {
		var b strings.Builder
		for i := range q.alts {
			b.WriteString(q.alts[i].text)
			b.WriteByte(' ')
		}
		k.alts = b.String()
	}
	return k
}

func (mm *lookupMemo) get(k memoKey) *memoEntry {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	return mm.m[k]
}

func (mm *lookupMemo) put(k memoKey, found []uint32, cache map[uint32]simEntry) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.cap <= 0 {
		return
	}
	if _, ok := mm.m[k]; ok {
		return
	}
	e := &memoEntry{found: append([]uint32(nil), found...)}
	for id, s := range cache {
		if s.score >= pairFloor {
			e.sims = append(e.sims, memoSim{id, s})
		}
	}
	if len(mm.m) >= mm.cap || mm.entries+len(e.sims) > maxMemoEntries {
		mm.m, mm.entries = nil, 0
	}
	if mm.m == nil {
		mm.m = make(map[memoKey]*memoEntry)
	}
	mm.m[k] = e
	mm.entries += len(e.sims)
}

// forget forgets every lookup; the caller holds the index's lock for
// writing, so no query is running.
func (mm *lookupMemo) forget() {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.m, mm.entries = nil, 0
}

// reset forgets every lookup and sets the capacity.
func (mm *lookupMemo) reset(capacity int) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.m, mm.entries, mm.cap = nil, 0, capacity
}

// SetLookupMemo sets how many query tokens' lookups the index remembers
// (DefaultLookupMemo unless set; 0 remembers none) and forgets those it holds. A
// benchmark calls it to time queries from a cold start.
func (ix *Index) SetLookupMemo(lookups int) {
	ix.memo.reset(lookups)
}
