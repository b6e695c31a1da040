package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/keyfile"
)

// ComplaintCmd groups what a complainant does: no account, only the
// receipt and the secret that filing returned.
type ComplaintCmd struct {
	File   ComplaintFileCmd   `cmd:"" help:"File a complaint without an account; prints the receipt and the secret that reads it."`
	Status ComplaintStatusCmd `cmd:"" help:"Read a complaint's status with its secret."`
	Add    ComplaintAddCmd    `cmd:"" help:"Add information to a complaint with its secret."`
}

// ComplaintsCmd groups the officers' complaint commands.
type ComplaintsCmd struct {
	List   ComplaintsListCmd   `cmd:"" help:"List complaints, newest first (officials)."`
	Show   ComplaintsShowCmd   `cmd:"" help:"Show a complaint (officials)."`
	Triage ComplaintsTriageCmd `cmd:"" help:"Make a complaint a new case, add it to an open one, or dismiss it (defense, foreign_affairs)."`
}

// complaintText reads a complaint's text from --text or --file ("-" for
// standard input).
type complaintText struct {
	Text string `xor:"text" help:"What you know."`
	File string `xor:"text" type:"path" help:"Read what you know from this file (- for standard input)."`
}

func (t *complaintText) read(env *Env) (string, error) {
	if t.File == "" {
		if t.Text == "" {
			return "", &exitError{code: exitUsage, msg: "give the text with --text or --file"}
		}
		return t.Text, nil
	}
	var (
		b   []byte
		err error
	)
	if t.File == "-" {
		b, err = io.ReadAll(io.LimitReader(env.Stdin, oversight.MaxComplaintText+1))
	} else {
		b, err = os.ReadFile(t.File)
	}
	if err != nil {
		return "", &exitError{code: exitUsage, msg: err.Error()}
	}
	return string(b), nil
}

// complaintSecret is the secret of a complaint, from the environment or
// a file, never a flag, since flags show in ps.
type complaintSecret struct {
	Secret     string `env:"OVERSIGHT_COMPLAINT_SECRET" hidden:"" help:"The complaint's secret (ovc_…), from the environment."`
	SecretFile string `type:"path" help:"Read the complaint's secret from this file (written by complaint file --secret-file); or set OVERSIGHT_COMPLAINT_SECRET."`
}

func (s *complaintSecret) secret() (string, error) {
	if s.SecretFile != "" {
		b, err := keyfile.ReadFile(s.SecretFile)
		if err != nil {
			return "", &exitError{code: exitUsage, msg: err.Error()}
		}
		return strings.TrimSpace(string(b)), nil
	}
	if s.Secret == "" {
		return "", &exitError{code: exitUsage, msg: "give the complaint's secret with --secret-file or OVERSIGHT_COMPLAINT_SECRET"}
	}
	return s.Secret, nil
}

// ComplaintFileCmd files a complaint.
type ComplaintFileCmd struct {
	clientFlags
	complaintText
	License    string `help:"The licence it is about (lic_…), if you know it."`
	Vendor     string `help:"The vendor it is about (ven_…), if you know it."`
	Country    string `help:"The country it is about (ISO 3166-1 alpha-2, such as MX)."`
	SecretFile string `type:"path" help:"Write the secret to this new file (mode 0600) instead of printing it."`
}

// Run files the complaint.
func (c *ComplaintFileCmd) Run(ctx context.Context, env *Env) error {
	text, err := c.read(env)
	if err != nil {
		return err
	}
	cl := c.client()
	cl.Token = "" // a complaint carries nothing of whoever files it
	out, err := cl.FileComplaint(ctx, &oversight.ComplaintRequest{Text: text, LicenseID: c.License, VendorID: c.Vendor, Country: c.Country})
	if err != nil {
		return err
	}
	secretShown := out.Secret
	if c.SecretFile != "" {
		if err := keyfile.Create(c.SecretFile, []byte(out.Secret+"\n")); err != nil {
			return fmt.Errorf("the complaint %s was filed, but its secret could not be written: %w; it is %s", out.Receipt, err, out.Secret)
		}
		out.Secret, secretShown = "", "in "+c.SecretFile
	}
	return c.print(env, out, one(out.Receipt), func(w io.Writer) {
		row(w, "receipt", out.Receipt)
		row(w, "secret", secretShown)
		row(w, "status", out.Status)
		row(w, "note", "keep the secret: it is shown once, and only it reads the complaint (oversight complaint status RECEIPT)")
	})
}

// ComplaintStatusCmd reads a complaint as its complainant.
type ComplaintStatusCmd struct {
	clientFlags
	complaintSecret
	Receipt string `arg:"" help:"The complaint's receipt (cmp_…)."`
}

// Run reads the complaint.
func (c *ComplaintStatusCmd) Run(ctx context.Context, env *Env) error {
	secret, err := c.secret()
	if err != nil {
		return err
	}
	c.Token = secret // the complainant's only credential
	cl := c.client()
	out, err := cl.ComplaintStatus(ctx, c.Receipt)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { complaintViewTable(w, out) })
}

