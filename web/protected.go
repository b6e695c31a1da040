package web

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/oversight-dev/oversight"
)

// The protected-persons register: keyed hashes of identifiers no
// operation may target. Officers add one at a time or import a list; the
// register is never listed back (the API has no such read either).

func (s *Server) routesProtected() {
	keepers := []oversight.Role{oversight.RoleDefense, oversight.RoleForeignAffairs}
	s.handle("GET", "/protected", s.protectedPage, keepers...)
	s.handle("POST", "/protected", s.protectedAdd, keepers...)
	s.handle("POST", "/protected/import", s.protectedImport, keepers...)
}

type protectedData struct {
	Categories []oversight.ProtectedCategory
	Import     *oversight.ProtectedImport
}

func (s *Server) protectedPage(w http.ResponseWriter, r *request) error {
	return s.render(w, r.Request, r.p, "protected", &page{Title: "Protected persons", Data: protectedData{Categories: oversight.ProtectedCategories}})
}

func (s *Server) protectedAdd(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	req := &oversight.ProtectedRegistration{IDHash: strings.TrimSpace(r.PostFormValue("id_hash")), Category: oversight.ProtectedCategory(r.PostFormValue("category"))}
	_, added, err := s.svc.AddProtected(r.Context(), r.p, req)
	if err != nil {
		pg := &page{Title: "Protected persons", Form: r.PostForm}
		if formError(pg, err, nil) {
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "protected", pg.with(protectedData{Categories: oversight.ProtectedCategories}))
		}
		return err
	}
	msg := "Added to the register: from now on no operation may target this person."
	if !added {
		msg = "This hash was on the register already; it keeps its first category."
	}
	return redirect(w, r.Request, "/protected", msg)
}

// maxProtectedUpload bounds a list imported through the console, some
// 120,000 hashes; larger lists go through the command line
// (oversight protected import), which the API takes up to its own bound.
const maxProtectedUpload = 8 << 20

// protectedImport imports a list of hashes, one a line, in one category.
func (s *Server) protectedImport(w http.ResponseWriter, r *request) error {
	pg := &page{Title: "Protected persons"}
	d := protectedData{Categories: oversight.ProtectedCategories}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		pg.Problem, pg.Fields = "The file could not be read.", map[string]string{"file": "send it as a file upload"}
		return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "protected", pg.with(d))
	}
	pg.Form = r.PostForm
	data := []byte(r.PostFormValue("hashes"))
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		if data, err = io.ReadAll(io.LimitReader(f, maxProtectedUpload)); err != nil {
			return err
		}
	}
	res, err := s.svc.ImportProtected(r.Context(), r.p, oversight.ProtectedCategory(r.PostFormValue("import_category")), data)
	if err != nil {
		if formError(pg, err, importField) {
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "protected", pg.with(d))
		}
		return err
	}
	return redirect(w, r.Request, "/protected", strconv.Itoa(res.Received)+" hashes received: "+strconv.Itoa(res.Added)+" added, "+strconv.Itoa(res.Present)+" already on the register.")
}

// importField maps the import's problems (its category, the lines of the
// body) to the form's fields.
func importField(f string) string {
	if f == "category" {
		return "import_category"
	}
	return "file"
}
