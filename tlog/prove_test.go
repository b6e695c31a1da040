package tlog

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	xtlog "golang.org/x/mod/sumdb/tlog"
)

// buildLog appends n test entries in batches of up to 1000 and returns the
// tile store and the reference.
func buildLog(t testing.TB, n int64) (*Tree, *memTiles, *refLog) {
	t.Helper()
	tree := NewTree()
	store := newMemTiles()
	ref := new(refLog)
	for tree.Size() < n {
		b := tree.Begin()
		for b.Size() < n && b.Size()-b.Start() < 1000 {
			e := entry(b.Size())
			b.AppendEntry(e)
			ref.append(e)
		}
		store.upsert(b.Tiles())
		b.Commit()
	}
	return tree, store, ref
}

func xhashes(hs []Hash) []xtlog.Hash {
	out := make([]xtlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = xtlog.Hash(h)
	}
	return out
}

func TestProofsMatchXModAndMerkle(t *testing.T) {
	ctx := context.Background()
	const n = 66000
	_, store, ref := buildLog(t, n)
	p := NewProver(store, 8) // a small cache, so eviction happens
	r := rand.New(rand.NewPCG(5, 6))
	sizes := []int64{1, 2, 3, 255, 256, 257, 511, 512, 65535, 65536, 65537, n}
	for range 20 {
		sizes = append(sizes, 1+r.Int64N(n))
	}
	for _, size := range sizes {
		root := ref.root(t, size)
		got, err := p.RootHash(ctx, size)
		if err != nil || got != root {
			t.Fatalf("RootHash(%d) = %s, %v; want %s", size, got, err, root)
		}
		indexes := []int64{0, size - 1, size / 2, r.Int64N(size)}
		if size > 256 {
			indexes = append(indexes, 255, 256)
		}
		for _, i := range indexes {
			if i >= size {
				continue
			}
			pr, err := p.InclusionProof(ctx, i, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, size, err)
			}
			leaf := LeafHash(entry(i))
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(size), leaf[:], hashes(pr), root[:]); err != nil {
				t.Fatalf("merkle rejects inclusion proof (%d, %d): %v", i, size, err)
			}
			if err := xtlog.CheckRecord(xhashes(pr), size, xtlog.Hash(root), i, xtlog.Hash(leaf)); err != nil {
				t.Fatalf("x/mod rejects inclusion proof (%d, %d): %v", i, size, err)
			}
			want, err := xtlog.ProveRecord(size, i, ref)
			if err != nil || len(want) != len(pr) {
				t.Fatalf("x/mod proof (%d, %d) has %d hashes, ours %d (%v)", i, size, len(want), len(pr), err)
			}
			for k := range want {
				if Hash(want[k]) != pr[k] {
					t.Fatalf("inclusion proof (%d, %d) hash %d differs from x/mod's", i, size, k)
				}
			}
			if err := VerifyInclusion(Checkpoint{Size: size, Root: root}, i, entry(i), pr); err != nil {
				t.Fatal(err)
			}
		}
		for _, old := range []int64{0, 1, size / 3, size - 1, size, r.Int64N(size + 1)} {
			if old < 0 {
				continue
			}
			pr, err := p.ConsistencyProof(ctx, old, size)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", old, size, err)
			}
			oldRoot := ref.root(t, old)
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(old), uint64(size), hashes(pr), oldRoot[:], root[:]); err != nil {
				t.Fatalf("merkle rejects consistency proof (%d, %d): %v", old, size, err)
			}
			if old > 0 {
				if err := xtlog.CheckTree(xhashes(pr), size, xtlog.Hash(root), old, xtlog.Hash(oldRoot)); err != nil {
					t.Fatalf("x/mod rejects consistency proof (%d, %d): %v", old, size, err)
				}
			}
			if err := VerifyConsistency(Checkpoint{Size: old, Root: oldRoot}, Checkpoint{Size: size, Root: root}, pr); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A consistency proof from an old checkpoint still verifies after
