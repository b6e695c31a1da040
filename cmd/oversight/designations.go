package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/lists"
)

// DesignationsCmd groups the designation commands.
type DesignationsCmd struct {
	Import   DesignationsImportCmd   `cmd:"" help:"Load a list: the project's JSON lines, an OFAC sdn.csv or cons_prim.csv with the files beside it, or the BIS Denied Persons List (defense, foreign_affairs). Idempotent."`
	Create   DesignationsCreateCmd   `cmd:"" help:"Designate a person (defense, foreign_affairs)."`
	FromCase DesignationsFromCaseCmd `cmd:"" name:"from-case" help:"Designate the people a misuse case reaches, with their families on record (defense, foreign_affairs)."`
	List     DesignationsListCmd     `cmd:"" help:"List designations (officials, consular)."`
	Show     DesignationsShowCmd     `cmd:"" help:"Show a designation."`
	Delist   DesignationsDelistCmd   `cmd:"" help:"Lift a designation, keeping its history (defense, foreign_affairs)."`
}

// An import request carries at most designationChunk designations and
// about chunkBytes of JSON: one transaction on the server, well inside its
// default body limit of 1 MiB.
const (
	designationChunk = 500
	chunkBytes       = 512 << 10
)

// chunks splits ds into import requests.
func chunks(ds []oversight.Designation) [][]oversight.Designation {
	var out [][]oversight.Designation
	start, size := 0, 0
	for i := range ds {
		b, _ := json.Marshal(&ds[i])
		if i > start && (i-start == designationChunk || size+len(b) > chunkBytes) {
			out = append(out, ds[start:i])
			start, size = i, 0
		}
		size += len(b) + 1
	}
	if start < len(ds) {
		out = append(out, ds[start:])
	}
	return out
}

// listOf returns the public list every designation of ds comes from, or
// "" when they come from none or from several.
func listOf(ds []oversight.Designation) string {
	list := ""
	for i := range ds {
		l := oversight.ListOf(ds[i].Source)
		if l == "" || list != "" && l != list {
			return ""
		}
		list = l
	}
	return list
}

// fileVersion labels a list file's version by its date and digest.
func fileVersion(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	label := fmt.Sprintf("sha256:%x", h.Sum(nil)[:8])
	if st, err := f.Stat(); err == nil {
		label = st.ModTime().UTC().Format(time.DateOnly) + " " + label
	}
	return label
}

// DesignationsImportCmd imports a list through the API, so that every
// designation's event names the officer whose token imported it.
type DesignationsImportCmd struct {
	clientFlags
	Format      string `required:"" enum:"jsonl,ofac-sdn,bis-dpl" help:"jsonl (one designation as JSON a line, with an id or a source), ofac-sdn (sdn.csv, or the consolidated list's cons_prim.csv; the alias, address and comment files beside it are read too) or bis-dpl (the Denied Persons List, tab-separated)."`
	Basis       string `default:"sanctions_list" enum:"sanctions_list,misuse,financial_gain" help:"Basis given to the entries of a public list: ${enum}. sanctions_list says that the list and its programme are the reason."`
	KeepMissing bool   `name:"keep-missing" help:"Do not delist the entries of a public list that this file no longer holds (import a partial file)."`
	File        string `arg:"" type:"existingfile" help:"The list file."`
}

// Help is shown by "oversight designations import --help".
func (c *DesignationsImportCmd) Help() string {
	return `The whole file is read and checked first: a malformed line stops the import, naming the
file and line, before anything is sent. The designations then go to the server 500 (at most half a megabyte) to a request,
each request one transaction. Importing the same list again updates in place (an OFAC entry is
known by its entity number, a DPL entry by its name, a JSON line by its id or source) and adds
nothing twice. A public list is imported as a version: its entries that the file no longer holds
are delisted, each with its event (--keep-missing for a partial file); an entry back in a later
version is listed again. Individuals and entities (companies, organisations) are imported; vessels and
aircraft are skipped and counted.

Examples:
  oversight designations import --format ofac-sdn ../shared/data/sanctions/sdn.csv
  oversight designations import --format ofac-sdn ../shared/data/sanctions/CONS_PRIM.CSV
  oversight designations import --format bis-dpl ../shared/data/sanctions/bis_dpl_2022.txt
  oversight designations import --format jsonl designations.jsonl -o json`
}

