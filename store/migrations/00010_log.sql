-- The audit log's Merkle tree and its signed checkpoints.
--
-- tiles holds the tree's hashes as C2SP tlog-tiles rows: level 0 holds leaf
-- hashes, level L the roots of subtrees of height 8L, 256 hashes a full row.
-- The right-most row of each level is partial and grows; a hash, once
-- written, never changes. A row is upserted in the transaction that
-- appends the events it covers, so that log_head.size, events and tiles
-- always describe the same tree.
--
-- checkpoints holds every checkpoint note the log signed, keyed by tree
-- size, written before the note is served: the log must never sign two
-- inconsistent checkpoints, including across restarts.
--
-- log_key records the verifier key of the log's signing key, so that a
-- server started with another key refuses to sign for this database.

-- +goose Up
CREATE TABLE tiles (
    level  INTEGER NOT NULL,
    idx    BIGINT NOT NULL,
    hashes BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE checkpoints (
    size      BIGINT PRIMARY KEY,
    note      BYTEA NOT NULL,
    signed_at BIGINT NOT NULL
);

CREATE TABLE log_key (
    id           INTEGER PRIMARY KEY,
    verifier_key TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- +goose Down
DROP TABLE log_key;
DROP TABLE checkpoints;
DROP TABLE tiles;
