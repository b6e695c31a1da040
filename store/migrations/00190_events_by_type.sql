-- +goose Up
-- The public log explorer finds entries by type, newest first: without
-- this index a rare type would read the whole log.
CREATE INDEX events_by_type ON events (type, idx);

-- +goose Down
DROP INDEX events_by_type;
