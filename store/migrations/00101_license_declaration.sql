-- The declaration a licence is under, in a column of its own, so that a
-- vendor's reads of declarations can be limited to those of its own
-- licences with one indexed query. '' for a licence without one (a
-- marketing licence); rows from before are filled in at start
-- (store.Open), from their doc.

-- +goose Up
ALTER TABLE licenses ADD COLUMN declaration_id TEXT;
CREATE INDEX licenses_by_declaration ON licenses (declaration_id, vendor_id);

-- +goose Down
DROP INDEX licenses_by_declaration;
ALTER TABLE licenses DROP COLUMN declaration_id;
