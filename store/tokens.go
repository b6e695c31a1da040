package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
)

// CreateToken inserts t; only the hash of its secret is stored.
func (tx *Tx) CreateToken(t *oversight.Token) error {
	p := t.Principal
	_, err := tx.exec(`INSERT INTO tokens (id, hash, role, vendor_id, end_user_id, name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Hash, p.Role, nullable(p.VendorID), nullable(p.EndUserID), p.Name, t.CreatedAt.UnixMicro())
	return wrap(err, "create token %s", t.ID)
}

// TokenByHash returns the unrevoked token whose secret hashes to hash.
func (tx *Tx) TokenByHash(hash []byte) (*oversight.Token, error) {
	var (
		t          oversight.Token
		vendor, eu sql.NullString
		created    int64
	)
	err := tx.queryRow(`SELECT id, role, vendor_id, end_user_id, name, created_at FROM tokens WHERE hash = $1 AND revoked_at IS NULL`, hash).
		Scan(&t.ID, &t.Principal.Role, &vendor, &eu, &t.Principal.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "unknown or revoked token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	t.Hash = hash
	t.Principal.TokenID = t.ID
	t.Principal.VendorID = vendor.String
	t.Principal.EndUserID = eu.String
	t.CreatedAt = time.UnixMicro(created).UTC()
	return &t, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
