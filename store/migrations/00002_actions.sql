-- Enforcement actions on licences.

-- +goose Up
CREATE TABLE actions (
    id         TEXT PRIMARY KEY,
    license_id TEXT NOT NULL REFERENCES licenses (id),
    status     TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX actions_by_license ON actions (license_id, id);

-- +goose Down
DROP TABLE actions;
