package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/oversight-dev/oversight"
)

//go:embed templates
var templateFS embed.FS

// views holds one template set per page: the layout, the partials and the
// page's own file.
type views struct {
	pages map[string]*template.Template
}

func loadViews() (*views, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, f := range files {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		v.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return v, nil
}

// page is what every template gets.
type page struct {
	Title string
	User  *oversight.Principal
	Demo  bool
	// DemoPage is set when the demonstration's people can be signed in
	// from /demo.
	DemoPage bool
	Path     string
	// Flash is a one-line confirmation after a redirect.
	Flash string
	// Problem is what went wrong, in words, above the form; Fields the
	// messages next to each field, by the field's name in the form.
	Problem string
	Fields  map[string]string
	// Form holds the values the user sent, so that a refused form keeps
	// them.
	Form url.Values
	// Data is the page's own content.
	Data any
	// Names are the names of the people, products, vendors and agencies
	// the page shows, by id (names.go).
	Names names
	// Rendered tells one rendering from the next, for tests that wait for
	// a page to change when htmx swaps it in place.
	Rendered int64
}

// Field returns the message for a form field, if any.
func (p *page) Field(name string) string { return p.Fields[name] }

// Value returns what the user sent for a form field.
func (p *page) Value(name string) string { return p.Form.Get(name) }

// Values returns every value the user sent for a form field.
func (p *page) Values(name string) []string { return p.Form[name] }

// Checked reports whether value was sent for name.
func (p *page) Checked(name, value string) bool {
	for _, v := range p.Form[name] {
		if v == value {
			return true
		}
	}
	return false
}

// renders counts renderings.
var renders atomic.Int64

// render writes a page with status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, p *oversight.Principal, name string, pg *page) error {
	return s.renderStatus(w, r, p, http.StatusOK, name, pg)
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, p *oversight.Principal, status int, name string, pg *page) error {
	t, ok := s.views.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	pg.User, pg.Demo, pg.DemoPage, pg.Path, pg.Rendered = p, s.demo, s.demoIn != nil, r.URL.Path, renders.Add(1)
	if pg.Flash == "" {
		pg.Flash = r.URL.Query().Get("done")
		if len(pg.Flash) > 200 {
			pg.Flash = ""
		}
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", pg); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}

// renderError shows err as a page with its status: the domain's message in
// words, never a stack trace; internal errors are logged and shown as a
// generic message.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, p *oversight.Principal, err error) {
	if oversight.ErrorCode(err) == oversight.EUNAUTHORIZED && p == nil {
		s.toSignIn(w, r, err)
		return
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = oversight.Errorf(oversight.ETOOLARGE, "What you sent is larger than %d bytes.", mbe.Limit)
	}
	prob := oversight.NewProblem(err)
	if prob.Status >= 500 {
		s.log.Error("console", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if rerr := s.renderStatus(w, r, p, prob.Status, "error", &page{Title: prob.Title, Data: prob}); rerr != nil {
		s.log.Error("console: render error page", "err", rerr)
		http.Error(w, prob.Detail, prob.Status)
	}
}

// formError turns a service error into the page's problem and field
// messages, and reports whether it was one the user can fix in the form
// (invalid input, a conflict, a refusal); anything else is for renderError.
func formError(pg *page, err error, fieldOf func(string) string) bool {
	var e *oversight.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case oversight.EINVALID, oversight.ECONFLICT, oversight.EFORBIDDEN, oversight.ENOTFOUND, oversight.ETOOLARGE, oversight.EUNAUTHORIZED:
	default:
		return false
	}
	pg.Problem = sentence(e.Message)
	if pg.Fields == nil {
		pg.Fields = map[string]string{}
	}
	for _, f := range e.Fields {
		name := f.Field
		if fieldOf != nil {
			name = fieldOf(f.Field)
		}
		if prev, ok := pg.Fields[name]; ok {
			pg.Fields[name] = prev + "; " + f.Message
		} else {
			pg.Fields[name] = sentence(f.Message)
		}
	}
	return true
}

// capital writes s, words joined by underscores, with a capital first
// letter: "export" → "Export", "changes_required" → "Changes required".
func capital(s any) string {
	w := strings.ReplaceAll(fmt.Sprint(s), "_", " ")
	if w == "" {
		return w
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// sentence capitalises a message and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

var funcs = template.FuncMap{
	"role":  roleLabel,
	"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"when":  when,
	"secs":  seconds,
	"span":  func(sec float64) string { return time.Duration(sec * float64(time.Second)).Round(time.Second).String() },
	"ago":   ago,
	"join":  func(xs []string) string { return strings.Join(xs, ", ") },
	"title": func(s string) string { return sentence(strings.ReplaceAll(s, "_", " ")) },
	"cap":   capital,
	"decided": func(d string) string {
		switch d {
		case "approve":
			return "approved"
		case "deny":
			return "denied"
		case "reject":
			return "rejected"
		}
		return d
	},
	"words": func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") },
	"is": func(p *oversight.Principal, roles ...string) bool {
		if p == nil {
			return false
		}
		for _, r := range roles {
			if string(p.Role) == r {
				return true
			}
		}
		return false
	},
	"query": func(kv ...string) template.URL {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				v.Set(kv[i], kv[i+1])
			}
		}
		return template.URL("?" + v.Encode())
	},
	"contains": func(xs []string, x string) bool {
		for _, v := range xs {
			if v == x {
				return true
			}
		}
		return false
	},
	"pct":  func(f float64) string { return fmt.Sprintf("%.0f %%", f*100) },
	"add":  func(a, b int) int { return a + b },
	"list": func(xs ...any) []any { return xs },
}

// when writes a time for people: date and minute, UTC.
func when(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04 UTC")
	case *time.Time:
		if v == nil || v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04 UTC")
	}
	return fmt.Sprint(t)
}

// seconds writes a time to the second, for what changes by the second
// (leases, decisions).
func seconds(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// roleLabel names a role for people.
func roleLabel(r oversight.Role) string {
	switch r {
	case oversight.RoleAdmin:
		return "administrator"
	case oversight.RoleDefense:
		return "export-control officer (Defense)"
	case oversight.RoleForeignAffairs:
		return "Foreign Affairs officer"
	case oversight.RoleVendor:
		return "vendor"
	case oversight.RoleEndUser:
		return "end-user agency"
	case oversight.RoleConsular:
		return "consular officer"
	}
	return string(r)
}
