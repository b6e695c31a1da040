package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

func (s *Server) routesLicenses() {
	s.handle("GET", "/licenses", s.licensesPage, oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleVendor, oversight.RoleEndUser)
	s.handle("GET", "/licenses/new", s.licenseNewPage, oversight.RoleVendor)
	s.handle("POST", "/licenses", s.licenseApply, oversight.RoleVendor)
	s.handle("GET", "/licenses/{id}", s.licensePage, oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleVendor, oversight.RoleEndUser)
	s.handle("POST", "/licenses/{id}/decision", s.licenseDecide, oversight.RoleDefense, oversight.RoleForeignAffairs)
	s.handle("POST", "/licenses/{id}/party-matches/{match}", s.partyMatchDecide, oversight.RoleDefense, oversight.RoleForeignAffairs)
}

type licensesData struct {
	Items    []oversight.License
	Next     string
	Filter   oversight.LicenseFilter
	Statuses []oversight.LicenseStatus
}

var licenseStatuses = []oversight.LicenseStatus{oversight.LicenseApplied, oversight.LicenseActive, oversight.LicenseDenied,
	oversight.LicenseSuspended, oversight.LicenseRevoked, oversight.LicenseExpired}

// licensesPage lists licences with filters, one page at a time.
func (s *Server) licensesPage(w http.ResponseWriter, r *request) error {
	q := r.URL.Query()
	f := oversight.LicenseFilter{Status: oversight.LicenseStatus(q.Get("status")), Kind: oversight.LicenseKind(q.Get("kind")),
		ProductID: q.Get("product"), EndUserID: q.Get("end_user"), VendorID: q.Get("vendor")}
	pg := &page{Title: "Licences", Form: q}
	l, err := s.svc.Licenses(r.Context(), r.p, f, pageOf(r.Request))
	if err != nil {
		if formError(pg, err, nil) {
			pg.Data = licensesData{Filter: f, Statuses: licenseStatuses}
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "licenses", pg)
		}
		return err
	}
	pg.Data = licensesData{Items: l.Items, Next: l.Next, Filter: f, Statuses: licenseStatuses}
	var ids []string
	for _, x := range l.Items {
		ids = append(ids, x.ProductID, x.EndUserID)
	}
	pg.Names = s.resolve(r.Context(), r.p, nil, ids...)
	return s.render(w, r.Request, r.p, "licenses", pg)
}

type licenseData struct {
	L           *oversight.LicenseView
	Actions     []oversight.Action
	Deployments []oversight.Deployment
	CanDecide   bool
	MyMinistry  oversight.Ministry
	// Screening is how the licence's parties matched the lists, for the
	// officials who may read it (nil for the others).
	Screening      *oversight.LicenseScreening
	CanDecideMatch bool
}

// licensePage shows a licence: scope, restrictions, approvals, and its
// history, each event linked to its entry in the public log.
func (s *Server) licensePage(w http.ResponseWriter, r *request) error {
	return s.renderLicense(w, r, &page{})
}