// importTotals is what an import did, as -o json prints it.
type importTotals struct {
	File      string         `json:"file"`
	Read      int            `json:"read"`
	Added     int            `json:"added"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Delisted  int            `json:"delisted"`
	Skipped   map[string]int `json:"skipped"`
}

// Run imports the list.
func (c *DesignationsImportCmd) Run(ctx context.Context, env *Env) error {
	start := time.Now()
	res, err := lists.Load(lists.Format(c.Format), c.File, lists.Options{Progress: listProgress(env, true), Basis: oversight.Basis(c.Basis)})
	if err != nil {
		return listError(err, "imported")
	}
	ds := res.Designations
	// A relative may be imported with the person he is related to: send
	// the persons first, so that each relative's person is there.
	slices.SortStableFunc(ds, func(a, b oversight.Designation) int {
		ra, rb := a.Basis == oversight.BasisImmediateRelative, b.Basis == oversight.BasisImmediateRelative
		switch {
		case ra == rb:
			return 0
		case rb:
			return -1
		}
		return 1
	})
	tot := importTotals{File: c.File, Read: len(ds), Skipped: res.Skipped}
	var ids []string
	bar := newBar(env, int64(len(ds)), "importing")
	cl := c.client()
	i := 0
	// A public list is imported as a version: the last request names
	// every entry the file holds, and the server delists those it no
	// longer does.
	var version *oversight.ListVersion
	if list := listOf(ds); list != "" && !c.KeepMissing {
		version = &oversight.ListVersion{List: list, Version: fileVersion(c.File)}
		for _, d := range ds {
			version.Sources = append(version.Sources, d.Source)
		}
	}
	parts := chunks(ds)
	if len(parts) == 0 && version != nil {
		parts = [][]oversight.Designation{nil}
	}
	for k, chunk := range parts {
		req := &oversight.DesignationImport{Designations: chunk, More: k < len(parts)-1}
		if k == len(parts)-1 {
			req.DelistMissing = version
		}
		out, err := cl.ImportList(ctx, req)
		if err != nil {
			if bar != nil {
				fmt.Fprintln(env.Stderr)
			}
			if i > 0 {
				fmt.Fprintf(env.Stderr, "imported %d of %d designations before this error; importing the list again goes on from there\n", i, len(ds))
			}
			return err
		}
		tot.Added += out.Added
		tot.Updated += out.Updated
		tot.Unchanged += out.Unchanged
		tot.Delisted += out.Delisted
		for _, it := range out.Items {
			ids = append(ids, it.ID)
		}
		i += len(chunk)
		if bar != nil {
			bar.Add(len(chunk))
		} else {
			fmt.Fprintf(env.Stderr, "imported %d/%d\n", i, len(ds))
		}
	}
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(env.Stderr)
	}
	return c.print(env, tot, ids, func(w io.Writer) {
		fmt.Fprintf(w, "%s: %d designations in %s: %d added, %d updated, %d unchanged\n", c.File, len(ds),
			time.Since(start).Round(10*time.Millisecond), tot.Added, tot.Updated, tot.Unchanged)
		if version != nil {
			fmt.Fprintf(w, "version %s of %s: %d delisted, no longer on the list\n", version.Version, version.List, tot.Delisted)
		}
		if len(res.Skipped) > 0 {
			reasons := make([]string, 0, len(res.Skipped))
			for _, k := range slices.Sorted(maps.Keys(res.Skipped)) {
				reasons = append(reasons, fmt.Sprintf("%d %s", res.Skipped[k], k))
			}
			fmt.Fprintf(w, "skipped: %s\n", strings.Join(reasons, ", "))
		}
	})
}

// DesignationsCreateCmd designates a person.
type DesignationsCreateCmd struct {
	clientFlags
	File        string   `short:"f" help:"Read the designation from a JSON file (- for stdin), as POST /v1/designations takes it."`
	Name        string   `help:"The person's name."`
	Alias       []string `help:"Another name, in any script (repeatable)."`
	BirthDate   string   `name:"birth-date" help:"YYYY-MM-DD or YYYY."`
	Nationality string   `help:"ISO 3166-1 alpha-2."`
	Basis       string   `enum:"misuse,financial_gain,immediate_relative," default:"" help:"misuse, financial_gain or immediate_relative."`
	RelatedTo   string   `name:"related-to" help:"For an immediate relative: the designated person (des_…)."`
	Relation    string   `enum:"spouse,child,parent,sibling," default:"" help:"For an immediate relative: spouse, child, parent or sibling."`
	Case        string   `help:"The misuse case (case_…); the designation is linked to it."`
	Remarks     string   `help:"Why, for the record."`
}

// Help is shown by --help.
func (c *DesignationsCreateCmd) Help() string {
	return `Examples:
  oversight designations create --name 'Radomir ZAVADSKY' --alias 'Радомир Завадский' \
      --birth-date 1968-04-12 --nationality RU --basis misuse --case case_01j…
  oversight designations create --name 'Irina ZAVADSKAYA' --basis immediate_relative \
      --related-to des_01j… --relation spouse`
}

// Run designates.
func (c *DesignationsCreateCmd) Run(ctx context.Context, env *Env) error {
	var r oversight.DesignationRequest
	if c.File != "" {
		if err := readJSONFile(env, c.File, &r); err != nil {
			return err
		}
	} else {
		r = oversight.DesignationRequest{Identity: oversight.Identity{Name: c.Name, Aliases: c.Alias, BirthDate: c.BirthDate, Nationality: c.Nationality},
			Basis: oversight.Basis(c.Basis), RelatedTo: c.RelatedTo, Relation: oversight.Relation(c.Relation), CaseID: c.Case, Remarks: c.Remarks}
	}
	out, err := c.client().CreateDesignation(ctx, &r)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { designationTable(w, out) })
}

func designationTable(w io.Writer, d *oversight.Designation) {
	row(w, "id", d.ID)
	row(w, "name", d.Name)
	for _, a := range d.Aliases {
		row(w, "alias", a)
	}
	row(w, "birth date", orDash(d.BirthDate))
	row(w, "nationality", orDash(d.Nationality))
	basis := string(d.Basis)
	if d.RelatedTo != "" {
		basis += fmt.Sprintf(" (%s of %s)", d.Relation, d.RelatedTo)
	}
	row(w, "basis", basis)
	row(w, "case", orDash(d.CaseID))
	row(w, "source", orDash(d.Source))
	if d.Program != "" {
		row(w, "program", d.Program)
	}
	if d.Remarks != "" {
		row(w, "remarks", d.Remarks)
	}
	row(w, "listed", d.ListedAt.Format(time.RFC3339))
	if d.DelistedAt != nil {
		row(w, "delisted", d.DelistedAt.Format(time.RFC3339)+": "+d.DelistReason)
	}
	row(w, "log index", d.LogIndex)
}

// DesignationsFromCaseCmd designates from a misuse case.
type DesignationsFromCaseCmd struct {
	clientFlags
	Case   string   `arg:"" help:"The misuse case (case_…)."`
	Person []string `help:"A person the investigation found involved in the misuse, as NAME[:BIRTH_DATE[:NATIONALITY]] (repeatable)."`
	File   string   `short:"f" help:"Read the request from a JSON file (- for stdin): {\"persons\": [{\"name\", \"aliases\", \"birth_date\", \"nationality\", \"relatives\": [{\"name\", \"relation\"}]}]}."`
}

// Help is shown by --help.
func (c *DesignationsFromCaseCmd) Help() string {
	return `Designates in one step the owners and executives of the vendor of the case's licence (basis
financial_gain), the persons given (basis misuse), and the immediate family members on record of
each (basis immediate_relative, related to that person). Running it again designates no one twice.

