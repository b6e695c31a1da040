package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/oversight-dev/oversight"
)

// CreateOperation inserts a decided operation and reports whether it did:
// an operation with the same id is left alone, and created is false. (The
// service derives an operation's id from the signed request, so that the
// id's uniqueness refuses a replayed request.) A permit also counts toward
// its licence's unexpired permits (ActivePermits); o.DecidedAt is the time
// of the decision.
func (tx *Tx) CreateOperation(o *oversight.OperationRecord) (created bool, err error) {
	var exp any
	if o.Decision == oversight.Permit {
		if o.ExpiresAt == nil {
			return false, fmt.Errorf("create operation %s: a permit without an expiry", o.ID)
		}
		exp = o.ExpiresAt.UnixMicro()
	}
	res, err := tx.execUse(qInsertOperation, o.ID, o.LicenseID, o.DeploymentID, o.Decision, exp, mustJSON(o))
	if err != nil {
		return false, wrap(err, "create operation %s", o.ID)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, wrap(err, "create operation %s", o.ID)
	}
	if o.Decision != oversight.Permit {
		return true, nil
	}
	// A new row has swept up to the decision. A permit that expires at or
	// before the last sweep (a clock that went back) is counted as expired
	// at once, since no later sweep will look at it; any other lowers the
	// next expiry to sweep at.
	now, until := o.DecidedAt.UnixMicro(), o.ExpiresAt.UnixMicro()
	expiredNow, next := 0, any(until)
	if until <= now {
		expiredNow, next = 1, nil
	}
	if _, err := tx.execUse(qCountPermit, o.LicenseID, expiredNow, now, next, until); err != nil {
		return false, wrap(err, "count permit %s", o.ID)
	}
	return true, nil
}

// permitCounts is a licence's row of permit_counts; the zero value is a
// licence that never had a permit.
type permitCounts struct {
	issued, expired, swept int64
	next                   sql.NullInt64
}

// ActivePermits returns the number of permits of a licence that are
// unexpired at now. Call it inside Update, in the transaction that may add
// a permit, so that concurrent decisions cannot both take the last place
// of a quota: writes are serialised (one writer on SQLite, the log head's
// row lock on PostgreSQL).
//
// It reads one row, and sweeps only when a permit has expired since the
// last sweep: the sweep moves the permits that expired into
// permit_counts.expired, each permit once, so the cost does not grow with
// the number of unexpired permits.
func (tx *Tx) ActivePermits(licenseID string, now time.Time) (int, error) {
	var pc permitCounts
	err := tx.queryRow(`SELECT issued, expired, swept_to, next_expiry FROM permit_counts WHERE license_id = $1`, licenseID).
		Scan(&pc.issued, &pc.expired, &pc.swept, &pc.next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, wrap(err, "count permits of %s", licenseID)
	}
	return tx.activePermits(licenseID, pc, now)
}

// activePermits is ActivePermits from the licence's row of permit_counts.
func (tx *Tx) activePermits(licenseID string, pc permitCounts, now time.Time) (int, error) {
	if t := now.UnixMicro(); pc.next.Valid && pc.next.Int64 <= t {
		var n int64
		if err := tx.queryRow(`SELECT count(*) FROM operations WHERE license_id = $1 AND decision = 'permit' AND expires_at > $2 AND expires_at <= $3`,
			licenseID, pc.swept, t).Scan(&n); err != nil {
			return 0, wrap(err, "sweep permits of %s", licenseID)
		}
		var next sql.NullInt64
		err := tx.queryRow(`SELECT expires_at FROM operations WHERE license_id = $1 AND decision = 'permit' AND expires_at > $2 ORDER BY expires_at LIMIT 1`,
			licenseID, t).Scan(&next)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, wrap(err, "sweep permits of %s", licenseID)
		}
		if _, err := tx.exec(`UPDATE permit_counts SET expired = expired + $2, swept_to = $3, next_expiry = $4 WHERE license_id = $1`,
			licenseID, n, t, next); err != nil {
			return 0, wrap(err, "sweep permits of %s", licenseID)
		}
		pc.expired += n
	}
	return int(max(pc.issued-pc.expired, 0)), nil
}

// DecisionFacts are what deciding an operation request reads from the
// store: the deployment's licence and status, the licence itself, the
// target's entry on the protected-persons register, and the licence's
// unexpired permits.
type DecisionFacts struct {
	LicenseID        string
	DeploymentStatus oversight.DeploymentStatus
	// License is shared with other callers: read it, never change it.
	License *oversight.License
	// Protected is the target's entry on the register, nil if none.
	Protected     *oversight.ProtectedPerson
	ActivePermits int
}

