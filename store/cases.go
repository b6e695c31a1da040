package store

import (
	"fmt"

	"github.com/oversight-dev/oversight"
)

// CreateCase inserts c.
func (tx *Tx) CreateCase(c *oversight.Case) error {
	_, err := tx.exec(`INSERT INTO cases (id, license_id, status, source, rule, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.ID, c.LicenseID, c.Status, c.Source, c.Rule, mustJSON(c))
	return wrap(err, "create case %s", c.ID)
}

// UpdateCase writes c.
func (tx *Tx) UpdateCase(c *oversight.Case) error {
	return tx.updateDoc("case", `UPDATE cases SET status = $2, doc = $3 WHERE id = $1`, c.ID, c.Status, mustJSON(c))
}

// Case returns the case with id.
func (tx *Tx) Case(id string) (*oversight.Case, error) {
	var c oversight.Case
	return &c, tx.getDoc("case", `SELECT doc FROM cases WHERE id = $1`, &c, id)
}

// Cases lists the cases matching f, newest first.
func (tx *Tx) Cases(f oversight.CaseFilter, page oversight.Page) ([]oversight.Case, string, error) {
	var w where
	w.add("license_id = $", f.LicenseID)
	w.add("status = $", string(f.Status))
	w.add("source = $", string(f.Source))
	w.add("rule = $", f.Rule)
	clause, args := w.newestFirst(page)
	return listDocs(tx, "cases", page, func(c *oversight.Case) string { return c.ID }, `SELECT doc FROM cases`+clause, args...)
}

// OpenCaseOf returns the case of a rule on a licence that is not closed,
// or nil: repeats of the rule gather there.
func (tx *Tx) OpenCaseOf(licenseID, rule string) (*oversight.Case, error) {
	return findDoc[oversight.Case](tx, "case", `SELECT doc FROM cases WHERE license_id = $1 AND rule = $2 AND status <> $3 ORDER BY id DESC LIMIT 1`,
		licenseID, rule, oversight.CaseClosed)
}

// ActionsNamingCase returns the ids of the enforcement actions that name
// a case, oldest first. Actions are few, and their case id lives in their
// document, so this reads it with each database's JSON operator.
func (tx *Tx) ActionsNamingCase(caseID string) ([]string, error) {
	rows, err := tx.query(`SELECT id FROM actions WHERE `+tx.s.dialect.jsonField("doc", "case_id")+` = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("actions of case %s: %w", caseID, err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("actions of case %s: %w", caseID, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
