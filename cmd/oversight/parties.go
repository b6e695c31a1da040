package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/keyfile"
)

func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &exitError{code: exitUsage, msg: err.Error()}
	}
	return b, nil
}

// EndUserCmd groups the end-user commands.
type EndUserCmd struct {
	Create EndUserCreateCmd `cmd:"" help:"Register an end-user agency (admin, defense, foreign_affairs)."`
	List   EndUserListCmd   `cmd:"" help:"List end users."`
	Show   EndUserShowCmd   `cmd:"" help:"Show an end user."`
	Update EndUserUpdateCmd `cmd:"" help:"Change an end-user agency: its name, kind or declaration signing key (admin, defense, foreign_affairs)."`
}

// EndUserCreateCmd registers an end user.
type EndUserCreateCmd struct {
	clientFlags
	Country    string `required:"" help:"Purchasing state, ISO 3166-1 alpha-2."`
	Agency     string `required:"" help:"Agency name."`
	Kind       string `required:"" enum:"law_enforcement,intelligence,military" help:"Kind: ${enum}."`
	SigningKey string `name:"signing-key" help:"The state's Ed25519 public key for declarations, base64."`
	KeyFile    string `name:"key-file" type:"existingfile" help:"Take the public key from this private key file (see 'oversight declaration keygen')."`
}

// Run registers the end user.
func (c *EndUserCreateCmd) Run(ctx context.Context, env *Env) error {
	key, err := signingKey(c.SigningKey, c.KeyFile)
	if err != nil {
		return err
	}
	out, err := c.client().CreateEndUser(ctx, &oversight.EndUser{Country: c.Country, Agency: c.Agency, Kind: oversight.EndUserKind(c.Kind), SigningKey: key})
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { endUserTable(w, out) })
}

// signingKey is the key given, or the public key of the private key in
// file if set.
func signingKey(key, file string) (string, error) {
	if file == "" {
		return key, nil
	}
	priv, err := keyfile.Read(file)
	if err != nil {
		return "", &exitError{code: exitUsage, msg: fmt.Sprintf("%s: %v", file, err)}
	}
	return oversight.EncodeKey(priv.Public().(ed25519.PublicKey)), nil
}

// EndUserUpdateCmd changes an end user.
type EndUserUpdateCmd struct {
	clientFlags
	ID         string  `arg:"" help:"End-user id (eu_…)."`
	Agency     *string `help:"The agency's new name."`
	Kind       string  `enum:",law_enforcement,intelligence,military" default:"" help:"The new kind: law_enforcement, intelligence or military."`
	SigningKey string  `name:"signing-key" help:"The state's new Ed25519 public key for declarations, base64 (a key rotated); declarations recorded before stand."`
	KeyFile    string  `name:"key-file" type:"existingfile" help:"Take the new public key from this private key file."`
	LogIndex   *int64  `name:"log-index" help:"The agency's log index as you read it: the change is refused if the agency changed since."`
}

// Help is shown by --help.
func (c *EndUserUpdateCmd) Help() string {
	return `Each flag given changes the agency; the rest stays. An agency does not change
state: another state's agency is registered anew. A renamed agency is
screened against every list and designation, as at registration.

Example:
  oversight end-user update eu_… --agency "Directorate of Judicial Police"`
}

// Run changes the end user.
func (c *EndUserUpdateCmd) Run(ctx context.Context, env *Env) error {
	u := oversight.EndUserUpdate{Agency: c.Agency, LogIndex: c.LogIndex}
	if c.Kind != "" {
		k := oversight.EndUserKind(c.Kind)
		u.Kind = &k
	}
	key, err := signingKey(c.SigningKey, c.KeyFile)
	if err != nil {
		return err
	}
	if key != "" {
		u.SigningKey = &key
	}
	out, err := c.client().UpdateEndUser(ctx, c.ID, &u)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { endUserTable(w, out) })
}

func endUserTable(w io.Writer, e *oversight.EndUser) {
	row(w, "id", e.ID)
	row(w, "agency", e.Agency)
	row(w, "country", e.Country)
	row(w, "kind", e.Kind)
	row(w, "signing key", e.SigningKey)
	row(w, "log index", e.LogIndex)
}

// EndUserListCmd lists end users.
type EndUserListCmd struct {
	clientFlags
	Country string `help:"Only agencies of this country."`
	Limit   int    `default:"100" help:"Page size."`
	After   string `help:"Cursor from the previous page."`
}

// Run lists end users.
func (c *EndUserListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().EndUsers(ctx, c.Country, oversight.Page{Limit: c.Limit, After: c.After})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(e *oversight.EndUser) string { return e.ID }), func(w io.Writer) {
		row(w, "ID", "COUNTRY", "KIND", "AGENCY")
		for _, e := range out.Items {
			row(w, e.ID, e.Country, e.Kind, e.Agency)
		}
		nextPage(w, out.Next)
	})
}

// EndUserShowCmd shows an end user.
type EndUserShowCmd struct {
	clientFlags
	ID string `arg:"" help:"End-user id (eu_…)."`
}

// Run shows the end user.
func (c *EndUserShowCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().EndUser(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { endUserTable(w, out) })
}

// DeclarationCmd groups the declaration commands.
type DeclarationCmd struct {
	Keygen    DeclarationKeygenCmd    `cmd:"" help:"Make a purchasing state's declaration signing key."`
	Text      DeclarationTextCmd      `cmd:"" help:"Print the canonical text a state signs."`
	Sign      DeclarationSignCmd      `cmd:"" help:"Sign a declaration with the state's key and record it."`
	List      DeclarationListCmd      `cmd:"" help:"List declarations."`
	Show      DeclarationShowCmd      `cmd:"" help:"Show a declaration."`
	Templates DeclarationTemplatesCmd `cmd:"" help:"List declaration templates and their clauses."`
}

