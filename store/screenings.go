package store

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// CreateScreening inserts the record of a screening that starts.
func (tx *Tx) CreateScreening(sc *oversight.Screening) error {
	_, err := tx.exec(`INSERT INTO screenings (id, actor, kind, started_at) VALUES ($1, $2, $3, $4)`,
		sc.ID, sc.Actor, sc.Kind, sc.StartedAt.UnixMicro())
	return wrap(err, "create screening %s", sc.ID)
}

// FinishScreening records the end of a screening: its counts, digest and
// the log index of its event.
func (tx *Tx) FinishScreening(sc *oversight.Screening) error {
	digest, err := hex.DecodeString(sc.Digest)
	if err != nil {
		return fmt.Errorf("finish screening %s: digest: %w", sc.ID, err)
	}
	var finished sql.NullInt64
	if sc.FinishedAt != nil {
		finished = sql.NullInt64{Int64: sc.FinishedAt.UnixMicro(), Valid: true}
	}
	var idx sql.NullInt64
	if sc.LogIndex != nil {
		idx = sql.NullInt64{Int64: *sc.LogIndex, Valid: true}
	}
	return tx.updateDoc("screening", `UPDATE screenings SET finished_at = $2, rows_count = $3, errors = $4, digest = $5, log_index = $6 WHERE id = $1`,
		sc.ID, finished, sc.Rows, sc.Errors, digest, idx)
}

// screeningRowsPerInsert bounds the rows of one INSERT statement: 8
// parameters a row stays far below both databases' limits.
const screeningRowsPerInsert = 100

// AddScreeningRows inserts rows of screening id, many to a statement.
func (tx *Tx) AddScreeningRows(id string, rows []oversight.ScreeningRow) error {
	for len(rows) > 0 {
		n := min(len(rows), screeningRowsPerInsert)
		var q strings.Builder
		q.WriteString(`INSERT INTO screening_rows (screening_id, row_num, at, name_hash, query_hash, matches, top_designation, top_score) VALUES `)
		args := make([]any, 0, 8*n)
		for i, r := range rows[:n] {
			nh, err1 := hex.DecodeString(r.NameHash)
			qh, err2 := hex.DecodeString(r.QueryHash)
			if err := errors.Join(err1, err2); err != nil {
				return fmt.Errorf("screening %s row %d: %w", id, r.Row, err)
			}
			if i > 0 {
				q.WriteString(", ")
			}
			b := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", b+1, b+2, b+3, b+4, b+5, b+6, b+7, b+8)
			var score sql.NullFloat64
			if r.TopDesignation != "" {
				score = sql.NullFloat64{Float64: r.TopScore, Valid: true}
			}
			args = append(args, id, r.Row, r.At.UnixMicro(), nh, qh, r.Matches, nullString(r.TopDesignation), score)
		}
		if _, err := tx.exec(q.String(), args...); err != nil {
			return fmt.Errorf("add rows of screening %s: %w", id, err)
		}
		rows = rows[n:]
	}
	return nil
}

// Screening returns the record of screening id.
func (tx *Tx) Screening(id string) (*oversight.Screening, error) {
	sc, err := scanScreening(tx.queryRow(`SELECT `+screeningColumns+` FROM screenings WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("screening", id)
	}
	return sc, wrap(err, "read screening %s", id)
}

// Screenings lists the screenings of actor that have a row whose name
// hash is nameHash (hex), newest first; an empty actor or nameHash
// matches every screening.
func (tx *Tx) Screenings(actor, nameHash string, page oversight.Page) ([]oversight.Screening, string, error) {
	var w where
	w.add("actor = $", actor)
	if nameHash != "" {
		h, err := hex.DecodeString(nameHash)
		if err != nil {
			return nil, "", fmt.Errorf("list screenings: name hash: %w", err)
		}
		w.add("id IN (SELECT screening_id FROM screening_rows WHERE name_hash = $)", h)
	}
	clause, args := w.newestFirst(page)
	return listRows(tx, "screenings", page, func(sc *oversight.Screening) string { return sc.ID }, scanScreening,
		`SELECT `+screeningColumns+` FROM screenings`+clause, args...)
}

// ScreeningRows calls f with the rows of screening id, in row order.
func (tx *Tx) ScreeningRows(id string, f func(oversight.ScreeningRow) error) error {
	rows, err := tx.query(`SELECT row_num, at, name_hash, query_hash, matches, top_designation, top_score FROM screening_rows WHERE screening_id = $1 ORDER BY row_num`, id)
	if err != nil {
		return fmt.Errorf("rows of screening %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r      oversight.ScreeningRow
			at     int64
			nh, qh []byte
			top    sql.NullString
			score  sql.NullFloat64
		)
		if err := rows.Scan(&r.Row, &at, &nh, &qh, &r.Matches, &top, &score); err != nil {
			return fmt.Errorf("rows of screening %s: %w", id, err)
		}
		r.At = time.UnixMicro(at).UTC()
		r.NameHash, r.QueryHash = hex.EncodeToString(nh), hex.EncodeToString(qh)
		r.TopDesignation, r.TopScore = top.String, score.Float64
		if err := f(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

const screeningColumns = `id, actor, kind, started_at, finished_at, rows_count, errors, digest, log_index`

func scanScreening(row rowScanner) (*oversight.Screening, error) {
	var (
		sc       oversight.Screening
		started  int64
		finished sql.NullInt64
		digest   []byte
		idx      sql.NullInt64
	)
	if err := row.Scan(&sc.ID, &sc.Actor, &sc.Kind, &started, &finished, &sc.Rows, &sc.Errors, &digest, &idx); err != nil {
		return nil, err
	}
	sc.StartedAt = time.UnixMicro(started).UTC()
	if finished.Valid {
		t := time.UnixMicro(finished.Int64).UTC()
		sc.FinishedAt = &t
	}
	if len(digest) > 0 {
		sc.Digest = hex.EncodeToString(digest)
	}
	if idx.Valid {
		sc.LogIndex = &idx.Int64
	}
	return &sc, nil
}
