package tlog

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	xtlog "golang.org/x/mod/sumdb/tlog"
)

// entry returns the test entry at index i: fictional event JSON.
func entry(i int64) []byte {
	return fmt.Appendf(nil, `{"index":%d,"type":"test.entry","actor":"tester","subject":"res_%d"}`, i, i*7919)
}

// refLog is the reference: golang.org/x/mod/sumdb/tlog's stored hashes,
// the code the outside checker uses.
type refLog struct {
	n      int64
	stored []xtlog.Hash
}

func (r *refLog) ReadHashes(idx []int64) ([]xtlog.Hash, error) {
	out := make([]xtlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(r.stored)) {
			return nil, fmt.Errorf("stored hash %d not written", x)
		}
		out[i] = r.stored[x]
	}
	return out, nil
}

func (r *refLog) append(data []byte) {
	hs, err := xtlog.StoredHashes(r.n, data, r)
	if err != nil {
		panic(err)
	}
	r.stored = append(r.stored, hs...)
	r.n++
}

func (r *refLog) root(t testing.TB, size int64) Hash {
	t.Helper()
	h, err := xtlog.TreeHash(size, r)
	if err != nil {
		t.Fatal(err)
	}
	return Hash(h)
}

// tiles returns every tile of the reference tree of the given size, as
// the store must hold them (partial tiles at their current width).
func (r *refLog) tiles(t testing.TB, size int64) map[TileID][]byte {
	t.Helper()
	out := make(map[TileID][]byte)
	for _, x := range xtlog.NewTiles(TileHeight, 0, size) {
		data, err := xtlog.ReadTileData(x, r)
		if err != nil {
			t.Fatal(err)
		}
		out[TileID{x.L, x.N}] = data
	}
	return out
}

// memTiles is a minimal TileReader over a map of tile rows.
type memTiles struct {
	rows  map[TileID][]byte
	reads int
}

func newMemTiles() *memTiles { return &memTiles{rows: make(map[TileID][]byte)} }

func (m *memTiles) ReadTiles(ctx context.Context, ids []TileID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = m.rows[id]
	}
	m.reads += len(ids)
	return out, nil
}

func (m *memTiles) upsert(tds []TileData) {
	for _, td := range tds {
		m.rows[td.TileID] = slices.Clone(td.Data)
	}
}

func sameTiles(t *testing.T, what string, got, want map[TileID][]byte) {
	t.Helper()
	for id, w := range want {
		if g, ok := got[id]; !ok {
			t.Fatalf("%s: tile %s missing", what, id)
		} else if !bytes.Equal(g, w) {
			t.Fatalf("%s: tile %s has %d hashes, differs from the reference's %d", what, id, len(g)/HashSize, len(w)/HashSize)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Fatalf("%s: extra tile %s", what, id)
		}
	}
}

// TestTreeMatchesXMod appends in batches of varied sizes and checks, at
// every tile boundary of levels 0 to 2 and at random sizes, the root and
// every stored tile against x/mod's tlog, and that Load from the stored
// tiles rebuilds the same tree.
func TestTreeMatchesXMod(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 70,000 leaves")
	}
	ctx := context.Background()
	checkAt := map[int64]bool{}
	for _, s := range []int64{1, 2, 3, 4, 5, 7, 8, 9, 127, 128, 129, 255, 256, 257, 511, 512, 513,
		65279, 65280, 65281, 65535, 65536, 65537, 69999, 70000} {
		checkAt[s] = true
	}
	r := rand.New(rand.NewPCG(7, 7))
	for range 20 {
		checkAt[1+r.Int64N(70000)] = true
	}
	sizes := slices.Sorted(maps.Keys(checkAt))

	ref := new(refLog)
	tree := NewTree()
	store := newMemTiles()
	if tree.Root() != EmptyRoot {
		t.Fatalf("empty root = %s", tree.Root())
	}
	var n int64
	for _, target := range sizes {
		for n < target {
			// Batches of 1 to 600 leaves, cut at the target.
			k := min(1+r.Int64N(600), target-n)
			b := tree.Begin()
			for range k {
				e := entry(n)
				i, err := b.AppendEntry(e)
				if err != nil || i != n {
					t.Fatalf("AppendEntry = %d, %v; want %d", i, err, n)
				}
				ref.append(e)
				n++
			}
			store.upsert(b.Tiles())
			b.Commit()
		}
		want := ref.root(t, n)
		if got := tree.Root(); got != want {
			t.Fatalf("size %d: root %s, x/mod %s", n, got, want)
		}
		sameTiles(t, fmt.Sprintf("size %d", n), store.rows, ref.tiles(t, n))
		loaded, err := Load(ctx, store, n)
		if err != nil {
			t.Fatalf("Load(%d): %v", n, err)
		}
		if loaded.Size() != n || loaded.Root() != want {
			t.Fatalf("Load(%d): size %d root %s, want %s", n, loaded.Size(), loaded.Root(), want)
		}
		// Continue with the loaded tree: it must produce what the original
		// would have.
		tree = loaded
	}
}

