package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

// On SQLite an Update returns only after the WAL's fsync: when the fsync
// fails, the callers of the batch hear it, and the store takes no more
// writes, since nothing is known of what reached the disk.
func TestFailedFsyncStopsWrites(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "o.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := &oversight.Vendor{ID: oversight.NewID(oversight.PrefixVendor), Name: "V", Country: "IL", CreatedAt: time.Now()}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.CreateVendor(v) }); err != nil {
		t.Fatal(err)
	}
	// Make the next fsync fail: the WAL is looked for elsewhere.
	done := make(chan struct{})
	s.c.durable <- &committedBatch{batch: []*request{{ctx: ctx, done: done}}}
	<-done // the sync loop is idle now, and owns no batch
	s.c.wal.Close()
	s.c.wal = nil
	s.c.walPath = filepath.Join(t.TempDir(), "missing", "o.db-wal")

	v2 := &oversight.Vendor{ID: oversight.NewID(oversight.PrefixVendor), Name: "W", Country: "IL", CreatedAt: time.Now()}
	err = s.Update(ctx, func(tx *Tx) error { return tx.CreateVendor(v2) })
	if err == nil {
		t.Fatal("Update succeeded although its fsync failed")
	}
	err = s.Update(ctx, func(tx *Tx) error { return nil })
	if oversight.ErrorCode(err) != oversight.EUNAVAILABLE {
		t.Fatalf("Update after a failed fsync: err = %v, want unavailable", err)
	}
}

// A caller that hears back sees its own write in the log head.
func TestLogHeadPublishedBeforeReturn(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "o.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 50 {
		var idx int64
		err := s.Update(ctx, func(tx *Tx) error {
			var err error
			idx, err = tx.Record("test.event", "system", "x", time.Now(), map[string]int{"i": i})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if h := s.LogHead(); h.Size <= idx {
			t.Fatalf("after recording index %d, LogHead().Size = %d", idx, h.Size)
		}
	}
}
