package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/oversight-dev/oversight"
)

// seed inserts reference data that is missing: the country list. It is not
// a state change, so it records no event; a tier set by an officer is one.
func (s *Store) seed(ctx context.Context) error {
	var n int
	if err := s.wdb.QueryRowContext(ctx, `SELECT count(*) FROM countries`).Scan(&n); err != nil {
		return fmt.Errorf("seed countries: %w", err)
	}
	cs, err := oversight.Countries()
	if err != nil {
		return err
	}
	if n >= len(cs) {
		return nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed countries: %w", err)
	}
	defer tx.Rollback()
	for _, c := range cs {
		doc, _ := json.Marshal(c)
		if _, err := tx.ExecContext(ctx, `INSERT INTO countries (iso2, tier, doc) VALUES ($1, $2, $3) ON CONFLICT (iso2) DO NOTHING`,
			c.ISO2, c.Tier, string(doc)); err != nil {
			return fmt.Errorf("seed country %s: %w", c.ISO2, err)
		}
	}
	return tx.Commit()
}