// TestBatchTiles checks that Tiles lists exactly the rows that changed.
func TestBatchTiles(t *testing.T) {
	tree := NewTree()
	store := newMemTiles()
	ref := new(refLog)
	r := rand.New(rand.NewPCG(3, 4))
	var n int64
	for range 60 {
		before := maps.Clone(store.rows)
		b := tree.Begin()
		for range r.IntN(1100) {
			e := entry(n)
			b.AppendEntry(e)
			ref.append(e)
			n++
		}
		changed := b.Tiles()
		b.Commit()
		want := ref.tiles(t, n)
		for i, td := range changed {
			if i > 0 && (changed[i-1].Level > td.Level || changed[i-1].Level == td.Level && changed[i-1].Index >= td.Index) {
				t.Fatalf("Tiles not ordered: %s then %s", changed[i-1].TileID, td.TileID)
			}
			if bytes.Equal(before[td.TileID], td.Data) {
				t.Errorf("size %d: unchanged tile %s listed", n, td.TileID)
			}
		}
		store.upsert(changed)
		for id, w := range want {
			if !bytes.Equal(before[id], w) && !slices.ContainsFunc(changed, func(td TileData) bool { return td.TileID == id }) {
				t.Fatalf("size %d: changed tile %s not listed", n, id)
			}
		}
		sameTiles(t, fmt.Sprintf("size %d", n), store.rows, want)
	}
}

// TestSavepoints runs random sequences of appends, savepoints, rollbacks to
// savepoints and batch commits or rollbacks against a model (the list of
// committed and pending entries), and checks after each batch that the
// tree and the stored tiles equal those of a tree built from the model.
func TestSavepoints(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 99))
		tree := NewTree()
		store := newMemTiles()
		var committed [][]byte
		next := 0 // entries get distinct contents even when rolled back
		for range 12 {
			b := tree.Begin()
			pending := slices.Clone(committed)
			type sp struct {
				sp Savepoint
				n  int
			}
			var live, dead []sp
			for range r.IntN(30) {
				switch op := r.IntN(11); {
				case op == 10 && len(dead) > 0:
					mustPanic(t, "destroyed savepoint", func() { b.RollbackTo(dead[r.IntN(len(dead))].sp) })
				case op < 5:
					for range 1 + r.IntN(r.IntN(300)+1) {
						e := []byte(fmt.Sprintf("entry %d", next))
						next++
						if i, _ := b.AppendEntry(e); i != int64(len(pending)) {
							t.Fatalf("seed %d: index %d, want %d", seed, i, len(pending))
						}
						pending = append(pending, e)
					}
				case op < 8:
					live = append(live, sp{b.Savepoint(), len(pending)})
				case len(live) > 0:
					k := r.IntN(len(live))
					b.RollbackTo(live[k].sp)
					pending = pending[:live[k].n]
					dead = append(dead, live[k+1:]...) // later savepoints are destroyed
					live = live[:k+1]
				}
				if b.Size() != int64(len(pending)) {
					t.Fatalf("seed %d: size %d, model %d", seed, b.Size(), len(pending))
				}
			}
			if r.IntN(4) == 0 {
				b.Rollback()
			} else {
				store.upsert(b.Tiles())
				b.Commit()
				committed = pending
			}
			ref := new(refLog)
			for _, e := range committed {
				ref.append(e)
			}
			n := int64(len(committed))
			if tree.Size() != n || tree.Root() != ref.root(t, n) {
				t.Fatalf("seed %d: tree size %d root %s, model size %d root %s", seed, tree.Size(), tree.Root(), n, ref.root(t, n))
			}
			sameTiles(t, fmt.Sprintf("seed %d size %d", seed, n), store.rows, ref.tiles(t, n))
			loaded, err := Load(ctx, store, n)
			if err != nil || loaded.Root() != tree.Root() {
				t.Fatalf("seed %d: Load(%d) = %v", seed, n, err)
			}
		}
	}
}

