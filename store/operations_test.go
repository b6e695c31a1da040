package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// useFixture stores a licence with a deployment and returns their ids.
func useFixture(t testing.TB, s *store.Store) (licenseID, deploymentID string) {
	t.Helper()
	v := newVendor("Permit Counting Ltd")
	p := &oversight.Product{ID: oversight.NewID(oversight.PrefixProduct), VendorID: v.ID, Name: "Counter", CreatedAt: time.Now().UTC()}
	eu := &oversight.EndUser{ID: oversight.NewID(oversight.PrefixEndUser), Country: "FR", Agency: "Agency", Kind: "law_enforcement", CreatedAt: time.Now().UTC()}
	l := &oversight.License{ID: oversight.NewID(oversight.PrefixLicense), Kind: oversight.KindExport, VendorID: v.ID, ProductID: p.ID,
		EndUserID: eu.ID, Template: "IL-2021", Status: oversight.LicenseActive, Restrictions: []oversight.Restriction{}}
	d := &oversight.Deployment{ID: oversight.NewID(oversight.PrefixDeployment), LicenseID: l.ID, Label: "site", Status: oversight.DeploymentActive}
	err := s.Update(context.Background(), func(tx *store.Tx) error {
		for _, f := range []func() error{
			func() error { return tx.CreateVendor(v) },
			func() error { return tx.CreateProduct(p) },
			func() error { return tx.CreateEndUser(eu) },
			func() error { return tx.CreateLicense(l) },
			func() error { return tx.CreateDeployment(d) },
		} {
			if err := f(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l.ID, d.ID
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ActivePermits, which keeps a count and sweeps expired permits once each,
// always agrees with counting the unexpired permits one by one: permits of
// random lifetimes, denies, permits that expire before the last sweep (a
// clock that went back), queried at increasing times.
func TestActivePermitsAgreesWithCounting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		lic, dep := useFixture(t, s)
		rng := rand.New(rand.NewPCG(1, 2))
		t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		now := t0
		for step := range 400 {
			now = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
			err := s.Update(ctx, func(tx *store.Tx) error {
				fast, err := tx.ActivePermits(lic, now)
				if err != nil {
					return err
				}
				slow, err := tx.CountActivePermits(lic, now)
				if err != nil {
					return err
				}
				if fast != slow {
					return fmt.Errorf("step %d at +%s: ActivePermits %d, counted %d", step, now.Sub(t0), fast, slow)
				}
				if step > 0 && rng.IntN(4) == 0 {
					return nil // a query alone
				}
				o := &oversight.OperationRecord{ID: oversight.NewID(oversight.PrefixOperation), LicenseID: lic, DeploymentID: dep,
					Operation: oversight.OpLocate, Decision: oversight.Permit, DecidedAt: now}
				var exp time.Time
				r := rng.IntN(10)
				if step == 0 {
					r = 1 // the licence's first permit comes from a clock behind
				}
				switch {
				case r == 0:
					o.Decision = oversight.Deny
				case r == 1:
					exp = now.Add(-time.Duration(1+rng.IntN(5000)) * time.Millisecond) // decided by a clock behind
				default:
					exp = now.Add(time.Duration(1+rng.IntN(60000)) * time.Millisecond)
				}
				if o.Decision == oversight.Permit {
					o.ExpiresAt = &exp
				}
				created, err := tx.CreateOperation(o, 0)
				if err == nil && !created {
					err = fmt.Errorf("operation %s not created", o.ID)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// DecisionFacts reads the deployment, its licence, the register and the
// permit count in one query.
func TestDecisionFacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		lic, dep := useFixture(t, s)
		now := time.Now().UTC().Truncate(time.Microsecond)
		exp := now.Add(time.Hour)
		err := s.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.AddProtected(&oversight.ProtectedPerson{IDHash: hashOf("envoy"), Category: oversight.ProtectedDiplomat, AddedBy: "foreign_affairs:tok_1", AddedAt: now, LogIndex: 7}); err != nil {
				return err
			}
			op := &oversight.OperationRecord{ID: oversight.NewID(oversight.PrefixOperation), LicenseID: lic, DeploymentID: dep,
				Decision: oversight.Permit, DecidedAt: now, ExpiresAt: &exp}
			if created, err := tx.CreateOperation(op, 0); err != nil || !created {
				return fmt.Errorf("create: %v, %v", created, err)
			}
			// Again: the same id is not created twice, and the permit is
			// not counted twice.
			if created, err := tx.CreateOperation(op, 0); err != nil || created {
				return fmt.Errorf("create again: %v, %v", created, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Update(ctx, func(tx *store.Tx) error {
			f, err := tx.DecisionFacts(dep, sha256.Sum256([]byte("envoy")), now)
			if err != nil {
				return err
			}
			if f.LicenseID != lic || f.License.ID != lic || f.DeploymentStatus != oversight.DeploymentActive || f.ActivePermits != 1 ||
				f.Protected == nil || f.Protected.Category != oversight.ProtectedDiplomat || f.Protected.LogIndex != 7 || !f.Protected.AddedAt.Equal(now) {
				t.Errorf("facts %+v (protected %+v)", f, f.Protected)
			}
			f, err = tx.DecisionFacts(dep, sha256.Sum256([]byte("someone")), exp)
			if err != nil {
				return err
			}
			if f.Protected != nil || f.ActivePermits != 0 {
				t.Errorf("facts at expiry %+v, want no protection and no permit", f)
			}
			if _, err := tx.DecisionFacts("dep_unknown", sha256.Sum256([]byte("x")), now); oversight.ErrorCode(err) != oversight.ENOTFOUND {
				t.Errorf("unknown deployment: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkDecisionFacts reads a decision's facts, the protected-persons
// register holding 0 to 1,000,000 hashes: the register is consulted by a
// primary-key probe in the same query, so its size should barely count.
func BenchmarkDecisionFacts(b *testing.B) {
	for _, size := range []int{0, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("register=%d", size), func(b *testing.B) {
			s := storetest.Open(b, "sqlite")
			lic, dep := useFixture(b, s)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(3, 4))
			var h [32]byte
			for done := 0; done < size; {
				err := s.Update(ctx, func(tx *store.Tx) error {
					for i := 0; i < 50_000 && done < size; i, done = i+1, done+1 {
						for j := range h {
							h[j] = byte(rng.Uint32())
						}
						if _, err := tx.AddProtected(&oversight.ProtectedPerson{IDHash: hex.EncodeToString(h[:]), Category: oversight.ProtectedOther, AddedBy: "bench", AddedAt: time.Now()}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			targets := make([]oversight.TargetHash, 1024)
			for i := range targets {
				targets[i] = sha256.Sum256(fmt.Append(nil, "target ", i))
			}
			now := time.Now()
			// The first decisions ask for the statements to be prepared,
			// which happens between two transactions.
			for range 3 {
				if err := s.Update(ctx, func(tx *store.Tx) error { _, err := tx.DecisionFacts(dep, targets[0], now); return err }); err != nil {
					b.Fatal(err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			b.ResetTimer()
			err := s.Update(ctx, func(tx *store.Tx) error {
				for i := 0; i < b.N; i++ {
					f, err := tx.DecisionFacts(dep, targets[i%len(targets)], now)
					if err != nil {
						return err
					}
					if f.LicenseID != lic || f.Protected != nil {
						return fmt.Errorf("facts %+v", f)
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}
