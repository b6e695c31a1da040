package tlog

import (
	"cmp"
	"context"
	"fmt"
	"math/bits"
	"slices"
)

// A Tree is the writable right edge of the log's Merkle tree: its size, the
// partial tile of each level and the compact range (the roots of the perfect
// subtrees that make up the tree). That is all an append needs, so loading
// and appending never read old leaves, and an append costs O(1) hashes
// amortised (at most log2(size) in the worst case).
//
// A Tree is owned by the log's single writer and is not safe for concurrent
// use. Appends happen inside a Batch, which mirrors a database transaction:
// Savepoint and RollbackTo mirror SQL savepoints, Tiles lists the rows to
// upsert before COMMIT, and Commit or Rollback follow the transaction's
// outcome.
type Tree struct {
	size int64
	// rng is the compact range [0, size): the roots of its perfect
	// subtrees, largest (leftmost) first, one per set bit of size.
	rng []Hash
	// edge[l] holds the hashes of the partial tile at level l, width*HashSize
	// bytes. Positions below the width are never written again, so
	// savepoints and returned TileData share the buffer.
	edge [maxLevels][]byte
	// shared[l] means bytes past len(edge[l]) may belong to a TileData
	// handed out before a rollback: copy before writing.
	shared [maxLevels]bool
	batch  *Batch
}

// NewTree returns an empty tree, for a log that has no leaves yet.
func NewTree() *Tree { return new(Tree) }

// Load rebuilds the tree of the given size from its right-edge tiles, the
// tiles EdgeTiles(size) names, read through r. Each must hold exactly the
// width the size implies: a mismatch means the size and the tile rows were
// not written in the same transaction, and Load refuses the state rather
// than sign checkpoints over it. It reads at most 8 tiles and hashes at most
// 255 hashes per level.
func Load(ctx context.Context, r TileReader, size int64) (*Tree, error) {
	if size < 0 {
		return nil, fmt.Errorf("load tree: negative size %d", size)
	}
	t := new(Tree)
	t.size = size
	ids := EdgeTiles(size)
	if len(ids) == 0 {
		return t, nil
	}
	data, err := r.ReadTiles(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load tree of size %d: %w", size, err)
	}
	if len(data) != len(ids) {
		return nil, fmt.Errorf("load tree of size %d: read %d tiles, asked for %d", size, len(data), len(ids))
	}
	for i, id := range ids {
		want := int(size>>(TileHeight*id.Level)) & (TileWidth - 1)
		if len(data[i]) != want*HashSize {
			return nil, fmt.Errorf("load tree of size %d: tile %s has %d bytes, want %d hashes (%d bytes)",
				size, id, len(data[i]), want, want*HashSize)
		}
		buf := make([]byte, len(data[i]), TileWidth*HashSize)
		copy(buf, data[i])
		t.edge[id.Level] = buf
	}
	// The set bits of the width of the level-l tile are the perfect
	// subtrees of heights 8l to 8l+7 in the compact range.
	t.rng = make([]Hash, 0, bits.OnesCount64(uint64(size)))
	for l := maxLevels - 1; l >= 0; l-- {
		tile := t.edge[l]
		w := len(tile) / HashSize
		off := 0
		for b := TileHeight - 1; b >= 0; b-- {
			if w&(1<<b) != 0 {
				t.rng = append(t.rng, subtreeRoot(tile, off, 1<<b))
				off += 1 << b
			}
		}
	}
	return t, nil
}

// TileRoot returns the Merkle tree hash of a full tile's TileWidth hashes
// (tile holds them concatenated): the hash the tile one level up holds for
// it. A reader that hashed an entry bundle's entries checks them all at
// once against that hash.
func TileRoot(tile []byte) (Hash, error) {
	if len(tile) != TileWidth*HashSize {
		return Hash{}, fmt.Errorf("tile root: %d bytes, a full tile has %d", len(tile), TileWidth*HashSize)
	}
	return subtreeRoot(tile, 0, TileWidth), nil
}

// subtreeRoot returns the Merkle tree hash of the n hashes of tile starting
// at position start; n is a power of two.
func subtreeRoot(tile []byte, start, n int) Hash {
	var stack [TileHeight + 1]Hash
	k := 0
	for i := 0; i < n; i++ {
		h := Hash(tile[(start+i)*HashSize : (start+i+1)*HashSize])
		for j := i; j&1 == 1; j >>= 1 {
			k--
			h = NodeHash(stack[k], h)
		}
		stack[k] = h
		k++
	}
	return stack[0]
}

