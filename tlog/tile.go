package tlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Tile geometry, fixed by C2SP tlog-tiles.
const (
	// TileHeight is the height of the subtree a tile covers: a tile holds
	// 2^TileHeight consecutive hashes of one tree level.
	TileHeight = 8
	// TileWidth is the number of hashes in a full tile.
	TileWidth = 1 << TileHeight
	// EntriesLevel is the Level of a Tile that names an entry bundle
	// (tile/entries/…) rather than a hash tile.
	EntriesLevel = -1
	// MaxEntrySize is the largest entry an entry bundle can carry: each
	// entry is prefixed by its length as a big-endian uint16.
	MaxEntrySize = math.MaxUint16

	// maxPathLevel is the largest level C2SP allows in a tile path.
	maxPathLevel = 63
	// maxLevels is the number of tile levels a tree can have while its size
	// fits in an int64: level 7 holds subtrees of height 56.
	maxLevels = 8
)

// ErrInvalidPath reports a tile path that is not in the exact form C2SP
// tlog-tiles prescribes. Servers answer it with 400 Bad Request.
var ErrInvalidPath = errors.New("invalid tile path")

// A TileID names one stored tile: the key of a tile row. The row holds the
// tile's hashes as they are now, so its width grows until it is full.
type TileID struct {
	Level int   // 0 holds leaf hashes; level L holds subtree hashes of height 8L
	Index int64 // position of the tile within its level, from 0
}

// String returns the ID as "L/N", for messages.
func (id TileID) String() string {
	return strconv.Itoa(id.Level) + "/" + strconv.FormatInt(id.Index, 10)
}

// A Tile names one tile resource as served over HTTP: a hash tile, or with
// Level == EntriesLevel an entry bundle. Width is the number of hashes (or
// entries), from 1 to TileWidth; a Tile narrower than TileWidth is partial,
// and its path ends in ".p/<W>".
type Tile struct {
	Level int
	Index int64
	Width int
}

// ID returns the stored tile that holds t's hashes.
func (t Tile) ID() TileID { return TileID{Level: t.Level, Index: t.Index} }

// String returns t's path.
func (t Tile) String() string { return t.Path() }

// Path returns t's path relative to the log prefix, for example
// "tile/0/x001/x234/067", "tile/1/005.p/17" or "tile/entries/042".
func (t Tile) Path() string {
	b := make([]byte, 0, 40)
	b = append(b, "tile/"...)
	if t.Level == EntriesLevel {
		b = append(b, "entries"...)
	} else {
		b = strconv.AppendInt(b, int64(t.Level), 10)
	}
	b = append(b, '/')
	b = appendIndex(b, t.Index)
	if t.Width < TileWidth {
		b = append(b, ".p/"...)
		b = strconv.AppendInt(b, int64(t.Width), 10)
	}
	return string(b)
}

// appendIndex appends n in zero-padded groups of three digits, all but the
// last prefixed with "x": 1234067 is "x001/x234/067".
func appendIndex(b []byte, n int64) []byte {
	var groups [7]int64 // MaxInt64 has 19 digits
	k := 0
	for {
		groups[k] = n % 1000
		k++
		n /= 1000
		if n == 0 {
			break
		}
	}
	for i := k - 1; i >= 0; i-- {
		if i > 0 {
			b = append(b, 'x')
		}
		g := groups[i]
		b = append(b, byte('0'+g/100), byte('0'+g/10%10), byte('0'+g%10))
		if i > 0 {
			b = append(b, '/')
		}
	}
	return b
}

// ParseTilePath parses a tile or entry bundle path relative to the log
// prefix ("tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]"). It accepts
// only the canonical form, the one Path returns, so every resource has a
// single name: no leading zeros in L or W, no "x000" leading group, widths
// 1 to 255 after ".p/", levels 0 to 63. Errors wrap ErrInvalidPath.
func ParseTilePath(path string) (Tile, error) {
	t, err := parseTilePath(path)
	if err != nil {
		return Tile{}, fmt.Errorf("%w %.80q: %s", ErrInvalidPath, path, err)
	}
	return t, nil
}

func parseTilePath(path string) (Tile, error) {
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return Tile{}, errors.New(`does not start with "tile/"`)
	}
	level, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return Tile{}, errors.New("no tile index")
	}
	t := Tile{Width: TileWidth}
	if level == "entries" {
		t.Level = EntriesLevel
	} else {
		l, ok := parseDecimal(level, maxPathLevel)
		if !ok {
			return Tile{}, fmt.Errorf("level %.10q is not a decimal from 0 to %d", level, maxPathLevel)
		}
		t.Level = int(l)
	}
	index, width, partial := strings.Cut(rest, ".p/")
	if partial {
		w, ok := parseDecimal(width, TileWidth-1)
		if !ok || w == 0 {
			return Tile{}, fmt.Errorf("width %.10q is not a decimal from 1 to %d", width, TileWidth-1)
		}
		t.Width = int(w)
	}
	n, err := parseIndex(index)
	if err != nil {
		return Tile{}, err
	}
	t.Index = n
	return t, nil
}

