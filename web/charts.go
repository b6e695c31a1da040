package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/oversight-dev/oversight/report"
)

// A chart is one figure of the public report: the numbers it draws, which
// are also the table under it and its CSV, so that the three cannot say
// different things. Charts are drawn on the server as SVG by gonum/plot,
// so that a reader needs no script to see them.
type chart struct {
	Name  string // the file name stem: /transparency/charts/NAME.svg and .csv
	Title string
	// Desc says what the chart shows, in words: the image's alternative
	// text.
	Desc    string
	Label   string   // the heading of the rows' column
	Series  []string // the headings of the numbers' columns
	Stacked bool     // the series are parts of one whole (drawn stacked)
	Rows    []chartRow
}

// chartRow is one bar, or group of bars, and one row of the table.
type chartRow struct {
	Label  string
	Values []int64
}

// Okabe and Ito's palette, told apart by readers with any common form of
// colour blindness.
var palette = []color.Color{
	color.RGBA{0x00, 0x72, 0xB2, 0xff}, // blue
	color.RGBA{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	color.RGBA{0x00, 0x9E, 0x73, 0xff}, // bluish green
	color.RGBA{0xE6, 0x9F, 0x00, 0xff}, // orange
	color.RGBA{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	color.RGBA{0x56, 0xB4, 0xE9, 0xff}, // sky blue
}

// reportCharts returns the report's charts: licences and uses per
// country and quarter (a country's quarters side by side, so that its
// figures read over time) and denials by clause over the whole period.
func reportCharts(r *report.Report) []*chart {
	country := func(c string) string {
		if c == "" {
			return "unknown"
		}
		return c
	}
	lic := &chart{Name: "licences", Title: "Licences per purchasing country and quarter",
		Desc:   "Horizontal bars, one group per country and quarter: licences applied for, granted, denied, suspended and revoked.",
		Label:  "Country and quarter",
		Series: []string{"Applied for", "Granted", "Denied", "Suspended", "Revoked"}}
	uses := &chart{Name: "uses", Title: "Uses decided per purchasing country and quarter",
		Desc:   "Horizontal stacked bars, one per country and quarter: the uses permitted and, after them, the uses denied; the whole bar is the uses decided.",
		Label:  "Country and quarter",
		Series: []string{"Permitted", "Denied"}, Stacked: true}
	for _, row := range r.Rows {
		label := country(row.Country) + " " + row.Quarter
		if row.Applied+row.Granted+row.Denied+row.Suspended+row.Revoked > 0 {
			lic.Rows = append(lic.Rows, chartRow{label, []int64{row.Applied, row.Granted, row.Denied, row.Suspended, row.Revoked}})
		}
		if row.Decided > 0 {
			uses.Rows = append(uses.Rows, chartRow{label, []int64{row.Permitted, row.UsesDenied}})
		}
	}
	byClause := map[string]int64{}
	for _, d := range r.Denials {
		byClause[d.Clause] += d.Count
	}
	den := &chart{Name: "denials", Title: "Denied uses by clause",
		Desc:   "Horizontal bars, one per clause or rule, the most cited first: how many denied uses cited it over the period (a denial citing two clauses counts under both).",
		Label:  "Clause",
		Series: []string{"Denials"}}
	for c, n := range byClause {
		den.Rows = append(den.Rows, chartRow{c, []int64{n}})
	}
	slices.SortFunc(den.Rows, func(a, b chartRow) int {
		if a.Values[0] != b.Values[0] {
			return int(b.Values[0] - a.Values[0])
		}
		if a.Label < b.Label {
			return -1
		}
		return 1
	})
	return []*chart{lic, uses, den}
}

// writeCSV writes the chart's table.
func (c *chart) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(append([]string{c.Label}, c.Series...))
	for _, r := range c.Rows {
		rec := []string{r.Label}
		for _, v := range r.Values {
			rec = append(rec, strconv.FormatInt(v, 10))
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// writeSVG draws the chart: horizontal bars, the rows from top to bottom
// in the table's order, as tall as its rows need.
func (c *chart) writeSVG(w io.Writer) error {
	p := plot.New()
	sans := func(size float64) font.Font {
		return font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
	}
	p.Title.Text = c.Title
	p.Title.TextStyle.Font = sans(13)
	p.X.Label.Text = "Number"
	p.X.Label.TextStyle.Font = sans(11)
	p.X.Tick.Label.Font = sans(10)
	p.Y.Tick.Label.Font = sans(10)
	p.X.Min = 0
	p.X.Tick.Marker = wholeTicks{}
	p.Legend.Top = true
	p.Legend.TextStyle.Font = sans(10)
	n := len(c.Rows)
	labels := make([]string, n)
	for i, r := range c.Rows {
		labels[n-1-i] = r.Label // the first row at the top
	}
	p.NominalY(labels...)
	group := vg.Points(16)
	if !c.Stacked && len(c.Series) > 1 {
		group = vg.Points(6 * float64(len(c.Series)))
	}
	bar := group
	if !c.Stacked {
		bar = group / vg.Length(len(c.Series))
	}
	var below *plotter.BarChart
	for s, name := range c.Series {
		vs := make(plotter.Values, n)
		for i, r := range c.Rows {
			vs[n-1-i] = float64(r.Values[s])
		}
		b, err := plotter.NewBarChart(vs, bar)
		if err != nil {
			return err
		}
		b.Horizontal = true
		b.Color = palette[s%len(palette)]
		b.LineStyle.Width = 0
		if c.Stacked {
			if below != nil {
				b.StackOn(below)
			}
			below = b
		} else {
			b.Offset = group/2 - bar/2 - vg.Length(s)*bar // the first series on top
		}
		p.Add(b)
		p.Legend.Add(name, b)
	}
	// Room on the right for the legend, past the longest bar.
	var longest int64
	for _, r := range c.Rows {
		var sum int64
		for _, v := range r.Values {
			if c.Stacked {
				sum += v
			} else {
				sum = max(sum, v)
			}
		}
		longest = max(longest, sum)
	}
	p.X.Max = max(1, float64(longest)) * 1.35
	p.Y.Min, p.Y.Max = -0.7, float64(n)-0.3
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	p.Add(grid)
	height := vg.Points(90) + vg.Length(max(n, 1))*(group+vg.Points(12))
	wt, err := p.WriterTo(vg.Points(640), height, "svg")
	if err != nil {
		return fmt.Errorf("chart %s: %w", c.Name, err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("chart %s: %w", c.Name, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// wholeTicks marks whole numbers only, labelled: a count of licences
// has no halves.
type wholeTicks struct{}

// Ticks returns up to about eight labelled ticks from 0, at a step of 1,
// 2 or 5 times a power of ten.
func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for m := 0; hi/step > 8; m++ {
		step *= []float64{2, 2.5, 2}[m%3] // 1, 2, 5, 10, 20, 50…
	}
	var out []plot.Tick
	for v := 0.0; v <= hi; v += step {
		if v >= lo {
			out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
		}
	}
	return out
}
