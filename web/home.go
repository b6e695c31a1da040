package web

import (
	"net/http"

	"github.com/oversight-dev/oversight"
)

func (s *Server) routesHome() {
	s.handle("GET", "/{$}", s.home)
}

// homeData is the work waiting for the signed-in person. Each list is one
// bounded page, found by the store's filters; the page links to the full,
// filtered list.
type homeData struct {
	Licenses []oversight.License // awaiting my ministry (officers), applied (admin), or mine
	Actions  []oversight.Action  // pending, awaiting a second approver
	Cases    []oversight.Case    // open
	Denials  []oversight.OperationRecord
	Reviews  []oversight.Review  // awaiting a decision (defense)
	Products []oversight.Product // mine (vendors)
	Ministry oversight.Ministry
}

// home shows each role the work waiting for them.
func (s *Server) home(w http.ResponseWriter, r *request) error {
	c, p := r.Context(), r.p
	var d homeData
	short := oversight.Page{Limit: 10}
	var ids []string
	switch p.Role {
	case oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleAdmin:
		f := oversight.LicenseFilter{Status: oversight.LicenseApplied}
		if p.Is(oversight.RoleDefense, oversight.RoleForeignAffairs) {
			d.Ministry = oversight.Ministry(p.Role)
			f = oversight.LicenseFilter{Awaiting: d.Ministry}
		}
		ls, err := s.svc.Licenses(c, p, f, short)
		if err != nil {
			return err
		}
		d.Licenses = ls.Items
		as, err := s.svc.ActionsByStatus(c, p, oversight.ActionPending, short)
		if err != nil {
			return err
		}
		d.Actions = as.Items
		cs, err := s.svc.Cases(c, p, oversight.CaseFilter{Status: oversight.CaseOpen}, short)
		if err != nil {
			return err
		}
		d.Cases = cs.Items
		ops, err := s.svc.Operations(c, p, oversight.OperationFilter{Decision: oversight.Deny}, short)
		if err != nil {
			return err
		}
		d.Denials = ops.Items
		if p.Is(oversight.RoleDefense) {
			rs, err := s.svc.Reviews(c, p, oversight.ReviewFilter{Status: oversight.ReviewSubmitted}, short)
			if err != nil {
				return err
			}
			d.Reviews = rs.Items
			for _, x := range rs.Items {
				ids = append(ids, x.ProductID)
			}
		}
	case oversight.RoleVendor:
		prs, err := s.svc.Products(c, p, oversight.ProductFilter{VendorID: p.VendorID}, short)
		if err != nil {
			return err
		}
		d.Products = prs.Items
		ls, err := s.svc.Licenses(c, p, oversight.LicenseFilter{VendorID: p.VendorID}, short)
		if err != nil {
			return err
		}
		d.Licenses = ls.Items
	case oversight.RoleEndUser:
		ls, err := s.svc.Licenses(c, p, oversight.LicenseFilter{EndUserID: p.EndUserID}, short)
		if err != nil {
			return err
		}
		d.Licenses = ls.Items
	}
	for _, l := range d.Licenses {
		ids = append(ids, l.ProductID, l.EndUserID)
	}
	for _, a := range d.Actions {
		ids = append(ids, a.LicenseID)
	}
	for _, c := range d.Cases {
		ids = append(ids, c.LicenseID)
	}
	return s.render(w, r.Request, p, "home", &page{Title: "Waiting for you", Data: d, Names: s.resolve(c, p, nil, ids...)})
}

// decidedBy reports whether ministry m has decided on l.
func decidedBy(l *oversight.License, m oversight.Ministry) bool {
	for _, a := range l.Approvals {
		if a.Ministry == m {
			return true
		}
	}
	return false
}
