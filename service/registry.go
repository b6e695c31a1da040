package service

import (
	"context"
	"fmt"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// Registry is the service's aggregate of the registry of vendors and
// products: vendors with their persons, products, the development
// reviews that take a product stage by stage to export-ready, and the
// safeguards reports those reviews cite as evidence, countersigned for the
// deployment whose run produced them (safeguards.go). Service embeds it,
// so its methods are the Service's; it shares the Service's store and
// clock.
type Registry struct{ s *Service }

// CreateVendor registers a vendor and its owners and executives.
func (g *Registry) CreateVendor(ctx context.Context, p *oversight.Principal, v *oversight.Vendor) (*oversight.Vendor, error) {
	s := g.s
	if err := allow(p, oversight.TaskVendorCreate); err != nil {
		return nil, err
	}
	v.Tidy()
	if err := v.Validate(); err != nil {
		return nil, err
	}
	v.ID = oversight.NewID(oversight.PrefixVendor)
	v.CreatedAt = s.clock()
	if v.Persons == nil {
		v.Persons = []oversight.Person{}
	}
	for i := range v.Persons {
		v.Persons[i].ID = oversight.NewID(oversight.PrefixPerson)
	}
	parties := vendorParties(v)
	found, err := s.prescreen(ctx, parties, v.CreatedAt)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		v.LogIndex = tx.NextIndex()
		if _, err := tx.RecordPrivate(oversight.EventVendorRegistered, p.Actor(), v.ID, v.CreatedAt, v, oversight.PersonalVendor...); err != nil {
			return err
		}
		if err := tx.CreateVendor(v); err != nil {
			return err
		}
		return s.recordScreened(tx, p.Actor(), oversight.ScreenedRegistered, parties, found, v.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("register vendor: %w", err)
	}
	return v, nil
}

// Vendor returns a vendor: officials see every vendor, a vendor only
// itself.
func (g *Registry) Vendor(ctx context.Context, p *oversight.Principal, id string) (*oversight.Vendor, error) {
	s := g.s
	if err := allow(p, oversight.TaskVendorRead); err != nil {
		return nil, err
	}
	if err := ownVendor(p, id, "vendor", id); err != nil {
		return nil, err
	}
	var v *oversight.Vendor
	err := s.view(ctx, func(tx *store.Tx) (err error) { v, err = tx.Vendor(id); return err })
	return v, err
}

// Vendors lists vendors; a vendor sees only itself.
func (g *Registry) Vendors(ctx context.Context, p *oversight.Principal, page oversight.Page) (*oversight.List[oversight.Vendor], error) {
	s := g.s
	if err := allow(p, oversight.TaskVendorRead); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.Vendor]{Items: []oversight.Vendor{}}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		if p.Role == oversight.RoleVendor {
			v, err := tx.Vendor(p.VendorID)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, *v)
			return nil
		}
		out.Items, out.Next, err = tx.Vendors(page)
		return err
	})
	return out, err
}

// CreateProduct registers a product of a vendor; it starts before the
// concept stage is approved.
func (g *Registry) CreateProduct(ctx context.Context, p *oversight.Principal, pr *oversight.Product) (*oversight.Product, error) {
	s := g.s
	if err := allow(p, oversight.TaskProductCreate); err != nil {
		return nil, err
	}
	if p.Role == oversight.RoleVendor && pr.VendorID == "" {
		pr.VendorID = p.VendorID
	}
	if err := pr.Validate(); err != nil {
		return nil, err
	}
	if err := ownVendor(p, pr.VendorID, "vendor", pr.VendorID); err != nil {
		return nil, err
	}
	pr.ID = oversight.NewID(oversight.PrefixProduct)
	pr.Stage = ""
	pr.Status = oversight.ProductRegistered
	pr.CreatedAt = s.clock()
	err := s.update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Vendor(pr.VendorID); err != nil {
			return err
		}
		pr.LogIndex = tx.NextIndex()
		if _, err := tx.Record(oversight.EventProductRegistered, p.Actor(), pr.ID, pr.CreatedAt, pr); err != nil {
			return err
		}
		return tx.CreateProduct(pr)
	})
	if err != nil {
		return nil, fmt.Errorf("register product: %w", err)
	}
	return pr, nil
}

// Product returns a product; a vendor sees only its own.
func (g *Registry) Product(ctx context.Context, p *oversight.Principal, id string) (*oversight.Product, error) {
	s := g.s
	if err := allow(p, oversight.TaskProductRead); err != nil {
		return nil, err
	}
	var pr *oversight.Product
	err := s.view(ctx, func(tx *store.Tx) (err error) { pr, err = tx.Product(id); return err })
	if err != nil {
		return nil, err
	}
	if err := ownVendor(p, pr.VendorID, "product", id); err != nil {
		return nil, err
	}
	return pr, nil
}

// Products lists products, of one vendor if vendorID is set; a vendor sees
// only its own.
func (g *Registry) Products(ctx context.Context, p *oversight.Principal, f oversight.ProductFilter, page oversight.Page) (*oversight.List[oversight.Product], error) {
	s := g.s
	if err := allow(p, oversight.TaskProductRead); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if p.Role == oversight.RoleVendor {
		if f.VendorID != "" && f.VendorID != p.VendorID {
			return &oversight.List[oversight.Product]{Items: []oversight.Product{}}, nil
		}
		f.VendorID = p.VendorID
	}
	out := &oversight.List[oversight.Product]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.Products(f, page)
		return err
	})
	return out, err
}

