package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// CreateOperation inserts a decided operation and reports whether it did:
// an operation with the same id is left alone, and created is false. (The
// service derives an operation's id from the signed request, so that the
// id's uniqueness refuses a replayed request.) A permit also counts toward
// its licence's unexpired permits (ActivePermits); o.DecidedAt is the time
// of the decision. marks are what the misuse rules noted of it
// (monitor.Marks), for Decisions to read.
func (tx *Tx) CreateOperation(o *oversight.OperationRecord, marks uint8) (created bool, err error) {
	var exp any
	if o.Decision == oversight.Permit {
		if o.ExpiresAt == nil {
			return false, fmt.Errorf("create operation %s: a permit without an expiry", o.ID)
		}
		exp = o.ExpiresAt.UnixMicro()
	}
	res, err := tx.stmts.exec(tx.ctx, tx.tx, stmtInsertOperation, o.ID, o.LicenseID, o.DeploymentID, o.Decision, exp, marks, mustJSON(o))
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
	if _, err := tx.stmts.exec(tx.ctx, tx.tx, stmtCountPermit, o.LicenseID, expiredNow, now, next, until); err != nil {
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
// deploymentID against the target hash h needs, as of now. Like
// ActivePermits, call it inside Update.
func (tx *Tx) DecisionFacts(deploymentID string, h oversight.TargetHash, now time.Time) (*DecisionFacts, error) {
	var (
		f                 DecisionFacts
		doc               string
		category, addedBy sql.NullString
		addedAt, logIndex sql.NullInt64
		issued, expired   sql.NullInt64
		pc                permitCounts
	)
	err := tx.stmts.queryRow(tx.ctx, tx.tx, stmtDecisionFacts, deploymentID, h[:]).
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
		f.Protected = &oversight.ProtectedPerson{IDHash: h.String(), Category: oversight.ProtectedCategory(category.String),
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
