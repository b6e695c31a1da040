package service_test

import (
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store/storetest"
)

// BenchmarkAuthorize measures one per-use decision through the service,
// with every decision durable before its answer (the SQLite WAL fsynced),
// on a licence whose quota never binds: serially, then from concurrent
// callers sharing the group commit.
func BenchmarkAuthorize(b *testing.B) {
	w := newUseWorld(b, storetest.Open(b, "sqlite"), useOptions{maxActive: 1000000})
	r := request(w.dep)
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			dec, err := w.svc.Authorize(w.ctx, w.dep, w.nonce(w.dep), r)
			if err != nil || dec.Decision != oversight.Permit {
				b.Fatal(dec, err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				dec, err := w.svc.Authorize(w.ctx, w.dep, w.nonce(w.dep), r)
				if err != nil || dec.Decision != oversight.Permit {
					b.Error(dec, err)
					return
				}
			}
		})
	})
}
