package web

import (
	"net/http"
	"net/url"

	"github.com/oversight-dev/oversight"
)

func (s *Server) routesUsers() {
	s.handle("GET", "/users", s.usersPage, oversight.RoleAdmin)
	s.handle("POST", "/users", s.inviteUser, oversight.RoleAdmin)
}

// inviteForm is the invitation form's typed values.
type inviteForm struct {
	Name, Role, Vendor, EndUser string
}

func newInviteForm(r *http.Request) inviteForm {
	return inviteForm{Name: r.PostFormValue("name"), Role: r.PostFormValue("role"),
		Vendor: r.PostFormValue("vendor_id"), EndUser: r.PostFormValue("end_user_id")}
}

type usersData struct {
	Users  []oversight.User
	Next   string
	Role   string
	Invite string // the one-time link just made, shown once
	Roles  []oversight.Role
	// Vendors and Agencies are what a vendor's or an agency's person is
	// bound to, to choose from.
	Vendors  []oversight.Vendor
	Agencies []oversight.EndUser
}

func (s *Server) usersPage(w http.ResponseWriter, r *request) error {
	return s.renderUsers(w, r, &page{Title: "Users", Form: r.URL.Query()}, "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *request, pg *page, invite string) error {
	role := r.URL.Query().Get("role")
	if role != "" && !oversight.Role(role).Valid() {
		role = ""
	}
	l, err := s.svc.Users(r.Context(), r.p, oversight.Role(role), pageOf(r.Request))
	if err != nil {
		return err
	}
	var ids []string
	for _, u := range l.Items {
		ids = append(ids, u.VendorID, u.EndUserID)
	}
	vs, err := s.svc.Vendors(r.Context(), r.p, oversight.Page{Limit: 100})
	if err != nil {
		return err
	}
	eus, err := s.svc.EndUsers(r.Context(), r.p, "", oversight.Page{Limit: 100})
	if err != nil {
		return err
	}
	pg.Data = usersData{Users: l.Items, Next: l.Next, Role: role, Invite: invite, Roles: oversight.Roles, Vendors: vs.Items, Agencies: eus.Items}
	pg.Names = s.resolve(r.Context(), r.p, nil, ids...)
	status := http.StatusOK
	if pg.Problem != "" {
		status = http.StatusBadRequest
	}
	return s.renderStatus(w, r.Request, r.p, status, "users", pg)
}

// inviteUser creates a user and shows their one-time enrolment link.
func (s *Server) inviteUser(w http.ResponseWriter, r *request) error {
	f := newInviteForm(r.Request)
	pg := &page{Title: "Users", Form: r.PostForm}
	_, secret, err := s.svc.InviteUser(r.Context(), r.p, &oversight.User{Name: f.Name, Role: oversight.Role(f.Role), VendorID: f.Vendor, EndUserID: f.EndUser})
	if err != nil {
		if formError(pg, err, nil) {
			return s.renderUsers(w, r, pg, "")
		}
		return err
	}
	pg.Form = url.Values{}
	pg.Flash = f.Name + " is invited. Give them this link, once, by a channel you trust; it works for 7 days."
	return s.renderUsers(w, r, pg, s.origin.String()+"/enrol/"+url.PathEscape(secret))
}
