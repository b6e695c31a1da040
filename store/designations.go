package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/oversight-dev/oversight"
)

// CreateDesignation inserts d. changed is the log index of the event that
// records it.
func (tx *Tx) CreateDesignation(d *oversight.Designation, changed int64) error {
	_, err := tx.exec(`INSERT INTO designations (id, source, basis, related_to, case_id, delisted_at, changed, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.ID, nullString(d.Source), d.Basis, nullString(d.RelatedTo), nullString(d.CaseID), delistedMicros(d), changed, mustJSON(d))
	if isUniqueViolation(err) {
		return oversight.Conflictf("listed", "designation %s or source %s already exists", d.ID, d.Source)
	}
	return wrap(err, "create designation %s", d.ID)
}

// UpdateDesignation writes d. changed is the log index of the event that
// records the change.
func (tx *Tx) UpdateDesignation(d *oversight.Designation, changed int64) error {
	return tx.updateDoc("designation", `UPDATE designations SET source = $2, basis = $3, related_to = $4, case_id = $5, delisted_at = $6, changed = $7, doc = $8 WHERE id = $1`,
		d.ID, nullString(d.Source), d.Basis, nullString(d.RelatedTo), nullString(d.CaseID), delistedMicros(d), changed, mustJSON(d))
}

// Designation returns the designation with id.
func (tx *Tx) Designation(id string) (*oversight.Designation, error) {
	var d oversight.Designation
	return &d, tx.getDoc("designation", `SELECT doc FROM designations WHERE id = $1`, &d, id)
}

// DesignationBySource returns the designation imported from source, or
// nil when there is none.
func (tx *Tx) DesignationBySource(source string) (*oversight.Designation, error) {
	return findDoc[oversight.Designation](tx, "designation", `SELECT doc FROM designations WHERE source = $1`, source)
}

// DesignationsBySource returns the designations imported from any of
// sources, by source: one query for a chunk of an import.
func (tx *Tx) DesignationsBySource(sources []string) (map[string]*oversight.Designation, error) {
	out := make(map[string]*oversight.Designation, len(sources))
	return out, tx.designationsIn("source", sources, func(d *oversight.Designation) { out[d.Source] = d })
}

// DesignationsByID returns the designations with any of ids, by id.
func (tx *Tx) DesignationsByID(ids []string) (map[string]*oversight.Designation, error) {
	out := make(map[string]*oversight.Designation, len(ids))
	return out, tx.designationsIn("id", ids, func(d *oversight.Designation) { out[d.ID] = d })
}

// designationsIn reads the designations whose column is one of values,
// a few hundred at a time (both databases bound a statement's
// parameters).
func (tx *Tx) designationsIn(column string, values []string, f func(*oversight.Designation)) error {
	const per = 500
	for len(values) > 0 {
		n := min(len(values), per)
		args := make([]any, n)
		q := make([]byte, 0, 16+6*n)
		for i := range n {
			if i > 0 {
				q = append(q, ", "...)
			}
			q = fmt.Appendf(q, "$%d", i+1)
			args[i] = values[i]
		}
		values = values[n:]
		err := tx.eachDesignation(func(d *oversight.Designation) error { f(d); return nil },
			`SELECT doc FROM designations WHERE `+column+` IN (`+string(q)+`)`, args...)
		if err != nil {
			return err
		}
	}
	return nil
}

// Designations lists the designations matching f, newest first.
func (tx *Tx) Designations(f oversight.DesignationFilter, page oversight.Page) ([]oversight.Designation, string, error) {
	var w where
	w.add("basis = $", string(f.Basis))
	w.add("case_id = $", f.CaseID)
	w.add("related_to = $", f.RelatedTo)
	w.add("source = $", f.Source)
	switch f.Status {
	case "active":
		w.conds = append(w.conds, "delisted_at IS NULL")
	case "delisted":
		w.conds = append(w.conds, "delisted_at IS NOT NULL")
	}
	clause, args := w.newestFirst(page)
	return listDocs(tx, "designations", page, func(d *oversight.Designation) string { return d.ID }, `SELECT doc FROM designations`+clause, args...)
}

// DesignationsChanged calls f with every designation whose last change is
// at a log index above after, in the order of those changes, and returns
// the highest index seen (after itself when nothing changed). With after
// -1 it reads them all: the index a server builds at start.
func (tx *Tx) DesignationsChanged(after int64, f func(d *oversight.Designation) error) (int64, error) {
	rows, err := tx.query(`SELECT changed, doc FROM designations WHERE changed > $1 ORDER BY changed`, after)
	if err != nil {
		return after, fmt.Errorf("read designations: %w", err)
	}
	defer rows.Close()
	last := after
	for rows.Next() {
		var (
			changed int64
			doc     string
		)
		if err := rows.Scan(&changed, &doc); err != nil {
			return last, fmt.Errorf("read designations: %w", err)
		}
		var d oversight.Designation
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return last, fmt.Errorf("decode designation: %w", err)
		}
		if err := f(&d); err != nil {
			return last, err
		}
		last = max(last, changed)
	}
	if err := rows.Err(); err != nil {
		return last, fmt.Errorf("read designations: %w", err)
	}
	return last, nil
}

func (tx *Tx) eachDesignation(f func(*oversight.Designation) error, query string, args ...any) error {
	rows, err := tx.query(query, args...)
	if err != nil {
		return fmt.Errorf("read designations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return fmt.Errorf("read designations: %w", err)
		}
		var d oversight.Designation
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return fmt.Errorf("decode designation: %w", err)
		}
		if err := f(&d); err != nil {
			return err
		}
	}
	return rows.Err()
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func delistedMicros(d *oversight.Designation) sql.NullInt64 {
	if d.DelistedAt == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: d.DelistedAt.UnixMicro(), Valid: true}
}

// isUniqueViolation reports whether err is a unique-constraint violation
// on either database.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	// modernc.org/sqlite: "constraint failed: UNIQUE constraint failed: …"
	// (SQLITE_CONSTRAINT_UNIQUE); pgx: SQLSTATE 23505.
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState() == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// DesignationsVersion returns the highest log index at which a designation
// changed (-1 when there is none): one read of the designations_by_change
// index, by which a replica learns whether its screening index is behind.
// Log indexes are assigned in commit order (the log head's lock serialises
// every writer), so every change at or below it has committed.
func (tx *Tx) DesignationsVersion() (int64, error) {
	var v sql.NullInt64
	if err := tx.queryRow(`SELECT max(changed) FROM designations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read designations version: %w", err)
	}
	if !v.Valid {
		return -1, nil
	}
	return v.Int64, nil
}

// ActiveListEntries returns the active designations imported from the
// public list named list (their source begins "list:"), by source.
func (tx *Tx) ActiveListEntries(list string) (map[string]*oversight.Designation, error) {
	rows, err := tx.query(`SELECT doc FROM designations WHERE source LIKE $1 AND delisted_at IS NULL`, list+":%")
	if err != nil {
		return nil, fmt.Errorf("read designations of %s: %w", list, err)
	}
	defer rows.Close()
	out := make(map[string]*oversight.Designation)
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("read designations of %s: %w", list, err)
		}
		var d oversight.Designation
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return nil, fmt.Errorf("decode designation: %w", err)
		}
		out[d.Source] = &d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read designations of %s: %w", list, err)
	}
	return out, nil
}
