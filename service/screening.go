package service

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/screen"
	"github.com/oversight-dev/oversight/store"
)

// Defaults of a screening batch.
const (
	// DefaultMaxBatchRows is the most rows one POST /v1/screen:batch
	// screens; rows after it are answered with one error line.
	DefaultMaxBatchRows = 100_000
	// batchChunk is the most rows screened and recorded together: their
	// records are committed in one transaction before their answers are
	// written.
	batchChunk = 500
)

// screener holds the screening index and the key of the query hashes.
type screener struct {
	ix      *screen.Index
	key     []byte
	maxRows int

	// The index follows the designations table, which any replica on a
	// shared database, or any other process on the same file, may change.
	// seen is the highest designations.changed loaded; every screening
	// reads the table's highest first (one indexed read) and loads what
	// changed since under mu before it answers, so that no screening is
	// answered from an index older than the last acknowledged change.
	mu   sync.Mutex
	seen atomic.Int64
}

// newScreener builds the index from every designation in the store, which
// is what a server does at start, and logs how long it took.
func newScreener(ctx context.Context, s *Service, opts Options) (*screener, error) {
	sc := &screener{ix: screen.NewIndex(), key: opts.ScreeningKey, maxRows: opts.MaxBatchRows}
	if sc.key == nil {
		sc.key = make([]byte, 32)
		rand.Read(sc.key)
	}
	if sc.maxRows <= 0 {
		sc.maxRows = DefaultMaxBatchRows
	}
	start := time.Now()
	sc.seen.Store(-1)
	if err := s.catchUp(ctx, sc); err != nil {
		return nil, fmt.Errorf("build screening index: %w", err)
	}
	st := sc.ix.Stats()
	s.log.Info("screening index built", "designations", st.Designations, "names", st.Names, "tokens", st.Tokens, "duration", time.Since(start).Round(time.Millisecond))
	return sc, nil
}

// indexBatch collects the designations a transaction changes, to put them
// in the index together once the transaction has committed: the index
// never shows a change that was rolled back.
type indexBatch struct{ ds []oversight.Designation }

func (b *indexBatch) add(d *oversight.Designation) { b.ds = append(b.ds, *d) }

// indexAfter returns the batch of tx, registered to update the index on
// commit.
func (vs *VisaScreening) indexAfter(tx *store.Tx) *indexBatch {
	s := vs.s
	b := &indexBatch{}
	tx.OnCommit(func() {
		if len(b.ds) == 0 {
			return
		}
		// Under the lock of catchUp, so that a catch-up that read the
		// table before this commit cannot put older versions back over
		// these (one that reads it after loads these again, harmlessly).
		s.scr.mu.Lock()
		defer s.scr.mu.Unlock()
		if err := s.scr.ix.PutAll(b.ds); err != nil {
			s.log.Error("screening index update", "err", err) // unreachable: every designation has an id
		}
	})
	return b
}

