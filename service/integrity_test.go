package service_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// setDocField sets one top-level member of a row's JSON document, and the
// column of the same name if there is one, as an attacker with the
// database would.
func setDocField(t *testing.T, db *sql.DB, table, id, field string, value any) {
	t.Helper()
	var doc string
	if err := db.QueryRow(`SELECT doc FROM `+table+` WHERE id = $1`, id).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	m[field] = value
	b, _ := json.Marshal(m)
	q := `UPDATE ` + table + ` SET doc = $2 WHERE id = $1`
	if field == "status" {
		q = `UPDATE ` + table + ` SET doc = $2, status = $3 WHERE id = $1`
		if _, err := db.Exec(q, id, string(b), value); err != nil {
			t.Fatal(err)
		}
		return
	}
	if _, err := db.Exec(q, id, string(b)); err != nil {
		t.Fatal(err)
	}
}

// restart opens the database again with a new service, as a restarted
// server does, and runs the check it runs at start.
func restart(t *testing.T, w *useWorld, dsn string) (*service.Service, *service.IntegrityReport) {
	t.Helper()
	svc, err := service.New(t.Context(), storetest.OpenDSN(t, dsn), service.Options{Logger: slog.New(slog.DiscardHandler), Now: w.clock.now})
	w.check(err)
	rep, err := svc.CheckIntegrity(t.Context())
	w.check(err)
	return svc, rep
}

