package tlog

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// A TileReader reads stored tile rows. It is implemented by the store over
// its tiles table (one query per call) and by memlog.
type TileReader interface {
	// ReadTiles returns the current contents of the tiles, in the order of
	// ids. A tile that is not stored is returned as nil; the error is for
	// failed reads only. The returned slices are not modified afterwards.
	ReadTiles(ctx context.Context, ids []TileID) ([][]byte, error)
}

// DefaultCacheTiles is the number of tiles a Prover caches when NewProver
// is given 0. Each takes 16 KiB (the tile and its inner nodes), so the
// default is 16 MiB: the upper levels, which every proof reads, the right
// edge at the sizes being served, and the level-0 tiles of recent leaves.
const DefaultCacheTiles = 1024

// A Prover computes inclusion and consistency proofs and root hashes for any
// tree size from the stored tiles.
//
// The first w hashes of a tile never change once written, so a tile read at
// the width it has in the requested tree is cached, with its inner nodes,
// in a bounded LRU cache keyed by (tile, width); a full tile serves every
// width. A proof costs one ReadTiles call for the tiles not cached (one per
// tile level on the proof's path, plus the right edge's partial tiles: 3 to
// 5 at 1,000,000 leaves) and no reads or hashing when all are cached.
//
// A Prover does not know the log's size: callers check that the requested
// size is at most the size of the latest checkpoint they serve. Asking for
// a size beyond the stored tiles fails because a tile is missing or short.
// It is safe for concurrent use.
type Prover struct {
	r     TileReader
	cache *tileCache
}

// NewProver returns a Prover reading tiles from r and caching up to
// cacheTiles tiles (DefaultCacheTiles if 0, no cache if negative).
func NewProver(r TileReader, cacheTiles int) *Prover {
	if cacheTiles == 0 {
		cacheTiles = DefaultCacheTiles
	}
	p := &Prover{r: r}
	if cacheTiles > 0 {
		p.cache = newTileCache(cacheTiles)
	}
	return p
}

// InclusionProof returns the RFC 6962 inclusion proof (audit path) of the
// leaf at index in the tree of the given size, as VerifyInclusion and
// proof.VerifyInclusion check it.
func (p *Prover) InclusionProof(ctx context.Context, index, size int64) ([]Hash, error) {
	if index < 0 || index >= size {
		return nil, fmt.Errorf("inclusion proof: index %d is outside the tree of size %d", index, size)
	}
	nodes, err := proof.Inclusion(uint64(index), uint64(size))
	if err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	hs, err := p.proof(ctx, size, nodes)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in tree of size %d: %w", index, size, err)
	}
	return hs, nil
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees
// of sizes size1 and size2, 0 <= size1 <= size2. It is empty if size1 is 0
// or equal to size2.
func (p *Prover) ConsistencyProof(ctx context.Context, size1, size2 int64) ([]Hash, error) {
	if size1 < 0 || size1 > size2 {
		return nil, fmt.Errorf("consistency proof: sizes %d and %d are not 0 <= old <= new", size1, size2)
	}
	nodes, err := proof.Consistency(uint64(size1), uint64(size2))
	if err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	hs, err := p.proof(ctx, size2, nodes)
	if err != nil {
		return nil, fmt.Errorf("consistency proof from %d to %d: %w", size1, size2, err)
	}
	return hs, nil
}

// RootHash returns the root hash of the tree of the given size.
func (p *Prover) RootHash(ctx context.Context, size int64) (Hash, error) {
	if size < 0 {
		return Hash{}, fmt.Errorf("root hash: negative size %d", size)
	}
	if size == 0 {
		return EmptyRoot, nil
	}
	hs, err := p.nodes(ctx, size, compact.RangeNodes(0, uint64(size), nil))
	if err != nil {
		return Hash{}, fmt.Errorf("root hash of tree of size %d: %w", size, err)
	}
	r := hs[len(hs)-1]
	for i := len(hs) - 2; i >= 0; i-- {
		r = NodeHash(hs[i], r)
	}
	return r, nil
}

// proof fetches the hashes of nodes and folds the ephemeral node.
func (p *Prover) proof(ctx context.Context, size int64, nodes proof.Nodes) ([]Hash, error) {
	hs, err := p.nodes(ctx, size, nodes.IDs)
	if err != nil {
		return nil, err
	}
	raw, err := nodes.Rehash(hashes(hs), func(l, r []byte) []byte {
		h := NodeHash(Hash(l), Hash(r))
		return h[:]
	})
	if err != nil {
		return nil, err
	}
	out := make([]Hash, len(raw))
	for i, h := range raw {
		out[i] = Hash(h)
	}
	return out, nil
}

