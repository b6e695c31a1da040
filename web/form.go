package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/oversight-dev/oversight"
)

// pageSize is how many rows a list shows.
const pageSize = 25

// pageOf reads the keyset cursor of a list (after: the last id of the
// previous page). A cursor that is not an id is ignored rather than
// refused: it can only come from an edited address.
func pageOf(r *http.Request) oversight.Page {
	p := oversight.Page{Limit: pageSize}
	after := r.URL.Query().Get("after")
	if len(after) <= 100 && strings.IndexFunc(after, func(c rune) bool {
		return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '_' || c == '-' || c >= 'A' && c <= 'Z')
	}) < 0 {
		p.After = after
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n <= 100 {
		p.Limit = n
	}
	return p
}

// intField parses an optional whole number of a form, recording a message
// for the field when it is not one.
func intField(pr *oversight.Problems, r *http.Request, name string) int {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		pr.Add(name, "must be a whole number")
	}
	return n
}

// lines splits a textarea into its non-blank lines.
func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// officials are the roles that see the whole registry, as the service
// has them.
var officials = []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs}

// param returns a query parameter, trimmed; one longer than any id or
// name the console filters on is dropped (it can only come from an edited
// address). What it holds is checked by the service.
func param(r *http.Request, name string) string {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if len(v) > 200 {
		return ""
	}
	return v
}

// pluralf counts n things in words: "1 person", "3 persons".
func pluralf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// addProblems adds the field problems of a domain error to pr: a form
// refused for a number it could not read also says what else is wrong
// with it.
func addProblems(pr *oversight.Problems, err error) {
	var e *oversight.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			pr.Add(f.Field, "%s", f.Message)
		}
	}
}

// parseForm reads a posted form, a multipart one (a file upload) too.
func parseForm(r *http.Request) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	return nil
}