Example:
  oversight designations from-case case_01j… --person 'Lucien MARCHETTI:1975-02-03:FR'`
}

// Run designates.
func (c *DesignationsFromCaseCmd) Run(ctx context.Context, env *Env) error {
	var r oversight.CaseDesignationRequest
	if c.File != "" {
		if err := readJSONFile(env, c.File, &r); err != nil {
			return err
		}
	}
	for _, p := range c.Person {
		parts := strings.Split(p, ":")
		if len(parts) > 3 || strings.TrimSpace(parts[0]) == "" {
			return &exitError{code: exitUsage, msg: fmt.Sprintf("--person %q: want NAME[:BIRTH_DATE[:NATIONALITY]]", p)}
		}
		per := oversight.InvolvedPerson{Identity: oversight.Identity{Name: parts[0]}}
		if len(parts) > 1 {
			per.BirthDate = parts[1]
		}
		if len(parts) > 2 {
			per.Nationality = strings.ToUpper(parts[2])
		}
		r.Persons = append(r.Persons, per)
	}
	out, err := c.client().DesignateFromCase(ctx, c.Case, &r)
	if err != nil {
		return err
	}
	ids := make([]string, len(out.Items))
	for i, it := range out.Items {
		ids[i] = it.Designation.ID
	}
	return c.print(env, out, ids, func(w io.Writer) {
		row(w, "STATUS", "DESIGNATION", "NAME", "BASIS")
		names := map[string]string{}
		for _, it := range out.Items {
			names[it.Designation.ID] = it.Designation.Name
		}
		for _, it := range out.Items {
			d := it.Designation
			basis := string(d.Basis)
			if d.RelatedTo != "" {
				of := names[d.RelatedTo]
				if of == "" {
					of = d.RelatedTo
				}
				basis = fmt.Sprintf("%s of %s", d.Relation, of)
			}
			row(w, it.Status, d.ID, d.Name, basis)
		}
		fmt.Fprintf(w, "case %s: %d added, %d already designated, %d listed again\n", out.CaseID, out.Added, out.Existing, out.Relisted)
	})
}

// DesignationsListCmd lists designations.
type DesignationsListCmd struct {
	clientFlags
	Basis     string `help:"misuse, financial_gain or immediate_relative."`
	Case      string `help:"Designations of a misuse case."`
	RelatedTo string `name:"related-to" help:"The immediate relatives of a designated person."`
	Source    string `help:"The designation imported from a list entry, such as ofac-sdn:36216."`
	Status    string `enum:"active,delisted," default:"" help:"active or delisted."`
	Limit     int    `default:"100" help:"Page size."`
	After     string `help:"Cursor from the previous page."`
}

// Run lists.
func (c *DesignationsListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Designations(ctx, oversight.DesignationFilter{Basis: oversight.Basis(c.Basis), CaseID: c.Case, RelatedTo: c.RelatedTo, Source: c.Source, Status: c.Status},
		oversight.Page{Limit: c.Limit, After: c.After})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(d *oversight.Designation) string { return d.ID }), func(w io.Writer) {
		row(w, "ID", "NAME", "BASIS", "BIRTH", "NAT", "LISTED", "DELISTED")
		for _, d := range out.Items {
			delisted := "-"
			if d.DelistedAt != nil {
				delisted = d.DelistedAt.Format(time.DateOnly)
			}
			basis := string(d.Basis)
			if d.RelatedTo != "" {
				basis = fmt.Sprintf("%s of %s", d.Relation, d.RelatedTo)
			}
			row(w, d.ID, d.Name, basis, orDash(d.BirthDate), orDash(d.Nationality), d.ListedAt.Format(time.DateOnly), delisted)
		}
		nextPage(w, out.Next)
	})
}

// DesignationsShowCmd shows a designation.
type DesignationsShowCmd struct {
	clientFlags
	ID string `arg:"" help:"Designation id (des_…)."`
}

// Run shows.
func (c *DesignationsShowCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Designation(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { designationTable(w, out) })
}

// DesignationsDelistCmd lifts a designation.
type DesignationsDelistCmd struct {
	clientFlags
	ID     string `arg:"" help:"Designation id (des_…)."`
	Reason string `required:"" help:"Why the designation is lifted, for the record."`
}

// Help is shown by --help.
func (c *DesignationsDelistCmd) Help() string {
	return `The designation stays, with the date and reason of its delisting; screening ignores it
unless --include-delisted is given. The relatives designated because of the person are delisted
with it.`
}

// Run delists.
func (c *DesignationsDelistCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().DelistDesignation(ctx, c.ID, c.Reason)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { designationTable(w, out) })
}