// thousands of appends, and so do the old proofs of inclusion.
func TestOldCheckpointAfterThousandsOfAppends(t *testing.T) {
	ctx := context.Background()
	tree, store, _ := buildLog(t, 1000)
	old := Checkpoint{Origin: "oversight.example/log", Size: tree.Size(), Root: tree.Root()}
	p := NewProver(store, 0)
	incl, err := p.InclusionProof(ctx, 123, old.Size)
	if err != nil {
		t.Fatal(err)
	}
	for step := range 10 {
		b := tree.Begin()
		for range 700 + step*31 {
			b.AppendEntry(entry(b.Size()))
		}
		store.upsert(b.Tiles())
		b.Commit()
		cur := Checkpoint{Origin: old.Origin, Size: tree.Size(), Root: tree.Root()}
		cp, err := p.ConsistencyProof(ctx, old.Size, cur.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyConsistency(old, cur, cp); err != nil {
			t.Fatalf("after %d appends: %v", cur.Size-old.Size, err)
		}
		// The old tree's proofs are unchanged by the appends.
		again, err := p.InclusionProof(ctx, 123, old.Size)
		if err != nil || len(again) != len(incl) {
			t.Fatalf("inclusion proof in the old tree changed: %v", err)
		}
		if err := VerifyInclusion(old, 123, entry(123), again); err != nil {
			t.Fatal(err)
		}
		if root, err := p.RootHash(ctx, old.Size); err != nil || root != old.Root {
			t.Fatalf("old root now %s, %v", root, err)
		}
	}
	if tree.Size() < 8000 {
		t.Fatalf("only %d leaves", tree.Size())
	}
}

func TestProverErrors(t *testing.T) {
	ctx := context.Background()
	_, store, _ := buildLog(t, 600)
	p := NewProver(store, -1)
	for _, tt := range []struct{ index, size int64 }{{0, 0}, {5, 5}, {-1, 3}, {0, 601}, {599, 700}} {
		if _, err := p.InclusionProof(ctx, tt.index, tt.size); err == nil {
			t.Errorf("InclusionProof(%d, %d) succeeded", tt.index, tt.size)
		}
	}
	for _, tt := range []struct{ a, b int64 }{{5, 4}, {-1, 4}, {3, 1000}} {
		if _, err := p.ConsistencyProof(ctx, tt.a, tt.b); err == nil {
			t.Errorf("ConsistencyProof(%d, %d) succeeded", tt.a, tt.b)
		}
	}
	if _, err := p.RootHash(ctx, 601); err == nil {
		t.Error("RootHash beyond the stored tiles succeeded")
	}
	delete(store.rows, TileID{0, 1})
	if _, err := p.InclusionProof(ctx, 300, 600); err == nil {
		t.Error("proof over a missing tile succeeded")
	}
	store.rows[TileID{0, 2}] = make([]byte, 33)
	if _, err := p.RootHash(ctx, 600); err == nil {
		t.Error("root over a torn tile succeeded")
	}
	boom := errors.New("disk on fire")
	if _, err := NewProver(failReader{boom}, 0).RootHash(ctx, 10); !errors.Is(err, boom) {
		t.Errorf("read error not wrapped: %v", err)
	}
}

type failReader struct{ err error }

func (f failReader) ReadTiles(context.Context, []TileID) ([][]byte, error) { return nil, f.err }

// The cache must serve full tiles only, and a proof from cached tiles must
// equal one computed without a cache.
func TestProverCache(t *testing.T) {
	ctx := context.Background()
	_, store, _ := buildLog(t, 70000)
	cached := NewProver(store, 4)
	plain := NewProver(store, -1)
	r := rand.New(rand.NewPCG(8, 9))
	for range 300 {
		size := 1 + r.Int64N(70000)
		i := r.Int64N(size)
		a, err1 := cached.InclusionProof(ctx, i, size)
		b, err2 := plain.InclusionProof(ctx, i, size)
		if err1 != nil || err2 != nil || len(a) != len(b) {
			t.Fatalf("(%d, %d): %v %v", i, size, err1, err2)
		}
		for k := range a {
			if a[k] != b[k] {
				t.Fatalf("(%d, %d): cached proof differs at %d", i, size, k)
			}
		}
	}
	if n := cached.cache.ll.Len(); n != 4 {
		t.Errorf("cache holds %d tiles, want its bound 4", n)
	}
	// With a warm cache, a proof in the full part of the tree reads only
	// the partial edge tiles.
	warm := NewProver(store, 100)
	warm.InclusionProof(ctx, 1000, 65536)
	store.reads = 0
	warm.InclusionProof(ctx, 1000, 65536)
	if store.reads != 0 {
		t.Errorf("warm proof in a perfect tree read %d tiles", store.reads)
	}
}
