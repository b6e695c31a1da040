package service_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/internal/serveproc"
	"github.com/oversight-dev/oversight/keydir"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// checkpointWorld is a useWorld whose restarts keep verified checkpoints
// in a keys directory, as serve does.
type checkpointWorld struct {
	*useWorld
	dsn  string
	keys *keydir.Dir
}

// restart opens the database again with a new service that keeps its
// checkpoints in keys, and runs the check it runs at start; log receives
// the service's log.
func (c *checkpointWorld) restart(t *testing.T, keys *keydir.Dir, log *serveproc.Buffer) (*service.Service, *service.IntegrityReport) {
	t.Helper()
	secrets, err := keys.Load(keydir.Options{DefaultLogOrigin: "test.example/log"})
	c.check(err)
	svc, err := service.New(t.Context(), storetest.OpenDSN(t, c.dsn), service.Options{Logger: slog.New(slog.NewTextHandler(log, nil)),
		Now: c.clock.now, Checkpoints: keys, IntegrityKey: secrets.IntegrityKey})
	c.check(err)
	rep, err := svc.CheckIntegrity(t.Context())
	c.check(err)
	return svc, rep
}

func (c *checkpointWorld) logSize(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The check at start resumes from the verified checkpoint the last clean
// check recorded in the keys directory, and still refuses whatever the
// log does not support (issue: a server on a large log serves within
// seconds of its start). A world checks clean once, which records a
// checkpoint; then, after more changes, something is edited behind the
// server's back and the server restarts:
//
//   - nothing edited: it resumes from the checkpoint, reads only the
//     entries after it, and the background check of those before it finds
//     nothing;
//   - licence rows edited, one whose latest entry is before the checkpoint
//     and one whose latest is after: both are caught at start, before
//     anything is served;
//   - an entry before the checkpoint edited: the start takes it on the
//     checkpoint's word, the background check catches it and taints its
//     licence;
//   - the checkpoint edited, or replaced by one another key made: its MAC
//     is wrong, and the whole log is checked at start, catching the row
//     edited to match it;
//   - a tile edited, so that the stored tree no longer has the
//     checkpoint's root: the whole log is checked at start, naming the
//     entry whose hash the tile no longer holds.
func TestIntegrityCheckpoint(t *testing.T) {
	type outcome struct {
		fromCheckpoint bool     // the start resumed from the checkpoint
		atStart        []string // mismatches the check at start finds (substrings, all)
		refusedLog     string   // the warning when the checkpoint is refused
		background     []string // mismatches the background check finds
		tainted        []string // "lic", "lic2": tainted after both checks
	}
	cases := []struct {
		name string
		edit func(t *testing.T, c *checkpointWorld, db *sql.DB, size int64) outcome
	}{
		{"nothing edited", func(t *testing.T, c *checkpointWorld, db *sql.DB, size int64) outcome {
			return outcome{fromCheckpoint: true}
		}},
		{"rows edited, before and after the checkpoint", func(t *testing.T, c *checkpointWorld, db *sql.DB, size int64) outcome {
			setDocField(t, db, "licenses", c.lic2.ID, "status", "active") // revoked before the checkpoint
			setDocField(t, db, "licenses", c.lic.ID, "status", "active")  // suspended after it
			return outcome{fromCheckpoint: true, atStart: []string{
				"licence " + c.lic2.ID + ": stored status active; the log says revoked",
				"licence " + c.lic.ID + ": stored status active; the log says suspended",
			}, tainted: []string{c.lic.ID, c.lic2.ID}}
		}},
		{"permit count lowered, its permits before the checkpoint", func(t *testing.T, c *checkpointWorld, db *sql.DB, size int64) outcome {
			// lic's 3 permits are before the checkpoint; lic2's decision
			// after it, a deny (revoked), counts none.
			if _, err := db.Exec(`UPDATE permit_counts SET issued = issued - 2 WHERE license_id = $1`, c.lic.ID); err != nil {
				t.Fatal(err)
			}
			return outcome{fromCheckpoint: true, atStart: []string{
				"permits " + c.lic.ID + ": stored count of 1 permits issued; the log records 3",
			}, tainted: []string{c.lic.ID}}
		}},
		{"permit count deleted", func(t *testing.T, c *checkpointWorld, db *sql.DB, size int64) outcome {
			if _, err := db.Exec(`DELETE FROM permit_counts WHERE license_id = $1`, c.lic.ID); err != nil {
				t.Fatal(err)
			}
			return outcome{fromCheckpoint: true, atStart: []string{
				"permits " + c.lic.ID + ": the log records 3 permits, but the database has no count of them",
			}, tainted: []string{c.lic.ID}}
		}},
		{"entry edited before the checkpoint", func(t *testing.T, c *checkpointWorld, db *sql.DB, size int64) outcome {
			idx := editEntry(t, db, c.lic2.ID, oversight.EventLicenseStatus, `"to":"revoked"`, `"to":"suspended"`)
			if idx >= size {
				t.Fatalf("entry %d is not before the checkpoint of size %d", idx, size)
			}
			return outcome{fromCheckpoint: true, background: []string{fmt.Sprintf("entry %d: the stored entry hashes to", idx)},
				tainted: []string{c.lic2.ID}}
		}},
		{"checkpoint edited", func(t *testing.T, c *checkpointWorld, db *sql.DB, size int64) outcome {
			file := filepath.Join(c.keys.Path(), keydir.IntegrityCheckpointFile)
			b, err := os.ReadFile(file)
			c.check(err)
			var sealed struct {
				Record map[string]any  `json:"record"`
				MAC    json.RawMessage `json:"mac"`
			}
			c.check(json.Unmarshal(b, &sealed))
			state := sealed.Record["state"].(map[string]any)
			state["licenses"].(map[string]any)[c.lic2.ID].(map[string]any)["status"] = "active"
			b, err = json.Marshal(sealed)
			c.check(err)
			c.check(os.WriteFile(file, b, 0o600))
			setDocField(t, db, "licenses", c.lic2.ID, "status", "active")
			return outcome{atStart: []string{"licence " + c.lic2.ID + ": stored status active; the log says revoked"},
				refusedLog: "its MAC is wrong", tainted: []string{c.lic2.ID}}
		}},
		{"checkpoint made with another key", func(t *testing.T, c *checkpointWorld, db *sql.DB, size int64) outcome {
			other, err := keydir.Open(filepath.Join(t.TempDir(), "other-keys"))
			c.check(err)
			c.restart(t, other, &serveproc.Buffer{})
			b, err := other.IntegrityCheckpoint()
			c.check(err)
			c.check(os.Remove(filepath.Join(c.keys.Path(), keydir.IntegrityCheckpointFile)))
			c.check(c.keys.SaveIntegrityCheckpoint(b))
			return outcome{refusedLog: "its MAC is wrong"}
		}},
		{"tile edited: root not the checkpoint's", func(t *testing.T, c *checkpointWorld, db *sql.DB, size int64) outcome {
			var tile []byte
			c.check(db.QueryRow(`SELECT hashes FROM tiles WHERE level = 0 AND idx = 0`).Scan(&tile))
			tile[5*32] ^= 1 // the leaf hash of entry 5
			if _, err := db.Exec(`UPDATE tiles SET hashes = $1 WHERE level = 0 AND idx = 0`, tile); err != nil {
				t.Fatal(err)
			}
			return outcome{atStart: []string{"entry 5: the stored entry hashes to"}, refusedLog: "the stored tree does not have the recorded root"}
		}},
	}
	for _, kind := range storetest.Kinds {
		for _, tc := range cases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				dsn := storetest.DSN(t, kind)
				w := newUseWorld(t, storetest.OpenDSN(t, dsn), useOptions{})
				keys, err := keydir.Open(filepath.Join(t.TempDir(), "keys"))
				w.check(err)
				c := &checkpointWorld{useWorld: w, dsn: dsn, keys: keys}
				for range 3 {
					w.authorize(w.dep, request(w.dep))
				}
				a, err := w.svc.RequestAction(w.ctx, w.defense2, w.lic2.ID, &oversight.ActionRequest{Kind: oversight.ActionRevoke, Reason: "misuse confirmed"})
				w.check(err)
				_, err = w.svc.ApproveAction(w.ctx, w.foreign, a.ID, &oversight.ActionApprovalRequest{Decision: "approve"})
				w.check(err)

				// The first start with a keys directory checks the whole
				// log and records a checkpoint.
				var log serveproc.Buffer
				_, rep := c.restart(t, keys, &log)
				if rep.FromCheckpoint != 0 || len(rep.New) != 0 || !strings.Contains(log.String(), "no verified integrity checkpoint yet") {
					t.Fatalf("first start: %+v\n%s", rep, log.String())
				}
				size := rep.Checked
				if b, err := keys.IntegrityCheckpoint(); err != nil || b == nil {
					t.Fatalf("no checkpoint recorded: %v", err)
				}
				// Changes after it: a suspension and a decision.
				_, err = w.svc.RequestAction(w.ctx, w.defense, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "inquiry"})
				w.check(err)
				w.authorize(w.dep2, request(w.dep2))

				db := storetest.BehindTheBack(t, dsn)
				want := tc.edit(t, c, db, size)
				total := c.logSize(t, db)

				log = serveproc.Buffer{}
				svc, rep := c.restart(t, keys, &log)
				if want.fromCheckpoint {
					if rep.FromCheckpoint != size || rep.Read != total-size || rep.Pending != size {
						t.Errorf("start: resumed from %d, read %d, %d pending; want from %d, read %d, %d pending\n%s",
							rep.FromCheckpoint, rep.Read, rep.Pending, size, total-size, size, log.String())
					}
				} else if rep.FromCheckpoint != 0 || rep.Read != total || rep.Pending != 0 || !strings.Contains(log.String(), want.refusedLog) {
					t.Errorf("start: resumed from %d, read %d, %d pending; want the whole log (%d) read after a warning %q:\n%s",
						rep.FromCheckpoint, rep.Read, rep.Pending, total, want.refusedLog, log.String())
				}
				has := func(when string, got []service.IntegrityMismatch, want []string) {
					t.Helper()
					var s []string
					for _, m := range got {
						s = append(s, m.String())
					}
					all := strings.Join(s, "\n")
					if len(want) == 0 && len(got) != 0 {
						t.Errorf("%s: unexpected mismatches:\n%s", when, all)
					}
					for _, w := range want {
						if !strings.Contains(all, w) {
							t.Errorf("%s: mismatches lack %q:\n%s", when, w, all)
						}
					}
				}
				has("at start", rep.New, want.atStart)
				if len(want.atStart) > 0 {
					// Refused before anything is served.
					if err := svc.Ready(w.ctx); oversight.ErrorCode(err) != oversight.EINTEGRITY {
						t.Errorf("ready after the check at start: %v", err)
					}
				} else if err := svc.Ready(w.ctx); err != nil {
					t.Errorf("ready after the check at start: %v", err)
				}

				bg, err := svc.CheckCheckpointed(w.ctx)
				w.check(err)
				wantRead := int64(0)
				if want.fromCheckpoint {
					wantRead = size
				}
				if bg.Read != wantRead || bg.Pending != 0 || svc.IntegrityPending() != 0 {
					t.Errorf("background check read %d, %d pending; want %d, 0", bg.Read, bg.Pending, wantRead)
				}
				has("in the background", bg.New, want.background)
				if strings.Join(bg.Tainted, " ") != strings.Join(slices.Sorted(slices.Values(want.tainted)), " ") {
					t.Errorf("tainted %v, want %v", bg.Tainted, want.tainted)
				}
				for _, d := range []*oversight.Deployment{w.dep, w.dep2} {
					if slices.Contains(want.tainted, d.LicenseID) {
						_, err := svc.IssueLease(w.ctx, w.nonce(d))
						wantIntegrity(t, err, d.LicenseID)
					}
				}
				if len(want.background) > 0 && oversight.ErrorCode(svc.Ready(w.ctx)) != oversight.EINTEGRITY {
					t.Errorf("ready after the background check: %v", svc.Ready(w.ctx))
				}
				if again, err := svc.CheckCheckpointed(w.ctx); err != nil || again.Read != 0 || len(again.New) != 0 {
					t.Errorf("a second background check: %+v, %v", again, err)
				}
			})
		}
	}
}