// DecisionFacts reads, in one query, what a decision on a request of
// deploymentID against target hash idHash needs, as of now. Like
// ActivePermits, call it inside Update.
func (tx *Tx) DecisionFacts(deploymentID, idHash string, now time.Time) (*DecisionFacts, error) {
	h, err := hex.DecodeString(idHash)
	if err != nil || len(h) != 32 {
		return nil, oversight.Errorf(oversight.EINVALID, "a target hash is 64 hex digits")
	}
	var (
		f                 DecisionFacts
		doc               string
		category, addedBy sql.NullString
		addedAt, logIndex sql.NullInt64
		issued, expired   sql.NullInt64
		pc                permitCounts
	)
	err = tx.queryRowUse(qDecisionFacts, deploymentID, h).
		Scan(&f.LicenseID, &f.DeploymentStatus, &doc, &category, &addedBy, &addedAt, &logIndex, &issued, &expired, (*nullInt)(&pc.swept), &pc.next)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("deployment", deploymentID)
	}
	if err != nil {
		return nil, wrap(err, "read the facts of a decision for %s", deploymentID)
	}
	if f.License, err = tx.s.sharedLicense(f.LicenseID, doc); err != nil {
		return nil, err
	}
	if category.Valid {
		f.Protected = &oversight.ProtectedPerson{IDHash: hex.EncodeToString(h), Category: oversight.ProtectedCategory(category.String),
			AddedBy: addedBy.String, AddedAt: time.UnixMicro(addedAt.Int64).UTC(), LogIndex: logIndex.Int64}
	}
	pc.issued, pc.expired = issued.Int64, expired.Int64
	if f.ActivePermits, err = tx.activePermits(f.LicenseID, pc, now); err != nil {
		return nil, err
	}
	return &f, nil
}

// nullInt scans a nullable integer as 0 when NULL.
type nullInt int64

func (n *nullInt) Scan(v any) error {
	var x sql.NullInt64
	if err := x.Scan(v); err != nil {
		return err
	}
	*n = nullInt(x.Int64)
	return nil
}

// decodedLicense is a licence decoded from its document. Store.licenseDocs
// keeps one per licence id, so that a decision, which reads the document
// anyway, compares it instead of decoding it again. It is never stale: the
// document it is checked against is read in the decision's own
// transaction, so a change committed by any replica is seen by the next
// decision.
type decodedLicense struct {
	doc string
	l   *oversight.License
}

// sharedLicense returns the licence doc encodes, decoded once per
// document.
func (s *Store) sharedLicense(id, doc string) (*oversight.License, error) {
	if v, ok := s.licenseDocs.Load(id); ok && v.(*decodedLicense).doc == doc {
		return v.(*decodedLicense).l, nil
	}
	var l oversight.License
	if err := json.Unmarshal([]byte(doc), &l); err != nil {
		return nil, fmt.Errorf("decode licence %s: %w", id, err)
	}
	s.licenseDocs.Store(id, &decodedLicense{doc: doc, l: &l})
	return &l, nil
}

// CountActivePermits counts the unexpired permits of a licence by scanning
// them, without the bookkeeping of ActivePermits. It is for tests and
// checks; it costs one index entry per unexpired permit.
func (tx *Tx) CountActivePermits(licenseID string, now time.Time) (int, error) {
	var n int
	err := tx.queryRow(`SELECT count(*) FROM operations WHERE license_id = $1 AND decision = 'permit' AND expires_at > $2`,
		licenseID, now.UnixMicro()).Scan(&n)
	return n, wrap(err, "count permits of %s", licenseID)
}

// Operation returns the operation with id.
func (tx *Tx) Operation(id string) (*oversight.OperationRecord, error) {
	var o oversight.OperationRecord
	return &o, tx.getDoc("operation", `SELECT doc FROM operations WHERE id = $1`, &o, id)
}

// Operations lists operations matching f, newest first; page.After is the
// last id of the previous page.
func (tx *Tx) Operations(f oversight.OperationFilter, page oversight.Page) ([]oversight.OperationRecord, string, error) {
	var w where
	w.add("license_id = $", f.LicenseID)
	w.add("deployment_id = $", f.DeploymentID)
	w.add("decision = $", string(f.Decision))
	clause, args := w.newestFirst(page)
	return listDocs(tx, "operations", page, func(o *oversight.OperationRecord) string { return o.ID }, `SELECT doc FROM operations`+clause, args...)
}

