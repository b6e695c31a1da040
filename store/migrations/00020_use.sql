-- Per-use authorisation: decided operations, the count of unexpired
-- permits per licence, the protected-persons register and misuse cases.
--
-- operations keeps each decision with its request; the target only as its
-- keyed hash (inside doc). expires_at (Unix microseconds) is set for
-- permits only, and operations_permits indexes them by expiry.
--
-- permit_counts keeps the quota check O(1) whatever the number of
-- unexpired permits: issued counts every permit of the licence, expired
-- those that expired at or before swept_to, so that issued - expired
-- permits are unexpired at swept_to. Advancing swept_to counts only the
-- permits that expired since, each once.
--
-- protected_persons holds the register by hash (32 bytes, the
-- HMAC-SHA256 the deployments send), looked up by primary key inside the
-- decision's transaction.

-- +goose Up
CREATE TABLE operations (
    id            TEXT PRIMARY KEY,
    license_id    TEXT NOT NULL REFERENCES licenses (id),
    deployment_id TEXT NOT NULL,
    decision      TEXT NOT NULL,
    expires_at    BIGINT,
    doc           TEXT NOT NULL
);
CREATE INDEX operations_by_license ON operations (license_id, id);
CREATE INDEX operations_permits ON operations (license_id, expires_at) WHERE decision = 'permit';

CREATE TABLE permit_counts (
    license_id TEXT PRIMARY KEY REFERENCES licenses (id),
    issued     BIGINT NOT NULL,
    expired    BIGINT NOT NULL,
    swept_to   BIGINT NOT NULL
);

CREATE TABLE protected_persons (
    id_hash   BYTEA PRIMARY KEY,
    category  TEXT NOT NULL,
    added_by  TEXT NOT NULL,
    added_at  BIGINT NOT NULL,
    log_index BIGINT NOT NULL
);

CREATE TABLE cases (
    id         TEXT PRIMARY KEY,
    license_id TEXT NOT NULL REFERENCES licenses (id),
    status     TEXT NOT NULL,
    source     TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX cases_by_license ON cases (license_id, id);

-- +goose Down
DROP TABLE cases;
DROP TABLE protected_persons;
DROP TABLE permit_counts;
DROP TABLE operations;
