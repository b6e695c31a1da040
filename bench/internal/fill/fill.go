// Package fill fills a database the way a real server's is filled: a
// licensed world built through the service (servicetest), then decisions
// asked for by the world's deployments through service.Authorize, so that
// every stored operation, licence and deployment matches its log entries
// and a server started on the database passes its integrity check. The
// benchmarks that need a large log (bench/integrity, bench/report) share
// it, and reuse a filled database between runs.
package fill

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/service/servicetest"
	"github.com/oversight-dev/oversight/store"
)

// Deployments returns the world's deployments, building the world on a
// new database: one agency licensed in each of countries (the first is the
// world's own), each with a deployment whose scope allows a million
// operations at once.
func Deployments(ctx context.Context, svc *service.Service, countries ...string) ([]*oversight.Deployment, error) {
	var found []*oversight.Deployment
	err := svc.Store().View(ctx, func(tx *store.Tx) error {
		ds, _, err := tx.Deployments("", oversight.Page{Limit: 100})
		for i := range ds {
			found = append(found, &ds[i])
		}
		return err
	})
	if err != nil || len(found) > 0 {
		return found, err
	}
	if len(countries) == 0 {
		countries = []string{"FR"}
	}
	scope := servicetest.Scope(1_000_000)
	w, err := servicetest.NewWorld(ctx, svc, servicetest.Options{Country: countries[0], Agency: "Bench Directorate", Scope: &scope})
	if err != nil {
		return nil, fmt.Errorf("build the world: %w", err)
	}
	found = append(found, w.Deployment)
	for _, c := range countries[1:] {
		l := w.LicenseAgency(c, "Bench Directorate "+c, scope)
		if err := w.Err(); err != nil {
			return nil, fmt.Errorf("license an agency of %s: %w", c, err)
		}
		found = append(found, l.Deployment)
	}
	return found, nil
}

// Decide has the deployments ask for n decisions in turn, from callers
// concurrent callers, one in ten against a blocked country code (a deny).
func Decide(ctx context.Context, svc *service.Service, deps []*oversight.Deployment, n, callers int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, callers)
	seed := time.Now().UnixNano()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				d := deps[int(i)%len(deps)]
				sig := &oversight.SignedRequest{Deployment: d.ID, Time: time.Now().Truncate(time.Millisecond),
					Digest: sha256.Sum256(fmt.Appendf(nil, "bench %d %d", seed, i))}
				if _, err := svc.Authorize(ctx, d, sig, Request(d, i)); err != nil {
					errc <- fmt.Errorf("decision %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// Request is the i-th well-formed request of deployment d: the licence
// permits it, or, one in ten, denies it for its blocked country code.
func Request(d *oversight.Deployment, i int64) *oversight.OperationRequest {
	years := 10
	target := sha256.Sum256(fmt.Appendf(nil, "target %d", i%5000))
	code := "+33"
	if i%10 == 0 {
		code = "+1"
	}
	return &oversight.OperationRequest{
		DeploymentID: d.ID, Operation: oversight.OpIntercept,
		Target: oversight.Target{IDHash: fmt.Sprintf("%x", target), CountryCode: code},
		LegalBasis: oversight.LegalBasis{Category: oversight.CategorySeriousCrime, Offense: "armed robbery",
			Statute: "Code pénal art. 311-8", MaxSentenceYears: &years},
		CaseRef: "DGSI-2026-0412", WarrantRef: "JLD-2026-118",
		Justification: "surveillance of the gang's logistics ahead of a planned robbery",
	}
}
