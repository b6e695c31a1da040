package store

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"

	"github.com/oversight-dev/oversight"
)

//go:embed data/countries.csv
var countriesCSV []byte

// Countries returns the ISO 3166-1 list shipped with the program, every
// country unassessed.
func Countries() ([]oversight.Country, error) {
	r := csv.NewReader(bytes.NewReader(countriesCSV))
	r.Comment = '#'
	r.FieldsPerRecord = 3
	var out []oversight.Country
	for line := 0; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("countries.csv: %w", err)
		}
		if line == 0 {
			continue // header
		}
		out = append(out, oversight.Country{ISO2: rec[0], Name: rec[1], CallingCode: rec[2], Tier: oversight.TierUnassessed})
	}
}

// seed inserts reference data that is missing: the country list. It is not
// a state change, so it records no event; a tier set by an officer is one.
func (s *Store) seed(ctx context.Context) error {
	var n int
	if err := s.wdb.QueryRowContext(ctx, `SELECT count(*) FROM countries`).Scan(&n); err != nil {
		return fmt.Errorf("seed countries: %w", err)
	}
	cs, err := Countries()
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
