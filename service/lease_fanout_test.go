package service_test

import (
	"context"
	"database/sql"
	"log/slog"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// Two replicas share a PostgreSQL database: an action committed on one
// reaches the event stream open on the other at once.
func TestFanoutBetweenReplicas(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	w := newUseWorld(t, storetest.OpenDSN(t, dsn), useOptions{})
	b, err := service.New(t.Context(), storetest.OpenDSN(t, dsn), service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	for _, s := range []*service.Service{w.svc, b} {
		go func() { s.RunFanout(ctx); done <- struct{}{} }()
	}
	defer func() {
		cancel()
		<-done
		<-done
	}()
	waitListeners(t, dsn, 2)

	// The deployment's stream is on replica b.
	watch, err := b.WatchDeployment(ctx, w.nonce(w.dep), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	next := func() service.PushEvent {
		t.Helper()
		nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ev, err := watch.Next(nctx)
		if err != nil {
			t.Fatalf("waiting for an event on replica b: %v", err)
		}
		return ev
	}
	if ev := next(); ev.Type != oversight.PushLease {
		t.Fatalf("first event %s, want lease", ev.Type)
	}

	// The suspension is committed on replica a.
	a, err := w.svc.RequestAction(ctx, w.defense, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "relayed"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ev := next()
	n, ok := ev.Data.(*oversight.ShutdownNotice)
	if ev.Type != oversight.PushShutdown || !ok || n.ActionID != a.ID || n.Reason != "relayed" || ev.ID != a.LogIndex {
		t.Fatalf("replica b got %s %+v (id %d), want the shutdown of %s", ev.Type, ev.Data, ev.ID, a.ID)
	}
	t.Logf("relayed in %s", time.Since(start))
}

// waitListeners waits until n connections listen on the database.
func waitListeners(t *testing.T, dsn string, n int) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var got int
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %oversight_licence_changes%'`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d listeners, want %d", got, n)
		}
	}
}

// On SQLite there is one process: RunFanout has nothing to do.
func TestFanoutSQLite(t *testing.T) {
	s, err := service.New(t.Context(), storetest.Open(t, "sqlite"), service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.RunFanout(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("RunFanout kept running on SQLite")
	}
}
