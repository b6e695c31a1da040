-- The console's work lists: the reviews waiting for a decision and the
-- licences waiting for a ministry, found by status rather than by
-- reading every product or licence.

-- +goose Up
CREATE INDEX reviews_by_status ON reviews (status, id);
CREATE INDEX licenses_by_status ON licenses (status, id);

-- +goose Down
DROP INDEX licenses_by_status;
DROP INDEX reviews_by_status;
