package store

import (
	"github.com/oversight-dev/oversight"
)

// CreateVendor inserts v.
func (tx *Tx) CreateVendor(v *oversight.Vendor) error {
	_, err := tx.exec(`INSERT INTO vendors (id, name, created_at, doc) VALUES ($1, $2, $3, $4)`,
		v.ID, v.Name, v.CreatedAt.UnixMicro(), mustJSON(v))
	return wrap(err, "create vendor %s", v.ID)
}

// UpdateVendor writes v, its name column with its document.
func (tx *Tx) UpdateVendor(v *oversight.Vendor) error {
	return tx.updateDoc("vendor", `UPDATE vendors SET name = $2, doc = $3 WHERE id = $1`, v.ID, v.Name, mustJSON(v))
}

// Vendor returns the vendor with id.
func (tx *Tx) Vendor(id string) (*oversight.Vendor, error) {
	var v oversight.Vendor
	return &v, tx.getDoc("vendor", `SELECT doc FROM vendors WHERE id = $1`, &v, id)
}

// Vendors lists vendors.
func (tx *Tx) Vendors(page oversight.Page) ([]oversight.Vendor, string, error) {
	var w where
	clause, args := w.sql(page)
	return listDocs(tx, "vendors", page, func(v *oversight.Vendor) string { return v.ID }, `SELECT doc FROM vendors`+clause, args...)
}

// CreateProduct inserts p.
func (tx *Tx) CreateProduct(p *oversight.Product) error {
	_, err := tx.exec(`INSERT INTO products (id, vendor_id, created_at, doc) VALUES ($1, $2, $3, $4)`,
		p.ID, p.VendorID, p.CreatedAt.UnixMicro(), mustJSON(p))
	return wrap(err, "create product %s", p.ID)
}

// UpdateProduct writes p's document.
func (tx *Tx) UpdateProduct(p *oversight.Product) error {
	return tx.updateDoc("product", `UPDATE products SET doc = $2 WHERE id = $1`, p.ID, mustJSON(p))
}

// Product returns the product with id.
func (tx *Tx) Product(id string) (*oversight.Product, error) {
	var p oversight.Product
	return &p, tx.getDoc("product", `SELECT doc FROM products WHERE id = $1`, &p, id)
}

// Products lists products, of one vendor when vendorID is not empty.
func (tx *Tx) Products(f oversight.ProductFilter, page oversight.Page) ([]oversight.Product, string, error) {
	var w where
	w.add("vendor_id = $", f.VendorID)
	w.add(tx.s.dialect.jsonField("doc", "stage")+" = $", string(f.Stage))
	clause, args := w.sql(page)
	return listDocs(tx, "products", page, func(p *oversight.Product) string { return p.ID }, `SELECT doc FROM products`+clause, args...)
}

// CreateReview inserts r.
func (tx *Tx) CreateReview(r *oversight.Review) error {
	_, err := tx.exec(`INSERT INTO reviews (id, product_id, status, doc) VALUES ($1, $2, $3, $4)`,
		r.ID, r.ProductID, r.Status, mustJSON(r))
	return wrap(err, "create review %s", r.ID)
}

// UpdateReview writes r.
func (tx *Tx) UpdateReview(r *oversight.Review) error {
	return tx.updateDoc("review", `UPDATE reviews SET status = $2, doc = $3 WHERE id = $1`, r.ID, r.Status, mustJSON(r))
}

// Review returns the review with id.
func (tx *Tx) Review(id string) (*oversight.Review, error) {
	var r oversight.Review
	return &r, tx.getDoc("review", `SELECT doc FROM reviews WHERE id = $1`, &r, id)
}

// Reviews lists the reviews matching f, oldest first.
func (tx *Tx) Reviews(f oversight.ReviewFilter, page oversight.Page) ([]oversight.Review, string, error) {
	var w where
	w.add("product_id = $", f.ProductID)
	w.add("status = $", string(f.Status))
	clause, args := w.sql(page)
	return listDocs(tx, "reviews", page, func(r *oversight.Review) string { return r.ID }, `SELECT doc FROM reviews`+clause, args...)
}

