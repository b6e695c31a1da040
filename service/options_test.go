package service_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// Every option New refuses, each refused with a message naming it; the
// zero Options and the edges of each range are accepted.
func TestOptionsRefused(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	il := *oversight.BuiltinTemplates()[0]
	il.Version++
	unnamed := il
	unnamed.ID = ""
	for _, tc := range []struct {
		desc string
		opts service.Options
		want string // "" for accepted
	}{
		{"zero", service.Options{}, ""},
		{"short pepper", service.Options{SitePepper: make([]byte, 15)}, "site pepper: 15 bytes"},
		{"shortest pepper", service.Options{SitePepper: make([]byte, 16)}, ""},
		{"short screening key", service.Options{ScreeningKey: make([]byte, 8)}, "screening key: 8 bytes"},
		{"lease key not Ed25519", service.Options{LeaseKey: make([]byte, 32)}, "lease key: 32 bytes"},
		{"lease too short", service.Options{LeaseTTL: 2 * time.Second}, "lease lifetime 2s"},
		{"shortest lease", service.Options{LeaseTTL: 3 * time.Second}, ""},
		{"lease too long", service.Options{LeaseTTL: 25 * time.Hour}, "lease lifetime 25h0m0s"},
		{"lease not whole seconds", service.Options{LeaseTTL: 1500 * time.Millisecond * 3}, "lease lifetime 4.5s"},
		{"negative permit lifetime", service.Options{PermitLifetime: -time.Second}, "permit lifetime -1s"},
		{"negative batch rows", service.Options{MaxBatchRows: -1}, "batch rows -1"},
		{"template with a built-in id", service.Options{Templates: []*oversight.DeclarationTemplate{&il}}, "IL-2021 defined twice"},
		{"invalid template", service.Options{Templates: []*oversight.DeclarationTemplate{&unnamed}}, "invalid"},
		{"two refusals at once", service.Options{SitePepper: []byte{1}, MaxBatchRows: -5}, "batch rows -5"},
	} {
		tc.opts.Logger = slog.New(slog.DiscardHandler)
		_, err := service.New(t.Context(), st, tc.opts)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.desc, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error saying %q", tc.desc, err, tc.want)
		}
	}
}
