package web

import (
	"net/http"

	"github.com/oversight-dev/oversight"
)

func (s *Server) routesHome() {
	s.handle("GET", "/{$}", s.home)
}

// homeData is the work waiting for the signed-in person. Each list is one
// bounded page; the page links to the full, filtered list.
type homeData struct {
	Licenses  []oversight.License // applied, awaiting my ministry (officers) or mine (vendors)
	Actions   []oversight.Action  // pending, awaiting a second approver
	Cases     []oversight.Case    // open
	Denials   []oversight.OperationRecord
	Products  []oversight.Product // in review (officers) or mine (vendors)
	Ministry  oversight.Ministry
	MoreLists bool
}

// home shows each role the work waiting for them.
func (s *Server) home(w http.ResponseWriter, r *request) error {
	c, p := r.Context(), r.p
	var d homeData
	short := oversight.Page{Limit: 10}
	switch p.Role {
	case oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleAdmin:
		d.Ministry = oversight.Ministry(p.Role)
		ls, err := s.svc.Licenses(c, p, oversight.LicenseFilter{Status: oversight.LicenseApplied}, oversight.Page{Limit: 50})
		if err != nil {
			return err
		}
		for _, l := range ls.Items {
			if !decidedBy(&l, d.Ministry) {
				d.Licenses = append(d.Licenses, l)
			}
		}
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
		if p.Role == oversight.RoleDefense {
			prs, err := s.svc.Products(c, p, "", oversight.Page{Limit: 100})
			if err != nil {
				return err
			}
			for _, x := range prs.Items {
				if x.Status == oversight.ProductInReview {
					d.Products = append(d.Products, x)
				}
			}
		}
	case oversight.RoleVendor:
		prs, err := s.svc.Products(c, p, p.VendorID, short)
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
	return s.render(w, r.Request, p, "home", &page{Title: "Waiting for you", Data: d})
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
