package store

import (
	"context"
	"path/filepath"
	"testing"
)

// The store has one table of prepared statements: on SQLite every one of
// them, the committer's and the decision's, is prepared when the store
// opens, on the writer's connection, and closed with the store.
func TestStatementsPreparedAtOpen(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "o.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.c.prepared == nil {
		t.Fatal("no prepared statements on SQLite")
	}
	for id, st := range s.c.prepared {
		if st == nil {
			t.Errorf("statement %q is not prepared", stmtText[id])
		}
	}
}