// Size returns the number of leaves, including those appended in an open
// batch.
func (t *Tree) Size() int64 { return t.size }

// Root returns the RFC 6962 root hash of the tree, including the leaves
// appended in an open batch. It costs one hash per set bit of the size.
func (t *Tree) Root() Hash {
	if len(t.rng) == 0 {
		return EmptyRoot
	}
	r := t.rng[len(t.rng)-1]
	for i := len(t.rng) - 2; i >= 0; i-- {
		r = NodeHash(t.rng[i], r)
	}
	return r
}

// append adds one leaf hash and returns its index.
func (t *Tree) append(h Hash) int64 {
	index := t.size
	t.store(0, index, h)
	height := 0
	for n := index; n&1 == 1; n >>= 1 {
		last := len(t.rng) - 1
		h = NodeHash(t.rng[last], h)
		t.rng = t.rng[:last]
		height++
		if height%TileHeight == 0 {
			t.store(height/TileHeight, index>>height, h)
		}
	}
	t.rng = append(t.rng, h)
	t.size++
	return index
}

// store appends h, the hash at position i of tile level l, to that level's
// edge tile, and hands the tile to the batch when it fills.
func (t *Tree) store(l int, i int64, h Hash) {
	buf := t.edge[l]
	if buf == nil || t.shared[l] {
		nb := make([]byte, len(buf), TileWidth*HashSize)
		copy(nb, buf)
		buf = nb
		t.shared[l] = false
	}
	buf = append(buf, h[:]...)
	if len(buf) == TileWidth*HashSize {
		t.batch.completed = append(t.batch.completed, TileData{TileID{Level: l, Index: i >> TileHeight}, buf})
		buf = nil
	}
	t.edge[l] = buf
}

// Begin opens a batch of appends. A tree has at most one open batch; Begin
// panics if one is open.
func (t *Tree) Begin() *Batch {
	if t.batch != nil {
		panic("tlog: Begin while a batch is open")
	}
	b := &Batch{t: t}
	t.batch = b
	b.base = b.Savepoint()
	return b
}

// A Batch is a group of appends that become durable together: one database
// transaction. Use it as
//
//	b := tree.Begin()                  // BEGIN
//	sp := b.Savepoint()                // SAVEPOINT s
//	i := b.Size()                      // the next leaf's index, for the event
//	_, err := b.AppendEntry(eventJSON) // INSERT the event with index i
//	b.RollbackTo(sp)                   // ROLLBACK TO s, if the change failed
//	tiles := b.Tiles()                 // upsert these tile rows
//	b.Commit() or b.Rollback()         // after COMMIT succeeded, or failed
//
// A Batch is not safe for concurrent use. Misuse (using a closed batch, a
// savepoint of another batch, or a savepoint destroyed by rolling back past
// it) is a programming error and panics.
type Batch struct {
	t         *Tree
	base      Savepoint
	completed []TileData // tiles filled in this batch, in order
	done      bool
	seq       int64      // savepoints created so far
	destroyed []seqRange // savepoints destroyed by rollbacks, ascending
}

// seqRange is the savepoints with from < seq < to.
type seqRange struct{ from, to int64 }

func (b *Batch) isDestroyed(seq int64) bool {
	i, _ := slices.BinarySearchFunc(b.destroyed, seq, func(r seqRange, seq int64) int {
		return cmp.Compare(r.to, seq+1) // first range with to > seq
	})
	return i < len(b.destroyed) && b.destroyed[i].from < seq
}

// A Savepoint is the state of a Tree inside a batch, to return to with
// RollbackTo. Taking one costs a copy of the compact range (at most 64
// hashes); tile contents are shared, not copied.
type Savepoint struct {
	b         *Batch
	seq       int64
	size      int64
	rng       []Hash
	edge      [maxLevels][]byte
	completed int
}

// Size returns the size of the tree at the savepoint.
func (sp Savepoint) Size() int64 { return sp.size }

func (b *Batch) check() {
	if b.done {
		panic("tlog: use of a committed or rolled back batch")
	}
}

// Append appends a leaf hash to the tree and returns its index. The caller
// stores the entry at that index in the same transaction.
func (b *Batch) Append(leaf Hash) int64 {
	b.check()
	return b.t.append(leaf)
}

