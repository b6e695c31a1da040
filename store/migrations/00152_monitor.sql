-- The monitor's cursor: the log index up to which the misuse rules have
-- read the decisions, and the replica holding the lease to read on. A
-- replica advances the cursor in the transaction that records what the
-- rules found, only from the index it read from: a decision counts once,
-- whichever replica reads it.

-- +goose Up
CREATE TABLE monitor_cursor (
    name        TEXT PRIMARY KEY,
    idx         BIGINT NOT NULL,
    holder      TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);
-- The rules start from the decisions to come: those before were decided
-- with the protected-persons rule alone, in their own transactions.
INSERT INTO monitor_cursor (name, idx, holder, lease_until) SELECT 'rules', size - 1, '', 0 FROM log_head WHERE id = 1;

-- +goose Down
DROP TABLE monitor_cursor;
