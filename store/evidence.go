package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
)

// SetInfrastructure records what a deployment declared of its
// infrastructure, replacing any earlier declaration.
func (tx *Tx) SetInfrastructure(deploymentID, licenseID string, in *oversight.Infrastructure, at time.Time) error {
	_, err := tx.exec(`INSERT INTO deployment_infrastructure (deployment_id, license_id, updated_at, doc) VALUES ($1, $2, $3, $4)
		ON CONFLICT (deployment_id) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc`,
		deploymentID, licenseID, at.UnixMicro(), mustJSON(in))
	return wrap(err, "declare infrastructure of %s", deploymentID)
}

// Infrastructure returns what a deployment declared of its infrastructure,
// or nil if it declared nothing.
func (tx *Tx) Infrastructure(deploymentID string) (*oversight.Infrastructure, error) {
	return findDoc[oversight.Infrastructure](tx, "infrastructure", `SELECT doc FROM deployment_infrastructure WHERE deployment_id = $1`, deploymentID)
}

// EachInfrastructure calls f with every declaration of the deployments that
// are not retired.
func (tx *Tx) EachInfrastructure(f func(deploymentID, licenseID string, in *oversight.Infrastructure)) error {
	rows, err := tx.query(`SELECT i.deployment_id, i.license_id, i.doc FROM deployment_infrastructure i
		JOIN deployments d ON d.id = i.deployment_id WHERE d.status <> $1`, oversight.DeploymentRetired)
	if err != nil {
		return fmt.Errorf("read infrastructure: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var dep, lic, doc string
		if err := rows.Scan(&dep, &lic, &doc); err != nil {
			return fmt.Errorf("read infrastructure: %w", err)
		}
		var in oversight.Infrastructure
		if err := json.Unmarshal([]byte(doc), &in); err != nil {
			return fmt.Errorf("decode infrastructure of %s: %w", dep, err)
		}
		f(dep, lic, &in)
	}
	return rows.Err()
}

// EvidenceReportByDigest returns the report imported from the bytes whose
// hex SHA-256 is sum, or nil.
func (tx *Tx) EvidenceReportByDigest(sum string) (*oversight.EvidenceReport, error) {
	return findDoc[oversight.EvidenceReport](tx, "evidence report", `SELECT doc FROM evidence_reports WHERE sha256 = $1`, sum)
}

// EvidenceReport returns the report with id.
func (tx *Tx) EvidenceReport(id string) (*oversight.EvidenceReport, error) {
	var r oversight.EvidenceReport
	return &r, tx.getDoc("evidence report", `SELECT doc FROM evidence_reports WHERE id = $1`, &r, id)
}

// EvidenceReports lists imported reports, newest first.
func (tx *Tx) EvidenceReports(page oversight.Page) ([]oversight.EvidenceReport, string, error) {
	var w where
	clause, args := w.newestFirst(page)
	return listDocs(tx, "evidence reports", page, func(r *oversight.EvidenceReport) string { return r.ID }, `SELECT doc FROM evidence_reports`+clause, args...)
}

// CreateEvidenceReport inserts r.
func (tx *Tx) CreateEvidenceReport(r *oversight.EvidenceReport) error {
	_, err := tx.exec(`INSERT INTO evidence_reports (id, sha256, bundle_id, imported_at, doc) VALUES ($1, $2, $3, $4, $5)`,
		r.ID, r.SHA256, r.BundleID, r.ImportedAt.UnixMicro(), mustJSON(r))
	return wrap(err, "create evidence report %s", r.ID)
}

// UpdateEvidenceReport writes r.
func (tx *Tx) UpdateEvidenceReport(r *oversight.EvidenceReport) error {
	return tx.updateDoc("evidence report", `UPDATE evidence_reports SET doc = $2 WHERE id = $1`, r.ID, mustJSON(r))
}

// MatchRecorded returns the case a match was recorded in, or "" if it was
// never recorded.
func (tx *Tx) MatchRecorded(m *oversight.EvidenceMatch) (string, error) {
	var caseID string
	err := tx.queryRow(`SELECT case_id FROM evidence_matches WHERE indicator_id = $1 AND deployment_id = $2 AND declared = $3`,
		m.IndicatorID, m.DeploymentID, m.Declared).Scan(&caseID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read match of %s: %w", m.IndicatorID, err)
	}
	return caseID, nil
}

// RecordMatch records a match of reportID in m.CaseID.
func (tx *Tx) RecordMatch(reportID string, m *oversight.EvidenceMatch, at time.Time) error {
	_, err := tx.exec(`INSERT INTO evidence_matches (indicator_id, deployment_id, declared, report_id, case_id, matched_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.IndicatorID, m.DeploymentID, m.Declared, reportID, m.CaseID, at.UnixMicro(), mustJSON(m))
	return wrap(err, "record match of %s", m.IndicatorID)
}
