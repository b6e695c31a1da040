package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/lists"
	"github.com/oversight-dev/oversight/screen"
	"github.com/oversight-dev/oversight/screen/offline"
)

// ScreenCmd screens a name, or a batch of names, against a server or
// offline against a list file.
type ScreenCmd struct {
	clientFlags
	Name            string  `arg:"" optional:"" help:"The applicant's name as the passport or visa form gives it, in any script."`
	BirthDate       string  `name:"birth-date" help:"Date of birth, YYYY-MM-DD or YYYY."`
	Nationality     string  `help:"Nationality, ISO 3166-1 alpha-2 (RU, YE…)."`
	Limit           int     `help:"Most matches per name, 1 to 100 (default 10)."`
	MinScore        float64 `name:"min-score" help:"Drop matches scoring below this, 0 to 1 (default 0.70; 0.85 and above is the band in which to hold a visa for review)."`
	Type            string  `enum:"individual,entity," default:"" help:"Match only individuals or only entities (companies, organisations)."`
	Country         string  `help:"Where an organisation is registered or operates, ISO 3166-1 alpha-2: raises matches with an address there, lowers those with addresses elsewhere."`
	IncludeDelisted bool    `name:"include-delisted" help:"Also match designations that were lifted."`
	File            string  `short:"f" help:"Screen a batch: CSV with the header name,birth_date,nationality (only name required), or JSON lines with those keys; - for standard input."`
	List            string  `type:"existingfile" help:"Screen offline against this list file, without a server: an OFAC sdn.csv or cons_prim.csv (the files beside it are read too), the BIS Denied Persons List or the project's JSON lines."`
	Format          string  `enum:"jsonl,ofac-sdn,bis-dpl,auto" default:"auto" help:"Format of --list: jsonl, ofac-sdn or bis-dpl (auto: by the file name)."`
}

// Help is shown by "oversight screen --help".
func (c *ScreenCmd) Help() string {
	return `Each match shows its score (0 to 1), the name or alias that matched, where the
designation comes from (the list and programme, such as "OFAC SDN, programme CYBER2", or the
basis of one made here; for a relative, whose relative) and why it matched: how each part of the name
paired, and how the birth date and nationality raised or lowered the score.

--output json prints the answer of POST /v1/screen ({"matches": […]}); for a batch, one JSON
object a line, as POST /v1/screen:batch answers. A batch shows a progress bar on a terminal.

Examples:
  oversight screen 'Radomir Zavadskij' --birth-date 1968
  oversight screen 'Завадский Радомир' --output json
  oversight screen --file applicants.csv
  oversight screen --list sdn.csv 'Nicolas Maduro Moros'
  oversight screen --type entity --country CY 'Northwind Analytics GmbH'
  oversight screen --list sdn.csv --file applicants.csv -o json`
}

// Run screens.
func (c *ScreenCmd) Run(ctx context.Context, env *Env) error {
	switch {
	case c.Name == "" && c.File == "":
		return &exitError{code: exitUsage, msg: "give a NAME to screen, or --file for a batch"}
	case c.Name != "" && c.File != "":
		return &exitError{code: exitUsage, msg: "give a NAME or --file, not both"}
	case c.File != "" && (c.BirthDate != "" || c.Nationality != ""):
		return &exitError{code: exitUsage, msg: "--birth-date and --nationality are for one NAME; a batch gives them per row"}
	}
	var ix *screen.Index
	if c.List != "" {
		var err error
		if ix, err = loadIndex(env, c.List, c.Format); err != nil {
			return err
		}
	}
	if c.File != "" {
		return c.batch(ctx, env, ix)
	}
	r := &oversight.ScreenRequest{Name: c.Name, BirthDate: c.BirthDate, Nationality: strings.ToUpper(c.Nationality),
		Limit: c.Limit, MinScore: c.MinScore, Type: oversight.PartyType(c.Type), Country: strings.ToUpper(c.Country), IncludeDelisted: c.IncludeDelisted}
	var (
		res *oversight.ScreenResult
		err error
	)
	if ix != nil {
		res, err = offline.Screen(ix, r)
	} else {
		res, err = c.client().Screen(ctx, r)
	}
	if err != nil {
		return err
	}
	ids := make([]string, len(res.Matches))
	for i, m := range res.Matches {
		ids[i] = m.DesignationID
	}
	return c.print(env, res, ids, func(w io.Writer) {
		if len(res.Matches) == 0 {
			fmt.Fprintf(w, "no designation matches %q at or above %.2f\n", c.Name, minScore(c.MinScore))
		} else {
			row(w, "SCORE", "DESIGNATION", "MATCHED", "BASIS", "WHY")
			for _, m := range res.Matches {
				row(w, fmt.Sprintf("%.2f", m.Score), m.DesignationID, m.MatchedAlias, basisOf(&m), m.Explanation.Summary)
			}
		}
		if res.ScreeningID != "" {
			fmt.Fprintf(w, "(recorded as screening %s, log index %d)\n", res.ScreeningID, deref(res.LogIndex))
		}
	})
}

