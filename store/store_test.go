package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// The conformance suite: every test runs against SQLite and PostgreSQL.

func newVendor(name string) *oversight.Vendor {
	return &oversight.Vendor{ID: oversight.NewID(oversight.PrefixVendor), Name: name, Country: "IL",
		Persons: []oversight.Person{{Identity: oversight.Identity{Name: "Ayelet Karmon"}, Role: oversight.PersonOwner, Share: 60}}, CreatedAt: time.Now().UTC()}
}

func TestUpdateRecordsEventInSameTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		v := newVendor("Nimbus Cyber Ltd")
		var idx int64
		err := s.Update(ctx, func(tx *store.Tx) error {
			if err := tx.CreateVendor(v); err != nil {
				return err
			}
			var err error
			idx, err = tx.Record(oversight.EventVendorRegistered, "admin:tok_1", v.ID, time.Now(), v)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if idx != 0 {
			t.Errorf("first event index = %d, want 0", idx)
		}
		err = s.View(ctx, func(tx *store.Tx) error {
			got, err := tx.Vendor(v.ID)
			if err != nil {
				return err
			}
			if got.Name != v.Name || len(got.Persons) != 1 {
				t.Errorf("Vendor = %+v, want %+v", got, v)
			}
			ev, err := tx.Event(idx)
			if err != nil {
				return err
			}
			if ev.Type != oversight.EventVendorRegistered || ev.Subject != v.ID || ev.Actor != "admin:tok_1" {
				t.Errorf("Event = %+v", ev)
			}
			n, err := tx.LogSize()
			if n != 1 {
				t.Errorf("LogSize = %d, want 1", n)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// A failing update in a batch leaves no trace, and does not undo the others.
func TestUpdateFailureIsIsolated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const n = 120
		var wg sync.WaitGroup
		errs := make([]error, n)
		ids := make([]string, n)
		indexes := make([]int64, n)
		boom := errors.New("boom")
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := newVendor(fmt.Sprintf("Vendor %d", i))
				ids[i] = v.ID
				errs[i] = s.Update(ctx, func(tx *store.Tx) error {
					if err := tx.CreateVendor(v); err != nil {
						return err
					}
					var err error
					if indexes[i], err = tx.Record(oversight.EventVendorRegistered, "admin:t", v.ID, time.Now(), v); err != nil {
						return err
					}
					switch i % 3 {
					case 1:
						return boom // after writing: must be rolled back
					case 2:
						if i%2 == 0 {
							panic("bad request") // must not take the batch down
						}
					}
					return nil
				})
			}()
		}
		wg.Wait()
		var okIdx []int64
		for i := range n {
			fails := i%3 == 1 || (i%3 == 2 && i%2 == 0)
			if fails && errs[i] == nil {
				t.Errorf("update %d: want error", i)
			}
			if !fails && errs[i] != nil {
				t.Errorf("update %d: %v", i, errs[i])
			}
			if !fails {
				okIdx = append(okIdx, indexes[i])
			}
			err := s.View(ctx, func(tx *store.Tx) error {
				_, err := tx.Vendor(ids[i])
				return err
			})
			if fails && oversight.ErrorCode(err) != oversight.ENOTFOUND {
				t.Errorf("vendor of failed update %d: err = %v, want not found", i, err)
			}
			if !fails && err != nil {
				t.Errorf("vendor of update %d: %v", i, err)
			}
		}
		// The committed events are exactly 0..len(ok)-1: no holes left by
		// rolled-back appends.
		sort.Slice(okIdx, func(a, b int) bool { return okIdx[a] < okIdx[b] })
		for i, x := range okIdx {
			if x != int64(i) {
				t.Fatalf("committed indexes = %v, want 0..%d without holes", okIdx, len(okIdx)-1)
			}
		}
		s.View(ctx, func(tx *store.Tx) error {
			size, _ := tx.LogSize()
			if size != int64(len(okIdx)) {
				t.Errorf("LogSize = %d, want %d", size, len(okIdx))
			}
			return nil
		})
	})
}

