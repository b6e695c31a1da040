-- Users: the people (and named systems) who act on Oversight. The
-- two-person rule compares users by id, so each person is one user with one
-- role; tokens belong to a user and take their role and bindings from it.
--
-- name_key is the name case-folded with spaces collapsed
-- (oversight.NameKey); it is unique, so that one person cannot be created
-- twice under two spellings of the same name.
--
-- Every token that existed before users becomes a user of its own, whose
-- id is the token's with usr_ for tok_ (the domain's SamePerson relies on
-- it for approvals recorded before), and whose name_key names the token,
-- since their names were never checked for uniqueness. Tokens now expire;
-- those older than users expire 90 days after they were created.

-- +goose Up
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name_key    TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    vendor_id   TEXT REFERENCES vendors (id),
    end_user_id TEXT REFERENCES end_users (id),
    disabled_at BIGINT,
    doc         TEXT NOT NULL
);
CREATE INDEX users_by_role ON users (role, id);

ALTER TABLE tokens ADD COLUMN user_id TEXT REFERENCES users (id);
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;

INSERT INTO users (id, name_key, role, vendor_id, end_user_id, doc)
SELECT 'usr_' || substr(id, 5), 'legacy token ' || id, role, vendor_id, end_user_id,
       '{"id":"usr_' || substr(id, 5) || '","name":"(token ' || id || ')","role":"' || role || '"'
       || CASE WHEN vendor_id IS NULL THEN '' ELSE ',"vendor_id":"' || vendor_id || '"' END
       || CASE WHEN end_user_id IS NULL THEN '' ELSE ',"end_user_id":"' || end_user_id || '"' END
       || ',"created_by":"system","created_at":"1970-01-01T00:00:00Z"}'
FROM tokens;
UPDATE tokens SET user_id = 'usr_' || substr(id, 5), expires_at = created_at + 7776000000000;
CREATE INDEX tokens_by_user ON tokens (user_id, id);

-- +goose Down
DROP INDEX tokens_by_user;
ALTER TABLE tokens DROP COLUMN expires_at;
ALTER TABLE tokens DROP COLUMN user_id;
DROP TABLE users;
