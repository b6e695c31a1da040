package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/report"
	"github.com/oversight-dev/oversight/tlog"
)

// LogCheckpoint returns the latest checkpoint note, unverified: check it
// with tlog.VerifyCheckpoint, or use VerifiedCheckpoint.
func (c *Client) LogCheckpoint(ctx context.Context) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.Do(ctx, "GET", "/v1/log/checkpoint", nil, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LogKey returns the verifier key the server says its log uses. A key
// fetched from the server you want to check proves nothing by itself: pin
// the key from a trusted source and compare.
func (c *Client) LogKey(ctx context.Context) (string, error) {
	var buf bytes.Buffer
	if err := c.Do(ctx, "GET", "/v1/log/key", nil, &buf); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

// LogEntry returns the entry at index, unverified.
func (c *Client) LogEntry(ctx context.Context, index int64) (*oversight.LogEntry, error) {
	var e oversight.LogEntry
	if err := c.Do(ctx, "GET", "/v1/log/entries/"+strconv.FormatInt(index, 10), nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// LogEntries returns one page of the entries about subject (the id of a
// licence, action, vendor…), in log order, and the cursor of the next page
// ("" on the last one).
func (c *Client) LogEntries(ctx context.Context, subject string, opts oversight.Page) ([]oversight.LogEntry, string, error) {
	var page oversight.List[oversight.LogEntry]
	if err := c.Do(ctx, "GET", "/v1/log/entries"+query(append([]string{"subject", subject}, pagePairs(opts)...)...), nil, &page); err != nil {
		return nil, "", err
	}
	return page.Items, page.Next, nil
}

// InclusionProof returns the inclusion proof of the entry at index in the
// tree of the given size, unverified.
func (c *Client) InclusionProof(ctx context.Context, index, treeSize int64) (*tlog.InclusionProof, error) {
	var p tlog.InclusionProof
	path := "/v1/log/proof/inclusion" + query("index", strconv.FormatInt(index, 10), "tree_size", strconv.FormatInt(treeSize, 10))
	if err := c.Do(ctx, "GET", path, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ConsistencyProof returns the consistency proof between the trees of
// sizes oldSize and newSize, unverified.
func (c *Client) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (*tlog.ConsistencyProof, error) {
	var p tlog.ConsistencyProof
	path := "/v1/log/proof/consistency" + query("old", strconv.FormatInt(oldSize, 10), "new", strconv.FormatInt(newSize, 10))
	if err := c.Do(ctx, "GET", path, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// LogTile returns the bytes of a hash tile or entry bundle, per C2SP
// tlog-tiles, unverified.
func (c *Client) LogTile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	return c.readTile(ctx, t)
}

// VerifiedCheckpoint fetches the latest checkpoint and checks its signature
// with the pinned verifier key vkey. It returns the checkpoint and its note.
func (c *Client) VerifiedCheckpoint(ctx context.Context, vkey string) (tlog.Checkpoint, []byte, error) {
	note, err := c.LogCheckpoint(ctx)
	if err != nil {
		return tlog.Checkpoint{}, nil, err
	}
	cp, err := tlog.VerifyCheckpoint(note, vkey)
	if err != nil {
		return tlog.Checkpoint{}, nil, err
	}
	return cp, note, nil
}

// ProveEntry fetches the entry at index and its inclusion proof in the tree
// of the verified checkpoint cp, and checks both: the entry's leaf hash
// must lead to cp's root, and the event in it must carry index as its own.
// The entry returned is proved; its Event is the proved bytes.
func (c *Client) ProveEntry(ctx context.Context, cp tlog.Checkpoint, index int64) (*oversight.LogEntry, error) {
	if index < 0 || index >= cp.Size {
		return nil, fmt.Errorf("entry %d is not in the checkpoint's tree of size %d", index, cp.Size)
	}
	e, err := c.LogEntry(ctx, index)
	if err != nil {
		return nil, err
	}
	if e.Index != index {
		return nil, fmt.Errorf("asked for entry %d, the server answered entry %d", index, e.Index)
	}
	p, err := c.InclusionProof(ctx, index, cp.Size)
	if err != nil {
		return nil, err
	}
	if p.Index != index || p.TreeSize != cp.Size {
		return nil, fmt.Errorf("asked for the proof of entry %d in tree %d, the server answered %d in %d", index, cp.Size, p.Index, p.TreeSize)
	}
	if err := tlog.VerifyInclusion(cp, index, e.Entry, p.Hashes); err != nil {
		return nil, err
	}
	var ev oversight.Event
	if err := json.Unmarshal(e.Entry, &ev); err != nil {
		return nil, fmt.Errorf("entry %d is in the log but is not an event: %w", index, err)
	}
	if ev.Index != index {
		return nil, fmt.Errorf("entry %d is in the log but its event says index %d", index, ev.Index)
	}
	e.Event = e.Entry
	return e, nil
}

// ProveConsistency fetches the consistency proof from older to newer, two
// verified checkpoints of the same log, and checks that newer's tree
// extends older's.
func (c *Client) ProveConsistency(ctx context.Context, older, newer tlog.Checkpoint) error {
	if older.Size > newer.Size {
		return fmt.Errorf("verify consistency: the old checkpoint (size %d) is larger than the new one (size %d): the log shrank, or the checkpoints are swapped", older.Size, newer.Size)
	}
	p, err := c.ConsistencyProof(ctx, older.Size, newer.Size)
	if err != nil {
		return err
	}
	if p.Old != older.Size || p.New != newer.Size {
		return fmt.Errorf("asked for the consistency proof from %d to %d, the server answered %d to %d", older.Size, newer.Size, p.Old, p.New)
	}
	return tlog.VerifyConsistency(older, newer, p.Hashes)
}

// TransparencyReport returns the server's transparency report of the days
// from to to (YYYY-MM-DD, both included; "" for the log's first or last
// day), unverified: oversight report recomputes it from the log.
func (c *Client) TransparencyReport(ctx context.Context, from, to string) (*report.Report, error) {
	var r report.Report
	if err := c.Do(ctx, "GET", "/v1/reports/transparency"+query("from", from, "to", to), nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// LogDisclosure returns what the log entry at index withheld from the
// public log (officials only); check it with oversight.Disclosure.Verify.
func (c *Client) LogDisclosure(ctx context.Context, index int64) (*oversight.Disclosure, error) {
	var out oversight.Disclosure
	return &out, c.Do(ctx, "GET", "/v1/log/entries/"+strconv.FormatInt(index, 10)+"/private", nil, &out)
}