// LatestReview returns the product's most recent review, or nil if it has
// none.
func (tx *Tx) LatestReview(productID string) (*oversight.Review, error) {
	var r oversight.Review
	err := tx.getDoc("review", `SELECT doc FROM reviews WHERE product_id = $1 ORDER BY id DESC LIMIT 1`, &r, productID)
	if oversight.ErrorCode(err) == oversight.ENOTFOUND {
		return nil, nil
	}
	return &r, err
}

// Country returns the country with the ISO code.
func (tx *Tx) Country(iso2 string) (*oversight.Country, error) {
	var c oversight.Country
	return &c, tx.getDoc("country", `SELECT doc FROM countries WHERE iso2 = $1`, &c, iso2)
}

// Countries lists every country, by code, optionally only those of a tier.
func (tx *Tx) Countries(tier oversight.Tier) ([]oversight.Country, error) {
	var w where
	w.add("tier = $", string(tier))
	clause := ""
	if len(w.conds) > 0 {
		clause = " WHERE " + w.conds[0]
	}
	out, _, err := listDocs(tx, "countries", oversight.Page{Limit: 1000}, func(c *oversight.Country) string { return c.ISO2 },
		`SELECT doc FROM countries`+clause+` ORDER BY iso2`, w.args...)
	return out, err
}

// UpdateCountry writes c.
func (tx *Tx) UpdateCountry(c *oversight.Country) error {
	return tx.updateDoc("country", `UPDATE countries SET tier = $2, doc = $3 WHERE iso2 = $1`, c.ISO2, c.Tier, mustJSON(c))
}

// CreateEndUser inserts e.
func (tx *Tx) CreateEndUser(e *oversight.EndUser) error {
	_, err := tx.exec(`INSERT INTO end_users (id, country, doc) VALUES ($1, $2, $3)`, e.ID, e.Country, mustJSON(e))
	return wrap(err, "create end user %s", e.ID)
}

// UpdateEndUser writes e's document (its country, a column, does not
// change).
func (tx *Tx) UpdateEndUser(e *oversight.EndUser) error {
	return tx.updateDoc("end user", `UPDATE end_users SET doc = $2 WHERE id = $1`, e.ID, mustJSON(e))
}

// EndUser returns the end user with id.
func (tx *Tx) EndUser(id string) (*oversight.EndUser, error) {
	var e oversight.EndUser
	return &e, tx.getDoc("end user", `SELECT doc FROM end_users WHERE id = $1`, &e, id)
}

// EndUsers lists end users, of one country when country is not empty.
func (tx *Tx) EndUsers(country string, page oversight.Page) ([]oversight.EndUser, string, error) {
	var w where
	w.add("country = $", country)
	clause, args := w.sql(page)
	return listDocs(tx, "end users", page, func(e *oversight.EndUser) string { return e.ID }, `SELECT doc FROM end_users`+clause, args...)
}

// CreateDeclaration inserts d.
func (tx *Tx) CreateDeclaration(d *oversight.Declaration) error {
	_, err := tx.exec(`INSERT INTO declarations (id, end_user_id, doc) VALUES ($1, $2, $3)`, d.ID, d.EndUserID, mustJSON(d))
	return wrap(err, "create declaration %s", d.ID)
}

// Declaration returns the declaration with id.
func (tx *Tx) Declaration(id string) (*oversight.Declaration, error) {
	var d oversight.Declaration
	return &d, tx.getDoc("declaration", `SELECT doc FROM declarations WHERE id = $1`, &d, id)
}

// Declarations lists declarations, of one end user when endUserID is not
// empty, and only those a licence of vendorID is under when vendorID is
// not empty.
func (tx *Tx) Declarations(endUserID, vendorID string, page oversight.Page) ([]oversight.Declaration, string, error) {
	var w where
	w.add("end_user_id = $", endUserID)
	w.add("id IN (SELECT declaration_id FROM licenses WHERE vendor_id = $)", vendorID)
	clause, args := w.sql(page)
	return listDocs(tx, "declarations", page, func(d *oversight.Declaration) string { return d.ID }, `SELECT doc FROM declarations`+clause, args...)
}

// VendorHasDeclaration reports whether a licence of vendorID is under
// declaration id.
func (tx *Tx) VendorHasDeclaration(vendorID, id string) (bool, error) {
	var n int
	err := tx.queryRow(`SELECT count(*) FROM licenses WHERE declaration_id = $1 AND vendor_id = $2`, id, vendorID).Scan(&n)
	return n > 0, wrap(err, "declarations of vendor %s", vendorID)
}
