package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
)

// setupScript gives every script a running server of its own, on a fresh
// SQLite database in the script's work directory, and one token per role:
//
//	OVERSIGHT_SERVER   the server's URL
//	OVERSIGHT_DB       its database, for "oversight user" and "oversight token"
//	ADMIN, DEFENSE, DEFENSE2, FOREIGN, FOREIGN2, CONSULAR   tokens
//
// Scripts pick a caller with "env OVERSIGHT_TOKEN=$DEFENSE".
func setupScript(e *testscript.Env) error {
	ctx := context.Background()
	db := filepath.Join(e.WorkDir, "oversight.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	svc, err := service.New(ctx, st, service.Options{Logger: logger})
	if err != nil {
		st.Close()
		return err
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Logger: logger}))
	e.Defer(func() {
		srv.Close()
		st.Close()
	})
	for _, t := range []struct {
		env  string
		role oversight.Role
		name string
	}{
		{"ADMIN", oversight.RoleAdmin, "Script Admin"},
		{"DEFENSE", oversight.RoleDefense, "Officer One"},
		{"DEFENSE2", oversight.RoleDefense, "Officer Two"},
		{"FOREIGN", oversight.RoleForeignAffairs, "Officer Three"},
		{"FOREIGN2", oversight.RoleForeignAffairs, "Officer Four"},
		{"CONSULAR", oversight.RoleConsular, "Consul Five"},
	} {
		_, secret, err := svc.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: t.role, Name: t.name}, &oversight.TokenRequest{})
		if err != nil {
			return err
		}
		e.Setenv(t.env, secret)
	}
	e.Setenv("OVERSIGHT_SERVER", srv.URL)
	e.Setenv("SERVER_ADDR", strings.TrimPrefix(srv.URL, "http://")) // host:port, no scheme
	e.Setenv("OVERSIGHT_DB", db)
	e.Setenv("TODAY", time.Now().UTC().Format(time.DateOnly))
	return nil
}
