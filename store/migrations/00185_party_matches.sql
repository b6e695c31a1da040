-- Screening in licensing (issue 16 point 4): a licensing party's name
-- (a vendor, its persons, an end-user agency, a declaration's signatory)
-- found at or above the review band against a designation. One row per
-- party and designation, whatever the licences naming the party, so that
-- an officer clears or confirms it once; record_id is the registry record
-- the party belongs to (vendor, agency or declaration), which a licence
-- names, so that a licence's matches are one indexed read.

-- +goose Up
CREATE TABLE party_matches (
    id             TEXT PRIMARY KEY,
    party_id       TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    designation_id TEXT NOT NULL,
    status         TEXT NOT NULL,
    doc            TEXT NOT NULL,
    UNIQUE (party_id, designation_id)
);
CREATE INDEX party_matches_by_record ON party_matches (record_id, id);

-- +goose Down
DROP TABLE party_matches;