func (s *Server) renderLicense(w http.ResponseWriter, r *request, pg *page) error {
	l, err := s.svc.License(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	as, err := s.svc.Actions(r.Context(), r.p, l.ID, oversight.Page{Limit: 50})
	if err != nil {
		return err
	}
	var deps []oversight.Deployment
	if ds, err := s.svc.Deployments(r.Context(), r.p, l.ID, oversight.Page{Limit: 10}); err == nil {
		deps = ds.Items
	}
	m := oversight.Ministry(r.p.Role)
	actors := make([]string, 0, len(l.History)+len(l.Approvals))
	for _, e := range l.History {
		actors = append(actors, e.Actor)
	}
	for _, a := range l.Approvals {
		actors = append(actors, a.By)
	}
	pg.Names = s.resolve(r.Context(), r.p, actors, l.ProductID, l.VendorID, l.EndUserID)
	pg.Title = strings.ToUpper(string(l.Kind[:1])) + string(l.Kind[1:]) + " licence: " + pg.Names.Name(l.ProductID) + " to " + pg.Names.Name(l.EndUserID)
	var scr *oversight.LicenseScreening
	if r.p.Is(oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs) {
		if scr, err = s.svc.LicenseScreening(r.Context(), r.p, l.ID); err != nil {
			return err
		}
		for _, m := range scr.Matches {
			actors = append(actors, m.DecidedBy)
		}
		pg.Names = s.resolve(r.Context(), r.p, actors, l.ProductID, l.VendorID, l.EndUserID)
	}
	pg.Data = licenseData{L: l, Actions: as.Items, Deployments: deps, MyMinistry: m,
		CanDecide: l.Status == oversight.LicenseApplied && r.p.Is(oversight.RoleDefense, oversight.RoleForeignAffairs) && !decidedBy(l.License, m),
		Screening: scr, CanDecideMatch: r.p.Is(oversight.RoleDefense, oversight.RoleForeignAffairs)}
	status := http.StatusOK
	if pg.Problem != "" {
		status = http.StatusConflict
		if len(pg.Fields) > 0 {
			status = http.StatusBadRequest
		}
	}
	return s.renderStatus(w, r.Request, r.p, status, "license", pg)
}

// licenseDecide records the officer's ministry's decision, after a fresh
// passkey assertion.
func (s *Server) licenseDecide(w http.ResponseWriter, r *request) error {
	pg := &page{Form: r.PostForm}
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	pg.Form = r.PostForm
	req := &oversight.ApprovalRequest{Ministry: oversight.Ministry(r.p.Role), Decision: r.PostFormValue("decision"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	err := req.Validate()
	if err == nil {
		err = s.stepUp(r)
	}
	if err == nil {
		_, err = s.svc.DecideLicense(r.Context(), r.p, r.PathValue("id"), req)
	}
	if err != nil {
		if formError(pg, err, nil) {
			return s.renderLicense(w, r, pg)
		}
		return err
	}
	return redirect(w, r.Request, "/licenses/"+r.PathValue("id"), "Your ministry's decision is recorded.")
}

// partyMatchDecide clears or confirms a match of one of the licence's
// parties, after a fresh passkey assertion: confirming denies an applied
// licence, clearing lets it be approved.
func (s *Server) partyMatchDecide(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	pg := &page{Form: r.PostForm}
	pg.Form.Set("match", r.PathValue("match")) // the form whose errors to show
	decision := r.PostFormValue("match_decision")
	req := &oversight.PartyMatchDecision{Reason: strings.TrimSpace(r.PostFormValue("match_reason"))}
	err := req.Validate()
	if err == nil && decision != "clear" && decision != "confirm" {
		err = oversight.Invalid("invalid decision on a party match", "decision", "choose clear or confirm")
	}
	if err == nil {
		err = s.stepUp(r)
	}
	if err == nil {
		decide := s.svc.ClearPartyMatch
		if decision == "confirm" {
			decide = s.svc.ConfirmPartyMatch
		}
		_, err = decide(r.Context(), r.p, r.PathValue("id"), r.PathValue("match"), req)
	}
	if err != nil {
		if formError(pg, err, func(f string) string { return "match_" + f }) {
			return s.renderLicense(w, r, pg)
		}
		return err
	}
	done := "The match is cleared: it no longer blocks approval."
	if decision == "confirm" {
		done = "The match is confirmed: the party is the one listed."
	}
	return redirect(w, r.Request, "/licenses/"+r.PathValue("id"), done)
}

type licenseNewData struct {
	Products     []oversight.Product
	EndUsers     []oversight.EndUser
	Declarations []oversight.Declaration
	Purposes     []oversight.Category
	Operations   []oversight.Operation
	DefaultFrom  string
}

func (s *Server) licenseNewPage(w http.ResponseWriter, r *request) error {
	return s.renderLicenseNew(w, r, &page{Title: "Apply for a licence", Form: map[string][]string{
		"kind": {"marketing"}, "max_active": {"50"}, "valid_days": {"365"}}}, http.StatusOK)
}

func (s *Server) renderLicenseNew(w http.ResponseWriter, r *request, pg *page, status int) error {
	prs, err := s.svc.Products(r.Context(), r.p, oversight.ProductFilter{VendorID: r.p.VendorID}, oversight.Page{Limit: 100})
	if err != nil {
		return err
	}
	eus, err := s.svc.EndUsers(r.Context(), r.p, "", oversight.Page{Limit: 100})
	if err != nil {
		return err
	}
	decs, err := s.svc.Declarations(r.Context(), r.p, "", oversight.Page{Limit: 100})
	if err != nil {
		return err
	}
	agency := map[string]string{}
	for _, e := range eus.Items {
		agency[e.ID] = e.Agency
	}
	pg.Names.things = agency
	pg.Title = "Apply for a licence"
	pg.Data = licenseNewData{Products: prs.Items, EndUsers: eus.Items, Declarations: decs.Items,
		Purposes: []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime}, Operations: oversight.Operations}
	return s.renderStatus(w, r.Request, r.p, status, "license_new", pg)
}

// licenseApply applies for a licence: the form's typed values, checked by
// the domain; what it refuses is shown next to its field.
func (s *Server) licenseApply(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	pg := &page{Form: r.PostForm}
	var pr oversight.Problems
	a := &oversight.LicenseApplication{Kind: oversight.LicenseKind(r.PostFormValue("kind")), VendorID: r.p.VendorID,
		ProductID: r.PostFormValue("product_id"), EndUserID: r.PostFormValue("end_user_id"), DeclarationID: strings.TrimSpace(r.PostFormValue("declaration_id"))}
	for _, v := range r.PostForm["purposes"] {
		a.Scope.Purposes = append(a.Scope.Purposes, oversight.Category(v))
	}
	for _, v := range r.PostForm["operations"] {
		a.Scope.Operations = append(a.Scope.Operations, oversight.Operation(v))
	}
	if len(a.Scope.Operations) == 0 {
		a.Scope.Operations = oversight.Operations
	}
	a.Scope.BlockedCountryCodes = strings.FieldsFunc(r.PostFormValue("blocked"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' })
	a.Scope.MaxActiveOperations = intField(&pr, r.Request, "max_active")
	days := intField(&pr, r.Request, "valid_days")
	if days <= 0 || days > 3660 {
		pr.Add("valid_days", "a number of days from 1 to 3660")
	}
	now := time.Now().UTC().Truncate(time.Second)
	a.Scope.ValidFrom, a.Scope.ValidUntil = now, now.AddDate(0, 0, days)
	if pr.Len() > 0 {
		addProblems(&pr, a.Validate())
	}
	err := pr.Err("invalid licence application")
	var l *oversight.License
	if err == nil {
		l, err = s.svc.ApplyLicense(r.Context(), r.p, a)
	}
	if err != nil {
		if formError(pg, err, formField) {
			return s.renderLicenseNew(w, r, pg, http.StatusBadRequest)
		}
		return err
	}
	return redirect(w, r.Request, "/licenses/"+l.ID, "Your application is recorded; both ministries decide on it.")
}

// formField maps a domain field (scope.purposes[1]) to the form's field
// (purposes).
func formField(f string) string {
	f = strings.TrimPrefix(f, "scope.")
	if i := strings.IndexByte(f, '['); i >= 0 {
		f = f[:i]
	}
	switch f {
	case "max_active_operations":
		return "max_active"
	case "blocked_country_codes":
		return "blocked"
	case "valid_from", "valid_until":
		return "valid_days"
	}
	return f
}