// The server notices a database edited behind its back (issue 12 point
// 3). A world with decisions, a restriction and a revocation checks
// clean; then a revoked licence set back to active in the database, at
// the next check or after a restart, gets no lease and no decision, with
// a problem saying why, and makes the service not ready; the other
// licence is untouched. An edited entry, an edited operation and a
// deployment's key swapped are each found, naming what disagrees.
func TestIntegrityEditedBehindTheBack(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			dsn := storetest.DSN(t, kind)
			w := newUseWorld(t, storetest.OpenDSN(t, dsn), useOptions{})
			for range 3 {
				w.authorize(w.dep, request(w.dep))
			}
			r := request(w.dep)
			r.Target.CountryCode = "+1" // blocked by the licence
			if d := w.authorize(w.dep, r); d.Decision != oversight.Deny {
				t.Fatalf("want a deny to edit later: %+v", d)
			}
			_, err := w.svc.RequestAction(w.ctx, w.defense, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionRestrict, Reason: "terrorism and serious crime only",
				Restriction: &oversight.Restriction{Purposes: []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime}}})
			w.check(err)
			a, err := w.svc.RequestAction(w.ctx, w.defense2, w.lic2.ID, &oversight.ActionRequest{Kind: oversight.ActionRevoke, Reason: "misuse confirmed"})
			w.check(err)
			_, err = w.svc.ApproveAction(w.ctx, w.foreign, a.ID, &oversight.ActionApprovalRequest{Decision: "approve"})
			w.check(err)

			rep, err := w.svc.CheckIntegrity(w.ctx)
			w.check(err)
			if len(rep.New) != 0 || len(rep.Tainted) != 0 || rep.Checked == 0 || w.svc.Ready(w.ctx) != nil {
				t.Fatalf("a world the server made disagrees with its log: %+v, ready %v", rep, w.svc.Ready(w.ctx))
			}
			if _, err := w.svc.IssueLease(w.ctx, w.nonce(w.dep2)); oversight.ErrorCode(err) != oversight.ECONFLICT {
				t.Fatalf("lease of the revoked licence: %v", err)
			}

			// The revoked licence set back to active, column and document.
			db := storetest.BehindTheBack(t, dsn)
			setDocField(t, db, "licenses", w.lic2.ID, "status", "active")
			if _, err := w.svc.IssueLease(w.ctx, w.nonce(w.dep2)); err != nil {
				t.Fatalf("before the check the edit takes (the defect the check catches): %v", err)
			}
			rep, err = w.svc.CheckIntegrity(w.ctx)
			w.check(err)
			if len(rep.New) != 1 || rep.New[0].Kind != "licence" || rep.New[0].ID != w.lic2.ID ||
				!strings.Contains(rep.New[0].Detail, "stored status active; the log says revoked") {
				t.Fatalf("check after the edit: %+v", rep.New)
			}
			refused := func(svc *service.Service) {
				t.Helper()
				_, err := svc.IssueLease(w.ctx, w.nonce(w.dep2))
				wantIntegrity(t, err, w.lic2.ID)
				_, err = svc.Authorize(w.ctx, w.dep2, w.nonce(w.dep2), request(w.dep2))
				wantIntegrity(t, err, w.lic2.ID)
				if _, err := svc.IssueLease(w.ctx, w.nonce(w.dep)); err != nil {
					t.Errorf("the other licence is refused too: %v", err)
				}
				if _, err := svc.Authorize(w.ctx, w.dep, w.nonce(w.dep), request(w.dep)); err != nil {
					t.Errorf("the other licence gets no decision: %v", err)
				}
				err = svc.Ready(w.ctx)
				if oversight.ErrorCode(err) != oversight.EINTEGRITY || !strings.Contains(err.Error(), w.lic2.ID) {
					t.Errorf("ready: %v", err)
				}
				if n := svc.IntegrityMismatches(); n != 1 {
					t.Errorf("%d mismatches counted, want 1", n)
				}
			}
			refused(w.svc)
			// Found once: the next check reports nothing new.
			if rep, err = w.svc.CheckIntegrity(w.ctx); err != nil || len(rep.New) != 0 {
				t.Fatalf("second check: %+v %v", rep, err)
			}
			// A restarted server refuses it from the start.
			svc, _ := restart(t, w, dsn)
			refused(svc)

			// An entry edited: the licence's revocation made into a
			// suspension, in the log's bytes only.
			setDocField(t, db, "licenses", w.lic2.ID, "status", "revoked")
			idx := editEntry(t, db, w.lic2.ID, oversight.EventLicenseStatus, `"to":"revoked"`, `"to":"suspended"`)
			// An operation's deny made a permit, and a deployment's key
			// swapped for one its attacker holds.
			var opID string
			if err := db.QueryRow(`SELECT id FROM operations WHERE decision = 'deny' AND license_id = $1`, w.lic.ID).Scan(&opID); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE operations SET decision = 'permit' WHERE id = $1`, opID); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE deployments SET public_key = 'AAAA' WHERE id = $1`, w.dep.ID); err != nil {
				t.Fatal(err)
			}
			svc, rep = restart(t, w, dsn)
			var got []string
			for _, m := range rep.New {
				got = append(got, m.String())
			}
			want := []string{
				fmt.Sprintf("entry %d: the stored entry hashes to", idx),
				"operation " + opID + ": stored decision permit; its log entry",
				"deployment " + w.dep.ID + ": its stored public key is not the one",
			}
			for _, s := range want {
				if !strings.Contains(strings.Join(got, "\n"), s) {
					t.Errorf("mismatches lack %q:\n%s", s, strings.Join(got, "\n"))
				}
			}
			for _, d := range []*oversight.Deployment{w.dep, w.dep2} {
				_, err := svc.IssueLease(w.ctx, w.nonce(d))
				wantIntegrity(t, err, d.LicenseID)
			}
		})
	}
}

func wantIntegrity(t *testing.T, err error, licenseID string) {
	t.Helper()
	wantCode(t, err, oversight.EINTEGRITY, "unverified")
	if err != nil && !strings.Contains(err.Error(), "licence "+licenseID+": its stored state disagrees with the audit log") {
		t.Errorf("want a refusal naming %s, got %v", licenseID, err)
	}
}

// Changes committed while the check runs are not mismatches: the rows it
// compares are read in one snapshot with the log's size (on PostgreSQL,
// whose READ COMMITTED would otherwise show rows newer than the size, a
// licence suspended a moment ago looked edited).
func TestIntegrityUnderConcurrentChanges(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			w := newUseWorld(t, storetest.Open(t, kind), useOptions{maxActive: 1000})
			stop := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				defer close(done)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := w.svc.Authorize(w.ctx, w.dep, w.nonce(w.dep), request(w.dep)); err != nil {
						done <- err
						return
					}
					if _, err := w.svc.RequestAction(w.ctx, w.defense, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "check"}); err != nil {
						done <- err
						return
					}
					a, err := w.svc.RequestAction(w.ctx, w.defense2, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionReinstate, Reason: "checked"})
					if err == nil {
						_, err = w.svc.ApproveAction(w.ctx, w.foreign, a.ID, &oversight.ActionApprovalRequest{Decision: "approve"})
					}
					if err != nil {
						done <- err
						return
					}
				}
			}()
			for range 30 {
				rep, err := w.svc.CheckIntegrity(w.ctx)
				if err != nil || len(rep.New) != 0 {
					close(stop)
					t.Fatalf("check while the licence changes: %v %v", rep.New, err)
				}
			}
			close(stop)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A licence's count of permits, which its decisions read their quota
