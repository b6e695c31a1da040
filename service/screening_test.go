package service_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/screen"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// lineRecorder is a BatchWriter that keeps the lines and counts flushes.
type lineRecorder struct {
	id      string
	lines   []oversight.BatchLine
	flushes int
	// flushed is how many lines had been written at each flush.
	flushed []int
}

func (r *lineRecorder) Begin(id string) error { r.id = id; return nil }
func (r *lineRecorder) Line(l *oversight.BatchLine) error {
	r.lines = append(r.lines, *l)
	return nil
}
func (r *lineRecorder) Flush() error {
	r.flushes++
	r.flushed = append(r.flushed, len(r.lines))
	return nil
}

func TestScreenRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newScreenWorld(t, st)
		d := w.designate(w.defense, oversight.DesignationRequest{Identity: oversight.Identity{Name: "Kostas PAPAMICHAIL", Aliases: []string{"Κώστας Παπαμιχαήλ"}, Nationality: "GR"},
			Basis: oversight.BasisFinancialGain})
		res := w.screen(oversight.ScreenRequest{Name: "Παπαμιχαήλ Κώστας", Nationality: "gr"})
		if len(res.Matches) != 1 || res.Matches[0].DesignationID != d.ID || res.ScreeningID == "" || res.LogIndex == nil {
			t.Fatalf("screen: %+v", res)
		}
		m := res.Matches[0]
		if m.MatchedAlias != "Κώστας Παπαμιχαήλ" || m.Basis != oversight.BasisFinancialGain || m.Explanation.Summary == "" || len(m.Explanation.Qualifiers) == 0 {
			t.Errorf("match %+v", m)
		}
		// The log has the screening, by whom, without the name.
		ev := w.event(*res.LogIndex)
		if ev.Type != oversight.EventScreeningPerformed || ev.Subject != res.ScreeningID || ev.Actor != w.consular.Actor() {
			t.Fatalf("event %+v", ev)
		}
		for _, secret := range []string{"Παπαμιχαήλ", "papamichail", d.ID} {
			if strings.Contains(strings.ToLower(string(ev.Payload)), strings.ToLower(secret)) {
				t.Errorf("screening.performed shows %q: %s", secret, ev.Payload)
			}
		}
		// The record: who, when, the keyed hash, the top result; checked
		// against the log.
		rec, err := w.svc.Screening(w.ctx, w.admin, res.ScreeningID)
		w.check(err)
		if !rec.Verified || rec.Actor != w.consular.Actor() || rec.Kind != "single" || rec.Rows != 1 || *rec.LogIndex != *res.LogIndex {
			t.Fatalf("record %+v", rec)
		}
		var rows []oversight.ScreeningRow
		w.check(st.View(w.ctx, func(tx *store.Tx) error {
			return tx.ScreeningRows(res.ScreeningID, func(r oversight.ScreeningRow) error { rows = append(rows, r); return nil })
		}))
		if len(rows) != 1 || rows[0].TopDesignation != d.ID || rows[0].TopScore != m.Score || len(rows[0].QueryHash) != 64 || rows[0].NameHash == rows[0].QueryHash {
			t.Fatalf("rows %+v", rows)
		}
		// The auditor finds it by the name, written another way round.
		list, err := w.svc.Screenings(w.ctx, w.foreign, oversight.ScreeningFilter{Name: "Κώστας Παπαμιχαήλ"}, oversight.Page{})
		w.check(err)
		if len(list.Items) != 1 || list.Items[0].ID != res.ScreeningID {
			t.Errorf("screenings of the name: %+v", list.Items)
		}
		list, err = w.svc.Screenings(w.ctx, w.foreign, oversight.ScreeningFilter{Name: "Kostas Other"}, oversight.Page{})
		w.check(err)
		if len(list.Items) != 0 {
			t.Errorf("screenings of another name: %+v", list.Items)
		}
		if _, err := w.svc.Screening(w.ctx, w.consular, res.ScreeningID); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
			t.Errorf("consular reading the record: %v", err)
		}

		for _, p := range []*oversight.Principal{w.vendor, w.agency} {
			if _, err := w.svc.Screen(w.ctx, p, &oversight.ScreenRequest{Name: "x"}); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
				t.Errorf("%s screening: %v", p.Role, err)
			}
		}
		for field, r := range map[string]oversight.ScreenRequest{
			"name": {}, "birth_date": {Name: "A", BirthDate: "1968-13-01"}, "nationality": {Name: "A", Nationality: "GRC"},
			"limit": {Name: "A", Limit: 101}, "min_score": {Name: "A", MinScore: 1.5},
		} {
			_, err := w.svc.Screen(w.ctx, w.consular, &r)
			wantInvalidField(t, err, field)
		}
	})
}

func TestScreenBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newScreenWorld(t, st)
		d := w.designate(w.defense, oversight.DesignationRequest{Identity: oversight.Identity{Name: "Yusuf Kamal AL-HARAZI", Aliases: []string{"يوسف كمال الحرازي"}, BirthDate: "1971", Nationality: "YE"},
			Basis: oversight.BasisMisuse})
		csvBody := "\ufeffName,birth_date,nationality\n" +
			"Yusef Kamal Al Harazi,1971,YE\n" +
			"Ana Lima,1990-02-30,BR\n" + // no such date: a bad row
			"\"unterminated,1980,FR\n" +
			"يوسف الحرازي,,\n"
		rec := &lineRecorder{}
		sc, err := w.svc.ScreenBatch(w.ctx, w.consular, strings.NewReader(csvBody), screen.BatchCSV, oversight.BatchOptions{Limit: 3}, rec)
		w.check(err)
		if len(rec.lines) != 3 {
			t.Fatalf("lines %+v", rec.lines)
		}
		if l := rec.lines[0]; l.Row != 1 || l.Name != "Yusef Kamal Al Harazi" || len(l.Matches) == 0 || l.Matches[0].DesignationID != d.ID {
			t.Errorf("row 1: %+v", l)
		}
		if l := rec.lines[1]; l.Row != 2 || !strings.Contains(l.Error, "birth_date") || l.Matches != nil {
			t.Errorf("row 2: %+v", l)
		}
		// The unterminated quote swallows the rest of the input: one
		// more bad row, and the batch ends.
		if l := rec.lines[2]; l.Row != 3 || l.Error == "" {
			t.Errorf("row 3: %+v", l)
		}
		if sc.ID != rec.id || sc.Rows != 3 || sc.Errors != 2 || sc.LogIndex == nil {
			t.Fatalf("screening %+v", sc)
		}
		r, err := w.svc.Screening(w.ctx, w.admin, sc.ID)
		w.check(err)
		if !r.Verified {
			t.Errorf("batch record not verified: %s", r.Problem)
		}

		// JSON lines, with blank lines, an unknown key and a row without
		// matches; answered in input order.
		jsonl := `{"name": "Yusuf al-Harazi", "birth_date": "1971"}` + "\n\n" +
			`{"name": "Ada Lovelace", "title": "Countess"}` + "\n" +
			`{"name": "Grace Hopper"}` + "\n" + `not json` + "\n"
		rec = &lineRecorder{}
		_, err = w.svc.ScreenBatch(w.ctx, w.consular, strings.NewReader(jsonl), screen.BatchJSONL, oversight.BatchOptions{}, rec)
		w.check(err)
		var got []string
		for _, l := range rec.lines {
			b, _ := json.Marshal(l)
			got = append(got, string(b))
		}
		if len(rec.lines) != 4 || rec.lines[0].Matches[0].DesignationID != d.ID ||
			!strings.Contains(rec.lines[1].Error, "title") || rec.lines[2].Matches == nil || len(rec.lines[2].Matches) != 0 ||
			rec.lines[3].Row != 4 || rec.lines[3].Error == "" {
			t.Errorf("JSON lines answer:\n%s", strings.Join(got, "\n"))
		}
		if !strings.Contains(got[2], `"matches":[]`) {
			t.Errorf("a row without matches must say so: %s", got[2])
		}

		// A header without a name column is refused before anything is
		// written or recorded.
		rec = &lineRecorder{}
		_, err = w.svc.ScreenBatch(w.ctx, w.consular, strings.NewReader("surname,birth_date\nX,1970\n"), screen.BatchCSV, oversight.BatchOptions{}, rec)
		wantInvalidField(t, err, "header")
		if rec.id != "" || len(rec.lines) != 0 {
			t.Errorf("a refused batch wrote %+v", rec)
		}
		_, err = w.svc.ScreenBatch(w.ctx, w.vendor, strings.NewReader("name\nX\n"), screen.BatchCSV, oversight.BatchOptions{}, rec)
		if oversight.ErrorCode(err) != oversight.EFORBIDDEN {
			t.Errorf("vendor batch: %v", err)
		}
	})
}

