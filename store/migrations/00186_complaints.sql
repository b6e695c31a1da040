-- Complaints (issue 15 point 3): filed without an account. Nothing of the
-- complainant is kept: no address, no header, only the SHA-256 of the
-- secret that reads and adds to the complaint (secret_hash, unique, the
-- lookup key for the complainant).

-- +goose Up
CREATE TABLE complaints (
    id          TEXT PRIMARY KEY,
    secret_hash BYTEA NOT NULL UNIQUE,
    status      TEXT NOT NULL,
    license_id  TEXT NOT NULL DEFAULT '',
    doc         TEXT NOT NULL
);
CREATE INDEX complaints_by_status ON complaints (status, id);

-- +goose Down
DROP TABLE complaints;
