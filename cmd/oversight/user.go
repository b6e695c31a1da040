package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
)

// UserCmd manages users: the people who act on Oversight.
type UserCmd struct {
	Create UserCreateCmd `cmd:"" help:"Create a user: a person with one role (and their vendor or agency)."`
	Invite UserInviteCmd `cmd:"" help:"Invite a person to the console: a user and a one-time link that registers their passkey."`
	List   UserListCmd   `cmd:"" help:"List users."`
}

// UserInviteCmd invites a person to the console.
type UserInviteCmd struct {
	Role    string `required:"" enum:"admin,defense,foreign_affairs,vendor,end_user,consular" help:"Role: ${enum}."`
	Name    string `required:"" help:"The person's name; one person is one user, whatever the spelling."`
	Vendor  string `help:"Vendor id (ven_…) a vendor user acts for."`
	EndUser string `name:"end-user" help:"End-user id (eu_…) an end_user user acts for."`
	Origin  string `env:"OVERSIGHT_ORIGIN" default:"http://localhost:8080" help:"The console's public origin, as serve --origin gives it."`
	dbFlags
}

// Run creates the user and prints the enrolment link.
func (c *UserInviteCmd) Run(ctx context.Context, env *Env) error {
	return c.open(ctx, func(svc *service.Service) error {
		u := &oversight.User{Name: c.Name, Role: oversight.Role(c.Role), VendorID: c.Vendor, EndUserID: c.EndUser}
		l, secret, err := svc.InviteUser(ctx, service.Operator, u)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "invited %s user %s (%s); the link works once, until %s\n", u.Role, u.ID, u.Name, l.ExpiresAt.Format(time.RFC3339))
		fmt.Fprintln(env.Stdout, strings.TrimSuffix(c.Origin, "/")+"/enrol/"+url.PathEscape(secret))
		return nil
	})
}

// UserCreateCmd creates a user.
type UserCreateCmd struct {
	Role      string        `required:"" enum:"admin,defense,foreign_affairs,vendor,end_user,consular" help:"Role: ${enum}."`
	Name      string        `required:"" help:"The person's name (or what a machine user is for); one person is one user, whatever the spelling."`
	Vendor    string        `help:"Vendor id (ven_…) a vendor user acts for."`
	EndUser   string        `name:"end-user" help:"End-user id (eu_…) an end_user user acts for."`
	WithToken bool          `name:"with-token" help:"Also create an API token for the user and print it."`
	TTL       time.Duration `name:"ttl" default:"2160h" help:"With --with-token: how long the token lasts."`
	dbFlags
}

// Help is shown by "oversight user create --help".
func (c *UserCreateCmd) Help() string {
	return `Two approvals of the two-person rule must come from two distinct users, so a person
is created once: a second user whose name differs only in case or spaces is refused.
With --with-token the token is printed once, alone on the last line.

Examples:
  oversight user create --role admin --name "Ada Admin" --with-token
  oversight user create --role defense --name "Officer Dana Levi"
  oversight user create --role vendor --vendor ven_01h… --name "Rina Tal, compliance"`
}

// Run creates the user.
func (c *UserCreateCmd) Run(ctx context.Context, env *Env) error {
	return c.open(ctx, func(svc *service.Service) error {
		u := &oversight.User{Name: c.Name, Role: oversight.Role(c.Role), VendorID: c.Vendor, EndUserID: c.EndUser}
		if !c.WithToken {
			if _, err := svc.CreateUser(ctx, service.Operator, u); err != nil {
				return err
			}
			return c.print(env, u, one(u.ID), func(w io.Writer) { printUsers(w, []oversight.User{*u}) })
		}
		tok, secret, err := svc.CreateUserWithToken(ctx, service.Operator, u, &oversight.TokenRequest{TTL: c.TTL})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "created %s user %s (%s) with token %s, expires %s\n", u.Role, u.ID, u.Name, tok.ID, tok.ExpiresAt.Format(time.RFC3339))
		fmt.Fprintln(env.Stdout, secret)
		return nil
	})
}

// UserListCmd lists users.
type UserListCmd struct {
	Role  string `enum:",admin,defense,foreign_affairs,vendor,end_user,consular" default:"" help:"Only users of this role."`
	After string `help:"Cursor: the last id of the previous page."`
	Limit int    `default:"100" help:"Page size."`
	dbFlags
}

// Run lists the users.
func (c *UserListCmd) Run(ctx context.Context, env *Env) error {
	return c.open(ctx, func(svc *service.Service) error {
		l, err := svc.Users(ctx, service.Operator, oversight.Role(c.Role), oversight.Page{After: c.After, Limit: c.Limit})
		if err != nil {
			return err
		}
		return c.print(env, l, idsOf(l.Items, func(u *oversight.User) string { return u.ID }), func(w io.Writer) {
			printUsers(w, l.Items)
			if l.Next != "" {
				row(w, "(more: --after "+l.Next+")")
			}
		})
	})
}

func printUsers(w io.Writer, us []oversight.User) {
	row(w, "ID", "NAME", "ROLE", "VENDOR/AGENCY", "CREATED")
	for _, u := range us {
		row(w, u.ID, u.Name, u.Role, orDash(u.VendorID+u.EndUserID), u.CreatedAt.Format(time.DateOnly))
	}
}