// A batch longer than the limit is answered up to it, then one line says
// the rest was not screened.
func TestScreenBatchLimit(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	svc, err := service.New(t.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler), MaxBatchRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := svc.CreateUserWithToken(context.Background(), service.Operator, &oversight.User{Role: oversight.RoleConsular, Name: "Consul"}, &oversight.TokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &lineRecorder{}
	sc, err := svc.ScreenBatch(context.Background(), &tok.Principal, strings.NewReader("name\nA\nB\nC\nD\nE\n"), screen.BatchCSV, oversight.BatchOptions{}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.lines) != 4 || rec.lines[3].Row != 4 || !strings.Contains(rec.lines[3].Error, "at most 3 rows") || sc.Rows != 3 {
		t.Errorf("lines %+v, screening %+v", rec.lines, sc)
	}
}

// slowReader hands out its input one line per Read, as a client typing
// rows would.
type slowReader struct{ lines []string }

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.lines[0])
	r.lines[0] = r.lines[0][n:]
	if r.lines[0] == "" {
		r.lines = r.lines[1:]
	}
	return n, nil
}

// Rows that arrive one at a time are answered one at a time: the batch
// answers what it has read before it waits for more.
func TestScreenBatchAnswersAsRowsArrive(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	w := newScreenWorld(t, st)
	rec := &lineRecorder{}
	in := &slowReader{lines: []string{"name\n", "A One\n", "B Two\n", "C Three\n"}}
	_, err := w.svc.ScreenBatch(w.ctx, w.consular, in, screen.BatchCSV, oversight.BatchOptions{}, rec)
	w.check(err)
	if len(rec.lines) != 3 || len(rec.flushed) < 3 || rec.flushed[0] != 1 || rec.flushed[1] != 2 {
		t.Errorf("flushes after %v lines, want one per row", rec.flushed)
	}
}

// A row altered in the table no longer matches the digest in the log.
func TestScreeningTamperEvident(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	st := storetest.OpenDSN(t, dsn)
	w := newScreenWorld(t, st)
	d := w.designate(w.defense, oversight.DesignationRequest{Identity: oversight.Identity{Name: "Mahmoud Said HADDAWI"}, Basis: oversight.BasisMisuse})
	res := w.screen(oversight.ScreenRequest{Name: "Mahmoud Haddawi"})
	if len(res.Matches) == 0 || res.Matches[0].DesignationID != d.ID {
		t.Fatalf("screen: %+v", res.Matches)
	}
	db, err := sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	w.check(err)
	defer db.Close()
	if _, err := db.Exec(`UPDATE screening_rows SET top_designation = NULL, top_score = NULL, matches = 0 WHERE screening_id = $1`, res.ScreeningID); err != nil {
		t.Fatal(err)
	}
	rec, err := w.svc.Screening(w.ctx, w.admin, res.ScreeningID)
	w.check(err)
	if rec.Verified || rec.Problem == "" {
		t.Errorf("a tampered record verifies: %+v", rec)
	}
}