func minScore(s float64) float64 {
	if s == 0 {
		return screen.DefaultMinScore
	}
	return s
}

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// basisOf says where the match comes from: the list and programme, or the
// basis of a designation made here; for a relative, whose relative.
func basisOf(m *oversight.Match) string {
	s := m.Provenance
	if s == "" {
		s = string(m.Basis)
	}
	if m.Relation != "" {
		of := m.RelatedTo
		if r := m.Explanation.Relative; r != nil && r.Name != "" {
			of = r.Name
		}
		s = fmt.Sprintf("%s of %s", m.Relation, of)
	}
	if m.Delisted {
		s += " (delisted)"
	}
	return s
}

// batch screens the rows of --file, against the server or the offline
// index, printing each answer as it comes.
func (c *ScreenCmd) batch(ctx context.Context, env *Env, ix *screen.Index) error {
	in, size, closeIn, err := c.openBatch(env)
	if err != nil {
		return err
	}
	defer closeIn()
	br := bufio.NewReaderSize(in, 64<<10)
	format := offline.BatchFormat(c.File, br)
	total := int64(-1)
	if size >= 0 {
		// Count the rows first, for the progress bar: a file of 100,000
		// names reads in milliseconds.
		if n, err := offline.CountRows(c.File, format); err == nil {
			total = n
		}
	}
	bar := newBar(env, total, "screening")
	out := newBatchPrinter(env, c.Output)
	defer out.flush()
	line := func(l *oversight.BatchLine, raw []byte) error {
		if bar != nil {
			bar.Add(1)
		}
		return out.line(l, raw)
	}
	opts := oversight.BatchOptions{Limit: c.Limit, MinScore: c.MinScore, IncludeDelisted: c.IncludeDelisted}
	if ix != nil {
		err = offline.Batch(ix, br, format, opts, line)
	} else {
		var id string
		id, err = c.client().ScreenBatch(ctx, br, contentType(format), oversight.BatchOptions(opts), line)
		if id != "" && err == nil && c.Output == "table" {
			out.footer = fmt.Sprintf("(recorded as screening %s)", id)
		}
	}
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(env.Stderr)
	}
	return err
}

