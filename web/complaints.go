package web

import (
	"net/http"
	"strings"

	"github.com/oversight-dev/oversight"
)

// Complaints: the public form, which anyone may fill in without an
// account, and the status page that the receipt and the secret open; the
// officers' list and triage. The secret travels in the form's body only,
// never in a URL, so that no history, log or referrer holds it; the pages
// that show it are not cached.

func (s *Server) routesComplaints() {
	investigators := []oversight.Role{oversight.RoleDefense, oversight.RoleForeignAffairs}
	s.handlePublic("GET", "/complaint", s.complaintPage)
	s.handlePublic("POST", "/complaint", s.complaintFile)
	s.handlePublic("GET", "/complaint/status", s.complaintStatusPage)
	s.handlePublic("POST", "/complaint/status", s.complaintStatus)
	s.handle("GET", "/complaints", s.complaintsPage, officials...)
	s.handle("GET", "/complaints/{id}", s.complaintOfficerPage, officials...)
	s.handle("POST", "/complaints/{id}/triage", s.complaintTriage, investigators...)
}

func (s *Server) complaintPage(w http.ResponseWriter, r *http.Request) error {
	_, p, _ := s.session(r)
	return s.render(w, r, p, "complaint", &page{Title: "File a complaint"})
}

// complaintFiled is what the page after filing shows, once.
type complaintFiled struct{ Receipt, Secret string }

func (s *Server) complaintFile(w http.ResponseWriter, r *http.Request) error {
	_, p, _ := s.session(r)
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	req := &oversight.ComplaintRequest{Text: r.PostFormValue("text"), LicenseID: strings.TrimSpace(r.PostFormValue("license_id")),
		VendorID: strings.TrimSpace(r.PostFormValue("vendor_id")), Country: strings.ToUpper(strings.TrimSpace(r.PostFormValue("country")))}
	err := req.Validate()
	if err == nil {
		// Only well-formed complaints count against the address.
		err = s.complaintLimits.Allow(w, s.addresses.Key(r))
	}
	var c *oversight.Complaint
	var secret string
	if err == nil {
		c, secret, err = s.svc.FileComplaint(r.Context(), req)
	}
	if err != nil {
		pg := &page{Title: "File a complaint", Form: r.PostForm}
		if formError(pg, err, nil) {
			return s.renderStatus(w, r, p, oversight.NewProblem(err).Status, "complaint", pg)
		}
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.renderStatus(w, r, p, http.StatusCreated, "complaint_filed", &page{Title: "Complaint filed", Data: complaintFiled{c.ID, secret}})
}

func (s *Server) complaintStatusPage(w http.ResponseWriter, r *http.Request) error {
	_, p, _ := s.session(r)
	return s.render(w, r, p, "complaint_status", &page{Title: "Your complaint", Form: map[string][]string{"receipt": {param(r, "receipt")}}})
}

// complaintStatusData is the status page: the complaint as its
// complainant reads it, and the secret again for the form that adds to it.
type complaintStatusData struct {
	C      *oversight.ComplaintStatusView
	Secret string
	Added  bool
}

// complaintStatus opens the complaint with the receipt and the secret, and
// adds the text given, if any.
func (s *Server) complaintStatus(w http.ResponseWriter, r *http.Request) error {
	_, p, _ := s.session(r)
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	receipt, secret := strings.TrimSpace(r.PostFormValue("receipt")), strings.TrimSpace(r.PostFormValue("secret"))
	text := r.PostFormValue("text")
	w.Header().Set("Cache-Control", "no-store")
	var (
		view *oversight.ComplaintStatusView
		err  error
	)
	if !oversight.ValidID(oversight.PrefixComplaint, receipt) {
		err = oversight.Invalid("no such complaint", "receipt", "a receipt looks like cmp_…")
	}
	if err == nil {
		err = s.complaintLimits.Allow(w, s.addresses.Key(r))
	}
	if err == nil && strings.TrimSpace(text) != "" {
		view, err = s.svc.AddToComplaint(r.Context(), receipt, secret, &oversight.ComplaintAdditionRequest{Text: text})
	} else if err == nil {
		view, err = s.svc.ComplaintStatus(r.Context(), receipt, secret)
	}
	if oversight.ErrorCode(err) == oversight.EUNAUTHORIZED {
		err = oversight.Invalid("The receipt and the secret do not open a complaint.", "secret", "check the secret you were given when you filed it")
	}
	if err != nil {
		pg := &page{Title: "Your complaint", Form: r.PostForm}
		if view == nil && formError(pg, err, nil) {
			pg.Form.Del("secret") // not shown back in a page
			return s.renderStatus(w, r, p, oversight.NewProblem(err).Status, "complaint_status", pg)
		}
		return err
	}
	return s.render(w, r, p, "complaint_status", &page{Title: "Your complaint", Data: complaintStatusData{C: view, Secret: secret, Added: text != ""}})
}

var complaintStatuses = []oversight.ComplaintStatus{oversight.ComplaintReceived, oversight.ComplaintTriaged, oversight.ComplaintDismissed}

type complaintsData struct {
	Items    []oversight.Complaint
	Next     string
	Filter   oversight.ComplaintFilter
	Statuses []oversight.ComplaintStatus
}

func (s *Server) complaintsPage(w http.ResponseWriter, r *request) error {
	f := oversight.ComplaintFilter{Status: oversight.ComplaintStatus(param(r.Request, "status")), LicenseID: param(r.Request, "license")}
	pg := &page{Title: "Complaints", Form: r.URL.Query()}
	d := complaintsData{Filter: f, Statuses: complaintStatuses}
	l, err := s.svc.Complaints(r.Context(), r.p, f, pageOf(r.Request))
	if err != nil {
		if formError(pg, err, nil) {
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "complaints", pg.with(d))
		}
		return err
	}
	d.Items, d.Next = l.Items, l.Next
	return s.render(w, r.Request, r.p, "complaints", pg.with(d))
}

