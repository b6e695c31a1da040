-- What the misuse rules note of a decision as it is made (monitor.Marks:
-- a forbidden ground cited, a blocked country code, a protected person),
-- so that the rules behind the monitor's cursor read a decision's columns,
-- never its document. Decisions before this migration have none: the
-- rules read from the decisions to come.

-- +goose Up
ALTER TABLE operations ADD COLUMN marks INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE operations DROP COLUMN marks;
