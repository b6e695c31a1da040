package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
)

// dbFlags are the flags of the commands that act on the server's database
// directly, as its operator: users and tokens.
type dbFlags struct {
	DB     string `env:"OVERSIGHT_DB" default:"${default_db}" help:"SQLite file or postgres:// URL of the server's database."`
	Output string `short:"o" default:"table" enum:"table,json,id" help:"Output: table, json, or id (ids alone, one a line)."`
}

// open opens the database and a service over it, and passes them to fn.
func (f *dbFlags) open(ctx context.Context, fn func(*service.Service) error) error {
	st, err := store.Open(ctx, f.DB, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	// The service's operational log (the screening index it builds) is not
	// this command's business.
	svc, err := service.New(ctx, st, service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	return fn(svc)
}

func (f *dbFlags) print(env *Env, v any, ids []string, table func(w io.Writer)) error {
	return (&clientFlags{Output: f.Output}).print(env, v, ids, table)
}

// TokenCmd manages API tokens.
type TokenCmd struct {
	Create TokenCreateCmd `cmd:"" help:"Create an API token for a user."`
	List   TokenListCmd   `cmd:"" help:"List tokens: whose, until when, revoked or not."`
	Revoke TokenRevokeCmd `cmd:"" help:"Revoke a token; every replica refuses it from then on."`
}

// TokenCreateCmd creates a token.
type TokenCreateCmd struct {
	User  string        `required:"" help:"The user (usr_…) the token acts as, with their role; see oversight user list."`
	Label string        `help:"What holds the token, e.g. \"nightly export script\"."`
	TTL   time.Duration `name:"ttl" default:"2160h" help:"How long the token lasts (at most 8784h, a leap year)."`
	dbFlags
}

// Help is shown by "oversight token create --help".
func (c *TokenCreateCmd) Help() string {
	return `The token is printed once, alone on the last line; only its hash is stored. It acts
as its user, with the user's role and vendor or agency, until it expires or is revoked.

Example:
  oversight user create --role defense --name "Officer Dana Levi"
  oversight token create --user usr_01h… --label "Dana's laptop"`
}

// Run creates the token.
func (c *TokenCreateCmd) Run(ctx context.Context, env *Env) error {
	return c.open(ctx, func(svc *service.Service) error {
		tok, secret, err := svc.CreateToken(ctx, service.Operator, &oversight.TokenRequest{UserID: c.User, Label: c.Label, TTL: c.TTL})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "created %s token %s for %s (%s), expires %s\n", tok.Principal.Role, tok.ID, tok.UserID,
			tok.Principal.Name, tok.ExpiresAt.Format(time.RFC3339))
		fmt.Fprintln(env.Stdout, secret)
		return nil
	})
}

// TokenListCmd lists tokens.
type TokenListCmd struct {
	User  string `help:"Only this user's tokens (usr_…)."`
	After string `help:"Cursor: the last id of the previous page."`
	Limit int    `default:"100" help:"Page size."`
	dbFlags
}

// Run lists the tokens.
func (c *TokenListCmd) Run(ctx context.Context, env *Env) error {
	return c.open(ctx, func(svc *service.Service) error {
		l, err := svc.Tokens(ctx, service.Operator, c.User, oversight.Page{After: c.After, Limit: c.Limit})
		if err != nil {
			return err
		}
		now := time.Now()
		return c.print(env, l, idsOf(l.Items, func(t *oversight.Token) string { return t.ID }), func(w io.Writer) {
			row(w, "ID", "USER", "NAME", "ROLE", "LABEL", "EXPIRES", "STATE")
			for _, t := range l.Items {
				state := "usable"
				if err := t.Usable(now); err != nil {
					state = "refused: " + oversight.ErrorMessage(err)
				}
				row(w, t.ID, t.UserID, t.Principal.Name, t.Principal.Role, orDash(t.Label), t.ExpiresAt.Format(time.DateOnly), state)
			}
			if l.Next != "" {
				row(w, "(more: --after "+l.Next+")")
			}
		})
	})
}

// TokenRevokeCmd revokes a token.
type TokenRevokeCmd struct {
	ID string `arg:"" help:"Token id (tok_…)."`
	dbFlags
}

// Run revokes the token.
func (c *TokenRevokeCmd) Run(ctx context.Context, env *Env) error {
	return c.open(ctx, func(svc *service.Service) error {
		tok, err := svc.RevokeToken(ctx, service.Operator, c.ID)
		if err != nil {
			return err
		}
		return c.print(env, tok, one(tok.ID), func(w io.Writer) {
			fmt.Fprintf(w, "revoked %s of %s (%s)\n", tok.ID, tok.UserID, tok.Principal.Name)
		})
	})
}
