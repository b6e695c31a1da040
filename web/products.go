package web

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/oversight-dev/oversight"
)

func (s *Server) routesProducts() {
	registry := []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleVendor}
	s.handle("GET", "/products", s.productsPage, registry...)
	s.handle("GET", "/products/new", s.productNewPage, oversight.RoleVendor)
	s.handle("POST", "/products", s.productCreate, oversight.RoleVendor)
	s.handle("GET", "/products/{id}", s.productPage, registry...)
	s.handle("POST", "/products/{id}/reviews", s.reviewSubmit, oversight.RoleVendor)
	s.handle("POST", "/reviews/{id}/decision", s.reviewDecide, oversight.RoleDefense)
}

type productsData struct {
	Items  []oversight.Product
	Next   string
	Filter oversight.ProductFilter
	Stages []oversight.Stage
}

// productsPage lists products, filtered by vendor and by the last stage
// approved, one page at a time; a vendor sees its own.
func (s *Server) productsPage(w http.ResponseWriter, r *request) error {
	q := r.URL.Query()
	f := oversight.ProductFilter{VendorID: q.Get("vendor"), Stage: oversight.Stage(q.Get("stage"))}
	if r.p.Is(oversight.RoleVendor) {
		f.VendorID = r.p.VendorID
	}
	pg := &page{Title: "Products", Form: q}
	l, err := s.svc.Products(r.Context(), r.p, f, pageOf(r.Request))
	if err != nil {
		if formError(pg, err, nil) {
			pg.Data = productsData{Filter: f, Stages: oversight.Stages}
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "products", pg)
		}
		return err
	}
	var ids []string
	for _, x := range l.Items {
		ids = append(ids, x.VendorID)
	}
	pg.Data = productsData{Items: l.Items, Next: l.Next, Filter: f, Stages: oversight.Stages}
	pg.Names = s.resolve(r.Context(), r.p, nil, ids...)
	return s.render(w, r.Request, r.p, "products", pg)
}

func (s *Server) productNewPage(w http.ResponseWriter, r *request) error {
	return s.render(w, r.Request, r.p, "product_new", &page{Title: "Register a product"})
}

// productCreate registers a product while it is still an idea.
func (s *Server) productCreate(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	pr := &oversight.Product{VendorID: r.p.VendorID, Name: strings.TrimSpace(r.PostFormValue("name")), Description: r.PostFormValue("description"),
		Capabilities: lines(r.PostFormValue("capabilities")), ControlEntries: lines(r.PostFormValue("control_entries"))}
	p, err := s.svc.CreateProduct(r.Context(), r.p, pr)
	if err != nil {
		pg := &page{Title: "Register a product", Form: r.PostForm}
		if formError(pg, err, listField) {
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "product_new", pg)
		}
		return err
	}
	return redirect(w, r.Request, "/products/"+p.ID, "Product registered; submit its concept for review.")
}

type productData struct {
	P          *oversight.Product
	Reviews    []oversight.Review
	Next       string
	Open       *oversight.Review // the review awaiting a decision
	NextStage  oversight.Stage
	Stages     []oversight.Stage
	Safeguards []string
	// Fixture offers, in a demonstration, a fixture safeguards report.
	Fixture bool
}

func (s *Server) productPage(w http.ResponseWriter, r *request) error {
	return s.renderProduct(w, r, &page{}, http.StatusOK)
}

