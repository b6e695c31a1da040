-- permit_counts.next_expiry is the earliest expiry among the permits not
-- yet swept (NULL: none), so that a decision sweeps only when a permit has
-- actually expired, and otherwise reads its licence's count and nothing
-- more.

-- +goose Up
ALTER TABLE permit_counts ADD COLUMN next_expiry BIGINT;
UPDATE permit_counts SET next_expiry = (
    SELECT min(o.expires_at) FROM operations o
    WHERE o.license_id = permit_counts.license_id AND o.decision = 'permit' AND o.expires_at > permit_counts.swept_to);

-- +goose Down
ALTER TABLE permit_counts DROP COLUMN next_expiry;