// Tiles handed out before a rollback must not change when the appends
// after it reuse the same positions.
func TestRollbackKeepsReturnedTiles(t *testing.T) {
	tree := NewTree()
	b := tree.Begin()
	for i := range 10 {
		b.AppendEntry([]byte{byte(i), 0})
	}
	sp := b.Savepoint() // the level-0 tile is 10 wide
	for i := range 300 {
		b.AppendEntry([]byte{byte(i), 1})
	}
	first := b.Tiles()
	saved := make([][]byte, len(first))
	for i, td := range first {
		saved[i] = slices.Clone(td.Data)
	}
	sp2 := b.Savepoint()
	b.RollbackTo(sp)
	for i := range 300 {
		b.AppendEntry([]byte{byte(i), 2})
	}
	for i, td := range first {
		if !bytes.Equal(td.Data, saved[i]) {
			t.Fatalf("tile %s returned before the rollback changed", td.TileID)
		}
	}
	mustPanic(t, "destroyed savepoint", func() { b.RollbackTo(sp2) })
	b.RollbackTo(sp) // sp itself survives, as in SQL
	b.Commit()
	if tree.Size() != 10 {
		t.Fatalf("size %d after rolling back everything", tree.Size())
	}
	mustPanic(t, "closed batch", func() { b.Append(Hash{}) })
	b2 := tree.Begin()
	mustPanic(t, "second batch", func() { tree.Begin() })
	mustPanic(t, "foreign savepoint", func() { b2.RollbackTo(sp) })
	b2.Rollback()
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

func TestAppendEntryTooLarge(t *testing.T) {
	b := NewTree().Begin()
	if _, err := b.AppendEntry(make([]byte, MaxEntrySize+1)); err == nil {
		t.Error("oversized entry appended")
	}
	if i, err := b.AppendEntry(make([]byte, MaxEntrySize)); err != nil || i != 0 {
		t.Errorf("AppendEntry(max) = %d, %v", i, err)
	}
}

func TestLoadRejectsInconsistentTiles(t *testing.T) {
	ctx := context.Background()
	tree := NewTree()
	store := newMemTiles()
	b := tree.Begin()
	for i := range int64(300) {
		b.AppendEntry(entry(i))
	}
	store.upsert(b.Tiles())
	b.Commit()
	if _, err := Load(ctx, store, 300); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{299, 301, 513} {
		if _, err := Load(ctx, store, size); err == nil {
			t.Errorf("Load(%d) over tiles of size 300 succeeded", size)
		}
	}
	if _, err := Load(ctx, store, -1); err == nil {
		t.Error("Load(-1) succeeded")
	}
}

// A full tile's root is the hash the tile one level up holds for it: the
// subtree of 256 leaves as golang.org/x/mod/sumdb/tlog stores it, for the
// leaf hashes of entries as for the hashes of a level-0 tile. Anything but
// a full tile is refused.
func TestTileRoot(t *testing.T) {
	var ref refLog
	var leaves []byte
	for i := range int64(2 * TileWidth) {
		ref.append(entry(i))
		h := LeafHash(entry(i))
		leaves = append(leaves, h[:]...)
	}
	for k := range int64(2) {
		got, err := TileRoot(leaves[k*TileWidth*HashSize : (k+1)*TileWidth*HashSize])
		if err != nil {
			t.Fatal(err)
		}
		if want := ref.stored[xtlog.StoredHashIndex(TileHeight, k)]; got != Hash(want) {
			t.Errorf("tile %d: root %s, want %s", k, got, Hash(want))
		}
	}
	for _, n := range []int{0, TileWidth - 1, TileWidth + 1} {
		if _, err := TileRoot(make([]byte, n*HashSize)); err == nil {
			t.Errorf("a tile of %d hashes: no error", n)
		}
	}
}
