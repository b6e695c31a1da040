package store

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/oversight-dev/oversight"
)

// AddProtected adds p to the protected-persons register and reports
// whether it was added: a hash already on the register is left as it is,
// with its first category, so that adding is idempotent.
func (tx *Tx) AddProtected(p *oversight.ProtectedPerson) (bool, error) {
	h, err := idHash(p.IDHash)
	if err != nil {
		return false, err
	}
	res, err := tx.exec(`INSERT INTO protected_persons (id_hash, category, added_by, added_at, log_index) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id_hash) DO NOTHING`,
		h, p.Category, p.AddedBy, p.AddedAt.UnixMicro(), p.LogIndex)
	if err != nil {
		return false, wrap(err, "add protected person")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "add protected person")
}

// Protected returns the register's entry for a target hash, or nil when
// the hash is not on it. The lookup is one primary-key probe.
func (tx *Tx) Protected(hash string) (*oversight.ProtectedPerson, error) {
	h, err := idHash(hash)
	if err != nil {
		return nil, err
	}
	var (
		pp      oversight.ProtectedPerson
		addedAt int64
	)
	err = tx.queryRow(`SELECT category, added_by, added_at, log_index FROM protected_persons WHERE id_hash = $1`, h).
		Scan(&pp.Category, &pp.AddedBy, &addedAt, &pp.LogIndex)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up protected person: %w", err)
	}
	pp.IDHash = hex.EncodeToString(h)
	pp.AddedAt = time.UnixMicro(addedAt).UTC()
	return &pp, nil
}

// CountProtected returns the number of entries on the register.
func (tx *Tx) CountProtected() (int, error) {
	var n int
	err := tx.queryRow(`SELECT count(*) FROM protected_persons`).Scan(&n)
	return n, wrap(err, "count protected persons")
}

// idHash decodes a target hash, in either case, to its 32 bytes.
func idHash(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, oversight.Errorf(oversight.EINVALID, "a target hash is 64 hex digits")
	}
	return b, nil
}