// from, is compared with its permits in the log: a count edited so that
// the licence could exceed its quota, or deleted, is caught at start and
// taints the licence; an untouched world passes. Each edit is undone
// before the next.
func TestIntegrityPermitCounts(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"issued lowered", `UPDATE permit_counts SET issued = issued - 2 WHERE license_id = $1`,
			"stored count of 1 permits issued; the log records 3"},
		{"expired raised", `UPDATE permit_counts SET expired = expired + 2 WHERE license_id = $1`,
			"stored count of 2 permits expired; its permits give 0"},
		{"swept into the future", `UPDATE permit_counts SET swept_to = 9000000000000000, expired = issued, next_expiry = NULL WHERE license_id = $1`,
			"stored as swept to a time after the licence's latest logged decision"},
		{"next expiry moved", `UPDATE permit_counts SET next_expiry = NULL WHERE license_id = $1`,
			"stored next expiry is not its earliest unexpired permit's"},
		{"row deleted", `DELETE FROM permit_counts WHERE license_id = $1`,
			"the log records 3 permits, but the database has no count of them"},
	}
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			dsn := storetest.DSN(t, kind)
			w := newUseWorld(t, storetest.OpenDSN(t, dsn), useOptions{})
			for range 3 {
				if d := w.authorize(w.dep, request(w.dep)); d.Decision != oversight.Permit {
					t.Fatalf("want a permit: %+v", d)
				}
			}
			r := request(w.dep)
			r.Target.CountryCode = "+1" // blocked by the licence: a deny, which counts no permit
			w.authorize(w.dep, r)
			if _, rep := restart(t, w, dsn); len(rep.New) != 0 || len(rep.Tainted) != 0 {
				t.Fatalf("an untouched world disagrees with its log: %+v", rep.New)
			}
			db := storetest.BehindTheBack(t, dsn)
			var issued, expired, swept int64
			var next sql.NullInt64
			if err := db.QueryRow(`SELECT issued, expired, swept_to, next_expiry FROM permit_counts WHERE license_id = $1`, w.lic.ID).
				Scan(&issued, &expired, &swept, &next); err != nil {
				t.Fatal(err)
			}
			for _, tc := range cases {
				if _, err := db.Exec(tc.edit, w.lic.ID); err != nil {
					t.Fatal(err)
				}
				svc, rep := restart(t, w, dsn)
				if len(rep.New) != 1 || rep.New[0].Kind != "permits" || rep.New[0].LicenseID != w.lic.ID || !strings.Contains(rep.New[0].Detail, tc.want) {
					t.Errorf("%s: mismatches at start %+v, want one naming %s: %q", tc.name, rep.New, w.lic.ID, tc.want)
				}
				_, err := svc.Authorize(w.ctx, w.dep, w.nonce(w.dep), request(w.dep))
				wantIntegrity(t, err, w.lic.ID)
				if err := svc.Ready(w.ctx); oversight.ErrorCode(err) != oversight.EINTEGRITY || svc.IntegrityMismatches() != 1 {
					t.Errorf("%s: ready %v, %d mismatches", tc.name, err, svc.IntegrityMismatches())
				}
				if _, err := svc.Authorize(w.ctx, w.dep2, w.nonce(w.dep2), request(w.dep2)); err != nil {
					t.Errorf("%s: the other licence gets no decision: %v", tc.name, err)
				}
				// Undone: the count as the server kept it.
				if _, err := db.Exec(`DELETE FROM permit_counts WHERE license_id = $1`, w.lic.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(`INSERT INTO permit_counts (license_id, issued, expired, swept_to, next_expiry) VALUES ($1, $2, $3, $4, $5)`,
					w.lic.ID, issued, expired, swept, next); err != nil {
					t.Fatal(err)
				}
			}
			if _, rep := restart(t, w, dsn); len(rep.New) != 0 {
				t.Fatalf("the count restored still disagrees: %+v", rep.New)
			}
		})
	}
}
