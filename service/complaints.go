package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// Complaints are filed without an account, so the service's checks are
// the secret's, not a role's: the secret given once at filing reads the
// complaint and adds to it. Officers (the case investigators) list
// complaints and triage them into cases. The log records that a complaint
// was filed, added to or triaged, never its text.

// complainantActor is the actor of a complainant's events: nothing of the
// person, whoever they are.
const complainantActor = "complainant"

// complaintTriaged is the payload of a complaint.triaged event.
type complaintTriaged struct {
	Action oversight.TriageAction `json:"action"`
	CaseID string                 `json:"case_id,omitempty"`
}

// FileComplaint records a complaint (POST /v1/complaints) and returns it
// with the secret that reads it, given this once: only its digest is
// kept. A licence or vendor it names must exist.
func (cw *Casework) FileComplaint(ctx context.Context, r *oversight.ComplaintRequest) (*oversight.Complaint, string, error) {
	s := cw.s
	if err := r.Validate(); err != nil {
		return nil, "", err
	}
	now := s.clock()
	secret, hash := newSecret(oversight.ComplaintSecretPrefix)
	c := &oversight.Complaint{
		ID: oversight.NewID(oversight.PrefixComplaint), Text: r.Text, LicenseID: r.LicenseID, VendorID: r.VendorID,
		Country: r.Country, Additions: []oversight.ComplaintAddition{}, Status: oversight.ComplaintReceived,
		CreatedAt: now, UpdatedAt: now, SecretHash: hash,
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		if c.LicenseID != "" {
			if _, err := tx.License(c.LicenseID); err != nil {
				return invalidIfMissing(err, "invalid complaint", "license_id", "no licence %s; leave it out if you do not know it", c.LicenseID)
			}
		}
		if c.VendorID != "" {
			if _, err := tx.Vendor(c.VendorID); err != nil {
				return invalidIfMissing(err, "invalid complaint", "vendor_id", "no vendor %s; leave it out if you do not know it", c.VendorID)
			}
		}
		c.LogIndex = tx.NextIndex()
		if _, err := tx.Record(oversight.EventComplaintFiled, complainantActor, c.ID, now, struct{}{}); err != nil {
			return err
		}
		return tx.CreateComplaint(c)
	})
	if err != nil {
		return nil, "", fmt.Errorf("file complaint: %w", err)
	}
	return c, secret, nil
}

// invalidIfMissing turns a not-found err into a one-field refusal.
func invalidIfMissing(err error, message, field, format string, args ...any) error {
	if oversight.ErrorCode(err) == oversight.ENOTFOUND {
		return oversight.Invalid(message, field, format, args...)
	}
	return err
}

// complaintOf reads the complaint id that secret opens, in tx. A wrong or
// missing secret and an unknown receipt get the same answer.
func complaintOf(tx *store.Tx, id, secret string) (*oversight.Complaint, error) {
	if !strings.HasPrefix(secret, oversight.ComplaintSecretPrefix) {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "give the complaint's secret (%s…) as the bearer token", oversight.ComplaintSecretPrefix)
	}
	c, err := tx.ComplaintBySecret(id, hashSecret(secret))
	if oversight.ErrorCode(err) == oversight.ENOTFOUND {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "this secret does not open complaint %s", id)
	}
	return c, err
}

// ComplaintStatus returns what the complainant reads of complaint id,
// given its secret (GET /v1/complaints/{receipt}).
func (cw *Casework) ComplaintStatus(ctx context.Context, id, secret string) (*oversight.ComplaintStatusView, error) {
	s := cw.s
	var c *oversight.Complaint
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		c, err = complaintOf(tx, id, secret)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c.View(), nil
}

// AddToComplaint adds the complainant's new information to complaint id,
// given its secret (POST /v1/complaints/{receipt}). A complaint already
// in a case adds it to the case's evidence too, so that the investigators
// see it there.
func (cw *Casework) AddToComplaint(ctx context.Context, id, secret string, a *oversight.ComplaintAdditionRequest) (*oversight.ComplaintStatusView, error) {
	s := cw.s
	if err := a.Validate(); err != nil {
		return nil, err
	}
	now := s.clock()
	var c *oversight.Complaint
	err := s.update(ctx, func(tx *store.Tx) (err error) {
		if c, err = complaintOf(tx, id, secret); err != nil {
			return err
		}
		if len(c.Additions) >= oversight.MaxComplaintAdditions {
			return oversight.Conflictf(string(c.Status), "complaint %s already has %d additions; file a new complaint", c.ID, len(c.Additions))
		}
		c.Additions = append(c.Additions, oversight.ComplaintAddition{Text: a.Text, AddedAt: now})
		c.UpdatedAt = now
		if _, err := tx.Record(oversight.EventComplaintAdded, complainantActor, c.ID, now, struct{}{}); err != nil {
			return err
		}
		if err := tx.UpdateComplaint(c); err != nil {
			return err
		}
		if c.CaseID == "" {
			return nil
		}
		cs, err := tx.Case(c.CaseID)
		if err != nil {
			return err
		}
		return s.addComplaintEvidence(tx, cs, complainantActor, oversight.Evidence{Kind: "statement", Ref: c.ID,
			Description: "Added to complaint " + c.ID + ": " + a.Text, AddedBy: complainantActor, AddedAt: now}, now)
	})
	if err != nil {
		return nil, fmt.Errorf("add to complaint %s: %w", id, err)
	}
	return c.View(), nil
}

