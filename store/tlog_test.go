package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
	"github.com/oversight-dev/oversight/tlog"
	"github.com/oversight-dev/oversight/tlog/memlog"
)

// record appends n events, each in its own Update, from concurrent
// goroutines; every third one fails after recording, so that its leaf must
// be rolled back with its savepoint.
func record(t *testing.T, s *store.Store, n int) {
	t.Helper()
	var wg sync.WaitGroup
	boom := errors.New("boom")
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(context.Background(), func(tx *store.Tx) error {
				if _, err := tx.Record("test.recorded", "tester", fmt.Sprintf("sub_%d", i%7), time.Now(), map[string]any{"i": i, "note": "fictional"}); err != nil {
					return err
				}
				if i%3 == 1 {
					return boom
				}
				return nil
			})
			if (err != nil) != (i%3 == 1) {
				t.Errorf("update %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
}

// replay rebuilds the log from the stored entries, in memory, the way a
// verifier would.
func replay(t *testing.T, s *store.Store) *memlog.Log {
	t.Helper()
	m := memlog.New()
	err := s.View(context.Background(), func(tx *store.Tx) error {
		size, err := tx.LogSize()
		if err != nil {
			return err
		}
		entries, err := tx.Entries(0, size)
		if err != nil {
			return err
		}
		if int64(len(entries)) != size {
			t.Fatalf("%d entries stored, log size %d", len(entries), size)
		}
		for i, e := range entries {
			if ev, err := tx.Event(int64(i)); err != nil || ev.Index != int64(i) {
				t.Fatalf("event %d: index %v, %v", i, ev, err)
			}
			if _, err := m.Append(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The tiles written with the events give the same tree as the events
// themselves, the head and checkpoint name its root, and every entry's
// inclusion proof verifies against the checkpoint.
func TestLogTreeMatchesEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for range 3 {
			record(t, s, 300) // crosses a tile boundary in a batch
		}
		m := replay(t, s)
		head := s.LogHead()
		if head.Size != m.Size() || head.Root != m.Root() {
			t.Fatalf("LogHead = %d %s, the events give %d %s", head.Size, head.Root, m.Size(), m.Root())
		}
		sc, err := s.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vkey, err := s.LogVerifierKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tlog.VerifyCheckpoint(sc.Note, vkey)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != m.Size() || c.Root != m.Root() || c.Origin != store.DefaultLogOrigin {
			t.Fatalf("checkpoint %s, want size %d root %s", c, m.Size(), m.Root())
		}
		err = s.View(ctx, func(tx *store.Tx) error {
			for i := range c.Size {
				entry, err := tx.Entry(i)
				if err != nil {
					return err
				}
				p, err := s.InclusionProof(ctx, i, c.Size)
				if err != nil {
					return err
				}
				if err := tlog.VerifyInclusion(c, i, entry, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Every tile and bundle served is the one of the replayed log.
		for _, p := range []string{"tile/0/000", "tile/0/001", "tile/0/002.p/88", "tile/1/000.p/2", "tile/1/000.p/1", "tile/entries/001", "tile/entries/002.p/88"} {
			tile, err := tlog.ParseTilePath(p)
			if err != nil {
				t.Fatal(err)
			}
			if !tile.InTree(c.Size) {
				t.Fatalf("%s not in tree of size %d", p, c.Size)
			}
			got, err := s.LogTile(ctx, tile)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.Resource(tile)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the replayed log's", p)
			}
		}
	})
}

func TestLogRejectsOversizedEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		err := s.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Record("test.big", "tester", "sub_1", time.Now(), map[string]string{"blob": strings.Repeat("x", tlog.MaxEntrySize)})
			return err
		})
		if oversight.ErrorCode(err) != oversight.ETOOLARGE || !strings.Contains(err.Error(), "at most 65535 bytes") {
			t.Fatalf("err = %v, want ETOOLARGE naming the limit", err)
		}
		// Just under the limit is fine.
		err = s.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Record("test.big", "tester", "sub_1", time.Now(), map[string]string{"blob": strings.Repeat("x", tlog.MaxEntrySize-200)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if h := s.LogHead(); h.Size != 1 {
			t.Fatalf("log size %d, want 1", h.Size)
		}
	})
}

// Two stores on one database append in turn, as replicas or "oversight
// token create" next to a server do: each reloads the right edge when it
// finds the size changed under the lock, and the tree stays one tree.
func TestLogSharedDatabase(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			dsn := storetest.DSN(t, kind)
			a := storetest.OpenDSN(t, dsn)
			b := storetest.OpenDSN(t, dsn)
			for round := range 4 {
				var wg sync.WaitGroup
				for _, s := range []*store.Store{a, b} {
					wg.Add(1)
					go func() { defer wg.Done(); record(t, s, 100+round*37) }()
				}
				wg.Wait()
			}
			record(t, a, 3) // a learns b's last appends
			m := replay(t, a)
			if h := a.LogHead(); h.Size != m.Size() || h.Root != m.Root() {
				t.Fatalf("store a: head %d %s, the events give %d %s", h.Size, h.Root, m.Size(), m.Root())
			}
			root, err := a.ConsistencyProof(context.Background(), 0, m.Size())
			if err != nil || len(root) != 0 {
				t.Fatal(root, err)
			}
		})
	}
}

// A database from before the tiles table gets its tiles rebuilt from its
// events when it is opened.
func TestLogRebuildsMissingTiles(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, 700)
	want := s.LogHead()
	s.Close()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM tiles`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = storetest.OpenDSN(t, dsn)
	if got := s.LogHead(); got != want {
		t.Fatalf("head after rebuild %d %s, want %d %s", got.Size, got.Root, want.Size, want.Root)
	}
	record(t, s, 10)
	m := replay(t, s)
	if got := s.LogHead(); got.Root != m.Root() {
		t.Fatalf("root after appends %s, want %s", got.Root, m.Root())
	}
}

// The background signer covers new leaves within its interval, each
// checkpoint extends the previous one, every note is kept in the database
// and handed to Publish, and Close stops it.
func TestLogBackgroundSigner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		skey, vkey, err := tlog.GenerateKey("oversight.example/test-log")
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var published [][]byte
		err = s.StartLog(ctx, store.LogConfig{SignerKey: skey, Interval: 20 * time.Millisecond,
			Publish: func(note []byte) error {
				mu.Lock()
				defer mu.Unlock()
				published = append(published, note)
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		prev, err := s.Checkpoint(ctx)
		if err != nil || prev.Size != 0 {
			t.Fatalf("first checkpoint %v, %v; want the empty tree", prev, err)
		}
		for round := range 5 {
			record(t, s, 50)
			want := s.LogHead().Size
			var sc *store.SignedCheckpoint
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if sc, err = s.Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
				if sc.Size == want || time.Now().After(deadline) {
					break
				}
			}
			if sc.Size != want {
				t.Fatalf("round %d: checkpoint size %d, want %d", round, sc.Size, want)
			}
			c, err := tlog.VerifyCheckpoint(sc.Note, vkey)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.ConsistencyProof(ctx, prev.Size, c.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.VerifyConsistency(prev.Checkpoint, c, p); err != nil {
				t.Fatal(err)
			}
			prev = sc
		}
		mu.Lock()
		last := published[len(published)-1]
		mu.Unlock()
		if string(last) != string(prev.Note) {
			t.Errorf("last published note is not the one served")
		}
	})
}

// The key's history protects the log across restarts: a database that was
// truncated or replaced behind the key's back, or that belongs to another
// key, is refused; the right database with its key starts.
func TestLogStartRefusesFork(t *testing.T) {
	ctx := context.Background()
	skey, _, err := tlog.GenerateKey(store.DefaultLogOrigin)
	if err != nil {
		t.Fatal(err)
	}
	// The real log: 500 leaves, a checkpoint kept as the witness.
	dsn := storetest.DSN(t, "sqlite")
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var witness []byte
	publish := func(note []byte) error { witness = note; return nil }
	if err := s.StartLog(ctx, store.LogConfig{SignerKey: skey, Publish: publish, Interval: time.Hour}); err != nil {
		t.Fatal(err)
	}
	record(t, s, 500)
	s.Close()
	s, err = store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartLog(ctx, store.LogConfig{SignerKey: skey, Kept: witness, Publish: publish, Interval: time.Hour}); err != nil {
		t.Fatalf("restart with the same database and key: %v", err)
	}
	sc, _ := s.Checkpoint(ctx)
	if sc.Size != s.LogHead().Size || sc.Size == 0 {
		t.Fatalf("checkpoint at start has size %d, the log %d", sc.Size, s.LogHead().Size)
	}
	record(t, s, 20)
	s.Close()

	t.Run("truncated", func(t *testing.T) {
		// A fresh database with fewer leaves, under the key that signed
		// the big one.
		other := storetest.Open(t, "sqlite")
		record(t, other, 30)
		err := other.StartLog(ctx, store.LogConfig{SignerKey: skey, Kept: witness})
		if !errors.Is(err, store.ErrLogFork) || !strings.Contains(err.Error(), "truncated or replaced") {
			t.Fatalf("err = %v, want ErrLogFork", err)
		}
	})
	t.Run("replaced", func(t *testing.T) {
		// As many leaves or more, but other ones.
		other := storetest.Open(t, "sqlite")
		record(t, other, 900)
		err := other.StartLog(ctx, store.LogConfig{SignerKey: skey, Kept: witness})
		if !errors.Is(err, store.ErrLogFork) || !strings.Contains(err.Error(), "replaced or rewritten") {
			t.Fatalf("err = %v, want ErrLogFork", err)
		}
	})
	t.Run("other key", func(t *testing.T) {
		skey2, _, _ := tlog.GenerateKey(store.DefaultLogOrigin)
		s := storetest.OpenDSN(t, dsn)
		err := s.StartLog(ctx, store.LogConfig{SignerKey: skey2})
		if err == nil || !strings.Contains(err.Error(), "is signed by the key") {
			t.Fatalf("err = %v, want a refusal naming the key", err)
		}
	})
	t.Run("witness of another key", func(t *testing.T) {
		skey2, _, _ := tlog.GenerateKey(store.DefaultLogOrigin)
		other := storetest.Open(t, "sqlite")
		err := other.StartLog(ctx, store.LogConfig{SignerKey: skey2, Kept: witness})
		if !errors.Is(err, tlog.ErrSignature) {
			t.Fatalf("err = %v, want ErrSignature", err)
		}
	})
}

// Replicas sharing a database, each with the log's key, sign checkpoints of
// one tree: every checkpoint either serves is consistent with every other.
func TestLogReplicasSignOneLog(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			skey, vkey, err := tlog.GenerateKey(store.DefaultLogOrigin)
			if err != nil {
				t.Fatal(err)
			}
			dsn := storetest.DSN(t, kind)
			replicas := []*store.Store{storetest.OpenDSN(t, dsn), storetest.OpenDSN(t, dsn)}
			for _, s := range replicas {
				if err := s.StartLog(ctx, store.LogConfig{SignerKey: skey, Interval: 10 * time.Millisecond}); err != nil {
					t.Fatal(err)
				}
			}
			var seen []tlog.Checkpoint
			for round := range 6 {
				var wg sync.WaitGroup
				for _, s := range replicas {
					wg.Add(1)
					go func() { defer wg.Done(); record(t, s, 40+round) }()
				}
				wg.Wait()
				for _, s := range replicas {
					sc, err := s.SignCheckpoint(ctx)
					if err != nil {
						t.Fatal(err)
					}
					c, err := tlog.VerifyCheckpoint(sc.Note, vkey)
					if err != nil {
						t.Fatal(err)
					}
					seen = append(seen, c)
				}
			}
			// The last checkpoints cover the whole log, whichever replica
			// appended last.
			m := replay(t, replicas[0])
			last := seen[len(seen)-1]
			if last.Size != m.Size() || last.Root != m.Root() {
				t.Fatalf("last checkpoint %s, the events give %d %s", last, m.Size(), m.Root())
			}
			for _, a := range seen {
				for _, b := range seen {
					if a.Size > b.Size {
						continue
					}
					p, err := replicas[1].ConsistencyProof(ctx, a.Size, b.Size)
					if err != nil {
						t.Fatal(err)
					}
					if err := tlog.VerifyConsistency(a, b, p); err != nil {
						t.Fatalf("%s and %s: %v", a, b, err)
					}
				}
			}
		})
	}
}

// Without StartLog a store signs with a key made up for the process, and
// keeps nothing of it: the database can still be started with its real key
// later. A database whose log has a key is not signed for by another.
func TestLogEphemeralSigner(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, "sqlite")
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, 10)
	sc, err := s.Checkpoint(ctx)
	if err != nil || sc.Size != s.LogHead().Size {
		t.Fatalf("ephemeral checkpoint %v, %v", sc, err)
	}
	s.Close()
	skey, _, _ := tlog.GenerateKey(store.DefaultLogOrigin)
	s = storetest.OpenDSN(t, dsn)
	if err := s.StartLog(ctx, store.LogConfig{SignerKey: skey}); err != nil {
		t.Fatalf("start with the real key after ephemeral signing: %v", err)
	}
	s.Close()
	s = storetest.OpenDSN(t, dsn)
	if _, err := s.Checkpoint(ctx); oversight.ErrorCode(err) != oversight.EUNAVAILABLE || !strings.Contains(err.Error(), "is signed by the key") {
		t.Fatalf("ephemeral checkpoint of a keyed log: %v", err)
	}
}

// NewestEntries pages through the log newest first, by subject, by type,
// or both, on both databases.
func TestLogNewestEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		err := s.Update(ctx, func(tx *store.Tx) error {
			for i := range 30 {
				typ := "test.even"
				if i%2 == 1 {
					typ = "test.odd"
				}
				if _, err := tx.Record(typ, "tester", fmt.Sprintf("sub_%d", i%3), time.Now(), map[string]any{"i": i}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			subject, typ string
			before       int64
			limit        int
			want         []int64
		}{
			{"", "", 30, 4, []int64{29, 28, 27, 26}},
			{"", "", 3, 10, []int64{2, 1, 0}},
			{"sub_1", "", 30, 4, []int64{28, 25, 22, 19}},
			{"", "test.odd", 10, 3, []int64{9, 7, 5}},
			{"sub_0", "test.odd", 30, 10, []int64{27, 21, 15, 9, 3}},
			{"sub_9", "", 30, 10, nil},
		} {
			var got []int64
			err := s.View(ctx, func(tx *store.Tx) error {
				idx, entries, err := tx.NewestEntries(tt.subject, tt.typ, tt.before, tt.limit)
				if len(entries) != len(idx) {
					t.Errorf("%d indexes, %d entries", len(idx), len(entries))
				}
				got = idx
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("NewestEntries(%q, %q, %d, %d) = %v, want %v", tt.subject, tt.typ, tt.before, tt.limit, got, tt.want)
			}
		}
	})
}
