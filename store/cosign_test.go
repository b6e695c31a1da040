package store_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
	"github.com/oversight-dev/oversight/tlog"
	"github.com/oversight-dev/oversight/witness"
)

// A checkpoint signed while its witness was unreachable is submitted again
// once the witness is back, although the log did not grow, and the
// cosigned note is stored: a restarted server serves it.
func TestLogCosignedWhenTheWitnessIsBack(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			skey, vkey, err := tlog.GenerateKey(store.DefaultLogOrigin)
			if err != nil {
				t.Fatal(err)
			}
			logger := slog.New(slog.DiscardHandler)
			w, err := witness.Open(ctx, witness.Config{Dir: filepath.Join(t.TempDir(), "witness"), Name: "witness.example/w1", Logs: []string{vkey}, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			var down atomic.Bool
			down.Store(true)
			h := w.Handler()
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if down.Load() {
					http.Error(rw, "down for maintenance", http.StatusServiceUnavailable)
					return
				}
				h.ServeHTTP(rw, r)
			}))
			defer srv.Close()
			peer, err := witness.ParsePeer(srv.URL + "+" + w.VerifierKey())
			if err != nil {
				t.Fatal(err)
			}
			wv := []note.Verifier{peer.Verifier}

			dsn := storetest.DSN(t, kind)
			s := storetest.OpenDSN(t, dsn)
			cosigner := witness.NewCosigner([]witness.Peer{peer}, s.ConsistencyProof, logger)
			err = s.StartLog(ctx, store.LogConfig{SignerKey: skey, Cosign: cosigner.Cosign,
				Interval: 10 * time.Millisecond, CosignRetry: 50 * time.Millisecond, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			record(t, s, 30)
			size := s.LogHead().Size
			sc := waitFor(t, s, func(sc *store.SignedCheckpoint) bool { return sc.Size == size })
			if _, _, err := tlog.VerifyCosigned(sc.Note, vkey, wv, 1); err == nil {
				t.Fatal("cosigned while the witness was down")
			}
			down.Store(false)
			sc = waitFor(t, s, func(sc *store.SignedCheckpoint) bool {
				_, _, err := tlog.VerifyCosigned(sc.Note, vkey, wv, 1)
				return err == nil
			})
			if sc.Size != size {
				t.Errorf("cosigned size %d, the log has %d", sc.Size, size)
			}
			s.Close()

			again := storetest.OpenDSN(t, dsn)
			if err := again.StartLog(ctx, store.LogConfig{SignerKey: skey, Interval: time.Hour, Logger: logger}); err != nil {
				t.Fatal(err)
			}
			sc, err = again.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := tlog.VerifyCosigned(sc.Note, vkey, wv, 1); err != nil || sc.Size != size {
				t.Errorf("after a restart, size %d: %v", sc.Size, err)
			}
		})
	}
}

// waitFor waits up to 10 s for the served checkpoint to satisfy ok.
func waitFor(t *testing.T, s *store.Store, ok func(*store.SignedCheckpoint) bool) *store.SignedCheckpoint {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		sc, err := s.Checkpoint(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ok(sc) {
			return sc
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint still %d:\n%s", sc.Size, sc.Note)
		}
	}
}