func (c *ScreenCmd) openBatch(env *Env) (io.Reader, int64, func(), error) {
	if c.File == "-" {
		return env.Stdin, -1, func() {}, nil
	}
	f, err := os.Open(c.File)
	if err != nil {
		return nil, 0, nil, &exitError{code: exitUsage, msg: err.Error()}
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, size, func() { f.Close() }, nil
}

func contentType(f screen.BatchFormat) string {
	if f == screen.BatchJSONL {
		return client.ContentTypeJSONL
	}
	return client.ContentTypeCSV
}

// batchPrinter prints a batch's answers as they come: JSON lines as the
// server wrote them, ids, or a table flushed every few rows so that a long
// batch shows as it goes.
type batchPrinter struct {
	env    *Env
	output string
	tw     *tabwriter.Writer
	n      int
	footer string
}

func newBatchPrinter(env *Env, output string) *batchPrinter {
	p := &batchPrinter{env: env, output: output}
	if output == "table" {
		p.tw = tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	}
	return p
}

func (p *batchPrinter) line(l *oversight.BatchLine, raw []byte) error {
	switch p.output {
	case "json":
		_, err := fmt.Fprintf(p.env.Stdout, "%s\n", raw)
		return err
	case "id":
		if len(l.Matches) > 0 {
			_, err := fmt.Fprintln(p.env.Stdout, l.Matches[0].DesignationID)
			return err
		}
		return nil
	}
	if p.n%50 == 0 {
		if p.n > 0 {
			p.tw.Flush()
		}
		row(p.tw, "ROW", "NAME", "SCORE", "DESIGNATION", "MATCHED", "BASIS", "WHY")
	}
	p.n++
	switch {
	case l.Error != "":
		row(p.tw, l.Row, orDash(l.Name), "-", "-", "-", "-", "error: "+l.Error)
	case len(l.Matches) == 0:
		row(p.tw, l.Row, l.Name, "-", "-", "-", "-", "no match")
	default:
		m := &l.Matches[0]
		why := m.Explanation.Summary
		if more := len(l.Matches) - 1; more > 0 {
			why += fmt.Sprintf(" (and %d more)", more)
		}
		row(p.tw, l.Row, l.Name, fmt.Sprintf("%.2f", m.Score), m.DesignationID, m.MatchedAlias, basisOf(m), why)
	}
	return nil
}

func (p *batchPrinter) flush() {
	if p.tw != nil {
		p.tw.Flush()
		if p.footer != "" {
			fmt.Fprintln(p.env.Stdout, p.footer)
		}
	}
}

// isTerminal reports whether w is a terminal, where progress bars go.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// newBar returns a progress bar on standard error when it is a terminal,
// nil otherwise. max -1 draws a spinner.
func newBar(env *Env, max int64, desc string) *progressbar.ProgressBar {
	if !isTerminal(env.Stderr) {
		return nil
	}
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
	)
}

// loadIndex reads a list file into a new index, for offline screening.
func loadIndex(env *Env, path, format string) (*screen.Index, error) {
	ix, err := offline.Load(path, format, listProgress(env, false))
	if err != nil {
		return nil, listError(err, "loaded")
	}
	return ix, nil
}

// listError makes a malformed list a usage error naming the file and
// line, with nothing loaded.
func listError(err error, what string) error {
	var pe *lists.ParseError
	if errors.As(err, &pe) {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("%s:%d: %s; nothing was %s", pe.File, pe.Line, pe.Err, what)}
	}
	if oversight.ErrorCode(err) == oversight.EINVALID {
		return &exitError{code: exitUsage, msg: err.Error()}
	}
	return err
}

// listProgress reports a list's reading on standard error: a bar on a
// terminal; otherwise, when lines is set, one line per file read.
func listProgress(env *Env, lines bool) func(lists.Progress) {
	if isTerminal(env.Stderr) {
		var bar *progressbar.ProgressBar
		var file string
		return func(p lists.Progress) {
			if bar == nil || p.File != file {
				if bar != nil {
					bar.Finish()
					fmt.Fprintln(env.Stderr)
				}
				file = p.File
				bar = progressbar.NewOptions64(p.Size, progressbar.OptionSetWriter(env.Stderr),
					progressbar.OptionSetDescription(fmt.Sprintf("reading %s (%d/%d)", p.File, p.FileNum, p.Files)),
					progressbar.OptionShowBytes(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetWidth(30))
			}
			bar.Set64(p.Bytes)
			if p.Done {
				bar.Finish()
				fmt.Fprintln(env.Stderr)
				bar = nil
			}
		}
	}
	if !lines {
		return nil
	}
	return func(p lists.Progress) {
		if p.Done {
			fmt.Fprintf(env.Stderr, "read %s (%d/%d): %d lines, %d designations so far\n", p.File, p.FileNum, p.Files, p.Line, p.Records)
		}
	}
}
