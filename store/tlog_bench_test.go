package store_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// BenchmarkAppendDurable measures durable appends to the audit log on the
// embedded SQLite store (the WAL fsynced before every acknowledgement) with concurrent writers: each
// operation is one Update that records one small event, and returns only
// once its group commit is on disk. leaves/s is the figure to compare with
// the SHA-256 rate (tlog's BenchmarkSHA256). Run it with
//
//	go test ./store -run '^$' -bench AppendDurable -benchtime 100000x
func BenchmarkAppendDurable(b *testing.B) {
	payload := struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}{"permit", "within the licence's scope"}
	for _, writers := range []int{16, 64, 256, 1024} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := storetest.Open(b, "sqlite")
			ctx := context.Background()
			// RunParallel starts parallelism × GOMAXPROCS goroutines.
			b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					err := s.Update(ctx, func(tx *store.Tx) error {
						_, err := tx.Record("operation.decided", "dep_bench", "op_bench", time.Now(), payload)
						return err
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}