// SubmitReview opens a development-stage review of a product. The product
// advances one stage at a time; after changes were required it resubmits
// the same stage, having met every condition.
func (g *Registry) SubmitReview(ctx context.Context, p *oversight.Principal, productID string, sub *oversight.ReviewSubmission) (*oversight.Review, error) {
	s := g.s
	if err := allow(p, oversight.TaskReviewSubmit); err != nil {
		return nil, err
	}
	if err := sub.Validate(); err != nil {
		return nil, err
	}
	r := &oversight.Review{
		ID: oversight.NewID(oversight.PrefixReview), ProductID: productID, Stage: sub.Stage,
		Dossier: sub.Dossier, Safeguards: sub.Safeguards, ConditionsMet: sub.ConditionsMet,
		Status: oversight.ReviewSubmitted, SubmittedBy: p.Actor(), SubmittedAt: s.clock(),
	}
	if r.Safeguards == nil {
		r.Safeguards = []string{}
	}
	if sub.Evidence != nil {
		ev, err := s.verifyEvidence(productID, sub.Evidence)
		if err != nil {
			return nil, err
		}
		r.Evidence = ev
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		pr, err := tx.Product(productID)
		if err != nil {
			return err
		}
		if err := ownVendor(p, pr.VendorID, "product", productID); err != nil {
			return err
		}
		prev, err := tx.LatestReview(productID)
		if err != nil {
			return err
		}
		if err := oversight.CheckSubmission(pr, prev, sub); err != nil {
			return err
		}
		pr.Status = oversight.ProductInReview
		r.LogIndex = tx.NextIndex()
		pr.LogIndex = r.LogIndex
		// The log records the report's digest and verdicts, not the report.
		logged := *r
		if r.Evidence != nil {
			logged.Evidence = r.Evidence.Summary()
		}
		if _, err := tx.Record(oversight.EventReviewSubmitted, p.Actor(), r.ID, r.SubmittedAt, &logged); err != nil {
			return err
		}
		if err := tx.CreateReview(r); err != nil {
			return err
		}
		return tx.UpdateProduct(pr)
	})
	if err != nil {
		return nil, fmt.Errorf("submit review of %s: %w", productID, err)
	}
	return r, nil
}

// DecideReview records an export-control officer's decision on an open
// review.
func (g *Registry) DecideReview(ctx context.Context, p *oversight.Principal, reviewID string, d *oversight.ReviewDecisionRequest) (*oversight.Review, error) {
	s := g.s
	if err := allow(p, oversight.TaskReviewDecide); err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	var r *oversight.Review
	err := s.update(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = tx.Review(reviewID); err != nil {
			return err
		}
		pr, err := tx.Product(r.ProductID)
		if err != nil {
			return err
		}
		var ev *oversight.SafeguardEvidence
		if r.Stage == oversight.StageExportReady && d.Decision == oversight.DecideApprove {
			if ev, err = latestEvidence(tx, pr.ID); err != nil {
				return err
			}
		}
		now := s.clock()
		if err := oversight.Decide(pr, r, d, ev, p.Actor(), now); err != nil {
			return err
		}
		if r.LogIndex, err = tx.Record(oversight.EventReviewDecided, p.Actor(), r.ID, now, struct {
			ProductID  string                   `json:"product_id"`
			Stage      oversight.Stage          `json:"stage"`
			Decision   oversight.ReviewDecision `json:"decision"`
			Conditions []string                 `json:"conditions,omitempty"`
			Notes      string                   `json:"notes,omitempty"`
		}{r.ProductID, r.Stage, d.Decision, d.Conditions, d.Notes}); err != nil {
			return err
		}
		pr.LogIndex = r.LogIndex
		if err := tx.UpdateReview(r); err != nil {
			return err
		}
		return tx.UpdateProduct(pr)
	})
	if err != nil {
		return nil, fmt.Errorf("decide review %s: %w", reviewID, err)
	}
	return r, nil
}

// Review returns a review; a vendor sees only its own products' reviews.
func (g *Registry) Review(ctx context.Context, p *oversight.Principal, id string) (*oversight.Review, error) {
	s := g.s
	if err := allow(p, oversight.TaskReviewRead); err != nil {
		return nil, err
	}
	var r *oversight.Review
	err := s.view(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = tx.Review(id); err != nil {
			return err
		}
		pr, err := tx.Product(r.ProductID)
		if err != nil {
			return err
		}
		return ownVendor(p, pr.VendorID, "review", id)
	})
	return r, err
}

// Reviews lists reviews matching f, oldest first: a product's reviews
// for whoever may read the product, or the reviews of every product (such
// as those waiting for a decision, status submitted) for officials.
func (g *Registry) Reviews(ctx context.Context, p *oversight.Principal, f oversight.ReviewFilter, page oversight.Page) (*oversight.List[oversight.Review], error) {
	s := g.s
	if f.ProductID != "" {
		if _, err := s.Product(ctx, p, f.ProductID); err != nil {
			return nil, err
		}
	} else if err := allow(p, oversight.TaskReviewListAll); err != nil {
		return nil, err
	}
	switch f.Status {
	case "", oversight.ReviewSubmitted, oversight.ReviewApproved, oversight.ReviewChangesRequired, oversight.ReviewRejected:
	default:
		return nil, oversight.Invalid("invalid query", "status", "must be submitted, approved, changes_required or rejected")
	}
	out := &oversight.List[oversight.Review]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.Reviews(f, page)
		return err
	})
	return out, err
}
