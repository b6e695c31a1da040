package main

import (
	"context"
	"fmt"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
)

// TokenCmd manages API tokens.
type TokenCmd struct {
	Create TokenCreateCmd `cmd:"" help:"Create an API token directly in the database."`
}

// TokenCreateCmd creates a token.
type TokenCreateCmd struct {
	Role    string `required:"" enum:"admin,defense,foreign_affairs,vendor,end_user,consular" help:"Role: ${enum}."`
	Vendor  string `help:"Vendor id (ven_…) a vendor token acts for."`
	EndUser string `name:"end-user" help:"End-user id (eu_…) an end_user token acts for."`
	Name    string `help:"Name of the person or system holding the token; two-person rules compare it."`
	DB      string `env:"OVERSIGHT_DB" default:"${default_db}" help:"SQLite file or postgres:// URL of the server's database."`
}

// Help is shown by "oversight token create --help".
func (c *TokenCreateCmd) Help() string {
	return `The token is printed once, alone on the last line; only its hash is stored.

Example:
  oversight token create --role defense --name "Officer Dana Levi"
  oversight token create --role vendor --vendor ven_01h… --name "Compliance desk"`
}

// Run creates the token.
func (c *TokenCreateCmd) Run(ctx context.Context, env *Env) error {
	st, err := store.Open(ctx, c.DB, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := service.New(st, service.Options{})
	if err != nil {
		return err
	}
	tok, secret, err := svc.CreateToken(ctx, oversight.Principal{
		Role: oversight.Role(c.Role), VendorID: c.Vendor, EndUserID: c.EndUser, Name: c.Name,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "created %s token %s\n", c.Role, tok.ID)
	fmt.Fprintln(env.Stdout, secret)
	return nil
}
