-- What events withheld from the public log: for each event that carries a
-- salted commitment to personal data instead of the data (names, birth
-- dates of vendors' persons, designated people, officers), the salt and
-- the fields it commits to. The log holds only the commitment, so that
-- deleting a row here (or the data in the resources) leaves the log whole;
-- only authorised auditors read it (GET /v1/log/entries/{index}/private).

-- +goose Up
CREATE TABLE log_private (
    log_index  BIGINT PRIMARY KEY,
    commitment TEXT NOT NULL,
    salt       BYTEA NOT NULL,
    fields     TEXT NOT NULL
);

-- +goose Down
DROP TABLE log_private;