// catchUp loads into the index the designations changed since it last
// looked, by this replica or any other, before a screening is answered.
// When nothing changed, which is almost always, it costs one indexed read
// of the table's highest change. Concurrent screenings that find the index
// behind wait for one of them to load what changed.
func (vs *VisaScreening) catchUp(ctx context.Context, sc *screener) error {
	s := vs.s
	var latest int64
	if err := s.view(ctx, func(tx *store.Tx) (err error) { latest, err = tx.DesignationsVersion(); return err }); err != nil {
		return fmt.Errorf("screening index: %w", err)
	}
	if latest <= sc.seen.Load() {
		return nil
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	after := sc.seen.Load()
	if latest <= after {
		return nil // loaded meanwhile
	}
	var ds []oversight.Designation
	var last int64
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		last, err = tx.DesignationsChanged(after, func(d *oversight.Designation) error {
			ds = append(ds, *d)
			return nil
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("screening index: %w", err)
	}
	if err := sc.ix.PutAll(ds); err != nil {
		return fmt.Errorf("screening index: %w", err)
	}
	sc.seen.Store(last)
	return nil
}

// ScreeningIndex returns the stats of the screening index.
func (vs *VisaScreening) ScreeningIndex() screen.Stats { return vs.s.scr.ix.Stats() }

// screeningPerformed is the payload of a screening.performed event: one
// per screening request, single or batch. It names no one: the actor and
// time are the event's own, and Digest binds the rows kept in the
// screenings table (the keyed hashes of the names, the top result of
// each), so that a row altered, added or removed there no longer matches
// the log. One event per batch rather than one per row keeps a
// 100,000-row batch to one leaf instead of 100,000 that would tell the
// public nothing more.
type screeningPerformed struct {
	Kind   string `json:"kind"` // "single" or "batch"
	Rows   int64  `json:"rows"`
	Errors int64  `json:"errors,omitempty"`
	Digest string `json:"digest"`
	// Stopped says why a batch ended before its input did.
	Stopped string `json:"stopped,omitempty"`
}

// Screen screens one name (POST /v1/screen) against the designations in
// force now, and records the screening before answering: a row with the
// keyed hashes of the query and its top result, and a screening.performed
// event, in one transaction. No answer goes out without its record.
func (vs *VisaScreening) Screen(ctx context.Context, p *oversight.Principal, r *oversight.ScreenRequest) (*oversight.ScreenResult, error) {
	s := vs.s
	if err := allow(p, oversight.TaskScreen); err != nil {
		return nil, err
	}
	r.Nationality = strings.ToUpper(strings.TrimSpace(r.Nationality))
	r.BirthDate = strings.TrimSpace(r.BirthDate)
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := s.catchUp(ctx, s.scr); err != nil {
		return nil, err
	}
	now := s.clock()
	matches, err := s.scr.ix.Screen(screen.QueryFor(r, now))
	if err != nil {
		return nil, err
	}
	if matches == nil {
		matches = []oversight.Match{}
	}
	sc := &oversight.Screening{ID: oversight.NewID(oversight.PrefixScreening), Actor: p.Actor(), Kind: "single", StartedAt: now, FinishedAt: &now, Rows: 1}
	rec := s.scr.record(1, r, matches, now)
	d := oversight.NewScreeningDigest(sc.ID)
	d.Add(rec)
	sc.Digest = d.Sum()
	err = s.update(ctx, func(tx *store.Tx) error {
		if err := tx.CreateScreening(sc); err != nil {
			return err
		}
		if err := tx.AddScreeningRows(sc.ID, []oversight.ScreeningRow{rec}); err != nil {
			return err
		}
		idx, err := tx.Record(oversight.EventScreeningPerformed, p.Actor(), sc.ID, now, screeningPerformed{Kind: sc.Kind, Rows: 1, Digest: sc.Digest})
		if err != nil {
			return err
		}
		sc.LogIndex = &idx
		return tx.FinishScreening(sc)
	})
	if err != nil {
		return nil, fmt.Errorf("record screening: %w", err)
	}
	return &oversight.ScreenResult{Matches: matches, ScreeningID: sc.ID, LogIndex: sc.LogIndex}, nil
}

// record returns the record of one name screened. The name is kept only
// as two HMAC-SHA256 digests under the server's screening key: of the
// name alone (its normalised tokens, sorted, so that "ZAVADSKY, Radomir"
// and "Radomir Zavadsky" agree) and of the whole query (name, birth date,
// nationality). A plain hash would not do: names are few enough to hash
// them all and read the table back. With the key, which stays on the
// server beside the database and not in it, a copy of the table reveals
// no name, while the server can still answer an auditor's question "was
// this person screened, when, by whom, and what came up" (GET
// /v1/screenings?name=…).
func (sc *screener) record(row int64, r *oversight.ScreenRequest, matches []oversight.Match, at time.Time) oversight.ScreeningRow {
	name := canonicalName(r.Name)
	rec := oversight.ScreeningRow{Row: row, At: at, Matches: len(matches),
		NameHash:  sc.mac("name", name),
		QueryHash: sc.mac("query", name, r.BirthDate, r.Nationality)}
	if len(matches) > 0 {
		rec.TopDesignation, rec.TopScore = matches[0].DesignationID, matches[0].Score
	}
	return rec
}

// mac is the hex HMAC-SHA256 under the screening key of a domain label
// and fields, each ended by a zero byte so that no two field lists share
// an input.
func (sc *screener) mac(label string, fields ...string) string {
	h := hmac.New(sha256.New, sc.key)
	h.Write([]byte("oversight-screening-" + label))
	for _, f := range fields {
		h.Write([]byte{0})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Screening returns the record of a screening (GET /v1/screenings/{id}),
// checked against the audit log: its rows are hashed again and compared
// with the digest of its screening.performed event.
func (vs *VisaScreening) Screening(ctx context.Context, p *oversight.Principal, id string) (*oversight.ScreeningRecord, error) {
	s := vs.s
	if err := allow(p, oversight.TaskScreeningRead); err != nil {
		return nil, err
	}
	out := &oversight.ScreeningRecord{}
	err := s.view(ctx, func(tx *store.Tx) error {
		sc, err := tx.Screening(id)
		if err != nil {
			return err
		}
		out.Screening = *sc
		d := oversight.NewScreeningDigest(sc.ID)
		var n int64
		if err := tx.ScreeningRows(sc.ID, func(r oversight.ScreeningRow) error { d.Add(r); n++; return nil }); err != nil {
			return err
		}
		sum := d.Sum()
		switch {
		case sc.LogIndex == nil:
			out.Problem = "the screening has not finished: no event in the log yet"
			return nil
		case sum != sc.Digest || n != sc.Rows-sc.Errors:
			out.Problem = fmt.Sprintf("the %d rows recorded hash to %s, not to the digest recorded", n, sum)
			return nil
		}
		ev, err := tx.Event(*sc.LogIndex)
		if err != nil {
			return err
		}
		var logged screeningPerformed
		if err := json.Unmarshal(ev.Payload, &logged); err != nil || ev.Type != oversight.EventScreeningPerformed || ev.Subject != sc.ID {
			out.Problem = fmt.Sprintf("log entry %d is not this screening's event", *sc.LogIndex)
			return nil
		}
		if logged.Digest != sum {
			out.Problem = fmt.Sprintf("the rows hash to %s; log entry %d says %s", sum, *sc.LogIndex, logged.Digest)
			return nil
		}
		out.Verified = true
		return nil
	})
	return out, err
}

// Screenings lists screenings, newest first (GET /v1/screenings).
func (vs *VisaScreening) Screenings(ctx context.Context, p *oversight.Principal, f oversight.ScreeningFilter, page oversight.Page) (*oversight.List[oversight.Screening], error) {
	s := vs.s
	if err := allow(p, oversight.TaskScreeningRead); err != nil {
		return nil, err
	}
	nameHash := ""
	if strings.TrimSpace(f.Name) != "" {
		nameHash = s.scr.mac("name", canonicalName(f.Name))
	}
	out := &oversight.List[oversight.Screening]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.Screenings(f.Actor, nameHash, page)
		return err
	})
	return out, err
}

// BatchWriter receives a batch's answer.
type BatchWriter interface {
	// Begin is called once, before any line, with the screening's id.
	Begin(screeningID string) error
	// Line writes one answer line.
	Line(*oversight.BatchLine) error
	// Flush sends what was written.
	Flush() error
}

// ScreenBatch screens a batch (POST /v1/screen:batch), reading body one
// row at a time and answering each row in input order, so that neither
// the batch nor its answer is ever held whole in memory. Rows are read
// while the input has them ready, up to 500, screened in parallel,
// recorded (one screening_rows row each, committed together), then
// answered and flushed: an answer never goes out before its record is
// durable, and a client that sends one row at a time gets each answer at
// once. A bad row is answered with its error and the batch goes on; after
// the server's row limit one error line says the rest was not screened.
// The screening ends with one screening.performed event carrying the
// count of rows and the digest of their records.
//
// Errors before the first line (the role, the options, a CSV header) are
// returned with nothing written; the batch's record is then not started.
// An error after it (the store failing, the client gone) ends the answer
// early and is returned; the rows screened so far stay recorded, with the
// event saying why the batch stopped.
func (vs *VisaScreening) ScreenBatch(ctx context.Context, p *oversight.Principal, body io.Reader, format screen.BatchFormat, o oversight.BatchOptions, w BatchWriter) (*oversight.Screening, error) {
	s := vs.s
	if err := allow(p, oversight.TaskScreen); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	rows, err := screen.NewBatchReader(body, format)
	if err != nil {
		return nil, err
	}
	sc := &oversight.Screening{ID: oversight.NewID(oversight.PrefixScreening), Actor: p.Actor(), Kind: "batch", StartedAt: s.clock()}
	if err := s.update(ctx, func(tx *store.Tx) error { return tx.CreateScreening(sc) }); err != nil {
		return nil, fmt.Errorf("record screening: %w", err)
	}
	digest := oversight.NewScreeningDigest(sc.ID)
	stopped, err := s.screenRows(ctx, sc, rows, o, w, digest)
	// The record is finished even when the client has gone: what was
	// screened was screened.
	sc.Digest = digest.Sum()
	end := s.clock()
	sc.FinishedAt = &end
	ferr := s.update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		idx, err := tx.Record(oversight.EventScreeningPerformed, p.Actor(), sc.ID, end, screeningPerformed{
			Kind: sc.Kind, Rows: sc.Rows, Errors: sc.Errors, Digest: sc.Digest, Stopped: stopped})
		if err != nil {
			return err
		}
		sc.LogIndex = &idx
		return tx.FinishScreening(sc)
	})
	if ferr != nil {
		ferr = fmt.Errorf("record screening %s: %w", sc.ID, ferr)
	}
	return sc, errors.Join(err, ferr)
}

