package service_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// The two-person rule compares users, not names on tokens: the review
// found that "Officer Tamar Golan" and "officer tamar golan " counted as
// two people.
func TestOnePersonIsOneUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, err := service.New(t.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		tamar, err := svc.CreateUser(ctx, service.Operator, &oversight.User{Role: oversight.RoleDefense, Name: "Officer Tamar Golan"})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"officer tamar golan ", "OFFICER  Tamar Golan", " Officer Tamar Golan"} {
			_, err := svc.CreateUser(ctx, service.Operator, &oversight.User{Role: oversight.RoleForeignAffairs, Name: name})
			wantCode(t, err, oversight.ECONFLICT, "")
			if !hasField(err, "name") {
				t.Errorf("CreateUser(%q): %v, want a conflict naming the field name", name, err)
			}
		}
		// Two tokens of one user act as the same person, with the user's
		// role, and the log names the user, not the token.
		t1, s1, err := svc.CreateToken(ctx, service.Operator, &oversight.TokenRequest{UserID: tamar.ID, Label: "laptop"})
		if err != nil {
			t.Fatal(err)
		}
		_, s2, err := svc.CreateToken(ctx, service.Operator, &oversight.TokenRequest{UserID: tamar.ID, Label: "script"})
		if err != nil {
			t.Fatal(err)
		}
		p1, err := svc.Authenticate(ctx, s1)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := svc.Authenticate(ctx, s2)
		if err != nil {
			t.Fatal(err)
		}
		if p1.UserID != tamar.ID || p2.UserID != tamar.ID || p1.Actor() != p2.Actor() || p1.Role != oversight.RoleDefense || p1.TokenID != t1.ID {
			t.Errorf("principals of two tokens of one user: %+v, %+v", p1, p2)
		}
		if !oversight.SamePerson(p1.Actor(), p2) {
			t.Errorf("SamePerson(%s, %+v) = false", p1.Actor(), p2)
		}
		// Only administrators manage users and tokens.
		_, err = svc.CreateUser(ctx, p1, &oversight.User{Role: oversight.RoleAdmin, Name: "Mallory"})
		wantCode(t, err, oversight.EFORBIDDEN, "")
		_, _, err = svc.CreateToken(ctx, p1, &oversight.TokenRequest{UserID: tamar.ID})
		wantCode(t, err, oversight.EFORBIDDEN, "")
		_, err = svc.Users(ctx, p1, "", oversight.Page{})
		wantCode(t, err, oversight.EFORBIDDEN, "")
		// Anyone sees and revokes only their own tokens.
		l, err := svc.Tokens(ctx, p1, "", oversight.Page{})
		if err != nil || len(l.Items) != 2 {
			t.Errorf("Tokens(own) = %+v, %v; want 2", l, err)
		}
	})
}

// A revoked token is refused at once by every replica: two services over
// one database stand for two replicas.
func TestRevokedTokenRefusedOnEveryReplica(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a, err := service.New(t.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := service.New(t.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		tok, secret, err := a.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: oversight.RoleConsular, Name: "Consul Lior Weiss"}, &oversight.TokenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second time from whatever the replica remembers
			if _, err := b.Authenticate(ctx, secret); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.RevokeToken(ctx, service.Operator, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = b.Authenticate(ctx, secret)
		wantCode(t, err, oversight.EUNAUTHORIZED, "")
		_, err = a.RevokeToken(ctx, service.Operator, tok.ID)
		wantCode(t, err, oversight.ECONFLICT, "revoked")
	})
}

func TestTokenExpires(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc, err := service.New(t.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, secret, err := svc.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: oversight.RoleAdmin, Name: "Ada"}, &oversight.TokenRequest{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	_, err = svc.Authenticate(ctx, secret)
	wantCode(t, err, oversight.EUNAUTHORIZED, "")

	for _, ttl := range []time.Duration{-time.Second, oversight.MaxTokenTTL + time.Hour} {
		_, _, err := svc.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: oversight.RoleAdmin, Name: "Ada " + ttl.String()}, &oversight.TokenRequest{TTL: ttl})
		wantCode(t, err, oversight.EINVALID, "")
	}
}

// hasField reports whether err is an *oversight.Error naming field.
func hasField(err error, field string) bool {
	var e *oversight.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
