-- Forensic evidence (issue 15): the infrastructure deployments declare,
-- the forensic reports imported as STIX bundles, and the matches between
-- them.
--
-- deployment_infrastructure keeps each deployment's declaration apart
-- from its record, which vendors and agencies read; only officers read
-- this table, and an import reads all of it to build its index.
--
-- evidence_reports keeps one row per report, by the digest of its bytes,
-- so that importing the same bundle again adds no report.
--
-- evidence_matches keeps one row per indicator, deployment and declared
-- entry matched: importing a bundle again, or another bundle with the same
-- indicator, adds no match and so no evidence to the case.

-- +goose Up
CREATE TABLE deployment_infrastructure (
    deployment_id TEXT PRIMARY KEY REFERENCES deployments (id),
    license_id    TEXT NOT NULL REFERENCES licenses (id),
    updated_at    BIGINT NOT NULL,
    doc           TEXT NOT NULL
);

CREATE TABLE evidence_reports (
    id          TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    bundle_id   TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    doc         TEXT NOT NULL
);

CREATE TABLE evidence_matches (
    indicator_id  TEXT NOT NULL,
    deployment_id TEXT NOT NULL REFERENCES deployments (id),
    declared      TEXT NOT NULL,
    report_id     TEXT NOT NULL REFERENCES evidence_reports (id),
    case_id       TEXT NOT NULL REFERENCES cases (id),
    matched_at    BIGINT NOT NULL,
    doc           TEXT NOT NULL,
    PRIMARY KEY (indicator_id, deployment_id, declared)
);
CREATE INDEX evidence_matches_by_case ON evidence_matches (case_id);

-- +goose Down
DROP TABLE evidence_matches;
DROP TABLE evidence_reports;
DROP TABLE deployment_infrastructure;