// nodeTile locates a node: the tile holding the hashes it covers, the
// position of the first one and their number (a power of two up to 128).
func nodeTile(id compact.NodeID) (tid TileID, start, n int) {
	l := int(id.Level) / TileHeight
	r := id.Level % TileHeight
	first := id.Index << r // index of the first hash at level 8l
	return TileID{Level: l, Index: int64(first >> TileHeight)}, int(first & (TileWidth - 1)), 1 << r
}

// tileKey names the contents of a tile at one width. Hashes never change
// once written, so the first w hashes of a tile are the same whenever the
// tile is read: the key identifies immutable contents, partial or full.
type tileKey struct {
	id    TileID
	width int
}

// nodes returns the hashes of the perfect subtrees ids of the tree of the
// given size, reading each tile not cached once, in one ReadTiles call.
func (p *Prover) nodes(ctx context.Context, size int64, ids []compact.NodeID) ([]Hash, error) {
	tiles := make(map[TileID]*innerNodes, 4)
	var missing []tileKey
	for _, id := range ids {
		if id.Level >= maxLevels*TileHeight {
			return nil, fmt.Errorf("node at level %d is beyond any tree", id.Level)
		}
		tid, _, _ := nodeTile(id)
		if _, seen := tiles[tid]; seen {
			continue
		}
		// The tile's width in the tree of this size.
		w := int(min(TileWidth, size>>(TileHeight*tid.Level)-tid.Index*TileWidth))
		nodes := p.cache.get(tileKey{tid, TileWidth})
		if nodes == nil && w < TileWidth {
			nodes = p.cache.get(tileKey{tid, w})
		}
		tiles[tid] = nodes
		if nodes == nil {
			missing = append(missing, tileKey{tid, w})
		}
	}
	if len(missing) > 0 {
		ids := make([]TileID, len(missing))
		for i, k := range missing {
			ids[i] = k.id
		}
		data, err := p.r.ReadTiles(ctx, ids)
		if err != nil {
			return nil, err
		}
		if len(data) != len(missing) {
			return nil, fmt.Errorf("read %d tiles, asked for %d", len(data), len(missing))
		}
		for i, k := range missing {
			b := data[i]
			if len(b)%HashSize != 0 || len(b) > TileWidth*HashSize || len(b) < k.width*HashSize {
				return nil, fmt.Errorf("tile %s has %d bytes, the tree of size %d needs %d hashes: missing or corrupt",
					k.id, len(b), size, k.width)
			}
			if len(b) == TileWidth*HashSize {
				k.width = TileWidth // cache the full tile: it serves every width
			}
			nodes := expand(b, k.width)
			p.cache.put(k, nodes)
			tiles[k.id] = nodes
		}
	}
	out := make([]Hash, len(ids))
	for i, id := range ids {
		tid, start, n := nodeTile(id)
		out[i] = tiles[tid].node(start, n)
	}
	return out, nil
}

// innerNodes holds the nodes of a tile's subtree: the hashes at height 0,
// then those at height 1, and so on up to the tile's root at height 8. In
// a partial tile of width w, only the w>>r complete nodes at height r are
// set.
type innerNodes [2*TileWidth - 1]Hash

// expand computes the inner nodes of the first w hashes of a tile.
func expand(tile []byte, w int) *innerNodes {
	nodes := new(innerNodes)
	for i := range w {
		nodes[i] = Hash(tile[i*HashSize : (i+1)*HashSize])
	}
	prev, off, size := 0, TileWidth, TileWidth/2
	for w /= 2; size >= 1; w, size = w/2, size/2 {
		for i := range w {
			nodes[off+i] = NodeHash(nodes[prev+2*i], nodes[prev+2*i+1])
		}
		prev, off = off, off+size
	}
	return nodes
}

// node returns the hash of the subtree over the n hashes from start.
func (t *innerNodes) node(start, n int) Hash {
	off, size := 0, TileWidth
	for n > 1 {
		off += size
		size /= 2
		n /= 2
		start /= 2
	}
	return t[off+start]
}

// tileCache is a bounded LRU cache of expanded full tiles. A nil cache
// caches nothing.
type tileCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // of *cacheEntry, most recent first
	items map[tileKey]*list.Element
}

type cacheEntry struct {
	key   tileKey
	nodes *innerNodes
}

func newTileCache(n int) *tileCache {
	return &tileCache{max: n, ll: list.New(), items: make(map[tileKey]*list.Element, n)}
}

func (c *tileCache) get(id tileKey) *innerNodes {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[id]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cacheEntry).nodes
	}
	return nil
}

func (c *tileCache) put(id tileKey, nodes *innerNodes) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[id]; ok {
		c.ll.MoveToFront(e)
		return
	}
	c.items[id] = c.ll.PushFront(&cacheEntry{key: id, nodes: nodes})
	if c.ll.Len() > c.max {
		e := c.ll.Back()
		c.ll.Remove(e)
		delete(c.items, e.Value.(*cacheEntry).key)
	}
}
