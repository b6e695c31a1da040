package store

import "github.com/oversight-dev/oversight"

// CreateAction inserts a.
func (tx *Tx) CreateAction(a *oversight.Action) error {
	_, err := tx.exec(`INSERT INTO actions (id, license_id, status, doc) VALUES ($1, $2, $3, $4)`, a.ID, a.LicenseID, a.Status, mustJSON(a))
	return wrap(err, "create action %s", a.ID)
}

// UpdateAction writes a.
func (tx *Tx) UpdateAction(a *oversight.Action) error {
	return tx.updateDoc("action", `UPDATE actions SET status = $2, doc = $3 WHERE id = $1`, a.ID, a.Status, mustJSON(a))
}

// Action returns the action with id.
func (tx *Tx) Action(id string) (*oversight.Action, error) {
	var a oversight.Action
	return &a, tx.getDoc("action", `SELECT doc FROM actions WHERE id = $1`, &a, id)
}

// Actions lists the actions on a licence, oldest first.
func (tx *Tx) Actions(licenseID string, page oversight.Page) ([]oversight.Action, string, error) {
	var w where
	w.add("license_id = $", licenseID)
	clause, args := w.sql(page)
	return listDocs(tx, "actions", page, func(a *oversight.Action) string { return a.ID }, `SELECT doc FROM actions`+clause, args...)
}

// ActionsByStatus lists actions on every licence, of one status when
// status is not empty.
func (tx *Tx) ActionsByStatus(status oversight.ActionStatus, page oversight.Page) ([]oversight.Action, string, error) {
	var w where
	w.add("status = $", string(status))
	clause, args := w.sql(page)
	return listDocs(tx, "actions", page, func(a *oversight.Action) string { return a.ID }, `SELECT doc FROM actions`+clause, args...)
}