// parseDecimal parses a non-negative decimal without sign or leading zeros
// that is at most limit.
func parseDecimal(s string, limit int64) (int64, bool) {
	if s == "" || len(s) > 19 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (limit-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseIndex parses the "x001/x234/067" form of a tile index.
func parseIndex(s string) (int64, error) {
	var n int64
	for i := 0; ; i++ {
		group, rest, more := strings.Cut(s, "/")
		if more {
			g, ok := strings.CutPrefix(group, "x")
			if !ok {
				return 0, fmt.Errorf("index element %.10q does not start with x", group)
			}
			group = g
		}
		if len(group) != 3 {
			return 0, fmt.Errorf("index element %.10q is not three digits", group)
		}
		var v int64
		for j := 0; j < 3; j++ {
			c := group[j]
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("index element %.10q is not three digits", group)
			}
			v = v*10 + int64(c-'0')
		}
		if i == 0 && more && v == 0 {
			return 0, errors.New("index has a leading x000 element")
		}
		if n > (math.MaxInt64-v)/1000 {
			return 0, errors.New("index overflows int64")
		}
		n = n*1000 + v
		if !more {
			return n, nil
		}
		s = rest
	}
}

// InTree reports whether t exists in a tree of the given size, so a server
// can answer 404 without reading storage. Partial tiles narrower than the
// current right edge, and partial views of tiles that have since filled,
// exist: they serve clients that verify older checkpoints. The check does
// not overflow, so EntryRange is safe on a Tile for which it is true.
func (t Tile) InTree(size int64) bool {
	if size <= 0 || t.Index < 0 || t.Width < 1 || t.Width > TileWidth {
		return false
	}
	var n int64 // hashes (or entries) at t's level
	switch {
	case t.Level == EntriesLevel:
		n = size
	case t.Level >= 0 && t.Level < maxLevels:
		n = size >> (TileHeight * t.Level)
	default:
		return false
	}
	full := n >> TileHeight
	return t.Index < full || (t.Index == full && int64(t.Width) <= n&(TileWidth-1))
}

// EntryRange returns the indexes [start, end) of the entries in the entry
// bundle t. Call it only on a Tile for which InTree is true.
func (t Tile) EntryRange() (start, end int64) {
	start = t.Index * TileWidth
	return start, start + int64(t.Width)
}

// Trim returns the bytes to serve for hash tile t from stored, the current
// contents of the tile row t.ID(): its first t.Width hashes. Stored rows only
// grow, and a hash never changes once written, so a prefix of a wider row is
// exactly the partial tile an older tree had. It fails if stored holds fewer
// than t.Width hashes.
func (t Tile) Trim(stored []byte) ([]byte, error) {
	if len(stored)%HashSize != 0 || len(stored) > TileWidth*HashSize {
		return nil, fmt.Errorf("tile %s: stored tile has %d bytes, not a whole number of hashes up to %d", t.ID(), len(stored), TileWidth)
	}
	n := t.Width * HashSize
	if len(stored) < n {
		return nil, fmt.Errorf("tile %s: stored tile has %d hashes, %s needs %d", t.ID(), len(stored)/HashSize, t.Path(), t.Width)
	}
	return stored[:n:n], nil
}

// EdgeTiles returns the tiles that hold the right edge of a tree of the
// given size: at each level, the partial tile, if that level has one. They
// are what Load reads. A tree whose size is a multiple of 256 at some level
// has no partial tile there.
func EdgeTiles(size int64) []TileID {
	var ids []TileID
	for l := 0; l < maxLevels; l++ {
		n := size >> (TileHeight * l)
		if n == 0 {
			break
		}
		if n&(TileWidth-1) != 0 {
			ids = append(ids, TileID{Level: l, Index: n >> TileHeight})
		}
	}
	return ids
}

// TileData is one tile row: the tile's ID and its hashes, concatenated.
// len(Data)/HashSize is its width, 1 to TileWidth.
type TileData struct {
	TileID
	Data []byte
}

// Width returns the number of hashes in the tile.
func (td TileData) Width() int { return len(td.Data) / HashSize }

// Hash returns the i-th hash of the tile.
func (td TileData) Hash(i int) Hash {
	return Hash(td.Data[i*HashSize : (i+1)*HashSize])
}

// AppendBundleEntry appends one entry to an entry bundle: its length as a
// big-endian uint16, then its bytes. An entry longer than MaxEntrySize
// cannot be bundled.
func AppendBundleEntry(bundle, entry []byte) ([]byte, error) {
	if len(entry) > MaxEntrySize {
		return bundle, fmt.Errorf("entry bundle: entry of %d bytes exceeds %d", len(entry), MaxEntrySize)
	}
	bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(entry)))
	return append(bundle, entry...), nil
}

// ParseEntryBundle splits an entry bundle into its entries. It requires
// exactly width entries and no trailing bytes. The entries alias bundle.
func ParseEntryBundle(bundle []byte, width int) ([][]byte, error) {
	entries := make([][]byte, 0, width)
	b := bundle
	for len(b) > 0 {
		if len(entries) == width {
			return nil, fmt.Errorf("entry bundle: %d bytes after the %d entries", len(b), width)
		}
		if len(b) < 2 {
			return nil, fmt.Errorf("entry bundle: entry %d: truncated length", len(entries))
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b)-2 < n {
			return nil, fmt.Errorf("entry bundle: entry %d: length %d, only %d bytes left", len(entries), n, len(b)-2)
		}
		entries = append(entries, b[2:2+n:2+n])
		b = b[2+n:]
	}
	if len(entries) != width {
		return nil, fmt.Errorf("entry bundle: %d entries, want %d", len(entries), width)
	}
	return entries, nil
}
