package memlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/oversight-dev/oversight/tlog"
	xtlog "golang.org/x/mod/sumdb/tlog"
)

// xtiles reads tiles the way the outside checker (tlogcheck) does: x/mod
// tile paths with the height element removed, parsed and served by the log.
type xtiles struct{ l *Log }

func (xtiles) Height() int { return 8 }

func (x xtiles) ReadTiles(ts []xtlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		tile, err := tlog.ParseTilePath(strings.Replace(t.Path(), "tile/8/", "tile/", 1))
		if err != nil {
			return nil, err
		}
		if out[i], err = x.l.Resource(tile); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (xtiles) SaveTiles([]xtlog.Tile, [][]byte) {}

// TestServedTilesVerifyWithXMod serves the log as tlogcheck reads it, at
// sizes around tile boundaries, including older sizes after the tree grew
// (partial views of tiles that have since filled).
func TestServedTilesVerifyWithXMod(t *testing.T) {
	l := New()
	var heads []xtlog.Tree
	for _, size := range []int64{1, 255, 256, 257, 600, 65535, 65536, 65537, 66000} {
		var batch [][]byte
		for i := l.Size(); i < size; i++ {
			batch = append(batch, fmt.Appendf(nil, `{"index":%d,"type":"license.decided"}`, i))
		}
		if _, err := l.Append(batch...); err != nil {
			t.Fatal(err)
		}
		heads = append(heads, xtlog.Tree{N: size, Hash: xtlog.Hash(l.Root())})
	}
	for _, head := range heads {
		thr := xtlog.TileHashReader(head, xtiles{l})
		root, err := xtlog.TreeHash(head.N, thr)
		if err != nil || root != head.Hash {
			t.Fatalf("size %d: x/mod over served tiles: %v", head.N, err)
		}
		for _, i := range []int64{0, head.N / 2, head.N - 1} {
			p, err := xtlog.ProveRecord(head.N, i, thr)
			if err != nil {
				t.Fatalf("size %d: ProveRecord(%d): %v", head.N, i, err)
			}
			e, _ := l.Entry(i)
			if err := xtlog.CheckRecord(p, head.N, head.Hash, i, xtlog.RecordHash(e)); err != nil {
				t.Fatalf("size %d: CheckRecord(%d): %v", head.N, i, err)
			}
		}
		// Entry bundles at the paths tlogcheck builds.
		for start := int64(0); start < head.N; start += 256 * 97 {
			w := min(head.N-start, 256)
			path := "tile/entries/" + strings.TrimPrefix(xtlog.Tile{H: 8, L: 0, N: start / 256, W: int(w)}.Path(), "tile/8/0/")
			tile, err := tlog.ParseTilePath(path)
			if err != nil {
				t.Fatal(err)
			}
			bundle, err := l.Resource(tile)
			if err != nil {
				t.Fatal(err)
			}
			entries, err := tlog.ParseEntryBundle(bundle, int(w))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			hs, err := thr.ReadHashes([]int64{xtlog.StoredHashIndex(0, start)})
			if err != nil || xtlog.RecordHash(entries[0]) != hs[0] {
				t.Fatalf("%s: first entry does not hash to its leaf: %v", path, err)
			}
		}
		if prev := heads[0]; prev.N < head.N {
			p, err := xtlog.ProveTree(head.N, prev.N, thr)
			if err != nil || xtlog.CheckTree(p, head.N, head.Hash, prev.N, prev.Hash) != nil {
				t.Fatalf("x/mod consistency %d → %d: %v", prev.N, head.N, err)
			}
		}
	}
}

func TestResourceNotFound(t *testing.T) {
	l := New()
	l.Append([]byte("a"), []byte("b"), []byte("c"))
	for _, p := range []string{"tile/0/000.p/4", "tile/0/000", "tile/1/000.p/1", "tile/entries/001.p/1"} {
		tile, err := tlog.ParseTilePath(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Resource(tile); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", p, err)
		}
	}
	if _, err := l.Entry(3); !errors.Is(err, ErrNotFound) {
		t.Errorf("Entry(3): %v", err)
	}
	if _, err := l.Append([]byte("d"), make([]byte, tlog.MaxEntrySize+1)); err == nil || l.Size() != 3 {
		t.Errorf("oversized append: %v, size %d", err, l.Size())
	}
	p := tlog.NewProver(l, 0)
	if r, err := p.RootHash(context.Background(), 3); err != nil || r != l.Root() {
		t.Errorf("prover root %s, %v", r, err)
	}
}

// Proofs served while the log grows: the Prover's cache is shared by
// readers, and tile rows are rewritten by appends meanwhile.
func TestProofsWhileAppending(t *testing.T) {
	ctx := context.Background()
	l := New()
	entry := func(i int64) []byte { return fmt.Appendf(nil, `{"index":%d}`, i) }
	appendN := func(n int) {
		batch := make([][]byte, n)
		for i := range batch {
			batch[i] = entry(l.Size() + int64(i))
		}
		if _, err := l.Append(batch...); err != nil {
			t.Error(err)
		}
	}
	appendN(1000)
	p := tlog.NewProver(l, 16)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 40 {
			appendN(97)
		}
	})
	for g := range 4 {
		wg.Go(func() {
			for k := range int64(200) {
				size := l.Size()
				c := tlog.Checkpoint{Size: size}
				var err error
				if c.Root, err = p.RootHash(ctx, size); err != nil {
					t.Error(err)
					return
				}
				i := (k*7919 + int64(g)) % size
				pr, err := p.InclusionProof(ctx, i, size)
				if err != nil {
					t.Error(err)
					return
				}
				if err := tlog.VerifyInclusion(c, i, entry(i), pr); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
