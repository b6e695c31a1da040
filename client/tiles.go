package client

import (
	"context"
	"fmt"
	"net/http"

	"filippo.io/torchwood"
	sumdb "golang.org/x/mod/sumdb/tlog"

	"github.com/oversight-dev/oversight/tlog"
)

// tileConcurrency bounds the tiles fetched at once: each reader
// (tileReaders) asks torchwood for up to 50 entry bundles in one go.
const tileConcurrency = 16

// tileReaders is how many ranges of the log are read at once, each by a
// torchwood client of its own. One client alone fetches 50 bundles and
// their hash tiles, verifies them, hands their entries over one by one,
// and only then asks for the next 50: reading ranges side by side keeps
// the server and the network busy while entries are counted.
const tileReaders = 4

// rangeEntries is the range one reader reads: the 50 bundles torchwood
// fetches in one go (it fetches no fewer, whatever the range).
const rangeEntries = 50 * tlog.TileWidth

// VerifiedEntries calls f with each entry of the log from start to the size
// of the checkpoint cp, in order, read through the log's C2SP tiles (entry
// bundles and hash tiles under /log/tile/) with torchwood's tlog client,
// which checks every entry's leaf hash against the hash tiles and the hash
// tiles against cp's root. cp must have been verified (tlog.VerifyCheckpoint
// or VerifyCosigned): then every entry f sees is the one the log committed
// to. An entry that does not verify stops the reading with an error naming
// it, after the entries before it; so does an error from f.
//
// Ranges of 12,800 entries are read by tileReaders clients at once, and
// handed to f in order as each is done.
func (c *Client) VerifiedEntries(ctx context.Context, cp tlog.Checkpoint, start int64, f func(index int64, entry []byte) error) error {
	if start < 0 || start > cp.Size {
		return fmt.Errorf("read log entries: start %d is outside the checkpoint's tree of size %d", start, cp.Size)
	}
	hc := c.HTTP
	if hc == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = tileConcurrency
		hc = &http.Client{Transport: transport, Timeout: defaultHTTP.Timeout}
	}
	tf, err := torchwood.NewTileFetcher(c.BaseURL+"/log/", torchwood.WithHTTPClient(hc),
		torchwood.WithUserAgent(c.UserAgent), torchwood.WithConcurrencyLimit(tileConcurrency))
	if err != nil {
		return fmt.Errorf("read log entries: %w", err)
	}
	tree := sumdb.Tree{N: cp.Size, Hash: sumdb.Hash(cp.Root)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Each range's result comes through a channel of its own, queued in
	// order; the queue's capacity bounds the ranges read ahead.
	queue := make(chan chan entryRange, tileReaders)
	go func() {
		defer close(queue)
		for lo := start; lo < cp.Size; {
			hi := min((lo/rangeEntries+1)*rangeEntries, cp.Size)
			done := make(chan entryRange, 1)
			select {
			case queue <- done:
			case <-ctx.Done():
				return
			}
			go func(lo int64) { done <- c.readRange(ctx, tf, tree, lo, hi) }(lo)
			lo = hi
		}
	}()
	for done := range queue {
		r := <-done
		for k, entry := range r.entries {
			if err := f(r.from+int64(k), entry); err != nil {
				return err
			}
		}
		if r.err != nil {
			return r.err
		}
	}
	return ctx.Err()
}

// entryRange is what a reader read of a range: its entries from from, up
// to the first that failed, and why.
type entryRange struct {
	from    int64
	entries [][]byte
	err     error
}

// readRange reads and verifies the entries [lo, hi) with a torchwood client
// of its own.
func (c *Client) readRange(ctx context.Context, tf *torchwood.TileFetcher, tree sumdb.Tree, lo, hi int64) entryRange {
	r := entryRange{from: lo, entries: make([][]byte, 0, hi-lo)}
	tc, err := torchwood.NewClient(tf)
	if err != nil {
		r.err = fmt.Errorf("read log entries: %w", err)
		return r
	}
	// Entries may stop before a trailing partial bundle; asked again from
	// there, it reads it.
	for next := lo; next < hi; {
		for i, entry := range tc.Entries(ctx, tree, next) {
			if i >= hi {
				break
			}
			r.entries = append(r.entries, entry)
		}
		if err := tc.Err(); err != nil {
			r.err = fmt.Errorf("read log entries from %s against the checkpoint of size %d: %w", c.BaseURL, tree.N, err)
			return r
		}
		if got := lo + int64(len(r.entries)); got > next {
			next = got
		} else {
			r.err = fmt.Errorf("read log entries from %s: no entry after %d, the checkpoint has %d", c.BaseURL, next, tree.N)
			return r
		}
	}
	return r
}
