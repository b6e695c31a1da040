package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/oversight-dev/oversight"
)

// limit returns the page size to query: one more than asked, to learn
// whether another page follows.
func pageLimit(p oversight.Page) int {
	switch {
	case p.Limit <= 0:
		return 101
	case p.Limit > 1000:
		return 1001
	}
	return p.Limit + 1
}

// getDoc reads the doc column of one row into v; kind names the resource in
// a not-found error.
func (tx *Tx) getDoc(kind, query string, v any, args ...any) error {
	var doc string
	err := tx.queryRow(query, args...).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		id := ""
		if len(args) > 0 {
			id = fmt.Sprint(args[0])
		}
		return notFound(kind, id)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", kind, err)
	}
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("decode %s: %w", kind, err)
	}
	return nil
}

// findDoc reads the document that query selects, or nil when there is
// none: for lookups where absence is an answer, not an error.
func findDoc[T any](tx *Tx, kind, query string, args ...any) (*T, error) {
	var v T
	err := tx.getDoc(kind, query, &v, args...)
	if oversight.ErrorCode(err) == oversight.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// listDocs runs a query selecting doc and decodes each row.
// It returns the items and the cursor of the next page ("" if none).
func listDocs[T any](tx *Tx, kind string, page oversight.Page, id func(*T) string, query string, args ...any) ([]T, string, error) {
	return listRows(tx, kind, page, id, func(row rowScanner) (*T, error) {
		var doc string
		if err := row.Scan(&doc); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kind, err)
		}
		return &v, nil
	}, query, args...)
}

// eachDoc runs a query selecting doc and calls f with each row decoded,
// holding no more than one in memory.
func eachDoc[T any](tx *Tx, kind, query string, f func(*T), args ...any) error {
	rows, err := tx.query(query, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", kind, err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return fmt.Errorf("read %s: %w", kind, err)
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return fmt.Errorf("decode %s: %w", kind, err)
		}
		f(&v)
	}
	return rows.Err()
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(...any) error }

// listRows runs a query of one page (pageLimit(page) rows) and reads each row
// with scan. It returns the items and the cursor of the next page ("" if
// none).
func listRows[T any](tx *Tx, kind string, page oversight.Page, id func(*T) string, scan func(rowScanner) (*T, error), query string, args ...any) ([]T, string, error) {
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", kind, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list %s: %w", kind, err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list %s: %w", kind, err)
	}
	next := ""
	if len(out) == pageLimit(page) {
		out = out[:len(out)-1]
		next = id(&out[len(out)-1])
	}
	return out, next, nil
}

// where builds a WHERE clause from conditions whose values are not empty;
// each condition is "column = $" and is numbered in order.
type where struct {
	conds []string
	args  []any
}

// add adds the condition cond on v unless v is an empty string. The
// first "$" in cond not followed by "." is v's placeholder: a JSON path
// (SQLite's json_extract(doc, '$.stage')) has "$." of its own.
func (w *where) add(cond string, v any) {
	if s, ok := v.(string); ok && s == "" {
		return
	}
	i := strings.Index(strings.ReplaceAll(cond, "$.", "_."), "$")
	if i < 0 {
		panic("store: a list condition without its placeholder: " + cond) // a programming error, not input
	}
	w.args = append(w.args, v)
	w.conds = append(w.conds, cond[:i]+fmt.Sprintf("$%d", len(w.args))+cond[i+1:])
}

// sql returns the clause, the cursor condition and ORDER/LIMIT, and args.
func (w *where) sql(page oversight.Page) (string, []any) {
	w.add("id > $", page.After)
	clause := ""
	if len(w.conds) > 0 {
		clause = " WHERE " + strings.Join(w.conds, " AND ")
	}
	return clause + fmt.Sprintf(" ORDER BY id LIMIT %d", pageLimit(page)), w.args
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // domain types always marshal
	}
	return string(b)
}

func notFound(kind, id string) error { return oversight.NotFound(kind, id) }

// updateDoc runs an UPDATE whose first argument is the row's id and fails
// with not-found when no row matched.
func (tx *Tx) updateDoc(kind, query string, args ...any) error {
	res, err := tx.exec(query, args...)
	if err != nil {
		return fmt.Errorf("update %s %v: %w", kind, args[0], err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return notFound(kind, fmt.Sprint(args[0]))
	}
	return nil
}

// wrap adds context to err, if any.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
