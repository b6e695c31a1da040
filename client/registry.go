package client

import (
	"context"
	"net/url"

	"github.com/oversight-dev/oversight"
)

// CreateVendor registers a vendor.
func (c *Client) CreateVendor(ctx context.Context, v *oversight.Vendor) (*oversight.Vendor, error) {
	var out oversight.Vendor
	return &out, c.Do(ctx, "POST", "/v1/vendors", v, &out)
}

// Vendor returns a vendor.
func (c *Client) Vendor(ctx context.Context, id string) (*oversight.Vendor, error) {
	var out oversight.Vendor
	return &out, c.Do(ctx, "GET", "/v1/vendors/"+url.PathEscape(id), nil, &out)
}

// UpdateVendor changes a vendor.
func (c *Client) UpdateVendor(ctx context.Context, id string, u *oversight.VendorUpdate) (*oversight.Vendor, error) {
	var out oversight.Vendor
	return &out, c.Do(ctx, "PATCH", "/v1/vendors/"+url.PathEscape(id), u, &out)
}

// Vendors lists vendors.
func (c *Client) Vendors(ctx context.Context, o oversight.Page) (*oversight.List[oversight.Vendor], error) {
	var out oversight.List[oversight.Vendor]
	return &out, c.Do(ctx, "GET", "/v1/vendors"+query(pagePairs(o)...), nil, &out)
}

// CreateProduct registers a product.
func (c *Client) CreateProduct(ctx context.Context, p *oversight.Product) (*oversight.Product, error) {
	var out oversight.Product
	return &out, c.Do(ctx, "POST", "/v1/products", p, &out)
}

// Product returns a product.
func (c *Client) Product(ctx context.Context, id string) (*oversight.Product, error) {
	var out oversight.Product
	return &out, c.Do(ctx, "GET", "/v1/products/"+url.PathEscape(id), nil, &out)
}

// Products lists the products f selects.
func (c *Client) Products(ctx context.Context, f oversight.ProductFilter, o oversight.Page) (*oversight.List[oversight.Product], error) {
	var out oversight.List[oversight.Product]
	return &out, c.Do(ctx, "GET", "/v1/products"+query(append([]string{"vendor_id", f.VendorID, "stage", string(f.Stage)}, pagePairs(o)...)...), nil, &out)
}

// SubmitReview submits a development-stage review of a product.
func (c *Client) SubmitReview(ctx context.Context, productID string, s *oversight.ReviewSubmission) (*oversight.Review, error) {
	var out oversight.Review
	return &out, c.Do(ctx, "POST", "/v1/products/"+url.PathEscape(productID)+"/reviews", s, &out)
}

// Reviews lists a product's reviews.
func (c *Client) Reviews(ctx context.Context, productID string, o oversight.Page) (*oversight.List[oversight.Review], error) {
	var out oversight.List[oversight.Review]
	return &out, c.Do(ctx, "GET", "/v1/products/"+url.PathEscape(productID)+"/reviews"+query(pagePairs(o)...), nil, &out)
}

// Review returns a review.
func (c *Client) Review(ctx context.Context, id string) (*oversight.Review, error) {
	var out oversight.Review
	return &out, c.Do(ctx, "GET", "/v1/reviews/"+url.PathEscape(id), nil, &out)
}

// DecideReview decides an open review.
func (c *Client) DecideReview(ctx context.Context, id string, d *oversight.ReviewDecisionRequest) (*oversight.Review, error) {
	var out oversight.Review
	return &out, c.Do(ctx, "POST", "/v1/reviews/"+url.PathEscape(id)+"/decision", d, &out)
}

// Countries lists countries, of one tier if set.
func (c *Client) Countries(ctx context.Context, tier oversight.Tier) ([]oversight.Country, error) {
	var out oversight.List[oversight.Country]
	return out.Items, c.Do(ctx, "GET", "/v1/countries"+query("tier", string(tier)), nil, &out)
}

// SetCountry sets a country's eligibility.
func (c *Client) SetCountry(ctx context.Context, iso2 string, u *oversight.CountryUpdate) (*oversight.Country, error) {
	var out oversight.Country
	return &out, c.Do(ctx, "PUT", "/v1/countries/"+url.PathEscape(iso2), u, &out)
}

// CreateEndUser registers an end-user agency.
func (c *Client) CreateEndUser(ctx context.Context, e *oversight.EndUser) (*oversight.EndUser, error) {
	var out oversight.EndUser
	return &out, c.Do(ctx, "POST", "/v1/end-users", e, &out)
}

// EndUser returns an end user.
func (c *Client) EndUser(ctx context.Context, id string) (*oversight.EndUser, error) {
	var out oversight.EndUser
	return &out, c.Do(ctx, "GET", "/v1/end-users/"+url.PathEscape(id), nil, &out)
}

// UpdateEndUser changes an end-user agency.
func (c *Client) UpdateEndUser(ctx context.Context, id string, u *oversight.EndUserUpdate) (*oversight.EndUser, error) {
	var out oversight.EndUser
	return &out, c.Do(ctx, "PATCH", "/v1/end-users/"+url.PathEscape(id), u, &out)
}

// EndUsers lists end users, of one country if set.
func (c *Client) EndUsers(ctx context.Context, country string, o oversight.Page) (*oversight.List[oversight.EndUser], error) {
	var out oversight.List[oversight.EndUser]
	return &out, c.Do(ctx, "GET", "/v1/end-users"+query(append([]string{"country", country}, pagePairs(o)...)...), nil, &out)
}

// Templates lists the declaration templates.
func (c *Client) Templates(ctx context.Context) ([]oversight.DeclarationTemplate, error) {
	var out oversight.List[oversight.DeclarationTemplate]
	return out.Items, c.Do(ctx, "GET", "/v1/declaration-templates", nil, &out)
}

// DeclarationText returns the canonical text to sign for s (its hash and
// signature are ignored).
func (c *Client) DeclarationText(ctx context.Context, s *oversight.DeclarationSubmission) ([]byte, error) {
	var buf bytesBuffer
	err := c.Do(ctx, "POST", "/v1/declarations:text", s, &buf)
	return buf.b, err
}

// RecordDeclaration records a signed declaration.
func (c *Client) RecordDeclaration(ctx context.Context, s *oversight.DeclarationSubmission) (*oversight.Declaration, error) {
	var out oversight.Declaration
	return &out, c.Do(ctx, "POST", "/v1/declarations", s, &out)
}

// Declaration returns a declaration.
func (c *Client) Declaration(ctx context.Context, id string) (*oversight.Declaration, error) {
	var out oversight.Declaration
	return &out, c.Do(ctx, "GET", "/v1/declarations/"+url.PathEscape(id), nil, &out)
}

// Declarations lists declarations, of one end user if set.
func (c *Client) Declarations(ctx context.Context, endUserID string, o oversight.Page) (*oversight.List[oversight.Declaration], error) {
	var out oversight.List[oversight.Declaration]
	return &out, c.Do(ctx, "GET", "/v1/declarations"+query(append([]string{"end_user_id", endUserID}, pagePairs(o)...)...), nil, &out)
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
