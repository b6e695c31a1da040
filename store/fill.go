package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/oversight-dev/oversight"
)

// fillColumns fills the columns that migrations added for what the rows'
// documents already said, in rows written before: the two databases read
// JSON differently, so it is done here, once, rather than in SQL. A row is
// filled once: NULL means not yet.
func (s *Store) fillColumns(ctx context.Context) error {
	err := s.fillColumn(ctx, "deployments", "public_key", func(doc []byte) (any, error) {
		var d oversight.Deployment
		err := json.Unmarshal(doc, &d)
		return nullable(d.PublicKey), err
	})
	if err != nil {
		return err
	}
	return s.fillColumn(ctx, "licenses", "declaration_id", func(doc []byte) (any, error) {
		var l oversight.License
		err := json.Unmarshal(doc, &l)
		return l.DeclarationID, err
	})
}

// fillColumn sets column of every row of table where it is NULL to what
// value reads in the row's doc. A value the column's unique index refuses
// (a deployment key registered twice before the index existed) is left
// NULL: the row that holds it keeps it.
func (s *Store) fillColumn(ctx context.Context, table, column string, value func(doc []byte) (any, error)) error {
	rows, err := s.wdb.QueryContext(ctx, `SELECT id, doc FROM `+table+` WHERE `+column+` IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("fill %s.%s: %w", table, column, err)
	}
	type fill struct {
		id string
		v  any
	}
	var todo []fill
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			rows.Close()
			return fmt.Errorf("fill %s.%s: %w", table, column, err)
		}
		v, err := value([]byte(doc))
		if err != nil {
			rows.Close()
			return fmt.Errorf("fill %s.%s: decode %s: %w", table, column, id, err)
		}
		if v != nil {
			todo = append(todo, fill{id, v})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fill %s.%s: %w", table, column, err)
	}
	for _, f := range todo {
		_, err := s.wdb.ExecContext(ctx, `UPDATE `+table+` SET `+column+` = $2 WHERE id = $1`, f.id, f.v)
		if err != nil && !isUniqueViolation(err) {
			return fmt.Errorf("fill %s.%s: %s: %w", table, column, f.id, err)
		}
	}
	return nil
}
