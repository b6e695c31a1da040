-- The rule of a case, as a column: one open case per rule and licence
-- gathers the rule's repeats, and GET /v1/cases filters on it. Before
-- this migration the only rule that opened cases was SCOPE-PROTECTED.

-- +goose Up
ALTER TABLE cases ADD COLUMN rule TEXT NOT NULL DEFAULT '';
UPDATE cases SET rule = 'SCOPE-PROTECTED' WHERE source = 'rule';
CREATE INDEX cases_by_rule ON cases (license_id, rule, status);

-- +goose Down
DROP INDEX cases_by_rule;
ALTER TABLE cases DROP COLUMN rule;
