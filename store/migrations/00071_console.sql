-- The console's sign-in: passkeys, sessions, one-time links and the
-- challenges of WebAuthn ceremonies in flight.
--
-- passkeys keeps each credential's record as the relying party wrote it
-- (doc). sessions and links keep only the SHA-256 of their secrets, like
-- tokens. ceremonies holds a ceremony's challenge between the options sent
-- to the browser and its answer, bound to what started it (a session or a
-- link), for any replica to finish; each is taken once.

-- +goose Up
CREATE TABLE passkeys (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX passkeys_by_user ON passkeys (user_id, id);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    hash        BYTEA NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    asserted_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_by_user ON sessions (user_id, id);

CREATE TABLE links (
    id         TEXT PRIMARY KEY,
    hash       BYTEA NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE ceremonies (
    id         TEXT PRIMARY KEY,
    binding    TEXT NOT NULL,
    data       BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE ceremonies;
DROP TABLE links;
DROP TABLE sessions;
DROP TABLE passkeys;
