-- Visa screening: designated persons and the record of every screening.
--
-- designations keeps each designation's document with the columns that
-- imports and listings look up: source (an imported list's own id, such
-- as ofac-sdn:36216, by which importing again updates in place; NULL for
-- a designation made by an officer, and UNIQUE allows many NULLs on both
-- databases), the case and the related person. A delisted designation
-- stays, with delisted_at set: delisting keeps the history. changed is
-- the log index of the last event about the designation, so that a
-- replica can load what changed since it last looked.
--
-- screenings holds one row per screening request (a single query or a
-- batch) and screening_rows one row per name screened. A name is never
-- stored: name_hash and query_hash are HMAC-SHA256 under the server's
-- screening key (see service/screening.go), so that a copy of the table
-- cannot be searched for a person without that key. digest binds the rows
-- to the screening.performed event that carries it in the audit log.

-- +goose Up
CREATE TABLE designations (
    id          TEXT PRIMARY KEY,
    source      TEXT UNIQUE,
    basis       TEXT NOT NULL,
    related_to  TEXT,
    case_id     TEXT,
    delisted_at BIGINT,
    changed     BIGINT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX designations_by_case ON designations (case_id, id);
CREATE INDEX designations_by_related ON designations (related_to, id);
CREATE INDEX designations_by_change ON designations (changed);

CREATE TABLE screenings (
    id          TEXT PRIMARY KEY,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    rows_count  BIGINT NOT NULL DEFAULT 0,
    errors      BIGINT NOT NULL DEFAULT 0,
    digest      BYTEA,
    log_index   BIGINT
);
CREATE INDEX screenings_by_actor ON screenings (actor, id);

CREATE TABLE screening_rows (
    screening_id    TEXT NOT NULL REFERENCES screenings (id),
    row_num         BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    name_hash       BYTEA NOT NULL,
    query_hash      BYTEA NOT NULL,
    matches         INTEGER NOT NULL,
    top_designation TEXT,
    top_score       DOUBLE PRECISION,
    PRIMARY KEY (screening_id, row_num)
);
CREATE INDEX screening_rows_by_name ON screening_rows (name_hash);

-- +goose Down
DROP TABLE screening_rows;
DROP TABLE screenings;
DROP TABLE designations;