// AppendEntry hashes entry as an RFC 6962 leaf, appends it and returns its
// index. It refuses an entry longer than MaxEntrySize, which an entry bundle
// could not carry.
func (b *Batch) AppendEntry(entry []byte) (int64, error) {
	b.check()
	if len(entry) > MaxEntrySize {
		return 0, fmt.Errorf("append entry: %d bytes exceeds the maximum of %d", len(entry), MaxEntrySize)
	}
	return b.t.append(LeafHash(entry)), nil
}

// Size returns the tree size including this batch's appends so far.
func (b *Batch) Size() int64 { return b.t.size }

// Start returns the tree size when the batch began: the index of its first
// leaf.
func (b *Batch) Start() int64 { return b.base.size }

// Savepoint records the current state, to return to with RollbackTo.
func (b *Batch) Savepoint() Savepoint {
	b.check()
	t := b.t
	sp := Savepoint{
		b:         b,
		seq:       b.seq,
		size:      t.size,
		rng:       slices.Clone(t.rng),
		edge:      t.edge,
		completed: len(b.completed),
	}
	b.seq++
	return sp
}

// RollbackTo undoes the appends made since sp, as ROLLBACK TO does. Like
// SQL, it keeps sp usable and destroys the savepoints taken after it.
func (b *Batch) RollbackTo(sp Savepoint) {
	b.check()
	if sp.b != b {
		panic("tlog: RollbackTo a savepoint of another batch")
	}
	if b.isDestroyed(sp.seq) {
		panic("tlog: RollbackTo a savepoint destroyed by an earlier rollback")
	}
	// Savepoints taken after sp are destroyed: record the range of their
	// sequence numbers, merging the ranges it covers.
	for len(b.destroyed) > 0 && b.destroyed[len(b.destroyed)-1].from >= sp.seq {
		b.destroyed = b.destroyed[:len(b.destroyed)-1]
	}
	b.destroyed = append(b.destroyed, seqRange{from: sp.seq, to: b.seq})
	t := b.t
	if t.size == sp.size {
		return // nothing appended since sp: the state is sp's
	}
	t.size = sp.size
	t.rng = append(t.rng[:0], sp.rng...)
	for l := range t.edge {
		// Savepoints still valid are ancestors of sp and use only bytes
		// below its width, but TileData returned by Tiles since sp may use
		// bytes past it: the next append to the level copies the buffer
		// rather than overwrite them, unless the level is untouched.
		cur, old := t.edge[l], sp.edge[l]
		if old != nil && (len(cur) != len(old) || &cur[0] != &old[0]) {
			t.shared[l] = true
		}
		t.edge[l] = old
	}
	clear(b.completed[sp.completed:])
	b.completed = b.completed[:sp.completed]
}

// Tiles returns the tile rows that changed since the batch began, with
// their full contents, ordered by level then index: every tile that filled
// and every partial right-edge tile that grew. Upserting them, keyed by
// TileID, in the batch's transaction keeps the stored tiles equal to the
// tree. The Data slices are read-only and stay valid after the batch ends.
func (b *Batch) Tiles() []TileData {
	b.check()
	t := b.t
	out := slices.Clone(b.completed)
	for l := range maxLevels {
		w := len(t.edge[l]) / HashSize
		if w == 0 {
			continue
		}
		index := t.size >> (TileHeight * l) >> TileHeight
		if index == b.base.size>>(TileHeight*l)>>TileHeight && len(t.edge[l]) == len(b.base.edge[l]) {
			continue // unchanged
		}
		n := w * HashSize
		out = append(out, TileData{TileID{Level: l, Index: index}, t.edge[l][:n:n]})
	}
	slices.SortFunc(out, func(x, y TileData) int {
		return cmp.Or(cmp.Compare(x.Level, y.Level), cmp.Compare(x.Index, y.Index))
	})
	return out
}

// Commit ends the batch, keeping its appends: call it once the transaction
// committed.
func (b *Batch) Commit() {
	b.check()
	b.done = true
	b.completed = nil
	b.t.batch = nil
}

// Rollback ends the batch, undoing all its appends: call it when the
// transaction rolled back or failed to commit.
func (b *Batch) Rollback() {
	b.check()
	b.RollbackTo(b.base)
	b.done = true
	b.completed = nil
	b.t.batch = nil
}
