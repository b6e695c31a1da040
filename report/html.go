package report

import (
	"embed"
	"html/template"
	"io"
)

//go:embed templates/report.html
var templates embed.FS

var page = template.Must(template.ParseFS(templates, "templates/report.html"))

// WriteHTML writes the report as a page that needs no script: its tables,
// the checkpoint it counts, and what each figure counts.
func (r *Report) WriteHTML(w io.Writer) error {
	return page.Execute(w, r)
}
