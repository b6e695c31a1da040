package store

import "github.com/oversight-dev/oversight"

// CreateComplaint inserts c with the digest of its secret.
func (tx *Tx) CreateComplaint(c *oversight.Complaint) error {
	_, err := tx.exec(`INSERT INTO complaints (id, secret_hash, status, license_id, doc) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.SecretHash, c.Status, c.LicenseID, mustJSON(c))
	return wrap(err, "create complaint %s", c.ID)
}

// UpdateComplaint writes c; its secret does not change.
func (tx *Tx) UpdateComplaint(c *oversight.Complaint) error {
	return tx.updateDoc("complaint", `UPDATE complaints SET status = $2, doc = $3 WHERE id = $1`, c.ID, c.Status, mustJSON(c))
}

// Complaint returns the complaint with id, without its secret's digest.
func (tx *Tx) Complaint(id string) (*oversight.Complaint, error) {
	var c oversight.Complaint
	return &c, tx.getDoc("complaint", `SELECT doc FROM complaints WHERE id = $1`, &c, id)
}

// ComplaintBySecret returns the complaint id whose secret has the digest
// hash: the secret and the receipt must name the same complaint, which
// the caller checks.
func (tx *Tx) ComplaintBySecret(id string, hash []byte) (*oversight.Complaint, error) {
	var c oversight.Complaint
	return &c, tx.getDoc("complaint", `SELECT doc FROM complaints WHERE id = $1 AND secret_hash = $2`, &c, id, hash)
}

// Complaints lists the complaints matching f, newest first.
func (tx *Tx) Complaints(f oversight.ComplaintFilter, page oversight.Page) ([]oversight.Complaint, string, error) {
	var w where
	w.add("status = $", string(f.Status))
	w.add("license_id = $", f.LicenseID)
	clause, args := w.newestFirst(page)
	return listDocs(tx, "complaints", page, func(c *oversight.Complaint) string { return c.ID }, `SELECT doc FROM complaints`+clause, args...)
}