func TestCountriesSeeded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		s.View(context.Background(), func(tx *store.Tx) error {
			cs, err := tx.Countries("")
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 249 {
				t.Errorf("%d countries, want 249", len(cs))
			}
			c, err := tx.Country("GB")
			if err != nil || c.Name != "United Kingdom" || c.CallingCode != "+44" || c.Tier != oversight.TierUnassessed {
				t.Errorf("Country(GB) = %+v, %v", c, err)
			}
			return nil
		})
	})
}

func TestPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var want []string
		for i := range 7 {
			v := newVendor(fmt.Sprintf("V%d", i))
			want = append(want, v.ID)
			if err := s.Update(ctx, func(tx *store.Tx) error { return tx.CreateVendor(v) }); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond) // ids order by millisecond
		}
		var got []string
		page := oversight.Page{Limit: 3}
		for {
			var next string
			s.View(ctx, func(tx *store.Tx) error {
				vs, n, err := tx.Vendors(page)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range vs {
					got = append(got, v.ID)
				}
				next = n
				return nil
			})
			if next == "" {
				break
			}
			page.After = next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("paged ids = %v, want %v", got, want)
		}
	})
}

func TestUsersAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		v := &oversight.Vendor{ID: oversight.NewID(oversight.PrefixVendor), Name: "Kestrel", CreatedAt: now}
		u := &oversight.User{ID: oversight.NewID(oversight.PrefixUser), Name: "Rina Tal", Role: oversight.RoleVendor, VendorID: v.ID, CreatedAt: now}
		tok := &oversight.Token{ID: oversight.NewID(oversight.PrefixToken), UserID: u.ID, Hash: []byte("0123456789abcdef0123456789abcdef"),
			CreatedAt: now, ExpiresAt: now.Add(time.Hour), Principal: u.Principal()}
		err := s.Update(ctx, func(tx *store.Tx) error {
			if err := tx.CreateVendor(v); err != nil {
				return err
			}
			if err := tx.CreateUser(u); err != nil {
				return err
			}
			return tx.CreateToken(tok)
		})
		if err != nil {
			t.Fatal(err)
		}
		// One person is one user, whatever the case and the spaces.
		twin := &oversight.User{ID: oversight.NewID(oversight.PrefixUser), Name: " rina  TAL", Role: oversight.RoleConsular, CreatedAt: now}
		err = s.Update(ctx, func(tx *store.Tx) error { return tx.CreateUser(twin) })
		if oversight.ErrorCode(err) != oversight.ECONFLICT {
			t.Errorf("CreateUser(%q) after %q: err = %v, want conflict", twin.Name, u.Name, err)
		}
		s.View(ctx, func(tx *store.Tx) error {
			got, err := tx.TokenByHash(tok.Hash)
			if err != nil {
				t.Fatal(err)
			}
			if got.Principal.Role != oversight.RoleVendor || got.Principal.VendorID != v.ID || got.Principal.TokenID != tok.ID ||
				got.Principal.UserID != u.ID || got.Principal.Name != "Rina Tal" || !got.ExpiresAt.Equal(tok.ExpiresAt) || got.RevokedAt != nil {
				t.Errorf("TokenByHash = %+v", got)
			}
			if _, err := tx.TokenByHash([]byte("nope")); oversight.ErrorCode(err) != oversight.EUNAUTHORIZED {
				t.Errorf("unknown token: err = %v, want unauthorized", err)
			}
			return nil
		})
		if err := s.Update(ctx, func(tx *store.Tx) error { return tx.RevokeToken(tok.ID, now) }); err != nil {
			t.Fatal(err)
		}
		s.View(ctx, func(tx *store.Tx) error {
			l, _, err := tx.Tokens(u.ID, oversight.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(l) != 1 || l[0].RevokedAt == nil || !l[0].RevokedAt.Equal(now) {
				t.Errorf("Tokens after revoking = %+v", l)
			}
			return nil
		})
	})
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@db:5432/o?sslmode=disable": "postgres://u:xxxxx@db:5432/o?sslmode=disable",
		"postgres://u@db/o":                             "postgres://u@db/o",
		"data/oversight.db":                             "data/oversight.db",
	} {
		if got := store.RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// A new SQLite database and its WAL are readable by their owner alone:
// they hold personal data and token hashes.
func TestSQLiteFilesPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "o.db")
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(context.Background(), func(tx *store.Tx) error { return tx.CreateVendor(newVendor("Mode Test")) }); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
	}
}