func (s *Server) renderProduct(w http.ResponseWriter, r *request, pg *page, status int) error {
	p, err := s.svc.Product(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	rs, err := s.svc.Reviews(r.Context(), r.p, oversight.ReviewFilter{ProductID: p.ID}, pageOf(r.Request))
	if err != nil {
		return err
	}
	d := productData{P: p, Reviews: rs.Items, Next: rs.Next, Stages: oversight.Stages, Safeguards: oversight.Safeguards, Fixture: s.report != nil}
	for i := range rs.Items {
		if rs.Items[i].Status == oversight.ReviewSubmitted {
			d.Open = &rs.Items[i]
		}
	}
	d.NextStage = oversight.StageConcept
	for i, st := range oversight.Stages {
		if st == p.Stage && i+1 < len(oversight.Stages) {
			d.NextStage = oversight.Stages[i+1]
		}
	}
	if p.Status == oversight.ProductChangesRequired && len(rs.Items) > 0 {
		d.NextStage = rs.Items[len(rs.Items)-1].Stage
	}
	actors := []string{}
	for _, x := range rs.Items {
		actors = append(actors, x.SubmittedBy, x.DecidedBy)
	}
	pg.Title, pg.Data, pg.Names = p.Name, d, s.resolve(r.Context(), r.p, actors, p.VendorID)
	return s.renderStatus(w, r.Request, r.p, status, "product", pg)
}

// reviewSubmit submits a development stage with its dossier and
// safeguards, and from the testing stage on the safeguards kit's report.
func (s *Server) reviewSubmit(w http.ResponseWriter, r *request) error {
	if err := parseForm(r.Request); err != nil {
		return err
	}
	sub := &oversight.ReviewSubmission{Stage: oversight.Stage(r.PostFormValue("stage")), Dossier: r.PostFormValue("dossier"),
		Safeguards: r.PostForm["safeguards"], ConditionsMet: lines(r.PostFormValue("conditions_met"))}
	if sub.Safeguards == nil {
		sub.Safeguards = []string{}
	}
	err := s.attachReport(r, sub)
	if err == nil {
		_, err = s.svc.SubmitReview(r.Context(), r.p, r.PathValue("id"), sub)
	}
	if err != nil {
		pg := &page{Form: r.PostForm}
		if formError(pg, err, reviewField) {
			return s.renderProduct(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	return redirect(w, r.Request, "/products/"+r.PathValue("id"), "Submitted; an export-control officer decides.")
}

// attachReport reads the safeguards report the form carries, if any: an
// uploaded file, or in a demonstration a fixture report made for the
// product.
func (s *Server) attachReport(r *request, sub *oversight.ReviewSubmission) error {
	if s.report != nil && r.PostFormValue("fixture") != "" {
		sub.Evidence = s.report(r.PathValue("id"))
		return nil
	}
	f, _, err := r.FormFile("evidence")
	if err != nil {
		return nil // none attached
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReport+1))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	var rep oversight.SafeguardReport
	if len(b) > maxReport {
		return oversight.Invalid("invalid review submission", "evidence", "the report is larger than %d KiB; is it the kit's safeguards-report.json?", maxReport>>10)
	}
	if err := oversight.DecodeJSON(b, &rep); err != nil {
		return oversight.Invalid("invalid review submission", "evidence", "not a safeguards report (the safeguards-report.json the kit writes): %s", oversight.ErrorMessage(err))
	}
	sub.Evidence = &rep
	return nil
}

// maxReport bounds an uploaded safeguards report.
const maxReport = 2 << 20

// reviewDecide decides a review, with conditions when it asks for changes.
func (s *Server) reviewDecide(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	d := &oversight.ReviewDecisionRequest{Decision: oversight.ReviewDecision(r.PostFormValue("decision")),
		Conditions: lines(r.PostFormValue("conditions")), Notes: r.PostFormValue("notes")}
	rv, err := s.svc.DecideReview(r.Context(), r.p, r.PathValue("id"), d)
	if err != nil {
		pg := &page{Form: r.PostForm}
		if rv0, err2 := s.svc.Review(r.Context(), r.p, r.PathValue("id")); err2 == nil && formError(pg, err, listField) {
			r.SetPathValue("id", rv0.ProductID)
			return s.renderProduct(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	return redirect(w, r.Request, "/products/"+rv.ProductID, "Decision recorded.")
}

// reviewField maps a submission's problems to the form's fields: the
// report's to its file.
func reviewField(f string) string {
	if strings.HasPrefix(f, "evidence") {
		return "evidence"
	}
	return listField(f)
}

// listField maps a domain field of a list (safeguards[2]) to its form
// field (safeguards).
func listField(f string) string {
	if i := strings.IndexByte(f, '['); i >= 0 {
		return f[:i]
	}
	return f
}
