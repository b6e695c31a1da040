package tlog

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	xtlog "golang.org/x/mod/sumdb/tlog"
)

var tilePaths = []struct {
	tile Tile
	path string
}{
	{Tile{0, 0, 256}, "tile/0/000"},
	{Tile{0, 0, 1}, "tile/0/000.p/1"},
	{Tile{0, 5, 255}, "tile/0/005.p/255"},
	{Tile{1, 999, 256}, "tile/1/999"},
	{Tile{1, 1000, 256}, "tile/1/x001/000"},
	{Tile{2, 1234067, 256}, "tile/2/x001/x234/067"},
	{Tile{63, 1234067, 17}, "tile/63/x001/x234/067.p/17"},
	{Tile{EntriesLevel, 42, 256}, "tile/entries/042"},
	{Tile{EntriesLevel, 1234067, 3}, "tile/entries/x001/x234/067.p/3"},
	{Tile{0, math.MaxInt64, 256}, "tile/0/x009/x223/x372/x036/x854/x775/807"},
}

func TestTilePath(t *testing.T) {
	for _, tt := range tilePaths {
		if got := tt.tile.Path(); got != tt.path {
			t.Errorf("%+v.Path() = %q, want %q", tt.tile, got, tt.path)
		}
		got, err := ParseTilePath(tt.path)
		if err != nil || got != tt.tile {
			t.Errorf("ParseTilePath(%q) = %+v, %v, want %+v", tt.path, got, err, tt.tile)
		}
	}
}

// The paths must be the ones golang.org/x/mod/sumdb/tlog (and so
// tlogcheck) asks for, less its height element.
func TestTilePathMatchesXMod(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		x := xtlog.Tile{H: 8, L: r.IntN(8), N: r.Int64N(1 << uint(r.IntN(50))), W: 1 + r.IntN(256)}
		want := strings.Replace(x.Path(), "tile/8/", "tile/", 1)
		our := Tile{Level: x.L, Index: x.N, Width: x.W}
		if got := our.Path(); got != want {
			t.Fatalf("%+v.Path() = %q, x/mod %q", our, got, want)
		}
		entries := Tile{Level: EntriesLevel, Index: x.N, Width: x.W}
		wantEntries := "tile/entries/" + strings.TrimPrefix(xtlog.Tile{H: 8, L: 0, N: x.N, W: x.W}.Path(), "tile/8/0/")
		if got := entries.Path(); got != wantEntries {
			t.Fatalf("%+v.Path() = %q, want %q", entries, got, wantEntries)
		}
	}
}

func TestParseTilePathRejects(t *testing.T) {
	for _, p := range []string{
		"", "tile/", "tile/0", "tile/0/", "/tile/0/000", "tiles/0/000", "log/tile/0/000",
		"tile/00/000", "tile/01/000", "tile/64/000", "tile/-1/000", "tile/+1/000", "tile/1a/000",
		"tile/data/000", "tile/Entries/000",
		"tile/0/0", "tile/0/00", "tile/0/0000", "tile/0/x000/001", "tile/0/001/002", "tile/0/x001",
		"tile/0/x1/001", "tile/0/x001/x01/001", "tile/0/X001/001", "tile/0/x001/", "tile/0/x001//001",
		"tile/0/00a", "tile/0/ 01",
		"tile/0/000.p/", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/01", "tile/0/000.p/1/", "tile/0/000.p/1.p/2",
		"tile/0/000.p", "tile/0/000.P/1", "tile/0/000/", "tile/0/000?x", "tile/0/x009/x223/x372/x036/x854/x775/808",
		"tile/0/x001/x009/x223/x372/x036/x854/x775/807",
	} {
		if tile, err := ParseTilePath(p); err == nil {
			t.Errorf("ParseTilePath(%q) = %+v, want error", p, tile)
		} else if !errors.Is(err, ErrInvalidPath) {
			t.Errorf("ParseTilePath(%q) error %v does not wrap ErrInvalidPath", p, err)
		}
	}
}

// FuzzParseTilePath checks that the parser accepts only canonical paths:
// whatever it accepts, Path gives back byte for byte, and it never panics.
// Seeds: testdata/fuzz/FuzzParseTilePath.
func FuzzParseTilePath(f *testing.F) {
	for _, tt := range tilePaths {
		f.Add(tt.path)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tile, err := ParseTilePath(p)
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("error %v does not wrap ErrInvalidPath", err)
			}
			return
		}
		if got := tile.Path(); got != p {
			t.Fatalf("ParseTilePath(%q) = %+v, whose path is %q", p, tile, got)
		}
		if tile.Index < 0 || tile.Width < 1 || tile.Width > TileWidth || tile.Level < EntriesLevel || tile.Level > 63 {
			t.Fatalf("ParseTilePath(%q) = out-of-range %+v", p, tile)
		}
		for _, size := range []int64{1, 255, 256, 70000, math.MaxInt64} {
			if tile.InTree(size) && tile.Level == EntriesLevel {
				if start, end := tile.EntryRange(); start < 0 || end > size || end <= start {
					t.Fatalf("%+v in tree of size %d has entry range [%d, %d)", tile, size, start, end)
				}
			}
		}
	})
}

