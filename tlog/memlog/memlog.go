// Package memlog is an in-memory audit log built on package tlog: a tree,
// its tile rows and its entries, maintained with tlog batches exactly as a
// database-backed store maintains them. It is for tests and benchmarks of
// packages that read a log (HTTP handlers, the command line), not for
// production: nothing is durable.
package memlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/oversight-dev/oversight/tlog"
)

// ErrNotFound reports a tile, bundle or entry beyond the log.
var ErrNotFound = errors.New("not found")

// A Log is an in-memory log. It is safe for concurrent use; appends are
// serialised.
type Log struct {
	mu      sync.RWMutex
	tree    *tlog.Tree
	tiles   map[tlog.TileID][]byte
	entries [][]byte
	reads   atomic.Int64
}

// New returns an empty log.
func New() *Log {
	return &Log{tree: tlog.NewTree(), tiles: make(map[tlog.TileID][]byte)}
}

// Append appends the entries in one batch, as one transaction would, and
// returns the index of the first. On error nothing is appended.
func (l *Log) Append(entries ...[]byte) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.tree.Begin()
	first := b.Start()
	for _, e := range entries {
		if _, err := b.AppendEntry(e); err != nil {
			b.Rollback()
			return 0, fmt.Errorf("memlog: %w", err)
		}
	}
	// "Upsert" the changed tile rows, then "commit".
	for _, td := range b.Tiles() {
		l.tiles[td.TileID] = td.Data
	}
	for _, e := range entries {
		l.entries = append(l.entries, slices.Clone(e))
	}
	b.Commit()
	return first, nil
}

// Size returns the number of entries.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.tree.Size()
}

// Root returns the current root hash.
func (l *Log) Root() tlog.Hash {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.tree.Root()
}

// ReadTiles implements tlog.TileReader over the stored tile rows. It returns
// copies, as a database would, and counts the tiles read.
func (l *Log) ReadTiles(ctx context.Context, ids []tlog.TileID) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([][]byte, len(ids))
	for i, id := range ids {
		if d, ok := l.tiles[id]; ok {
			out[i] = slices.Clone(d)
		}
	}
	l.reads.Add(int64(len(ids)))
	return out, nil
}

// TileReads returns the number of tiles read through ReadTiles so far.
func (l *Log) TileReads() int64 { return l.reads.Load() }

// Entry returns the entry at index i.
func (l *Log) Entry(i int64) ([]byte, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if i < 0 || i >= int64(len(l.entries)) {
		return nil, fmt.Errorf("memlog: entry %d: %w", i, ErrNotFound)
	}
	return slices.Clone(l.entries[i]), nil
}

// Resource returns the body to serve for the tile path t (as parsed by
// tlog.ParseTilePath): a hash tile, trimmed to its width, or an entry
// bundle. It is what an HTTP handler for /log/tile/… does with a store.
func (l *Log) Resource(t tlog.Tile) ([]byte, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !t.InTree(l.tree.Size()) {
		return nil, fmt.Errorf("memlog: %s: %w", t.Path(), ErrNotFound)
	}
	if t.Level == tlog.EntriesLevel {
		start, end := t.EntryRange()
		var bundle []byte
		for _, e := range l.entries[start:end] {
			var err error
			if bundle, err = tlog.AppendBundleEntry(bundle, e); err != nil {
				return nil, fmt.Errorf("memlog: %s: %w", t.Path(), err)
			}
		}
		return bundle, nil
	}
	data, err := t.Trim(l.tiles[t.ID()])
	if err != nil {
		return nil, fmt.Errorf("memlog: %w", err)
	}
	return slices.Clone(data), nil
}