// ComplaintAddCmd adds to a complaint as its complainant.
type ComplaintAddCmd struct {
	clientFlags
	complaintSecret
	complaintText
	Receipt string `arg:"" help:"The complaint's receipt (cmp_…)."`
}

// Run adds the text.
func (c *ComplaintAddCmd) Run(ctx context.Context, env *Env) error {
	text, err := c.read(env)
	if err != nil {
		return err
	}
	secret, err := c.secret()
	if err != nil {
		return err
	}
	c.Token = secret // the complainant's only credential
	cl := c.client()
	out, err := cl.AddToComplaint(ctx, c.Receipt, text)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { complaintViewTable(w, out) })
}

func complaintViewTable(w io.Writer, x *oversight.ComplaintStatusView) {
	row(w, "receipt", x.ID)
	row(w, "status", x.Status)
	if x.Note != "" {
		row(w, "note", x.Note)
	}
	row(w, "filed", x.CreatedAt.Format(time.RFC3339))
	row(w, "text", x.Text)
	for _, a := range x.Additions {
		row(w, "added "+a.AddedAt.Format(time.DateOnly), a.Text)
	}
}

// ComplaintsListCmd lists complaints.
type ComplaintsListCmd struct {
	clientFlags
	Status  string `enum:",received,triaged,dismissed" default:"" help:"Only complaints of this status."`
	License string `help:"Only complaints naming this licence."`
	Limit   int    `default:"100" help:"Page size."`
	After   string `help:"Cursor from the previous page."`
}

// Run lists the complaints.
func (c *ComplaintsListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Complaints(ctx, oversight.ComplaintFilter{Status: oversight.ComplaintStatus(c.Status), LicenseID: c.License},
		oversight.Page{Limit: c.Limit, After: c.After})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(x *oversight.Complaint) string { return x.ID }), func(w io.Writer) {
		row(w, "RECEIPT", "FILED", "STATUS", "LICENCE", "CASE", "TEXT")
		for _, x := range out.Items {
			row(w, x.ID, x.CreatedAt.Format(time.DateOnly), x.Status, dash(x.LicenseID), dash(x.CaseID), clip(x.Text, 60))
		}
		nextPage(w, out.Next)
	})
}

// ComplaintsShowCmd shows a complaint.
type ComplaintsShowCmd struct {
	clientFlags
	Receipt string `arg:"" help:"The complaint's receipt (cmp_…)."`
}

// Run shows the complaint.
func (c *ComplaintsShowCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Complaint(ctx, c.Receipt)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { complaintTable(w, out) })
}

// ComplaintsTriageCmd triages a complaint.
type ComplaintsTriageCmd struct {
	clientFlags
	Receipt string `arg:"" help:"The complaint's receipt (cmp_…)."`
	NewCase bool   `xor:"action" required:"" help:"Open a case of source complaint."`
	Attach  string `xor:"action" required:"" help:"Add it to this open case (case_…)."`
	Dismiss bool   `xor:"action" required:"" help:"Dismiss it (give --note)."`
	License string `help:"The new case's licence (lic_…); by default the one the complaint names."`
	Title   string `help:"The new case's title."`
	Note    string `help:"What the complainant reads: why it was dismissed, or what happens next."`
}

// Run triages the complaint.
func (c *ComplaintsTriageCmd) Run(ctx context.Context, env *Env) error {
	t := &oversight.ComplaintTriage{LicenseID: c.License, Title: c.Title, CaseID: c.Attach, Note: c.Note}
	switch {
	case c.NewCase:
		t.Action = oversight.TriageNewCase
	case c.Attach != "":
		t.Action = oversight.TriageAttach
	default:
		t.Action = oversight.TriageDismiss
	}
	out, err := c.client().TriageComplaint(ctx, c.Receipt, t)
	if err != nil {
		return err
	}
	ids := one(out.Complaint.ID)
	if out.Case != nil {
		ids = one(out.Case.ID)
	}
	return c.print(env, out, ids, func(w io.Writer) {
		complaintTable(w, out.Complaint)
		if out.Case != nil {
			row(w, "case", out.Case.ID+" ("+string(out.Case.Status)+", "+out.Case.Title+")")
		}
	})
}

func complaintTable(w io.Writer, x *oversight.Complaint) {
	row(w, "receipt", x.ID)
	row(w, "status", x.Status)
	for _, kv := range [][2]string{{"licence", x.LicenseID}, {"vendor", x.VendorID}, {"country", x.Country}, {"case", x.CaseID}, {"note", x.Note}} {
		if kv[1] != "" {
			row(w, kv[0], kv[1])
		}
	}
	row(w, "filed", x.CreatedAt.Format(time.RFC3339))
	if x.TriagedAt != nil {
		row(w, "triaged", x.TriagedAt.Format(time.RFC3339)+" by "+x.TriagedBy)
	}
	row(w, "text", x.Text)
	for _, a := range x.Additions {
		row(w, "added "+a.AddedAt.Format(time.DateOnly), a.Text)
	}
	row(w, "log index", x.LogIndex)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clip shortens text to n runes on one line, for a table.
func clip(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