// editEntry replaces old by new in the latest entry of type typ about
// subject, in the log's bytes only, and returns its index.
func editEntry(t *testing.T, db *sql.DB, subject, typ, old, new string) int64 {
	t.Helper()
	var idx int64
	var entry []byte
	if err := db.QueryRow(`SELECT idx, entry FROM events WHERE subject = $1 AND type = $2 ORDER BY idx DESC LIMIT 1`, subject, typ).Scan(&idx, &entry); err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(entry, []byte(old), []byte(new), 1)
	if bytes.Equal(edited, entry) {
		t.Fatalf("entry %d lacks %s: %s", idx, old, entry)
	}
	if _, err := db.Exec(`UPDATE events SET entry = $2 WHERE idx = $1`, idx, edited); err != nil {
		t.Fatal(err)
	}
	return idx
}

// The background check of the entries before the checkpoint runs beside
// decisions, scheduled checks and readiness probes, as in serve: nothing
// disagrees, nothing waits for it, and it shares no state unguarded (run
// with -race).
func TestIntegrityCheckpointBesideTheService(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			dsn := storetest.DSN(t, kind)
			w := newUseWorld(t, storetest.OpenDSN(t, dsn), useOptions{maxActive: 1000})
			keys, err := keydir.Open(filepath.Join(t.TempDir(), "keys"))
			w.check(err)
			c := &checkpointWorld{useWorld: w, dsn: dsn, keys: keys}
			for range 20 {
				w.authorize(w.dep, request(w.dep))
			}
			c.restart(t, keys, &serveproc.Buffer{})
			var log serveproc.Buffer
			svc, rep := c.restart(t, keys, &log)
			if rep.FromCheckpoint == 0 {
				t.Fatalf("did not resume:\n%s", log.String())
			}
			done := make(chan *service.IntegrityReport, 1)
			go func() {
				bg, err := svc.CheckCheckpointed(w.ctx)
				if err != nil {
					t.Error(err)
				}
				done <- bg
			}()
			for i := 0; ; i++ {
				if _, err := svc.Authorize(w.ctx, w.dep, w.nonce(w.dep), request(w.dep)); err != nil {
					t.Fatal(err)
				}
				if rep, err := svc.CheckIntegrity(w.ctx); err != nil || len(rep.New) != 0 {
					t.Fatalf("scheduled check %d: %+v %v", i, rep, err)
				}
				if err := svc.Ready(w.ctx); err != nil {
					t.Fatal(err)
				}
				select {
				case bg := <-done:
					if bg == nil || bg.Read != rep.FromCheckpoint || len(bg.New) != 0 {
						t.Fatalf("background check: %+v", bg)
					}
					return
				default:
				}
			}
		})
	}
}
