package store

import (
	"time"

	"github.com/oversight-dev/oversight"
)

// CreateDeployment inserts d. A public key already registered to another
// deployment is ECONFLICT.
func (tx *Tx) CreateDeployment(d *oversight.Deployment) error {
	_, err := tx.exec(`INSERT INTO deployments (id, license_id, status, public_key, doc) VALUES ($1, $2, $3, $4, $5)`,
		d.ID, d.LicenseID, d.Status, nullable(d.PublicKey), mustJSON(d))
	if isUniqueViolation(err) {
		return oversight.Conflictf("registered", "this public key is already registered to another deployment; each deployment has a key of its own")
	}
	return wrap(err, "create deployment %s", d.ID)
}

// DeploymentByKey returns the deployment registered with public key, or
// ENOTFOUND.
func (tx *Tx) DeploymentByKey(publicKey string) (*oversight.Deployment, error) {
	var d oversight.Deployment
	return &d, tx.getDoc("deployment", `SELECT doc FROM deployments WHERE public_key = $1`, &d, publicKey)
}

// UpdateDeployment writes d.
func (tx *Tx) UpdateDeployment(d *oversight.Deployment) error {
	return tx.updateDoc("deployment", `UPDATE deployments SET status = $2, doc = $3 WHERE id = $1`, d.ID, d.Status, mustJSON(d))
}

// Deployment returns the deployment with id.
func (tx *Tx) Deployment(id string) (*oversight.Deployment, error) {
	var d oversight.Deployment
	return &d, tx.getDoc("deployment", `SELECT doc FROM deployments WHERE id = $1`, &d, id)
}

// Deployments lists deployments, of one licence if set.
func (tx *Tx) Deployments(licenseID string, page oversight.Page) ([]oversight.Deployment, string, error) {
	var w where
	w.add("license_id = $", licenseID)
	clause, args := w.sql(page)
	return listDocs(tx, "deployments", page, func(d *oversight.Deployment) string { return d.ID }, `SELECT doc FROM deployments`+clause, args...)
}

// UseNonce records the digest of a signed request, to be remembered until
// expires. It reports false if the digest was already recorded: the request
// is a replay. Call it in the same transaction as the request's effect, so
// that a request is either new and acted on, or refused.
func (tx *Tx) UseNonce(digest []byte, expires time.Time) (fresh bool, err error) {
	res, err := tx.exec(`INSERT INTO request_nonces (digest, expires_at) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING`, digest, expires.UnixMicro())
	if err != nil {
		return false, wrap(err, "record request nonce")
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PruneNonces forgets the digests that expired before t; a request that
// old is refused for its time anyway.
func (tx *Tx) PruneNonces(t time.Time) (int64, error) {
	res, err := tx.exec(`DELETE FROM request_nonces WHERE expires_at < $1`, t.UnixMicro())
	if err != nil {
		return 0, wrap(err, "prune nonces")
	}
	return res.RowsAffected()
}
