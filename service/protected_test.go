package service_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

func TestParseProtectedList(t *testing.T) {
	good := target("a")
	for _, tc := range []struct {
		desc   string
		in     string
		want   int
		fields []string
	}{
		{"empty", "", 0, nil},
		{"comments and blanks", "# journalists, 2026\n\n" + good + "\r\n  " + strings.ToUpper(target("b")) + "  \n", 2, nil},
		{"repeats kept", good + "\n" + good + "\n", 2, nil},
		{"short line", good + "\nabc\n", 0, []string{"line 2"}},
		{"non-hex", strings.Repeat("g", 64) + "\n" + good, 0, []string{"line 1"}},
		{"several", "x\n" + good + "\ny\n\nz", 0, []string{"line 1", "line 3", "line 5"}},
		{"two on a line", good + " " + good, 0, []string{"line 1"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := service.ParseProtectedList([]byte(tc.in))
			if tc.fields == nil {
				if err != nil || len(got) != tc.want {
					t.Fatalf("got %d hashes, %v; want %d", len(got), err, tc.want)
				}
				for _, h := range got {
					if h != strings.ToLower(h) {
						t.Errorf("hash %s not in lower case", h)
					}
				}
				return
			}
			var de *oversight.Error
			if !errors.As(err, &de) || de.Code != oversight.EINVALID {
				t.Fatalf("err %v, want invalid", err)
			}
			var fields []string
			for _, f := range de.Fields {
				fields = append(fields, f.Field)
			}
			if fmt.Sprint(fields) != fmt.Sprint(tc.fields) {
				t.Errorf("fields %v, want %v", fields, tc.fields)
			}
		})
	}
}

func TestImportProtected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		var list strings.Builder
		for i := range 500 {
			fmt.Fprintln(&list, target(fmt.Sprint("journalist ", i)))
		}
		in := list.String() + target("journalist 7") + "\n" // a repeat
		res, err := w.svc.ImportProtected(w.ctx, w.defense, oversight.ProtectedJournalist, []byte(in))
		w.check(err)
		if res.Received != 501 || res.Added != 500 || res.Present != 1 || res.LogIndex == nil {
			t.Fatalf("first import %+v, want 501 received, 500 added, 1 present", res)
		}
		ev := w.event(*res.LogIndex)
		if ev.Type != oversight.EventProtectedAdded || !strings.Contains(string(ev.Payload), `"added":500`) ||
			strings.Contains(string(ev.Payload), target("journalist 7")) {
			t.Errorf("import event %+v", ev)
		}
		// Again: nothing new, no event.
		res, err = w.svc.ImportProtected(w.ctx, w.foreign, oversight.ProtectedDiplomat, []byte(in))
		w.check(err)
		if res.Added != 0 || res.Present != 501 || res.LogIndex != nil {
			t.Fatalf("second import %+v, want nothing added", res)
		}
		// A malformed line refuses the whole list.
		bad := target("new 1") + "\n" + target("new 2")[:63] + "\n"
		_, err = w.svc.ImportProtected(w.ctx, w.defense, oversight.ProtectedJournalist, []byte(bad))
		if !strings.Contains(fmt.Sprint(err), "line 2") {
			t.Fatalf("bad list: %v, want an error naming line 2", err)
		}
		w.check(st.View(w.ctx, func(tx *store.Tx) error {
			n, err := tx.CountProtected()
			if n != 500 {
				t.Errorf("%d entries on the register, want 500", n)
			}
			pp, err2 := tx.Protected(strings.ToUpper(target("journalist 7")))
			if pp == nil || pp.Category != oversight.ProtectedJournalist {
				t.Errorf("entry %+v, want a journalist", pp)
			}
			return errors.Join(err, err2)
		}))
		// Only the ministries keep the register.
		for _, p := range []*oversight.Principal{w.admin, w.vendor, w.agency} {
			if _, err := w.svc.ImportProtected(w.ctx, p, oversight.ProtectedJournalist, []byte(in)); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
				t.Errorf("import as %s: %v, want forbidden", p.Role, err)
			}
			if _, _, err := w.svc.AddProtected(w.ctx, p, &oversight.ProtectedRegistration{IDHash: target("x"), Category: "other"}); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
				t.Errorf("add as %s: %v, want forbidden", p.Role, err)
			}
		}
		if _, err := w.svc.ImportProtected(w.ctx, w.defense, "celebrity", []byte(in)); oversight.ErrorCode(err) != oversight.EINVALID {
			t.Errorf("unknown category: %v, want invalid", err)
		}
	})
}

func TestAddProtectedIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		h := target("ambassador")
		first, added, err := w.svc.AddProtected(w.ctx, w.foreign, &oversight.ProtectedRegistration{IDHash: h, Category: oversight.ProtectedDiplomat})
		w.check(err)
		if !added {
			t.Fatal("first add not added")
		}
		again, added, err := w.svc.AddProtected(w.ctx, w.defense, &oversight.ProtectedRegistration{IDHash: strings.ToUpper(h), Category: oversight.ProtectedOther})
		w.check(err)
		if added || again.Category != oversight.ProtectedDiplomat || again.LogIndex != first.LogIndex || !again.AddedAt.Equal(first.AddedAt) {
			t.Errorf("second add %+v (added %v), want the first entry %+v", again, added, first)
		}
		_, _, err = w.svc.AddProtected(w.ctx, w.foreign, &oversight.ProtectedRegistration{IDHash: "12ab", Category: "spy"})
		var de *oversight.Error
		if !errors.As(err, &de) || len(de.Fields) != 2 {
			t.Errorf("bad registration: %v, want id_hash and category named", err)
		}
	})
}