// newestFirst is sql for listings in reverse creation order: the cursor
// is the last id of the previous page, and the next page holds smaller ids.
func (w *where) newestFirst(page oversight.Page) (string, []any) {
	w.add("id < $", page.After)
	clause := ""
	if len(w.conds) > 0 {
		clause = " WHERE " + strings.Join(w.conds, " AND ")
	}
	return clause + fmt.Sprintf(" ORDER BY id DESC LIMIT %d", pageLimit(page)), w.args
}

// The statements of every decision, prepared once per store on SQLite:
// its driver parses a statement at each execution otherwise, and parsing
// was a fifth of the writer's time per decision. (pgx caches prepared
// statements itself.)
type useQuery int

const (
	qDecisionFacts useQuery = iota
	qInsertOperation
	qCountPermit
	numUseQueries
)

var useSQL = [numUseQueries]string{
	qDecisionFacts: `SELECT d.license_id, d.status, l.doc, p.category, p.added_by, p.added_at, p.log_index,
			c.issued, c.expired, c.swept_to, c.next_expiry
		FROM deployments d
		JOIN licenses l ON l.id = d.license_id
		LEFT JOIN protected_persons p ON p.id_hash = $2
		LEFT JOIN permit_counts c ON c.license_id = d.license_id
		WHERE d.id = $1`,
	qInsertOperation: `INSERT INTO operations (id, license_id, deployment_id, decision, expires_at, doc) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
	// $5 is the new permit's expiry.
	qCountPermit: `INSERT INTO permit_counts (license_id, issued, expired, swept_to, next_expiry) VALUES ($1, 1, $2, $3, $4)
		ON CONFLICT (license_id) DO UPDATE SET
			issued = permit_counts.issued + 1,
			expired = permit_counts.expired + CASE WHEN permit_counts.swept_to >= CAST($5 AS BIGINT) THEN 1 ELSE 0 END,
			next_expiry = CASE
				WHEN permit_counts.swept_to >= CAST($5 AS BIGINT) THEN permit_counts.next_expiry
				WHEN permit_counts.next_expiry IS NULL OR permit_counts.next_expiry > CAST($5 AS BIGINT) THEN CAST($5 AS BIGINT)
				ELSE permit_counts.next_expiry END`,
}

// useStmts holds a store's prepared decision statements. They are
// prepared on the writer's connection, which a transaction holds while
// it runs: the first decision asks for them and goes on with plain
// statements, and a goroutine prepares them between two transactions.
type useStmts struct {
	once  sync.Once
	ready atomic.Bool
	st    [numUseQueries]*sql.Stmt
}

// useStmtsOf maps a store to its prepared statements. It holds the store
// weakly, and a cleanup closes the statements once the store is gone, so
// that tests opening many stores do not keep them.
var useStmtsOf sync.Map // weak.Pointer[Store] → *useStmts

func (s *Store) useStmts() *useStmts {
	k := weak.Make(s)
	if v, ok := useStmtsOf.Load(k); ok {
		return v.(*useStmts)
	}
	v, loaded := useStmtsOf.LoadOrStore(k, &useStmts{})
	if !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[Store]) {
			if v, ok := useStmtsOf.LoadAndDelete(k); ok {
				v.(*useStmts).close()
			}
		}, k)
	}
	return v.(*useStmts)
}

// prepare prepares the statements on db; on any failure the plain
// statements stay in use.
func (u *useStmts) prepare(db *sql.DB) {
	for q, text := range useSQL {
		st, err := db.PrepareContext(context.Background(), text)
		if err != nil {
			u.close()
			return
		}
		u.st[q] = st
	}
	u.ready.Store(true)
}

func (u *useStmts) close() {
	for _, st := range u.st {
		if st != nil {
			st.Close()
		}
	}
}

// stmtUse returns statement q bound to tx, or nil when tx should run the
// statement's text: in a read transaction, on PostgreSQL, and until the
// statements are prepared.
func (tx *Tx) stmtUse(q useQuery) *sql.Stmt {
	if tx.log == nil || tx.s.dialect.name != "sqlite" {
		return nil
	}
	u := tx.s.useStmts()
	if !u.ready.Load() {
		u.once.Do(func() { go u.prepare(tx.s.wdb) })
		return nil
	}
	return tx.tx.StmtContext(tx.ctx, u.st[q])
}

func (tx *Tx) execUse(q useQuery, args ...any) (sql.Result, error) {
	if st := tx.stmtUse(q); st != nil {
		return st.ExecContext(tx.ctx, args...)
	}
	return tx.exec(useSQL[q], args...)
}

func (tx *Tx) queryRowUse(q useQuery, args ...any) *sql.Row {
	if st := tx.stmtUse(q); st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.queryRow(useSQL[q], args...)
}
