package service

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/stix"
	"github.com/oversight-dev/oversight/store"
)

// RuleEvidence is the rule code of the cases that forensic reports open:
// an indicator of compromise matched a deployment's declared
// infrastructure.
const RuleEvidence = "EVIDENCE-INDICATOR"

// ImportEvidence imports a forensic report, a STIX 2.1 bundle as
// stix.Decode read it (POST /v1/evidence), and matches its indicators against the
// infrastructure every active deployment declared. Each match that was
// never recorded adds evidence, citing the indicator, the report and the
// declared entry, to the open EVIDENCE-INDICATOR case of the deployment's
// licence, or opens one. Importing the same bytes again, or another report
// with the same indicators, records nothing and adds no event: created is
// false and the report is the one imported first, with the matches of this
// import.
//
// The index of declarations is built in a read
// transaction, so that the writer only records the matches.
func (cw *Casework) ImportEvidence(ctx context.Context, p *oversight.Principal, b *stix.Bundle) (rep *oversight.EvidenceReport, created bool, err error) {
	s := cw.s
	if err := allow(p, oversight.TaskEvidenceImport); err != nil {
		return nil, false, err
	}
	idx := oversight.NewInfrastructureIndex()
	if err := s.view(ctx, func(tx *store.Tx) error { return tx.EachInfrastructure(idx.Add) }); err != nil {
		return nil, false, fmt.Errorf("import evidence: %w", err)
	}
	matchable := 0
	matches := []oversight.EvidenceMatch{}
	for i := range b.Indicators {
		if len(b.Indicators[i].Observables) > 0 {
			matchable++
		}
		matches = append(matches, idx.Match(&b.Indicators[i])...)
	}
	now := s.clock()
	err = s.update(ctx, func(tx *store.Tx) error {
		rep, err = tx.EvidenceReportByDigest(b.SHA256)
		if err != nil {
			return err
		}
		created = rep == nil
		if created {
			rep = &oversight.EvidenceReport{ID: oversight.NewID(oversight.PrefixReport), BundleID: b.ID, SHA256: b.SHA256,
				Malware: b.Malware, Indicators: len(b.Indicators), Matchable: matchable, ImportedBy: p.Actor(), ImportedAt: now}
		}
		rep.Matches, rep.NewMatches, rep.CaseIDs = matches, 0, []string{}
		fresh := map[string][]*oversight.EvidenceMatch{} // by licence
		for i := range rep.Matches {
			m := &rep.Matches[i]
			if m.CaseID, err = tx.MatchRecorded(m); err != nil {
				return err
			}
			if m.CaseID == "" {
				fresh[m.LicenseID] = append(fresh[m.LicenseID], m)
			}
		}
		if !created && len(fresh) == 0 {
			return nil
		}
		rep.LogIndex = tx.NextIndex()
		if _, err := tx.Record(oversight.EventEvidenceImported, p.Actor(), rep.ID, now, evidenceImported{
			BundleID: rep.BundleID, SHA256: rep.SHA256, Indicators: rep.Indicators, Matchable: rep.Matchable,
			NewMatches: countMatches(fresh), Licenses: slices.Sorted(maps.Keys(fresh)),
		}); err != nil {
			return err
		}
		if created {
			if err := tx.CreateEvidenceReport(rep); err != nil {
				return err
			}
		}
		for _, lic := range slices.Sorted(maps.Keys(fresh)) {
			ms := fresh[lic]
			g := gathering{LicenseID: lic, Rule: RuleEvidence, Source: oversight.SourceForensicReport,
				Title: fmt.Sprintf("Infrastructure declared for licence %s named in forensic report %s", lic, reportName(rep))}
			for _, m := range ms {
				g.Evidence = append(g.Evidence, oversight.Evidence{Kind: "report", Ref: rep.ID + "/" + m.IndicatorID, AddedBy: p.Actor(), AddedAt: now,
					SHA256: rep.SHA256, Description: matchDescription(rep, m)})
			}
			c, err := s.gather(tx, p.Actor(), g, now)
			if err != nil {
				return err
			}
			rep.CaseIDs = append(rep.CaseIDs, c.ID)
			for _, m := range ms {
				m.CaseID = c.ID
				if err := tx.RecordMatch(rep.ID, m, now); err != nil {
					return err
				}
			}
			rep.NewMatches += len(ms)
		}
		return tx.UpdateEvidenceReport(rep)
	})
	if err != nil {
		return nil, false, fmt.Errorf("import evidence: %w", err)
	}
	return rep, created, nil
}

// evidenceImported is the payload of an evidence.imported event: the
// report's identity and counts, and the licences it brought cases on,
// never the declared infrastructure it matched.
type evidenceImported struct {
	BundleID   string   `json:"bundle_id"`
	SHA256     string   `json:"sha256"`
	Indicators int      `json:"indicators"`
	Matchable  int      `json:"matchable"`
	NewMatches int      `json:"new_matches"`
	Licenses   []string `json:"licenses"`
}

func countMatches(m map[string][]*oversight.EvidenceMatch) int {
	n := 0
	for _, ms := range m {
		n += len(ms)
	}
	return n
}

func reportName(r *oversight.EvidenceReport) string {
	if len(r.Malware) == 0 {
		return r.BundleID
	}
	return fmt.Sprintf("%s (%s)", strings.Join(r.Malware, ", "), r.BundleID)
}

func matchDescription(r *oversight.EvidenceReport, m *oversight.EvidenceMatch) string {
	how := "is"
	if m.Value != m.Declared {
		how = "falls under"
	}
	return fmt.Sprintf("Forensic report %s %s: indicator %s, pattern %s, names %s %s, which %s %s that deployment %s declared.",
		r.ID, reportName(r), m.IndicatorID, m.Pattern, m.Kind, m.Value, how, m.Declared, m.DeploymentID)
}

// EvidenceReports lists imported forensic reports, newest first.
func (cw *Casework) EvidenceReports(ctx context.Context, p *oversight.Principal, page oversight.Page) (*oversight.List[oversight.EvidenceReport], error) {
	s := cw.s
	if err := allow(p, oversight.TaskEvidenceRead); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.EvidenceReport]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.EvidenceReports(page)
		return err
	})
	return out, err
}

// EvidenceReport returns an imported forensic report.
func (cw *Casework) EvidenceReport(ctx context.Context, p *oversight.Principal, id string) (*oversight.EvidenceReport, error) {
	s := cw.s
	if err := allow(p, oversight.TaskEvidenceRead); err != nil {
		return nil, err
	}
	var r *oversight.EvidenceReport
	err := s.view(ctx, func(tx *store.Tx) (err error) { r, err = tx.EvidenceReport(id); return err })
	return r, err
}
