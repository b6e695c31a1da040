package store

import (
	"github.com/oversight-dev/oversight"
)

// CreateLicense inserts l.
func (tx *Tx) CreateLicense(l *oversight.License) error {
	_, err := tx.exec(`INSERT INTO licenses (id, kind, vendor_id, product_id, end_user_id, declaration_id, status, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		l.ID, l.Kind, l.VendorID, l.ProductID, l.EndUserID, l.DeclarationID, l.Status, mustJSON(l))
	return wrap(err, "create licence %s", l.ID)
}

// UpdateLicense writes l.
func (tx *Tx) UpdateLicense(l *oversight.License) error {
	return tx.updateDoc("licence", `UPDATE licenses SET status = $2, doc = $3 WHERE id = $1`, l.ID, l.Status, mustJSON(l))
}

// License returns the licence with id.
func (tx *Tx) License(id string) (*oversight.License, error) {
	var l oversight.License
	return &l, tx.getDoc("licence", `SELECT doc FROM licenses WHERE id = $1`, &l, id)
}

// Licenses lists licences matching f.
func (tx *Tx) Licenses(f oversight.LicenseFilter, page oversight.Page) ([]oversight.License, string, error) {
	var w where
	w.add("vendor_id = $", f.VendorID)
	w.add("end_user_id = $", f.EndUserID)
	w.add("product_id = $", f.ProductID)
	w.add("status = $", string(f.Status))
	w.add("kind = $", string(f.Kind))
	if f.Awaiting != "" {
		// An applied licence that no approval of this ministry names;
		// approvals live in the document, at most two of them.
		w.add("status = $", string(oversight.LicenseApplied))
		w.add(tx.s.dialect.noApproval, string(f.Awaiting))
	}
	clause, args := w.sql(page)
	return listDocs(tx, "licences", page, func(l *oversight.License) string { return l.ID }, `SELECT doc FROM licenses`+clause, args...)
}

// HasLicense reports whether a licence of kind and status exists for the
// product and end user.
func (tx *Tx) HasLicense(kind oversight.LicenseKind, status oversight.LicenseStatus, productID, endUserID string) (bool, error) {
	var n int
	err := tx.queryRow(`SELECT count(*) FROM licenses WHERE kind = $1 AND status = $2 AND product_id = $3 AND end_user_id = $4`,
		kind, status, productID, endUserID).Scan(&n)
	return n > 0, wrap(err, "find %s licence", kind)
}
