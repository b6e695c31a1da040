package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// A Cell is one number of a report, named so that a reader finds it: the
// table, the row's keys in brackets, and the figure, such as
// "rows[FR 2026-Q3].uses_denied" or "denials_by_clause[FR 2026-Q3 IL2021-4]".
type Cell struct {
	Table   string // rows, denials_by_clause, cases_opened, cases_closed, designations
	Country string
	Quarter string
	Figure  string // the figure's name (Figures)
	Key     string // the clause, source, outcome or basis, if any
	Count   int64
}

// Name returns the cell's name.
func (c Cell) Name() string {
	keys := c.Country + " " + c.Quarter
	if c.Table == "designations" {
		keys = c.Quarter
	}
	if c.Key != "" {
		keys += " " + c.Key
	}
	if c.Table == "rows" || c.Table == "designations" {
		return c.Table + "[" + keys + "]." + c.Figure
	}
	return c.Table + "[" + keys + "]"
}

// Cells returns every number of the report, in the order of its tables.
func (r *Report) Cells() []Cell {
	var out []Cell
	for _, row := range r.Rows {
		for i, v := range row.values() {
			out = append(out, Cell{Table: "rows", Country: row.Country, Quarter: row.Quarter, Figure: Figures[i].Name, Count: *v})
		}
	}
	for _, d := range r.Denials {
		out = append(out, Cell{Table: "denials_by_clause", Country: d.Country, Quarter: d.Quarter, Figure: "denials_by_clause", Key: d.Clause, Count: d.Count})
	}
	for _, t := range []struct {
		name  string
		cases []CaseCount
	}{{"cases_opened", r.CasesOpened}, {"cases_closed", r.CasesClosed}} {
		for _, c := range t.cases {
			key := c.Source
			if c.Outcome != "" {
				key += " " + c.Outcome
			}
			out = append(out, Cell{Table: t.name, Country: c.Country, Quarter: c.Quarter, Figure: t.name, Key: key, Count: c.Count})
		}
	}
	for _, d := range r.Designations {
		out = append(out,
			Cell{Table: "designations", Quarter: d.Quarter, Figure: "designations_listed", Key: d.Basis, Count: d.Listed},
			Cell{Table: "designations", Quarter: d.Quarter, Figure: "designations_delisted", Key: d.Basis, Count: d.Delisted})
	}
	return out
}

// A Difference is a number on which two reports disagree.
type Difference struct {
	Cell        string
	Server, Log int64 // 0 where a report has no such cell
}

func (d Difference) String() string {
	if d.Server == d.Log { // the period or the checkpoint
		return d.Cell
	}
	return fmt.Sprintf("%s: the server says %d, the log gives %d", d.Cell, d.Server, d.Log)
}

// Compare returns the numbers on which server's report and the one
// recomputed from the log differ, in the order of the recomputed report's
// cells then the server's extra ones; also the period and checkpoint, as
// differences named "from", "to" and "checkpoint".
func Compare(server, log *Report) []Difference {
	var out []Difference
	if server.From != log.From || server.To != log.To {
		out = append(out, Difference{Cell: "period " + server.From + " to " + server.To + " (the log's: " + log.From + " to " + log.To + ")"})
	}
	if server.Checkpoint != log.Checkpoint {
		out = append(out, Difference{Cell: fmt.Sprintf("checkpoint %d %s (the log's: %d %s)", server.Checkpoint.Size, server.Checkpoint.Root, log.Checkpoint.Size, log.Checkpoint.Root)})
	}
	s := map[string]int64{}
	var order []string
	for _, c := range server.Cells() {
		if _, dup := s[c.Name()]; !dup {
			order = append(order, c.Name())
		}
		s[c.Name()] += c.Count
	}
	seen := map[string]bool{}
	for _, c := range log.Cells() {
		seen[c.Name()] = true
		if v := s[c.Name()]; v != c.Count {
			out = append(out, Difference{Cell: c.Name(), Server: v, Log: c.Count})
		}
	}
	for _, name := range order {
		if !seen[name] && s[name] != 0 {
			out = append(out, Difference{Cell: name, Server: s[name]})
		}
	}
	return out
}

// WriteCSV writes the report as one CSV table, a number a line:
// table, country, quarter, figure, key, count; the first lines name the
// period and the checkpoint.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"table", "country", "quarter", "figure", "key", "count"})
	cw.Write([]string{"period", "", "", "from", r.From, ""})
	cw.Write([]string{"period", "", "", "to", r.To, ""})
	cw.Write([]string{"checkpoint", "", "", "origin", r.Checkpoint.Origin, ""})
	cw.Write([]string{"checkpoint", "", "", "size", "", strconv.FormatInt(r.Checkpoint.Size, 10)})
	cw.Write([]string{"checkpoint", "", "", "root", r.Checkpoint.Root, ""})
	for _, c := range r.Cells() {
		cw.Write([]string{c.Table, c.Country, c.Quarter, c.Figure, c.Key, strconv.FormatInt(c.Count, 10)})
	}
	cw.Flush()
	return cw.Error()
}
