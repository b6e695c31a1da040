package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	xtlog "golang.org/x/mod/sumdb/tlog"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/tlog"
)

// logCheckpoint fetches and verifies the checkpoint with the key the
// server publishes.
func (e *env) logCheckpoint() (tlog.Checkpoint, string) {
	e.t.Helper()
	code, key := e.call("", "GET", "/v1/log/key", nil)
	if code != 200 {
		e.t.Fatalf("GET /v1/log/key: %d %s", code, key)
	}
	code, note := e.call("", "GET", "/v1/log/checkpoint", nil)
	if code != 200 {
		e.t.Fatalf("GET /v1/log/checkpoint: %d %s", code, note)
	}
	c, err := tlog.VerifyCheckpoint(note, string(key))
	if err != nil {
		e.t.Fatal(err)
	}
	return c, string(key)
}

// appendEvents records n events directly in the store, to grow the log
// past a tile quickly.
func (e *env) appendEvents(n int) {
	e.t.Helper()
	for i := range n {
		err := e.svc.Store().Update(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Record("test.appended", "tester", fmt.Sprintf("sub_%d", i%5), time.Now(), map[string]int{"i": i})
			return err
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
}

type logEntry struct {
	Index int64            `json:"index"`
	Entry []byte           `json:"entry"`
	Event *oversight.Event `json:"event"`
}

// Every entry the API wrote is in the log: its inclusion proof verifies
// against the signed checkpoint, its event is the one recorded, and the
// subject listing finds it.
func TestLogEntriesAndInclusion(t *testing.T) {
	e := newEnv(t)
	e.world()
	c, _ := e.logCheckpoint()
	if c.Size < 20 {
		t.Fatalf("checkpoint size %d after building the world", c.Size)
	}
	var licenseEvents []int64
	for i := range c.Size {
		var le logEntry
		e.must("", "GET", fmt.Sprintf("/v1/log/entries/%d", i), nil, 200, &le)
		if le.Index != i || le.Event == nil || le.Event.Index != i {
			t.Fatalf("entry %d: %+v", i, le)
		}
		var p tlog.InclusionProof
		e.must("", "GET", fmt.Sprintf("/v1/log/proof/inclusion?index=%d&tree_size=%d", i, c.Size), nil, 200, &p)
		if err := tlog.VerifyInclusion(c, i, le.Entry, p.Hashes); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if le.Event.Subject == e.ids["license"] {
			licenseEvents = append(licenseEvents, i)
		}
	}
	var page struct {
		Items []logEntry `json:"items"`
		Next  string     `json:"next"`
	}
	e.must("", "GET", "/v1/log/entries?subject="+e.ids["license"], nil, 200, &page)
	if len(page.Items) != len(licenseEvents) || len(licenseEvents) < 3 {
		t.Fatalf("listing of %s: %d entries, want %v", e.ids["license"], len(page.Items), licenseEvents)
	}
	for i, it := range page.Items {
		if it.Index != licenseEvents[i] {
			t.Errorf("listing item %d has index %d, want %d", i, it.Index, licenseEvents[i])
		}
	}
	// Paging: one at a time, following next.
	after := ""
	for i := range licenseEvents {
		e.must("", "GET", "/v1/log/entries?limit=1&subject="+e.ids["license"]+after, nil, 200, &page)
		if len(page.Items) != 1 || page.Items[0].Index != licenseEvents[i] {
			t.Fatalf("page %d: %+v", i, page)
		}
		after = "&after=" + page.Next
	}
}

// An old checkpoint is consistent with a newer one after more appends.
func TestLogConsistency(t *testing.T) {
	e := newEnv(t)
	old, _ := e.logCheckpoint()
	e.world()
	cur, _ := e.logCheckpoint()
	for _, oldSize := range []int64{0, old.Size, 1, cur.Size / 2, cur.Size} {
		var p tlog.ConsistencyProof
		e.must("", "GET", fmt.Sprintf("/v1/log/proof/consistency?old=%d&new=%d", oldSize, cur.Size), nil, 200, &p)
		if p.Old != oldSize || p.New != cur.Size {
			t.Fatalf("proof %+v", p)
		}
		if oldSize == old.Size {
			if err := tlog.VerifyConsistency(old, cur, p.Hashes); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// httpTiles reads tiles through the API for golang.org/x/mod/sumdb/tlog,
// the Go checksum database's client: an existing tiles client.
type httpTiles struct{ e *env }

func (httpTiles) Height() int { return tlog.TileHeight }

func (h httpTiles) ReadTiles(ts []xtlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		// x/mod names tiles tile/H/L/N; C2SP has no height element.
		path := "/log/" + strings.Replace(t.Path(), "tile/8/", "tile/", 1)
		code, b := h.e.call("", "GET", path, nil)
		if code != 200 {
			return nil, fmt.Errorf("GET %s: %d %s", path, code, b)
		}
		out[i] = b
	}
	return out, nil
}

func (httpTiles) SaveTiles([]xtlog.Tile, [][]byte) {}

// The tiles and entry bundles follow C2SP tlog-tiles: x/mod's tile reader
// rebuilds the checkpoint's root and proves records from them, and every
// bundled entry hashes to its leaf.
func TestLogTilesServeExistingClients(t *testing.T) {
	e := newEnv(t)
	e.world()
	e.appendEvents(600) // two full tiles and a partial one
	c, _ := e.logCheckpoint()
	if c.Size <= 256 {
		t.Fatalf("size %d: want more than a tile", c.Size)
	}
	thr := xtlog.TileHashReader(xtlog.Tree{N: c.Size, Hash: xtlog.Hash(c.Root)}, httpTiles{e})
	root, err := xtlog.TreeHash(c.Size, thr)
	if err != nil || root != xtlog.Hash(c.Root) {
		t.Fatalf("x/mod tree hash from tiles: %v, %v; checkpoint root %s", root, err, c.Root)
	}
	for start := int64(0); start < c.Size; start += 256 {
		w := int(min(256, c.Size-start))
		tile := tlog.Tile{Level: tlog.EntriesLevel, Index: start / 256, Width: w}
		code, bundle := e.call("", "GET", "/log/"+tile.Path(), nil)
		if code != 200 {
			t.Fatalf("GET %s: %d", tile.Path(), code)
		}
		entries, err := tlog.ParseEntryBundle(bundle, w)
		if err != nil {
			t.Fatal(err)
		}
		for i, entry := range entries {
			idx := start + int64(i)
			p, err := xtlog.ProveRecord(c.Size, idx, thr)
			if err != nil {
				t.Fatal(err)
			}
			if err := xtlog.CheckRecord(p, c.Size, xtlog.Hash(c.Root), idx, xtlog.RecordHash(entry)); err != nil {
				t.Fatalf("entry %d from %s: %v", idx, tile.Path(), err)
			}
		}
	}
}

// Caching follows what can change: never for the checkpoint, forever for
// full tiles, bundles, entries and proofs.
func TestLogCacheControl(t *testing.T) {
	e := newEnv(t)
	e.appendEvents(300)
	c, _ := e.logCheckpoint()
	partial := tlog.Tile{Level: 0, Index: c.Size / 256, Width: int(c.Size % 256)}
	for _, tc := range []struct{ path, want string }{
		{"/v1/log/checkpoint", "public, max-age=2"},
		{"/log/checkpoint", "public, max-age=2"},
		{"/log/tile/0/000", "public, max-age=31536000, immutable"},
		{"/log/tile/entries/000", "public, max-age=31536000, immutable"},
		{"/log/" + partial.Path(), "public, max-age=60"},
		{"/v1/log/entries/3", "public, max-age=31536000, immutable"},
		{fmt.Sprintf("/v1/log/proof/inclusion?index=3&tree_size=%d", c.Size), "public, max-age=31536000, immutable"},
	} {
		res, err := e.srv.Client().Get(e.srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Cache-Control") != tc.want {
			t.Errorf("GET %s: %d, Cache-Control %q; want 200, %q", tc.path, res.StatusCode, res.Header.Get("Cache-Control"), tc.want)
		}
	}
}

// Every bad parameter is a 400 problem document naming it; what is out of
// the latest checkpoint's range is a 404; nothing is a 500.
func TestLogBadRequests(t *testing.T) {
	e := newEnv(t)
	e.world()
	c, _ := e.logCheckpoint()
	n := c.Size
	for _, tc := range []struct {
		path  string
		code  int
		field string
	}{
		{"/v1/log/entries/-1", 400, "index"},
		{"/v1/log/entries/abc", 400, "index"},
		{"/v1/log/entries/+1", 400, "index"},
		{"/v1/log/entries/99999999999999999999", 400, "index"},
		{"/v1/log/entries/1000000", 404, ""},
		{"/v1/log/entries", 400, "subject"},
		{"/v1/log/entries?subject=x&limit=0", 400, "limit"},
		{"/v1/log/entries?subject=x&limit=1001", 400, "limit"},
		{"/v1/log/entries?subject=x&after=-3", 400, "after"},
		{"/v1/log/entries?subject=" + strings.Repeat("x", 101), 400, "subject"},
		{"/v1/log/proof/inclusion?tree_size=5", 400, "index"},
		{"/v1/log/proof/inclusion?index=1", 400, "tree_size"},
		{"/v1/log/proof/inclusion?index=x&tree_size=5", 400, "index"},
		{"/v1/log/proof/inclusion?index=1&tree_size=1e3", 400, "tree_size"},
		{"/v1/log/proof/inclusion?index=0&tree_size=0", 400, "tree_size"},
		{"/v1/log/proof/inclusion?index=5&tree_size=5", 400, "index"},
		{fmt.Sprintf("/v1/log/proof/inclusion?index=0&tree_size=%d", n+1), 404, "tree_size"},
		{"/v1/log/proof/inclusion?index=0&tree_size=9223372036854775807", 404, "tree_size"},
		{"/v1/log/proof/consistency?old=1", 400, "new"},
		{"/v1/log/proof/consistency?new=1", 400, "old"},
		{"/v1/log/proof/consistency?old=-1&new=1", 400, "old"},
		{"/v1/log/proof/consistency?old=3&new=2", 400, "old"},
		{fmt.Sprintf("/v1/log/proof/consistency?old=1&new=%d", n+1), 404, "new"},
		{"/log/tile/0/1", 400, "path"},
		{"/log/tile/0/x000/001", 400, "path"},
		{"/log/tile/0/000.p/0", 400, "path"},
		{"/log/tile/0/000.p/256", 400, "path"},
		{"/log/tile/64/000", 400, "path"},
		{"/log/tile/entries/000.p/01", 400, "path"},
		{"/log/tile/0/001", 404, ""},
		{"/log/tile/7/000.p/1", 404, ""},
		{fmt.Sprintf("/log/tile/entries/000.p/%d", n+1), 404, ""},
		{fmt.Sprintf("/log/tile/0/000.p/%d", n+1), 404, ""},
	} {
		code, b := e.call("", "GET", tc.path, nil)
		if code != tc.code {
			t.Errorf("GET %s: %d, want %d: %s", tc.path, code, tc.code, b)
			continue
		}
		var p oversight.Problem
		if err := json.Unmarshal(b, &p); err != nil || p.Status != code {
			t.Errorf("GET %s: not a problem document: %s", tc.path, b)
			continue
		}
		if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
			t.Errorf("GET %s: errors %+v, want one naming %q", tc.path, p.Errors, tc.field)
		}
	}
	// Tile paths of no documented form are refused too, not only those
	// the OpenAPI document templates (checked here without it).
	for _, path := range []string{"/log/tile/0", "/log/tile/", "/log/tile/0/x999/x999/x999/x999/x999/x999/x999/999", "/log/tile/entries/x001/x002/x003/x004/005.p/7"} {
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		var p oversight.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != 400 && rec.Code != 404 || rec.Code == 400 && (len(p.Errors) != 1 || p.Errors[0].Field != "path") {
			t.Errorf("GET %s: %d %s, want 400 naming path or 404", path, rec.Code, rec.Body)
		}
	}
	// Methods other than GET are refused.
	if code, _ := e.call("admin", "POST", "/v1/log/checkpoint", "{}"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /v1/log/checkpoint: %d", code)
	}
}

// An entry about people carries a commitment instead of their names; an
// official reads what it withheld, with the salt, and checks it against
// the public entry; nobody else reads it, and an entry that withheld
// nothing has nothing to disclose (issue 12 point 4).
func TestLogDisclosure(t *testing.T) {
	e := newEnv(t)
	e.world()
	var v oversight.Vendor
	e.must("defense", "GET", "/v1/vendors/"+e.ids["vendor"], nil, 200, &v)
	var le logEntry
	e.must("", "GET", fmt.Sprintf("/v1/log/entries/%d", v.LogIndex), nil, 200, &le)
	if strings.Contains(string(le.Entry), "Yoav Ben-Ami") || !strings.Contains(string(le.Entry), `"private":"`) {
		t.Fatalf("the vendor's public entry: %s", le.Entry)
	}
	path := fmt.Sprintf("/v1/log/entries/%d/private", v.LogIndex)
	for _, role := range []string{"admin", "defense", "foreign_affairs"} {
		var d oversight.Disclosure
		e.must(role, "GET", path, nil, 200, &d)
		if err := d.Verify(le.Event); err != nil {
			t.Errorf("as %s: %v", role, err)
		}
		if !strings.Contains(string(d.Fields), `"persons[0].name":"Yoav Ben-Ami"`) {
			t.Errorf("as %s: fields %s", role, d.Fields)
		}
	}
	for _, c := range []struct {
		label string
		code  int
	}{{"vendor", 403}, {"end_user", 403}, {"", 401}} {
		if code, b := e.call(c.label, "GET", path, nil); code != c.code {
			t.Errorf("as %q: %d, want %d: %s", c.label, code, c.code, b)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["defense"])
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	// The country's update withheld nothing.
	c, _ := e.logCheckpoint()
	for i := range c.Size {
		e.must("", "GET", fmt.Sprintf("/v1/log/entries/%d", i), nil, 200, &le)
		if le.Event.Type == oversight.EventCountryUpdated {
			if code, b := e.call("defense", "GET", fmt.Sprintf("/v1/log/entries/%d/private", i), nil); code != 404 {
				t.Errorf("entry %d, withholding nothing: %d %s", i, code, b)
			}
			break
		}
	}
	for _, bad := range []string{"-1", "x", "99999999999999999999"} {
		if code, b := e.call("defense", "GET", "/v1/log/entries/"+bad+"/private", nil); code != 400 {
			t.Errorf("index %s: %d, want 400: %s", bad, code, b)
		}
	}
}