// DeclarationKeygenCmd makes a signing key.
type DeclarationKeygenCmd struct {
	Key string `required:"" help:"File to write the private key to (PEM, mode 0600; never overwritten)."`
}

// Run writes the key and prints the public key alone on the last line.
func (c *DeclarationKeygenCmd) Run(env *Env) error {
	priv, err := keyfile.Generate(c.Key)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s; register the public key below with the end user (--signing-key)\n", c.Key)
	fmt.Fprintln(env.Stdout, oversight.EncodeKey(priv.Public().(ed25519.PublicKey)))
	return nil
}

// declarationFlags name a declaration to sign.
type declarationFlags struct {
	Template       string `default:"IL-2021" help:"Declaration template."`
	EndUser        string `name:"end-user" required:"" help:"End-user id (eu_…)."`
	SignatoryName  string `name:"signatory-name" required:"" help:"Who signs for the purchasing state."`
	SignatoryTitle string `name:"signatory-title" required:"" help:"Their title."`
	SignedOn       string `name:"signed-on" help:"Date of signature, YYYY-MM-DD (default today)."`
}

func (f *declarationFlags) submission() *oversight.DeclarationSubmission {
	on := f.SignedOn
	if on == "" {
		on = time.Now().UTC().Format(time.DateOnly)
	}
	return &oversight.DeclarationSubmission{Template: f.Template, EndUserID: f.EndUser,
		Signatory: oversight.Signatory{Name: f.SignatoryName, Title: f.SignatoryTitle}, SignedOn: on}
}

// DeclarationTextCmd prints the canonical text.
type DeclarationTextCmd struct {
	clientFlags
	declarationFlags
}

// Run prints the text.
func (c *DeclarationTextCmd) Run(ctx context.Context, env *Env) error {
	text, err := c.client().DeclarationText(ctx, c.submission())
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(text)
	return err
}

// DeclarationSignCmd signs and records a declaration.
type DeclarationSignCmd struct {
	clientFlags
	declarationFlags
	Key string `required:"" type:"existingfile" help:"The state's private signing key (from 'declaration keygen')."`
}

// Help is shown by --help.
func (c *DeclarationSignCmd) Help() string {
	return `Fetches the canonical text for the template, agency, signatory and date, signs it
with the key, and records the declaration; the server verifies the signature against
the key registered with the end user.

Example:
  oversight declaration sign --end-user eu_01h… --key state.pem \
      --signatory-name "Claire Dumont" --signatory-title "Minister of the Interior"`
}

// Run signs and records.
func (c *DeclarationSignCmd) Run(ctx context.Context, env *Env) error {
	priv, err := keyfile.Read(c.Key)
	if err != nil {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("%s: %v", c.Key, err)}
	}
	cl := c.client()
	sub := c.submission()
	text, err := cl.DeclarationText(ctx, sub)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(text)
	sub.TextSHA256 = hex.EncodeToString(sum[:])
	sub.Signature = oversight.EncodeKey(ed25519.Sign(priv, text))
	out, err := cl.RecordDeclaration(ctx, sub)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { declarationTable(w, out) })
}

func declarationTable(w io.Writer, d *oversight.Declaration) {
	row(w, "id", d.ID)
	row(w, "template", fmt.Sprintf("%s (version %d)", d.TemplateID, d.TemplateVersion))
	row(w, "end user", d.EndUserID+" ("+d.Country+")")
	row(w, "signatory", d.Signatory.Name+", "+d.Signatory.Title)
	row(w, "signed on", d.SignedOn)
	row(w, "text sha256", d.TextSHA256)
	row(w, "log index", d.LogIndex)
}

// DeclarationListCmd lists declarations.
type DeclarationListCmd struct {
	clientFlags
	EndUser string `name:"end-user" help:"Only this end user's declarations."`
}

// Run lists declarations.
func (c *DeclarationListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Declarations(ctx, c.EndUser, oversight.Page{Limit: 1000})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(d *oversight.Declaration) string { return d.ID }), func(w io.Writer) {
		row(w, "ID", "TEMPLATE", "END USER", "SIGNED ON", "SIGNATORY")
		for _, d := range out.Items {
			row(w, d.ID, d.TemplateID, d.EndUserID, d.SignedOn, d.Signatory.Name)
		}
	})
}

// DeclarationShowCmd shows a declaration.
type DeclarationShowCmd struct {
	clientFlags
	ID string `arg:"" help:"Declaration id (dec_…)."`
}

// Run shows the declaration.
func (c *DeclarationShowCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Declaration(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, out, one(out.ID), func(w io.Writer) { declarationTable(w, out) })
}

// DeclarationTemplatesCmd lists templates.
type DeclarationTemplatesCmd struct {
	clientFlags
}

// Run lists templates.
func (c *DeclarationTemplatesCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Templates(ctx)
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out, func(t *oversight.DeclarationTemplate) string { return t.ID }), func(w io.Writer) {
		for _, t := range out {
			row(w, t.ID, fmt.Sprintf("%s (version %d, %s)", t.Title, t.Version, t.Issuer))
			for _, cl := range t.Clauses {
				row(w, "  "+cl.ID, cl.Title)
			}
		}
	})
}