// The seed corpus holds a few files in the fuzzing engine's format; check
// they are present and parse as corpus files, so a rename does not silently
// drop them.
func TestFuzzCorpus(t *testing.T) {
	for _, name := range []string{"FuzzParseTilePath", "FuzzParseCheckpoint", "FuzzParseEntryBundle"} {
		files, err := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
		if err != nil || len(files) == 0 {
			t.Errorf("no seed corpus for %s: %v", name, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil || !bytes.HasPrefix(b, []byte("go test fuzz v1\n")) {
				t.Errorf("%s: not a fuzz corpus file: %v", f, err)
			}
		}
	}
}

func TestInTree(t *testing.T) {
	// C2SP's example: size 70,000 has 273 full level-0 tiles, a partial of
	// width 112, one full level-1 tile, a partial of width 17 and a level-2
	// partial of width 1.
	const size = 70000
	for _, tt := range []struct {
		tile Tile
		in   bool
	}{
		{Tile{0, 272, 256}, true},
		{Tile{0, 272, 3}, true}, // a partial view of a now-full tile
		{Tile{0, 273, 112}, true},
		{Tile{0, 273, 111}, true},
		{Tile{0, 273, 113}, false},
		{Tile{0, 273, 256}, false},
		{Tile{0, 274, 1}, false},
		{Tile{1, 0, 256}, true},
		{Tile{1, 1, 17}, true},
		{Tile{1, 1, 18}, false},
		{Tile{2, 0, 1}, true},
		{Tile{2, 0, 2}, false},
		{Tile{3, 0, 1}, false},
		{Tile{8, 0, 1}, false},
		{Tile{63, 0, 1}, false},
		{Tile{EntriesLevel, 273, 112}, true},
		{Tile{EntriesLevel, 273, 113}, false},
		{Tile{0, -1, 1}, false},
		{Tile{0, 0, 0}, false},
		{Tile{0, 0, 257}, false},
	} {
		if got := tt.tile.InTree(size); got != tt.in {
			t.Errorf("%s InTree(%d) = %v, want %v", tt.tile.Path(), size, got, tt.in)
		}
	}
	if (Tile{EntriesLevel, 0, 1}).InTree(0) || (Tile{0, 0, 1}).InTree(0) {
		t.Error("a tile exists in the empty tree")
	}
	big := Tile{EntriesLevel, math.MaxInt64 >> 8, 255}
	if !big.InTree(math.MaxInt64) {
		t.Errorf("%s not in the largest tree", big.Path())
	}
	if _, end := big.EntryRange(); end != math.MaxInt64 {
		t.Errorf("EntryRange end = %d", end)
	}
}

func TestEdgeTiles(t *testing.T) {
	for _, tt := range []struct {
		size int64
		want []TileID
	}{
		{0, nil},
		{1, []TileID{{0, 0}}},
		{255, []TileID{{0, 0}}},
		{256, []TileID{{1, 0}}},
		{257, []TileID{{0, 1}, {1, 0}}},
		{65536, []TileID{{2, 0}}},
		{70000, []TileID{{0, 273}, {1, 1}, {2, 0}}},
	} {
		got := EdgeTiles(tt.size)
		if len(got) != len(tt.want) {
			t.Errorf("EdgeTiles(%d) = %v, want %v", tt.size, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("EdgeTiles(%d) = %v, want %v", tt.size, got, tt.want)
			}
		}
	}
}

func TestTrim(t *testing.T) {
	stored := bytes.Repeat([]byte{7}, 10*HashSize)
	got, err := Tile{0, 0, 4}.Trim(stored)
	if err != nil || len(got) != 4*HashSize || cap(got) != 4*HashSize {
		t.Errorf("Trim to 4 = %d bytes (cap %d), %v", len(got), cap(got), err)
	}
	if _, err := (Tile{0, 0, 11}).Trim(stored); err == nil {
		t.Error("Trim beyond the stored width succeeded")
	}
	if _, err := (Tile{0, 0, 256}).Trim(nil); err == nil {
		t.Error("Trim of a missing tile succeeded")
	}
	if _, err := (Tile{0, 0, 1}).Trim(stored[:33]); err == nil {
		t.Error("Trim of a torn tile succeeded")
	}
}

func TestEntryBundle(t *testing.T) {
	entries := [][]byte{[]byte(`{"index":0}`), {}, bytes.Repeat([]byte("a"), MaxEntrySize)}
	var b []byte
	for _, e := range entries {
		var err error
		if b, err = AppendBundleEntry(b, e); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.HasPrefix(b, []byte("\x00\x0b{\"index\":0}\x00\x00\xff\xff")) {
		t.Errorf("bundle starts %q", b[:20])
	}
	got, err := ParseEntryBundle(b, 3)
	if err != nil || len(got) != 3 || !bytes.Equal(got[0], entries[0]) || len(got[1]) != 0 || !bytes.Equal(got[2], entries[2]) {
		t.Fatalf("ParseEntryBundle = %d entries, %v", len(got), err)
	}
	if _, err := AppendBundleEntry(nil, make([]byte, MaxEntrySize+1)); err == nil {
		t.Error("oversized entry bundled")
	}
	for _, tt := range []struct {
		b     []byte
		width int
	}{
		{b, 2},            // trailing entry
		{b, 4},            // too few
		{b[:len(b)-1], 3}, // truncated entry
		{b[:1], 1},        // truncated length
		{nil, 1},
	} {
		if _, err := ParseEntryBundle(tt.b, tt.width); err == nil {
			t.Errorf("ParseEntryBundle(%d bytes, %d) succeeded", len(tt.b), tt.width)
		}
	}
}

// FuzzParseEntryBundle checks that a bundle that parses re-encodes to the
// same bytes.
func FuzzParseEntryBundle(f *testing.F) {
	f.Add([]byte("\x00\x02{}\x00\x00"), 2)
	f.Fuzz(func(t *testing.T, b []byte, width int) {
		if width < 0 || width > TileWidth {
			return
		}
		entries, err := ParseEntryBundle(b, width)
		if err != nil {
			return
		}
		var again []byte
		for _, e := range entries {
			again, _ = AppendBundleEntry(again, e)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %q as %q", b, again)
		}
	})
}