type complaintOfficerData struct {
	C *oversight.Complaint
	// Open are the open cases of the licence it names, to attach it to.
	Open []oversight.Case
}

func (s *Server) complaintOfficerPage(w http.ResponseWriter, r *request) error {
	return s.renderComplaint(w, r, &page{}, http.StatusOK)
}

func (s *Server) renderComplaint(w http.ResponseWriter, r *request, pg *page, status int) error {
	c, err := s.svc.Complaint(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := complaintOfficerData{C: c}
	if c.LicenseID != "" {
		if l, err := s.svc.Cases(r.Context(), r.p, oversight.CaseFilter{LicenseID: c.LicenseID, Status: oversight.CaseOpen}, oversight.Page{Limit: 50}); err == nil {
			d.Open = l.Items
		}
	}
	pg.Title, pg.Data = "Complaint "+c.ID, d
	pg.Names = s.resolve(r.Context(), r.p, []string{c.TriagedBy}, c.LicenseID, c.VendorID)
	return s.renderStatus(w, r.Request, r.p, status, "complaint_officer", pg)
}

func (s *Server) complaintTriage(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	t := &oversight.ComplaintTriage{Action: oversight.TriageAction(r.PostFormValue("action")), LicenseID: strings.TrimSpace(r.PostFormValue("license_id")),
		Title: strings.TrimSpace(r.PostFormValue("title")), CaseID: strings.TrimSpace(r.PostFormValue("case_id")), Note: strings.TrimSpace(r.PostFormValue("note"))}
	_, cs, err := s.svc.TriageComplaint(r.Context(), r.p, r.PathValue("id"), t)
	if err != nil {
		pg := &page{Form: r.PostForm}
		if formError(pg, err, nil) {
			return s.renderComplaint(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	if cs != nil {
		return redirect(w, r.Request, "/cases/"+cs.ID, "Complaint added to the case.")
	}
	return redirect(w, r.Request, "/complaints/"+r.PathValue("id"), "Complaint dismissed.")
}
