package client

import (
	"context"
	"fmt"
	"net/http"

	"filippo.io/torchwood"
	sumdb "golang.org/x/mod/sumdb/tlog"

	"github.com/oversight-dev/oversight/tlog"
)

// tileConcurrency bounds the tiles fetched at once: torchwood asks for up
// to 50 entry bundles in one go.
const tileConcurrency = 8

// VerifiedEntries calls f with each entry of the log from start to the size
// of the checkpoint cp, in order, read through the log's C2SP tiles (entry
// bundles and hash tiles under /log/tile/) with torchwood's tlog client,
// which checks every entry's leaf hash against the hash tiles and the hash
// tiles against cp's root. cp must have been verified (tlog.VerifyCheckpoint
// or VerifyCosigned): then every entry f sees is the one the log committed
// to. An entry that does not verify stops the reading with an error naming
// it; so does an error from f.
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
	tc, err := torchwood.NewClient(tf)
	if err != nil {
		return fmt.Errorf("read log entries: %w", err)
	}
	tree := sumdb.Tree{N: cp.Size, Hash: sumdb.Hash(cp.Root)}
	// Entries may stop before a trailing partial bundle; asked again from
	// there, it reads it.
	for start < cp.Size {
		next := start
		for i, entry := range tc.Entries(ctx, tree, start) {
			if err := f(i, entry); err != nil {
				return err
			}
			next = i + 1
		}
		if err := tc.Err(); err != nil {
			return fmt.Errorf("read log entries from %s against the checkpoint of size %d: %w", c.BaseURL, cp.Size, err)
		}
		if next == start {
			return fmt.Errorf("read log entries from %s: no entry after %d, the checkpoint has %d", c.BaseURL, start, cp.Size)
		}
		start = next
	}
	return nil
}