// screenRows runs the batch's chunks and returns why it stopped early,
// if it did.
func (vs *VisaScreening) screenRows(ctx context.Context, sc *oversight.Screening, rows *screen.BatchReader, o oversight.BatchOptions, w BatchWriter, digest *oversight.ScreeningDigest) (stopped string, err error) {
	s := vs.s
	if err := w.Begin(sc.ID); err != nil {
		return "client gone", err
	}
	chunk := make([]screen.BatchRow, 0, batchChunk)
	lines := make([]oversight.BatchLine, batchChunk)
	reqs := make([]*oversight.ScreenRequest, batchChunk)
	recs := make([]oversight.ScreeningRow, 0, batchChunk)
	// The rows read are screened, recorded and answered even when ctx
	// ends meanwhile: what was screened was screened.
	wctx := context.WithoutCancel(ctx)
	for {
		if err := ctx.Err(); err != nil {
			return stopReason(err), err
		}
		chunk = chunk[:0]
		var (
			last  *oversight.BatchLine // an error line that ends the batch
			ended error                // ctx's end, met while reading
		)
		for len(chunk) < batchChunk {
			if rows.Rows() >= s.scr.maxRows {
				if _, err := rows.Next(); err != io.EOF {
					stopped = fmt.Sprintf("row limit of %d reached", s.scr.maxRows)
					last = &oversight.BatchLine{Row: s.scr.maxRows + 1, Error: fmt.Sprintf("a batch screens at most %d rows; this row and those after it were not screened", s.scr.maxRows)}
				}
				break
			}
			row, err := rows.Next()
			if err == io.EOF {
				break
			}
			if err != nil && ctx.Err() != nil {
				// The batch's time ran out (or its client went) while a
				// row was awaited: answer those read, then stop.
				ended = ctx.Err()
				break
			}
			if err != nil {
				stopped = "input unreadable"
				msg := err.Error()
				if errors.Is(err, screen.ErrRowTooLong) {
					msg = fmt.Sprintf("row %d is longer than 64 KiB; the batch stops here", rows.Rows()+1)
				}
				last = &oversight.BatchLine{Row: rows.Rows() + 1, Error: msg}
				break
			}
			chunk = append(chunk, row)
			if rows.Buffered() == 0 {
				break // answer what we have before waiting for more
			}
		}
		if len(chunk) == 0 && last == nil {
			if ended != nil {
				return stopReason(ended), ended
			}
			return "", nil
		}
		// Each chunk is screened against the designations in force when
		// it is, however long the batch has run.
		if err := s.catchUp(wctx, s.scr); err != nil {
			return "store failed", err
		}
		now := s.clock()
		s.screenChunk(chunk, o, now, lines, reqs)
		recs = recs[:0]
		for i := range chunk {
			sc.Rows++
			if reqs[i] == nil {
				sc.Errors++
				continue
			}
			rec := s.scr.record(int64(chunk[i].Row), reqs[i], lines[i].Matches, now)
			digest.Add(rec)
			recs = append(recs, rec)
		}
		if len(recs) > 0 {
			if err := s.update(wctx, func(tx *store.Tx) error { return tx.AddScreeningRows(sc.ID, recs) }); err != nil {
				return "store failed", err
			}
		}
		for i := range chunk {
			if err := w.Line(&lines[i]); err != nil {
				return "client gone", err
			}
		}
		if last != nil {
			if err := w.Line(last); err != nil {
				return stopped, err
			}
		}
		if err := w.Flush(); err != nil {
			return "client gone", err
		}
		if last != nil {
			return stopped, nil
		}
		if ended != nil {
			return stopReason(ended), ended
		}
	}
}

// stopReason says why a batch whose context ended stopped, for its
// screening.performed event.
func stopReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "time limit reached"
	}
	return "client gone"
}

// screenChunk screens the rows of chunk into lines and reqs, on as many
// goroutines as there are processors.
func (vs *VisaScreening) screenChunk(chunk []screen.BatchRow, o oversight.BatchOptions, at time.Time, lines []oversight.BatchLine, reqs []*oversight.ScreenRequest) {
	s := vs.s
	inParallel(len(chunk), 16, func(i int) { lines[i], reqs[i] = screen.ScreenRow(s.scr.ix, chunk[i], o, at) })
}

// inParallel calls f(i) for i from 0 to n-1 on as many goroutines as there
// are processors, but no more than one per perWorker calls: screening a
// name takes well under a millisecond, and a goroutine for three of them
// costs more than it saves.
func inParallel(n, perWorker int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+perWorker-1)/perWorker)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// CanScreen reports, as an error, whether p may screen: the HTTP layer
// asks before it reads a batch, so that a caller without the role learns
// that first.
func (vs *VisaScreening) CanScreen(p *oversight.Principal) error {
	return allow(p, oversight.TaskScreen)
}
