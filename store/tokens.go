package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// CreateUser inserts u. A user whose name has the same NameKey as another's
// is refused as a conflict.
func (tx *Tx) CreateUser(u *oversight.User) error {
	key := oversight.NameKey(u.Name)
	var other string
	err := tx.queryRow(`SELECT id FROM users WHERE name_key = $1`, key).Scan(&other)
	switch {
	case err == nil:
		return &oversight.Error{Code: oversight.ECONFLICT, Message: "a user of that name already exists",
			Fields: []oversight.FieldError{{Field: "name", Message: fmt.Sprintf("%s is already %s; one person is one user, whatever the spelling", u.Name, other)}}}
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("create user: %w", err)
	}
	_, err = tx.exec(`INSERT INTO users (id, name_key, role, vendor_id, end_user_id, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.ID, key, u.Role, nullable(u.VendorID), nullable(u.EndUserID), mustJSON(u))
	return wrap(err, "create user %s", u.ID)
}

// User returns the user with id.
func (tx *Tx) User(id string) (*oversight.User, error) {
	var u oversight.User
	return &u, tx.getDoc("user", `SELECT doc FROM users WHERE id = $1`, &u, id)
}

// Users lists users, of one role when role is not empty.
func (tx *Tx) Users(role oversight.Role, page oversight.Page) ([]oversight.User, string, error) {
	var w where
	w.add("role = $", string(role))
	clause, args := w.sql(page)
	return listDocs(tx, "users", page, func(u *oversight.User) string { return u.ID }, `SELECT doc FROM users`+clause, args...)
}

// CreateToken inserts t, a token of the user t.UserID; only the hash of its
// secret is stored. The role and bindings columns copy the user's, for
// readers of the table.
func (tx *Tx) CreateToken(t *oversight.Token) error {
	p := t.Principal
	_, err := tx.exec(`INSERT INTO tokens (id, hash, role, vendor_id, end_user_id, name, created_at, user_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.Hash, p.Role, nullable(p.VendorID), nullable(p.EndUserID), t.Label, t.CreatedAt.UnixMicro(), t.UserID, t.ExpiresAt.UnixMicro())
	return wrap(err, "create token %s", t.ID)
}

// tokenColumns are the columns scanToken reads, tokens joined to users as
// t and u.
const tokenColumns = `t.id, t.user_id, t.name, t.created_at, t.expires_at, t.revoked_at, u.doc`

func scanToken(row rowScanner) (*oversight.Token, error) {
	var (
		t       oversight.Token
		created int64
		expires int64
		revoked sql.NullInt64
		doc     string
	)
	if err := row.Scan(&t.ID, &t.UserID, &t.Label, &created, &expires, &revoked, &doc); err != nil {
		return nil, err
	}
	var u oversight.User
	if err := json.Unmarshal([]byte(doc), &u); err != nil {
		return nil, fmt.Errorf("decode user of token %s: %w", t.ID, err)
	}
	t.CreatedAt = time.UnixMicro(created).UTC()
	t.ExpiresAt = time.UnixMicro(expires).UTC()
	if revoked.Valid {
		at := time.UnixMicro(revoked.Int64).UTC()
		t.RevokedAt = &at
	}
	t.Principal = u.Principal()
	t.Principal.TokenID = t.ID
	if u.DisabledAt != nil {
		// A disabled user's tokens are as good as revoked.
		t.RevokedAt = u.DisabledAt
	}
	return &t, nil
}

// TokenByHash returns the token whose secret hashes to hash, with its
// user, revoked or expired ones included: the caller decides with
// Token.Usable, so that it can say why a token is refused.
func (tx *Tx) TokenByHash(hash []byte) (*oversight.Token, error) {
	t, err := scanToken(tx.queryRow(`SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "unknown token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	t.Hash = hash
	return t, nil
}

// Token returns the token with id.
func (tx *Tx) Token(id string) (*oversight.Token, error) {
	t, err := scanToken(tx.queryRow(`SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("token", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read token %s: %w", id, err)
	}
	return t, nil
}

// Tokens lists tokens, of one user when userID is not empty.
func (tx *Tx) Tokens(userID string, page oversight.Page) ([]oversight.Token, string, error) {
	var w where
	w.add("t.user_id = $", userID)
	w.add("t.id > $", page.After)
	clause := ""
	if len(w.conds) > 0 {
		clause = " WHERE " + strings.Join(w.conds, " AND ")
	}
	return listRows(tx, "tokens", page, func(t *oversight.Token) string { return t.ID }, scanToken,
		`SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id`+clause+fmt.Sprintf(` ORDER BY t.id LIMIT %d`, pageLimit(page)), w.args...)
}

// RevokeToken marks the token revoked at t. Every replica reads the row on
// each request, so the token is refused everywhere from the commit on.
func (tx *Tx) RevokeToken(id string, at time.Time) error {
	return tx.updateDoc("token", `UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, at.UnixMicro())
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
