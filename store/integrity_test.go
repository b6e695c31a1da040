package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
	"github.com/oversight-dev/oversight/tlog"
)

// LogAudit hashes every stored entry again and checks it, and every tile
// above, against the stored tree (issue 12 point 3): a log the store wrote
// passes, in one audit or in several as it grows; an entry edited is
// named by its index, once; a tile edited above the leaves is named; an
// entry deleted is named.
func TestLogAudit(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, kind)
			s := storetest.OpenDSN(t, dsn)
			record(t, s, 900) // 600 entries: two full level-0 tiles and a partial one
			a := store.NewLogAudit()
			ms, err := s.Audit(ctx, a, 300, nil)
			if err != nil || len(ms) != 0 || a.Checked() != 300 {
				t.Fatalf("first 300: %v %v, checked %d", ms, err, a.Checked())
			}
			record(t, s, 3)
			size := s.LogHead().Size
			var seen int64
			ms, err = s.Audit(ctx, a, size, func(tx *store.Tx, first int64, entries [][]byte) error {
				if first != 300+seen {
					t.Errorf("chunk at %d, want %d", first, 300+seen)
				}
				seen += int64(len(entries))
				return nil
			})
			if err != nil || len(ms) != 0 || a.Checked() != size || seen != size-300 {
				t.Fatalf("the rest: %v %v, checked %d of %d, seen %d", ms, err, a.Checked(), size, seen)
			}

			db := storetest.BehindTheBack(t, dsn)
			var entry []byte
			if err := db.QueryRow(`SELECT entry FROM events WHERE idx = 17`).Scan(&entry); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE events SET entry = $1 WHERE idx = 17`, bytes.Replace(entry, []byte("fictional"), []byte("fictitious"), 1)); err != nil {
				t.Fatal(err)
			}
			var hashes []byte
			if err := db.QueryRow(`SELECT hashes FROM tiles WHERE level = 1 AND idx = 0`).Scan(&hashes); err != nil {
				t.Fatal(err)
			}
			hashes[40] ^= 1 // the second subtree's root: leaves 256 to 511
			if _, err := db.Exec(`UPDATE tiles SET hashes = $1 WHERE level = 1 AND idx = 0`, hashes); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`DELETE FROM events WHERE idx = 400`); err != nil {
				t.Fatal(err)
			}
			// The audit already past them sees nothing; a new one (a
			// restarted server's) sees each once.
			if ms, err := s.Audit(ctx, a, size, nil); err != nil || len(ms) != 0 {
				t.Fatalf("audit already past the edits: %v %v", ms, err)
			}
			ms, err = s.Audit(ctx, store.NewLogAudit(), size, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.String())
			}
			want := []string{
				"log entry 17: the stored entry hashes to",
				"log entry 400: the event is missing from the database",
				"log tile 1/0: the stored tile does not hold the",
			}
			if len(got) != len(want) {
				t.Fatalf("mismatches:\n%s", strings.Join(got, "\n"))
			}
			for i := range want {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("mismatch %d: %s, want %s…", i, got[i], want[i])
				}
			}
		})
	}
}

// An audit resumes from a size and root checked earlier, after the log
// grew past it: the stored tiles cut to that size give that root, and the
// audit reads on from there and passes; a root that is not the stored
// tree's, or a size the log never reached, is refused (ErrAuditRoot).
func TestResumeLogAudit(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, kind)
			record(t, s, 450) // 300 entries: a full level-0 tile and a partial one
			first := store.NewLogAudit()
			if ms, err := s.Audit(ctx, first, 299, nil); err != nil || len(ms) != 0 {
				t.Fatalf("first 299: %v %v", ms, err)
			}
			record(t, s, 300) // the tiles of size 299 grow, at both levels
			size := s.LogHead().Size
			var wrong tlog.Hash
			wrong[0] = 1
			for _, tc := range []struct {
				name string
				size int64
				root tlog.Hash
				ok   bool
			}{
				{"checked earlier", 299, first.Root(), true},
				{"the empty log", 0, tlog.EmptyRoot, true},
				{"another root", 299, wrong, false},
				{"beyond the log", size + 1, first.Root(), false},
			} {
				a, err := s.ResumeLogAudit(ctx, tc.size, tc.root)
				if !tc.ok {
					if !errors.Is(err, store.ErrAuditRoot) {
						t.Errorf("%s: %v, want ErrAuditRoot", tc.name, err)
					}
					continue
				}
				if err != nil || a.Checked() != tc.size {
					t.Fatalf("%s: %v, checked %d", tc.name, err, a.Checked())
				}
				var read int64
				ms, err := s.Audit(ctx, a, size, func(tx *store.Tx, first int64, entries [][]byte) error {
					read += int64(len(entries))
					return nil
				})
				if err != nil || len(ms) != 0 || read != size-tc.size {
					t.Errorf("%s: the rest: %v %v, read %d of %d", tc.name, ms, err, read, size-tc.size)
				}
			}
		})
	}
}
