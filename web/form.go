package web

import (
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
