-- The foundation schema. It runs unchanged on SQLite and PostgreSQL: types
-- are TEXT, BIGINT, INTEGER and BYTEA (a blob on SQLite); times are BIGINT
-- microseconds since the Unix epoch, UTC. Each resource keeps its full
-- domain document as JSON in doc, beside the columns that queries filter,
-- join or constrain on.

-- +goose Up
CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    hash        BYTEA NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    vendor_id   TEXT,
    end_user_id TEXT,
    name        TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE vendors (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    doc        TEXT NOT NULL
);

CREATE TABLE products (
    id         TEXT PRIMARY KEY,
    vendor_id  TEXT NOT NULL REFERENCES vendors (id),
    created_at BIGINT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX products_by_vendor ON products (vendor_id, id);

CREATE TABLE reviews (
    id         TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (id),
    status     TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX reviews_by_product ON reviews (product_id, id);

CREATE TABLE countries (
    iso2 TEXT PRIMARY KEY,
    tier TEXT NOT NULL,
    doc  TEXT NOT NULL
);

CREATE TABLE end_users (
    id      TEXT PRIMARY KEY,
    country TEXT NOT NULL REFERENCES countries (iso2),
    doc     TEXT NOT NULL
);
CREATE INDEX end_users_by_country ON end_users (country, id);

CREATE TABLE declarations (
    id          TEXT PRIMARY KEY,
    end_user_id TEXT NOT NULL REFERENCES end_users (id),
    doc         TEXT NOT NULL
);
CREATE INDEX declarations_by_end_user ON declarations (end_user_id, id);

CREATE TABLE licenses (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    vendor_id   TEXT NOT NULL REFERENCES vendors (id),
    product_id  TEXT NOT NULL REFERENCES products (id),
    end_user_id TEXT NOT NULL REFERENCES end_users (id),
    status      TEXT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX licenses_by_vendor ON licenses (vendor_id, id);
CREATE INDEX licenses_by_end_user ON licenses (end_user_id, id);
CREATE INDEX licenses_by_product ON licenses (product_id, id);

-- The audit log: one row per event, entry being the exact leaf bytes.
CREATE TABLE events (
    idx     BIGINT PRIMARY KEY,
    type    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    subject TEXT NOT NULL,
    time    BIGINT NOT NULL,
    entry   BYTEA NOT NULL
);
CREATE INDEX events_by_subject ON events (subject, idx);

-- The log's head; its row lock serialises appends across replicas.
CREATE TABLE log_head (
    id   INTEGER PRIMARY KEY,
    size BIGINT NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);

-- +goose Down
DROP TABLE log_head;
DROP TABLE events;
DROP TABLE licenses;
DROP TABLE declarations;
DROP TABLE end_users;
DROP TABLE countries;
DROP TABLE reviews;
DROP TABLE products;
DROP TABLE vendors;
DROP TABLE tokens;
