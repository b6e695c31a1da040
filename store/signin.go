package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
)

// CreatePasskey inserts k.
func (tx *Tx) CreatePasskey(k *oversight.Passkey) error {
	_, err := tx.exec(`INSERT INTO passkeys (id, user_id, created_at, doc) VALUES ($1, $2, $3, $4)`,
		k.ID, k.UserID, k.CreatedAt.UnixMicro(), mustJSON(k))
	return wrap(err, "create passkey")
}

// UpdatePasskey writes k's document (its counter and last use).
func (tx *Tx) UpdatePasskey(k *oversight.Passkey) error {
	return tx.updateDoc("passkey", `UPDATE passkeys SET doc = $2 WHERE id = $1`, k.ID, mustJSON(k))
}

// Passkey returns the passkey with credential id.
func (tx *Tx) Passkey(id string) (*oversight.Passkey, error) {
	var k oversight.Passkey
	return &k, tx.getDoc("passkey", `SELECT doc FROM passkeys WHERE id = $1`, &k, id)
}

// Passkeys returns every passkey of a user.
func (tx *Tx) Passkeys(userID string) ([]oversight.Passkey, error) {
	out, _, err := listDocs(tx, "passkeys", oversight.Page{Limit: 1000}, func(k *oversight.Passkey) string { return k.ID },
		`SELECT doc FROM passkeys WHERE user_id = $1 ORDER BY created_at LIMIT 1001`, userID)
	return out, err
}

// CreateSession inserts s.
func (tx *Tx) CreateSession(s *oversight.Session) error {
	_, err := tx.exec(`INSERT INTO sessions (id, hash, user_id, created_at, last_seen, asserted_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.ID, s.Hash, s.UserID, s.CreatedAt.UnixMicro(), s.LastSeenAt.UnixMicro(), micros(s.AssertedAt))
	return wrap(err, "create session")
}

// SessionByHash returns the session whose secret hashes to hash, and its
// user.
func (tx *Tx) SessionByHash(hash []byte) (*oversight.Session, *oversight.User, error) {
	var (
		s                       oversight.Session
		created, seen, asserted int64
		doc                     string
	)
	err := tx.queryRow(`SELECT s.id, s.user_id, s.created_at, s.last_seen, s.asserted_at, u.doc FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = $1`, hash).
		Scan(&s.ID, &s.UserID, &created, &seen, &asserted, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, oversight.Errorf(oversight.EUNAUTHORIZED, "not signed in")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("look up session: %w", err)
	}
	var u oversight.User
	if err := json.Unmarshal([]byte(doc), &u); err != nil {
		return nil, nil, fmt.Errorf("decode user of session: %w", err)
	}
	s.Hash = hash
	s.CreatedAt, s.LastSeenAt, s.AssertedAt = fromMicros(created), fromMicros(seen), fromMicros(asserted)
	return &s, &u, nil
}

// TouchSession records that the session was used at seen and, when
// asserted is not zero, that the user proved presence with a passkey then.
func (tx *Tx) TouchSession(id string, seen, asserted time.Time) error {
	if asserted.IsZero() {
		return tx.updateDoc("session", `UPDATE sessions SET last_seen = $2 WHERE id = $1`, id, seen.UnixMicro())
	}
	return tx.updateDoc("session", `UPDATE sessions SET last_seen = $2, asserted_at = $3 WHERE id = $1`, id, seen.UnixMicro(), asserted.UnixMicro())
}

// DeleteSession removes the session: sign-out.
func (tx *Tx) DeleteSession(id string) error {
	_, err := tx.exec(`DELETE FROM sessions WHERE id = $1`, id)
	return wrap(err, "delete session")
}

// DeleteIdleSessions removes sessions last seen before cutoff.
func (tx *Tx) DeleteIdleSessions(cutoff time.Time) (int64, error) {
	res, err := tx.exec(`DELETE FROM sessions WHERE last_seen < $1`, cutoff.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("delete idle sessions: %w", err)
	}
	return res.RowsAffected()
}

// CreateLink inserts l.
func (tx *Tx) CreateLink(l *oversight.Link) error {
	_, err := tx.exec(`INSERT INTO links (id, hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		l.ID, l.Hash, l.UserID, l.Kind, l.CreatedAt.UnixMicro(), l.ExpiresAt.UnixMicro())
	return wrap(err, "create link")
}

// LinkByHash returns the link whose secret hashes to hash, used or not.
func (tx *Tx) LinkByHash(hash []byte) (*oversight.Link, error) {
	var (
		l                oversight.Link
		created, expires int64
		used             sql.NullInt64
	)
	err := tx.queryRow(`SELECT id, user_id, kind, created_at, expires_at, used_at FROM links WHERE hash = $1`, hash).
		Scan(&l.ID, &l.UserID, &l.Kind, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "this link is not valid; check that it was copied whole")
	}
	if err != nil {
		return nil, fmt.Errorf("look up link: %w", err)
	}
	l.Hash = hash
	l.CreatedAt, l.ExpiresAt = fromMicros(created), fromMicros(expires)
	if used.Valid {
		at := fromMicros(used.Int64)
		l.UsedAt = &at
	}
	return &l, nil
}

// UseLink marks the link used at at, failing if it already was: of two
// replicas using one link at once, one wins.
func (tx *Tx) UseLink(id string, at time.Time) error {
	res, err := tx.exec(`UPDATE links SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, id, at.UnixMicro())
	if err != nil {
		return fmt.Errorf("use link: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return oversight.Errorf(oversight.EUNAUTHORIZED, "this link was already used; ask an administrator for a new one")
	}
	return nil
}

// PutCeremony stores a ceremony's data, bound to binding, until expires.
func (tx *Tx) PutCeremony(id, binding string, data []byte, expires time.Time) error {
	_, err := tx.exec(`INSERT INTO ceremonies (id, binding, data, expires_at) VALUES ($1, $2, $3, $4)`, id, binding, data, expires.UnixMicro())
	return wrap(err, "store ceremony")
}

// TakeCeremony deletes and returns the data of a ceremony bound to
// binding and unexpired at now. Expired ceremonies are swept on the way.
func (tx *Tx) TakeCeremony(id, binding string, now time.Time) ([]byte, error) {
	var (
		data    []byte
		expires int64
		bound   string
	)
	err := tx.queryRow(`SELECT binding, data, expires_at FROM ceremonies WHERE id = $1`, id).Scan(&bound, &data, &expires)
	if _, derr := tx.exec(`DELETE FROM ceremonies WHERE id = $1 OR expires_at < $2`, id, now.UnixMicro()); derr != nil {
		return nil, fmt.Errorf("take ceremony: %w", derr)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows), err == nil && (bound != binding || !now.Before(fromMicros(expires))):
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "the passkey request expired or was already answered; try again")
	case err != nil:
		return nil, fmt.Errorf("take ceremony: %w", err)
	}
	return data, nil
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}
