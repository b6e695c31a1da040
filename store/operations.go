package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// OperationFilter selects operations; empty fields match everything.
type OperationFilter struct {
	LicenseID    string
	DeploymentID string
	Decision     oversight.Verdict
}

// CreateOperation inserts a decided operation. A permit also counts
// toward its licence's unexpired permits (ActivePermits); o.DecidedAt is
// the time of the decision.
func (tx *Tx) CreateOperation(o *oversight.OperationRecord) error {
	var exp any
	if o.Decision == oversight.Permit {
		if o.ExpiresAt == nil {
			return fmt.Errorf("create operation %s: a permit without an expiry", o.ID)
		}
		exp = o.ExpiresAt.UnixMicro()
	}
	if _, err := tx.exec(`INSERT INTO operations (id, license_id, deployment_id, decision, expires_at, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
		o.ID, o.LicenseID, o.DeploymentID, o.Decision, exp, mustJSON(o)); err != nil {
		return wrap(err, "create operation %s", o.ID)
	}
	if o.Decision != oversight.Permit {
		return nil
	}
	// A new row has swept up to the decision; a permit that expires at or
	// before the sweep (a clock that went back) is counted as expired at
	// once, since no later sweep will see it.
	now, until := o.DecidedAt.UnixMicro(), o.ExpiresAt.UnixMicro()
	expiredNow := 0
	if until <= now {
		expiredNow = 1
	}
	_, err := tx.exec(`INSERT INTO permit_counts (license_id, issued, expired, swept_to) VALUES ($1, 1, $2, $3)
		ON CONFLICT (license_id) DO UPDATE SET issued = permit_counts.issued + 1,
			expired = permit_counts.expired + CASE WHEN permit_counts.swept_to >= $4 THEN 1 ELSE 0 END`,
		o.LicenseID, expiredNow, now, until)
	return wrap(err, "count permit %s", o.ID)
}

// ActivePermits returns the number of permits of a licence that are
// unexpired at now. Call it inside Update, in the transaction that may add
// a permit, so that concurrent decisions cannot both take the last place
// of a quota: writes are serialised (one writer on SQLite, the log head's
// row lock on PostgreSQL).
//
// It costs O(1) plus the permits that expired since the last call: it
// sweeps the permits whose expiry passed into permit_counts.expired, each
// permit once.
func (tx *Tx) ActivePermits(licenseID string, now time.Time) (int, error) {
	var issued, expired, swept int64
	err := tx.queryRow(`SELECT issued, expired, swept_to FROM permit_counts WHERE license_id = $1`, licenseID).Scan(&issued, &expired, &swept)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap(err, "count permits of %s", licenseID)
	}
	if t := now.UnixMicro(); t > swept {
		var n int64
		if err := tx.queryRow(`SELECT count(*) FROM operations WHERE license_id = $1 AND decision = 'permit' AND expires_at > $2 AND expires_at <= $3`,
			licenseID, swept, t).Scan(&n); err != nil {
			return 0, wrap(err, "sweep permits of %s", licenseID)
		}
		// Nothing expired: leave the row alone rather than write it on
		// every decision; the next sweep looks at an empty range again.
		if n > 0 {
			if _, err := tx.exec(`UPDATE permit_counts SET expired = expired + $2, swept_to = $3 WHERE license_id = $1`, licenseID, n, t); err != nil {
				return 0, wrap(err, "sweep permits of %s", licenseID)
			}
			expired += n
		}
	}
	return int(max(issued-expired, 0)), nil
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
func (tx *Tx) Operations(f OperationFilter, page Page) ([]oversight.OperationRecord, string, error) {
	var w where
	w.add("license_id = $", f.LicenseID)
	w.add("deployment_id = $", f.DeploymentID)
	w.add("decision = $", string(f.Decision))
	clause, args := w.newestFirst(page)
	return listDocs(tx, "operations", page, func(o *oversight.OperationRecord) string { return o.ID }, `SELECT doc FROM operations`+clause, args...)
}

// newestFirst is sql for listings in reverse creation order: the cursor
// is the last id of the previous page, and the next page holds smaller ids.
func (w *where) newestFirst(page Page) (string, []any) {
	w.add("id < $", page.After)
	clause := ""
	if len(w.conds) > 0 {
		clause = " WHERE " + strings.Join(w.conds, " AND ")
	}
	return clause + fmt.Sprintf(" ORDER BY id DESC LIMIT %d", page.limit()), w.args
}

// DeploymentLicense returns the licence and the status of a deployment,
// read in the caller's transaction: a deployment retired a moment ago is
// seen as retired.
func (tx *Tx) DeploymentLicense(id string) (licenseID string, status oversight.DeploymentStatus, err error) {
	err = tx.queryRow(`SELECT license_id, status FROM deployments WHERE id = $1`, id).Scan(&licenseID, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", notFound("deployment", id)
	}
	return licenseID, status, wrap(err, "read deployment %s", id)
}
