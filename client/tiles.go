package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"filippo.io/torchwood"
	sumdb "golang.org/x/mod/sumdb/tlog"

	"github.com/oversight-dev/oversight/tlog"
)

// bundlesAhead bounds the entry bundles fetched and verified at once, ahead
// of the one whose entries f is given: enough to keep the server and the
// network busy while entries are counted, few enough (about 100 kB each)
// to keep the reader small.
const bundlesAhead = 8

// VerifiedEntries calls f with each entry of the log from start to the size
// of the checkpoint cp, in order, read through the log's C2SP tiles (entry
// bundles and hash tiles under /log/tile/). cp must have been verified
// (tlog.VerifyCheckpoint or VerifyCosigned): then every entry f sees is the
// one the log committed to. An entry that does not verify stops the
// reading with an error naming it, after the entries before it; so does an
// error from f. entry is valid only until f returns: its bytes are those
// of a bundle read again for the next ones.
//
// How it verifies, with as few hashes and requests as it can: first the
// hash of each full bundle's subtree (level 8 of the tree, one hash per
// 256 entries), read from the level-1 hash tiles and checked against cp's
// root (golang.org/x/mod/sumdb/tlog, through torchwood's tile fetcher);
// then each bundle, fetched bundlesAhead at once: every entry's leaf hash,
// and the subtree of the 256 leaf hashes, which must give the bundle's
// verified hash. The entries of a trailing partial bundle are each checked
// against their leaf hash, verified the same way. Only a bundle that does
// not verify costs more: its level-0 hash tile, checked against the same
// verified hash, names the first entry that differs.
func (c *Client) VerifiedEntries(ctx context.Context, cp tlog.Checkpoint, start int64, f func(index int64, entry []byte) error) error {
	if start < 0 || start > cp.Size {
		return fmt.Errorf("read log entries: start %d is outside the checkpoint's tree of size %d", start, cp.Size)
	}
	if start == cp.Size {
		return nil
	}
	tc := *c
	if c.HTTP == nil {
		// The default transport keeps two idle connections to a host:
		// bundles fetched side by side would open new ones all the time.
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = 2 * bundlesAhead
		tc.HTTP = &http.Client{Transport: transport, Timeout: defaultHTTP.Timeout}
	}
	tf, err := torchwood.NewTileFetcher(c.BaseURL+"/log/", torchwood.WithHTTPClient(tc.HTTP),
		torchwood.WithUserAgent(c.UserAgent), torchwood.WithConcurrencyLimit(bundlesAhead))
	if err != nil {
		return fmt.Errorf("read log entries: %w", err)
	}
	first, full := start/tlog.TileWidth, cp.Size/tlog.TileWidth
	// The verified hashes: one per full bundle from first, then one per
	// entry of the trailing partial bundle.
	var indexes []int64
	for k := first; k < full; k++ {
		indexes = append(indexes, sumdb.StoredHashIndex(tlog.TileHeight, k))
	}
	for i := full * tlog.TileWidth; i < cp.Size; i++ {
		indexes = append(indexes, sumdb.StoredHashIndex(0, i))
	}
	tree := sumdb.Tree{N: cp.Size, Hash: sumdb.Hash(cp.Root)}
	hashes, err := torchwood.TileHashReaderWithContext(ctx, tree, tf).ReadHashes(indexes)
	if err != nil {
		return fmt.Errorf("read the log's hash tiles from %s against the checkpoint of size %d: %w", c.BaseURL, cp.Size, err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Each bundle's result comes through a channel of its own, queued in
	// order; the queue's capacity bounds the bundles read ahead.
	queue := make(chan chan bundle, bundlesAhead)
	go func() {
		defer close(queue)
		for k := first; k*tlog.TileWidth < cp.Size; k++ {
			done := make(chan bundle, 1)
			select {
			case queue <- done:
			case <-ctx.Done():
				return
			}
			b := bundleRead{c: &tc, tile: tlog.Tile{Level: tlog.EntriesLevel, Index: k, Width: int(min(tlog.TileWidth, cp.Size-k*tlog.TileWidth))}}
			if k < full {
				b.verified = hashes[k-first : k-first+1]
			} else {
				b.verified = hashes[full-first:]
			}
			go func() { done <- b.read(ctx) }()
		}
	}()
	for done := range queue {
		b := <-done
		from := b.tile.Index * tlog.TileWidth
		for k, entry := range b.entries {
			if i := from + int64(k); i >= start {
				if err := f(i, entry); err != nil {
					b.release()
					return err
				}
			}
		}
		b.release()
		if b.err != nil {
			return fmt.Errorf("read log entries from %s against the checkpoint of size %d: %w", c.BaseURL, cp.Size, b.err)
		}
	}
	return ctx.Err()
}

// bundleRead is one entry bundle to fetch and verify.
type bundleRead struct {
	c    *Client
	tile tlog.Tile
	// verified holds the bundle's subtree hash if it is full, else the
	// leaf hash of each of its entries: hashes checked against the
	// checkpoint's root.
	verified []sumdb.Hash
}

// bundle is what was read of an entry bundle: its verified entries, up to
// the first that failed, and why.
type bundle struct {
	tile    tlog.Tile
	entries [][]byte
	err     error
	data    *[]byte // the bundle's bytes, which entries alias
}

// bundleBuffers holds the buffers of bundles whose entries were all
// handed over: a million entries are 4,000 bundles of about 140 kB, which
// would otherwise be allocated (and cleared) one by one.
var bundleBuffers sync.Pool

// release gives the bundle's buffer back, once its entries are no longer
// read.
func (b *bundle) release() {
	if b.data != nil {
		*b.data = (*b.data)[:0]
		bundleBuffers.Put(b.data)
		b.data, b.entries = nil, nil
	}
}

func (r bundleRead) read(ctx context.Context) bundle {
	b := bundle{tile: r.tile}
	buf, _ := bundleBuffers.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	data, err := r.c.appendTile(ctx, *buf, r.tile)
	*buf = data
	b.data = buf
	if err != nil {
		b.err = err
		return b
	}
	from := r.tile.Index * tlog.TileWidth
	entries, err := tlog.ParseEntryBundle(data, r.tile.Width)
	if err != nil {
		b.err = fmt.Errorf("entry %d on: %s: %w", from, r.tile.Path(), err)
		return b
	}
	var leaves [tlog.TileWidth * tlog.HashSize]byte
	for i, e := range entries {
		h := tlog.LeafHash(e)
		copy(leaves[i*tlog.HashSize:], h[:])
	}
	if r.tile.Width < tlog.TileWidth {
		b.entries, b.err = matching(entries, leaves[:], r.verified, from)
		return b
	}
	root, err := tlog.TileRoot(leaves[:])
	if err != nil {
		b.err = err
		return b
	}
	if root == tlog.Hash(r.verified[0]) {
		b.entries = entries
		return b
	}
	// Some entry differs: the level-0 hash tile, checked against the
	// bundle's verified hash, says which.
	ht := tlog.Tile{Level: 0, Index: r.tile.Index, Width: tlog.TileWidth}
	tile, err := r.c.readTile(ctx, ht)
	if err == nil {
		var root tlog.Hash
		if root, err = tlog.TileRoot(tile); err == nil && root != tlog.Hash(r.verified[0]) {
			err = fmt.Errorf("neither the entries %d to %d nor the hash tile %s give the checkpoint's tree", from, from+tlog.TileWidth-1, ht.Path())
		}
	}
	if err != nil {
		b.err = err
		return b
	}
	verified := make([]sumdb.Hash, tlog.TileWidth)
	for i := range verified {
		verified[i] = sumdb.Hash(tile[i*tlog.HashSize : (i+1)*tlog.HashSize])
	}
	b.entries, b.err = matching(entries, leaves[:], verified, from)
	if b.err == nil {
		// The entries match their leaf hashes, which give the bundle's hash:
		// the subtree computed from the entries cannot differ.
		b.err = fmt.Errorf("entries %d to %d: the bundle's hash differs from the checkpoint's tree", from, from+tlog.TileWidth-1)
	}
	return b
}

// matching returns the entries up to the first whose leaf hash (in leaves,
// concatenated) is not its verified one, and an error naming that entry.
func matching(entries [][]byte, leaves []byte, verified []sumdb.Hash, from int64) ([][]byte, error) {
	for i := range entries {
		if !bytes.Equal(leaves[i*tlog.HashSize:(i+1)*tlog.HashSize], verified[i][:]) {
			return entries[:i], fmt.Errorf("hash mismatch for entry %d: it is not the entry the checkpoint's tree holds", from+int64(i))
		}
	}
	return entries, nil
}

// readTile fetches a hash tile or entry bundle.
func (c *Client) readTile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	return c.appendTile(ctx, nil, t)
}

// appendTile fetches a hash tile or entry bundle into buf, grown to the
// answer's Content-Length.
func (c *Client) appendTile(ctx context.Context, buf []byte, t tlog.Tile) ([]byte, error) {
	path := "/log/" + t.Path()
	resp, err := c.send(ctx, "GET", path, "", nil, nil)
	if err != nil {
		return buf, err
	}
	defer resp.Body.Close()
	b := bytes.NewBuffer(buf[:0])
	b.Grow(int(max(resp.ContentLength, 0)) + bytes.MinRead)
	if _, err := io.Copy(b, resp.Body); err != nil {
		return b.Bytes(), fmt.Errorf("GET %s: %w", path, err)
	}
	return b.Bytes(), nil
}
