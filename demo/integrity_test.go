package demo_test

import (
	"log/slog"
	"testing"

	"github.com/oversight-dev/oversight/demo"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// The demo's world, with licences in every state, restrictions, retired
// deployments and decisions, agrees with its log (issue 12 point 3): the
// check a server runs at start finds no mismatch in a world the server
// made, so that whatever it finds was made behind its back.
func TestDemoWorldAgreesWithItsLog(t *testing.T) {
	ctx := t.Context()
	svc, err := service.New(ctx, storetest.Open(t, "sqlite"), service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, svc, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	rep, err := svc.CheckIntegrity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if size := svc.Store().LogHead().Size; rep.Checked != size || size == 0 || len(rep.New) != 0 || svc.Ready(ctx) != nil {
		t.Fatalf("checked %d entries: %d mismatches %v", rep.Checked, len(rep.New), rep.New)
	}
}