// addComplaintEvidence adds e to case cs with its case.updated event.
func (cw *Casework) addComplaintEvidence(tx *store.Tx, cs *oversight.Case, actor string, e oversight.Evidence, now time.Time) error {
	cs.Evidence = append(cs.Evidence, e)
	cs.UpdatedAt = now
	if _, err := tx.Record(oversight.EventCaseUpdated, actor, cs.ID, now, caseUpdated{Status: cs.Status, EvidenceAdded: 1}); err != nil {
		return err
	}
	return tx.UpdateCase(cs)
}

// Complaints lists complaints, newest first, for the case investigators
// and the other officials.
func (cw *Casework) Complaints(ctx context.Context, p *oversight.Principal, f oversight.ComplaintFilter, page oversight.Page) (*oversight.List[oversight.Complaint], error) {
	s := cw.s
	if err := allow(p, oversight.TaskComplaintRead); err != nil {
		return nil, err
	}
	var pr oversight.Problems
	if f.Status != "" && !f.Status.Valid() {
		pr.Add("status", "must be received, triaged or dismissed")
	}
	if f.LicenseID != "" && !oversight.ValidID(oversight.PrefixLicense, f.LicenseID) {
		pr.Add("license", "must be a licence id (lic_…)")
	}
	if err := pr.Err("invalid query"); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.Complaint]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.Complaints(f, page)
		return err
	})
	return out, err
}

// Complaint returns one complaint as officials read it.
func (cw *Casework) Complaint(ctx context.Context, p *oversight.Principal, id string) (*oversight.Complaint, error) {
	s := cw.s
	if err := allow(p, oversight.TaskComplaintRead); err != nil {
		return nil, err
	}
	var c *oversight.Complaint
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		c, err = tx.Complaint(id)
		return err
	})
	return c, err
}

// TriageComplaint makes a received complaint part of a misuse case, a new
// one of source complaint or an open one, with the complaint's text as a
// statement in its evidence; or dismisses it with a note the complainant
// reads (POST /v1/complaints/{receipt}/triage). It returns the complaint
// and the case, nil for a dismissal.
func (cw *Casework) TriageComplaint(ctx context.Context, p *oversight.Principal, id string, t *oversight.ComplaintTriage) (*oversight.Complaint, *oversight.Case, error) {
	s := cw.s
	if err := allow(p, oversight.TaskComplaintTriage); err != nil {
		return nil, nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, nil, err
	}
	now := s.clock()
	var (
		c  *oversight.Complaint
		cs *oversight.Case
	)
	err := s.update(ctx, func(tx *store.Tx) (err error) {
		if c, err = tx.Complaint(id); err != nil {
			return err
		}
		if c.Status != oversight.ComplaintReceived {
			return oversight.Conflictf(string(c.Status), "complaint %s is already %s", c.ID, c.Status)
		}
		statement := oversight.Evidence{Kind: "statement", Ref: c.ID, Description: complaintStatement(c), AddedBy: p.Actor(), AddedAt: now}
		switch t.Action {
		case oversight.TriageNewCase:
			lic := t.LicenseID
			if lic == "" {
				lic = c.LicenseID
			}
			if lic == "" {
				return oversight.Invalid("invalid triage", "license_id", "the complaint names no licence: say which licence the case is about")
			}
			if _, err := tx.License(lic); err != nil {
				return invalidIfMissing(err, "invalid triage", "license_id", "no licence %s", lic)
			}
			title := strings.TrimSpace(t.Title)
			if title == "" {
				title = "Complaint " + c.ID
			}
			cs = &oversight.Case{
				ID: oversight.NewID(oversight.PrefixCase), Source: oversight.SourceComplaint, LicenseID: lic,
				OperationIDs: []string{}, Title: title, Evidence: []oversight.Evidence{statement}, Status: oversight.CaseOpen,
				ActionIDs: []string{}, DesignationIDs: []string{}, OpenedBy: p.Actor(), CreatedAt: now, UpdatedAt: now,
			}
			if err := s.openCase(tx, p.Actor(), cs); err != nil {
				return err
			}
		case oversight.TriageAttach:
			if cs, err = tx.Case(t.CaseID); err != nil {
				return invalidIfMissing(err, "invalid triage", "case_id", "no case %s", t.CaseID)
			}
			if cs.Status == oversight.CaseClosed {
				return oversight.Invalid("invalid triage", "case_id", "case %s is closed; reopen it first, or open a new one", cs.ID)
			}
			if err := s.addComplaintEvidence(tx, cs, p.Actor(), statement, now); err != nil {
				return err
			}
		}
		if cs != nil {
			c.Status, c.CaseID = oversight.ComplaintTriaged, cs.ID
		} else {
			c.Status = oversight.ComplaintDismissed
		}
		c.Note = strings.TrimSpace(t.Note)
		c.TriagedBy, c.TriagedAt, c.UpdatedAt = p.Actor(), &now, now
		if _, err := tx.Record(oversight.EventComplaintTriaged, p.Actor(), c.ID, now, complaintTriaged{Action: t.Action, CaseID: c.CaseID}); err != nil {
			return err
		}
		return tx.UpdateComplaint(c)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("triage complaint %s: %w", id, err)
	}
	return c, cs, nil
}

// complaintStatement is the complaint as a statement in a case: what it
// names and its text, with the additions so far.
func complaintStatement(c *oversight.Complaint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Complaint %s, filed %s", c.ID, c.CreatedAt.Format("2006-01-02"))
	for _, x := range [][2]string{{"licence", c.LicenseID}, {"vendor", c.VendorID}, {"country", c.Country}} {
		if x[1] != "" {
			fmt.Fprintf(&b, "; %s %s", x[0], x[1])
		}
	}
	b.WriteString(":\n")
	b.WriteString(c.Text)
	for _, a := range c.Additions {
		fmt.Fprintf(&b, "\n\nAdded %s:\n%s", a.AddedAt.Format("2006-01-02"), a.Text)
	}
	return b.String()
}
