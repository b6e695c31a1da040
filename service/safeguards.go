package service

import (
	"context"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reportsign"
	"github.com/oversight-dev/oversight/store"
)

// evidenceField prefixes a report's field errors with where the report is
// in a review submission.
func evidenceField(err error) error {
	if e, ok := err.(*oversight.Error); ok && e.Code == oversight.EINVALID {
		out := &oversight.Error{Code: e.Code, Message: "invalid review submission"}
		for _, f := range e.Fields {
			out.Fields = append(out.Fields, oversight.FieldError{Field: "evidence." + f.Field, Message: f.Message})
		}
		return out
	}
	return err
}

// verifyEvidence checks a safeguards report attached to a review of
// productID: signed by the kit and unchanged since, countersigned
// correctly if at all, about this product. It returns what the review
// keeps of it.
func (g *Registry) verifyEvidence(productID string, r *oversight.SafeguardReport) (*oversight.SafeguardEvidence, error) {
	s := g.s
	if err := reportsign.Verify(r); err != nil {
		return nil, evidenceField(err)
	}
	if r.ProductID != productID {
		return nil, oversight.Invalid("invalid review submission", "evidence.product_id", "the report is about product %s, not %s", r.ProductID, productID)
	}
	digest, err := reportsign.Digest(r)
	if err != nil {
		return nil, err
	}
	here := r.Countersignature != nil && r.Countersignature.Key == s.LeaseKey().PublicKey
	return oversight.NewSafeguardEvidence(r, digest, here), nil
}

// latestEvidence returns the safeguards report most recently attached to
// a review of the product, or nil.
func latestEvidence(tx *store.Tx, productID string) (*oversight.SafeguardEvidence, error) {
	var latest *oversight.SafeguardEvidence
	page := oversight.Page{Limit: 1000}
	for {
		reviews, next, err := tx.Reviews(oversight.ReviewFilter{ProductID: productID}, page)
		if err != nil {
			return nil, err
		}
		for i := range reviews {
			if reviews[i].Evidence != nil {
				latest = reviews[i].Evidence
			}
		}
		if next == "" {
			return latest, nil
		}
		page.After = next
	}
}

// reportCountersigned is the payload of a safeguards.countersigned event.
type reportCountersigned struct {
	ReportSHA256 string `json:"report_sha256"`
	ProductID    string `json:"product_id"`
	Passed       bool   `json:"passed"`
	Operations   int    `json:"operations"`
	Actions      int    `json:"actions"`
}

// countersignSlack is how far outside a run's times the regulator's
// records of it may fall: the kit's clock and the regulator's differ.
const countersignSlack = time.Minute

// CountersignReport countersigns a safeguards report for the deployment
// that ran it and signed the request sig: the regulator checks the kit's
// signature, and finds in its records each authorisation the report cites
// (this deployment's, with the decision the report gives, during the run)
// and each enforcement action (on the deployment's licence, during the
// run), then signs the report with its lease key. A report that cites what
// the regulator did not see is refused, naming the step.
func (g *Registry) CountersignReport(ctx context.Context, sig *oversight.SignedRequest, r *oversight.SafeguardReport) (*oversight.SafeguardReport, error) {
	s := g.s
	if sig == nil {
		return nil, fmt.Errorf("countersign report: a signed request is required")
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := reportsign.Verify(r); err != nil {
		return nil, err
	}
	bad := func(field, format string, args ...any) error {
		return oversight.Invalid("the report does not match the regulator's records", field, format, args...)
	}
	now := s.clock()
	if r.Regulator.Mode != oversight.RegulatorServer || r.Regulator.DeploymentID != sig.Deployment {
		return nil, bad("regulator", "the report is not of a run against this regulator as deployment %s", sig.Deployment)
	}
	if now.Sub(r.FinishedAt) > time.Hour || r.FinishedAt.Sub(now) > countersignSlack {
		return nil, bad("finished_at", "a run is countersigned within the hour after it ends")
	}
	from, to := r.StartedAt.Add(-countersignSlack), r.FinishedAt.Add(countersignSlack)
	within := func(t time.Time) bool { return !t.Before(from) && !t.After(to) }
	ops, acts := map[string]bool{}, map[string]bool{}
	err := s.update(ctx, func(tx *store.Tx) error {
		fresh, err := tx.UseNonce(sig.Digest[:], now.Add(nonceTTL))
		if err != nil {
			return err
		}
		if !fresh {
			return oversight.Errorf(oversight.EUNAUTHORIZED, "replayed request: this signed request was already used; sign a new one")
		}
		d, err := tx.Deployment(sig.Deployment)
		if err != nil {
			return err
		}
		if d.LicenseID != r.Regulator.LicenseID {
			return bad("regulator.license_id", "deployment %s runs under licence %s", d.ID, d.LicenseID)
		}
		for i, c := range r.Checks {
			for j, st := range c.Steps {
				at := fmt.Sprintf("checks[%d].steps[%d]", i, j)
				if id := st.OperationID; id != "" && !ops[id] {
					o, err := tx.Operation(id)
					if oversight.ErrorCode(err) == oversight.ENOTFOUND {
						return bad(at+".operation_id", "no authorisation %s", id)
					} else if err != nil {
						return err
					}
					if o.DeploymentID != d.ID || string(o.Decision) != st.Decision || !within(o.DecidedAt) {
						return bad(at+".operation_id", "authorisation %s is not a %s decided for %s during the run", id, st.Decision, d.ID)
					}
					ops[id] = true
				}
				if id := st.ActionID; id != "" && !acts[id] {
					a, err := tx.Action(id)
					if oversight.ErrorCode(err) == oversight.ENOTFOUND {
						return bad(at+".action_id", "no enforcement action %s", id)
					} else if err != nil {
						return err
					}
					if a.LicenseID != d.LicenseID || a.ExecutedAt == nil || !within(*a.ExecutedAt) {
						return bad(at+".action_id", "action %s was not carried out on licence %s during the run", id, d.LicenseID)
					}
					acts[id] = true
				}
			}
		}
		if err := reportsign.Countersign(r, s.enf.key, len(ops), len(acts), now); err != nil {
			return err
		}
		digest, err := reportsign.Digest(r)
		if err != nil {
			return err
		}
		_, err = tx.Record(oversight.EventReportCountersigned, d.ID, d.ID, now, reportCountersigned{
			ReportSHA256: digest, ProductID: r.ProductID, Passed: r.Passed, Operations: len(ops), Actions: len(acts)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("countersign report for %s: %w", sig.Deployment, err)
	}
	return r, nil
}
