package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// EvidenceCmd groups the forensic-evidence commands (officials).
type EvidenceCmd struct {
	Import EvidenceImportCmd `cmd:"" help:"Import a forensic report, a STIX 2.1 bundle, and match it against declared infrastructure (defense, foreign_affairs)."`
	List   EvidenceListCmd   `cmd:"" help:"List imported forensic reports, newest first."`
	Show   EvidenceShowCmd   `cmd:"" help:"Show an imported forensic report and its matches."`
}

// EvidenceImportCmd imports a STIX bundle.
type EvidenceImportCmd struct {
	clientFlags
	File string `arg:"" type:"existingfile" help:"The STIX 2.1 bundle (at most 32 MiB), such as pegasus.stix2."`
}

// Help is shown by "oversight evidence import --help".
func (c *EvidenceImportCmd) Help() string {
	return `Reads a STIX 2.1 bundle as Amnesty International's Security Lab and Citizen
Lab publish them with their forensic reports, and sends it to the server,
which matches every indicator naming a domain, an IP address, a certificate
digest or an app id against the infrastructure deployments declared
("oversight deployment declare"). Each new match opens, or adds evidence to,
the EVIDENCE-INDICATOR case of the deployment's licence. Importing the same
file again adds nothing. A malformed bundle is refused whole, naming the
object and field at fault.

Example:
  oversight evidence import ../shared/data/indicators/pegasus.stix2
  oversight case list --rule EVIDENCE-INDICATOR`
}

// Run imports the bundle.
func (c *EvidenceImportCmd) Run(ctx context.Context, env *Env) error {
	f, err := os.Open(c.File)
	if err != nil {
		return &exitError{code: exitUsage, msg: err.Error()}
	}
	defer f.Close()
	rep, created, err := c.client().ImportEvidence(ctx, f)
	if err != nil {
		return err
	}
	return c.print(env, rep, one(rep.ID), func(w io.Writer) {
		if !created {
			row(w, "note", "imported before; only new matches were recorded")
		}
		reportTable(w, rep)
	})
}

func reportTable(w io.Writer, r *oversight.EvidenceReport) {
	row(w, "id", r.ID)
	row(w, "bundle", r.BundleID)
	row(w, "sha256", r.SHA256)
	row(w, "malware", join(r.Malware))
	row(w, "indicators", fmt.Sprintf("%d, %d naming infrastructure", r.Indicators, r.Matchable))
	row(w, "matches", fmt.Sprintf("%d, %d new", len(r.Matches), r.NewMatches))
	for _, m := range r.Matches {
		row(w, "match", fmt.Sprintf("%s %s (declared %s) by %s of %s → %s", m.Kind, m.Value, m.Declared, m.DeploymentID, m.LicenseID, orDash(m.CaseID)))
	}
	row(w, "cases", join(r.CaseIDs))
	row(w, "imported", r.ImportedAt.Format(time.RFC3339)+" by "+r.ImportedBy)
}

// EvidenceListCmd lists reports.
type EvidenceListCmd struct {
	clientFlags
	Limit int    `default:"100" help:"Page size."`
	After string `help:"Cursor from the previous page."`
}

// Run lists them.
func (c *EvidenceListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().EvidenceReports(ctx, oversight.Page{Limit: c.Limit, After: c.After})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(r *oversight.EvidenceReport) string { return r.ID }), func(w io.Writer) {
		row(w, "ID", "IMPORTED", "MALWARE", "INDICATORS", "CASES")
		for _, r := range out.Items {
			row(w, r.ID, r.ImportedAt.Format(time.DateOnly), strings.Join(r.Malware, ","), r.Indicators, join(r.CaseIDs))
		}
		nextPage(w, out.Next)
	})
}

// EvidenceShowCmd shows a report.
type EvidenceShowCmd struct {
	clientFlags
	ID string `arg:"" help:"Report id (rpt_…)."`
}

// Run shows it.
func (c *EvidenceShowCmd) Run(ctx context.Context, env *Env) error {
	r, err := c.client().EvidenceReport(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, r, one(r.ID), func(w io.Writer) { reportTable(w, r) })
}
