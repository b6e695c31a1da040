package service_test

import (
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// replicas is two services, each over a store of its own on one database,
// as two servers on one PostgreSQL (or two processes on one SQLite file):
// a is the world's service, b the other replica.
type replicas struct {
	*screenWorld
	b   *service.Service
	dsn string
}

func newReplicas(t *testing.T, kind string) *replicas {
	t.Helper()
	dsn := storetest.DSN(t, kind)
	w := newScreenWorld(t, storetest.OpenDSN(t, dsn))
	b, err := service.New(t.Context(), storetest.OpenDSN(t, dsn), service.Options{Logger: slog.New(slog.DiscardHandler), Now: w.clock.now})
	w.check(err)
	return &replicas{screenWorld: w, b: b, dsn: dsn}
}

// exec runs a statement on the database behind both replicas' backs, as
// another tool would.
func (r *replicas) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	_, err := storetest.BehindTheBack(t, r.dsn).ExecContext(r.ctx, query, args...)
	must(t, err)
}

// A change acknowledged by one replica is never contradicted by the next
// answer of the other, whatever each keeps in memory: the screening index,
// tokens, deployments' keys, compiled policies and decoded licences. Each
// step first makes b use (and so cache) what a then changes; no step waits.
func TestReplicasNeverContradict(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			r := newReplicas(t, kind)
			a, b := r.svc, r.b
			screen := func(t *testing.T) []string {
				res, err := b.Screen(r.ctx, r.consular, &oversight.ScreenRequest{Name: "Tomasz Wierzbicki"})
				must(t, err)
				var ids []string
				for _, m := range res.Matches {
					ids = append(ids, m.DesignationID)
				}
				return ids
			}

			t.Run("screening index", func(t *testing.T) {
				if got := screen(t); len(got) != 0 {
					t.Fatalf("matches before any designation: %v", got)
				}
				d, err := a.CreateDesignation(r.ctx, r.defense, &oversight.DesignationRequest{Identity: oversight.Identity{Name: "Tomasz Aleksander WIERZBICKI"}, Basis: oversight.BasisMisuse})
				must(t, err)
				if got := screen(t); !slices.Contains(got, d.ID) {
					t.Fatalf("the next screening on the other replica misses %s, designated: %v", d.ID, got)
				}
				_, err = a.DelistDesignation(r.ctx, r.foreign, d.ID, &oversight.DelistRequest{Reason: "error of identity"})
				must(t, err)
				if got := screen(t); slices.Contains(got, d.ID) {
					t.Fatalf("the next screening on the other replica still matches %s, delisted", d.ID)
				}
			})

			t.Run("tokens", func(t *testing.T) {
				tok, secret, err := a.CreateUserWithToken(r.ctx, service.Operator, &oversight.User{Role: oversight.RoleConsular, Name: "Consul Cato"}, &oversight.TokenRequest{})
				must(t, err)
				if _, err := b.Authenticate(r.ctx, secret); err != nil {
					t.Fatalf("a token created on one replica is refused by the other: %v", err)
				}
				r.exec(t, `UPDATE tokens SET revoked_at = $1 WHERE id = $2`, time.Now().UnixMicro(), tok.ID)
				if _, err := b.Authenticate(r.ctx, secret); oversight.ErrorCode(err) != oversight.EUNAUTHORIZED {
					t.Fatalf("a revoked token is still accepted: %v", err)
				}
			})

			t.Run("policies and licences", func(t *testing.T) {
				authorize := func() *oversight.Decision {
					t.Helper()
					dec, err := b.Authorize(r.ctx, r.dep, r.nonce(r.dep), request(r.dep))
					must(t, err)
					return dec
				}
				if dec := authorize(); dec.Decision != oversight.Permit {
					t.Fatalf("before any action: %s %v", dec.Decision, dec.Reasons)
				}
				_, err := a.RequestAction(r.ctx, r.defense, r.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionRestrict, Reason: "terrorism only",
					Restriction: &oversight.Restriction{Purposes: []oversight.Category{oversight.CategoryTerrorism}}})
				must(t, err)
				if dec := authorize(); dec.Decision != oversight.Deny {
					t.Fatalf("after a restriction to terrorism, a serious-crime request: %s %v", dec.Decision, dec.Reasons)
				}
				_, err = a.RequestAction(r.ctx, r.defense, r.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "under investigation"})
				must(t, err)
				rq := request(r.dep)
				rq.LegalBasis.Category, rq.LegalBasis.Act, rq.LegalBasis.Offense = oversight.CategoryTerrorism, "attack_on_life", "attack planning"
				dec, err := b.Authorize(r.ctx, r.dep, r.nonce(r.dep), rq)
				must(t, err)
				if dec.Decision != oversight.Deny {
					t.Fatalf("on a suspended licence: %s %v", dec.Decision, dec.Reasons)
				}
				if _, err := b.IssueLease(r.ctx, r.nonce(r.dep)); oversight.ErrorCode(err) != oversight.ECONFLICT {
					t.Fatalf("a lease for a suspended licence: %v", err)
				}
			})

			t.Run("deployments", func(t *testing.T) {
				if _, err := b.IssueLease(r.ctx, r.nonce(r.dep2)); err != nil {
					t.Fatal(err)
				}
				if _, _, err := b.DeploymentKey(r.ctx, r.dep2.ID); err != nil {
					t.Fatal(err)
				}
				_, err := a.RetireDeployment(r.ctx, r.defense, r.dep2.ID, &oversight.RetireRequest{Reason: "site decommissioned"})
				must(t, err)
				if _, err := b.IssueLease(r.ctx, r.nonce(r.dep2)); oversight.ErrorCode(err) != oversight.ECONFLICT {
					t.Fatalf("a lease for a retired deployment: %v", err)
				}
				if _, err := b.Authorize(r.ctx, r.dep2, r.nonce(r.dep2), request(r.dep2)); oversight.ErrorCode(err) != oversight.ECONFLICT {
					t.Fatalf("a decision for a retired deployment: %v", err)
				}
			})
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
