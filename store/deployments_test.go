package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// One public key, one deployment: the index refuses a second, and the
// deployments registered before the column existed get theirs at start,
// the first of two that shared a key (in id order) keeping it.
func TestDeploymentKeys(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, kind)
			s := storetest.OpenDSN(t, dsn)
			lic, _ := useFixture(t, s)
			d1 := &oversight.Deployment{ID: oversight.NewID(oversight.PrefixDeployment), LicenseID: lic, Label: "a", PublicKey: "key-A", Status: oversight.DeploymentActive}
			d2 := &oversight.Deployment{ID: oversight.NewID(oversight.PrefixDeployment), LicenseID: lic, Label: "b", PublicKey: "key-B", Status: oversight.DeploymentActive}
			for _, d := range []*oversight.Deployment{d1, d2} {
				if err := s.Update(ctx, func(tx *store.Tx) error { return tx.CreateDeployment(d) }); err != nil {
					t.Fatal(err)
				}
			}
			dup := *d1
			dup.ID = oversight.NewID(oversight.PrefixDeployment)
			err := s.Update(ctx, func(tx *store.Tx) error { return tx.CreateDeployment(&dup) })
			if oversight.ErrorCode(err) != oversight.ECONFLICT {
				t.Fatalf("a second deployment with key-A: %v", err)
			}

			// As a database from before the column: no keys in it, and
			// d2 registered with d1's key.
			db := storetest.BehindTheBack(t, dsn)
			d2.PublicKey = "key-A"
			doc, _ := json.Marshal(d2)
			if _, err := db.ExecContext(ctx, `UPDATE deployments SET public_key = NULL`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `UPDATE deployments SET doc = $1 WHERE id = $2`, string(doc), d2.ID); err != nil {
				t.Fatal(err)
			}
			s2 := storetest.OpenDSN(t, dsn)
			err = s2.View(ctx, func(tx *store.Tx) error {
				// The first in id (creation) order keeps the key.
				if got, err := tx.DeploymentByKey("key-A"); err != nil || got.ID != min(d1.ID, d2.ID) {
					t.Errorf("key-A belongs to %v (%v), want %s", got.ID, err, min(d1.ID, d2.ID))
				}
				if _, err := tx.DeploymentByKey("key-B"); oversight.ErrorCode(err) != oversight.ENOTFOUND {
					t.Errorf("key-B: %v, want not found", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
