-- A deployment's public key, in a column of its own with a unique index, so
-- that one key cannot be registered to two deployments: a request signed by
-- one would verify as the other's. Rows from before are filled in at start
-- (store.Open), from their doc, since the two databases read JSON
-- differently.

-- +goose Up
ALTER TABLE deployments ADD COLUMN public_key TEXT;
CREATE UNIQUE INDEX deployments_by_key ON deployments (public_key);

-- +goose Down
DROP INDEX deployments_by_key;
ALTER TABLE deployments DROP COLUMN public_key;
