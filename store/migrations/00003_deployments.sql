-- Deployments of licensed tools, and the signatures of their requests seen
-- recently, so that a replayed request is refused.

-- +goose Up
CREATE TABLE deployments (
    id         TEXT PRIMARY KEY,
    license_id TEXT NOT NULL REFERENCES licenses (id),
    status     TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX deployments_by_license ON deployments (license_id, id);

CREATE TABLE request_nonces (
    digest     BYTEA PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX request_nonces_by_expiry ON request_nonces (expires_at);

-- +goose Down
DROP TABLE request_nonces;
DROP TABLE deployments;
