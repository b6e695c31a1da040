package demo

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

// A second claim on a directory whose demo runs is refused and removes
// nothing; once the first is released, a claim starts from nothing.
func TestClaim(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	release, err := Claim(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(dir, DB), filepath.Join(dir, DB+"-wal"), filepath.Join(dir, Keys, "log.key")}
	os.Mkdir(filepath.Join(dir, Keys), 0o700)
	for _, f := range files {
		if err := os.WriteFile(f, []byte("running demo"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := Claim(dir); !errors.Is(err, ErrRunning) {
		t.Fatalf("second claim: err = %v, want ErrRunning", err)
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err != nil || string(b) != "running demo" {
			t.Errorf("%s after a refused claim: %q, %v", f, b, err)
		}
	}

	release()
	release, err = Claim(dir)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	defer release()
	for _, f := range files {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived a new demo: %v", f, err)
		}
	}
}

// The demo's sites used their licences (issue 17): its decisions are in
// the service's records, mostly permits, and denials for each clause the
// demo means to show; the public report, computed from the log, counts
// them, so that /transparency shows uses decided, permitted and denied and
// denials by clause.
func TestDemoUses(t *testing.T) {
	ctx := t.Context()
	svc, err := service.New(ctx, storetest.Open(t, "sqlite"), service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := Load(ctx, svc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(tokens, func(tok Token) bool { return tok.Env == "ADMIN" })
	admin, err := svc.Authenticate(ctx, tokens[i].Secret)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := svc.Operations(ctx, admin, oversight.OperationFilter{}, oversight.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[oversight.Verdict]int{}
	codes := map[string]int{} // of denials; RESTRICT-<action> as RESTRICT-
	for _, op := range ops.Items {
		verdicts[op.Decision]++
		if op.Decision != oversight.Deny {
			continue
		}
		for _, r := range op.Reasons {
			code, _, _ := strings.Cut(r.Code, "act_")
			codes[code]++
		}
	}
	n := len(ops.Items)
	if n < 40 || n > 200 || verdicts[oversight.Permit] < n*3/4 || verdicts[oversight.Deny] == 0 {
		t.Errorf("%d decisions: %v; want 40 to 200, mostly permits", n, verdicts)
	}
	for _, want := range []string{"SCOPE-COUNTRY", "SCOPE-PURPOSE", "SCOPE-PROTECTED", "RESTRICT-", "IL2021-4", "IL2021-7"} {
		if codes[want] == 0 {
			t.Errorf("no denial citing %s: %v", want, codes)
		}
	}

	rep, err := svc.TransparencyReport(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var decided, permitted, denied, byClause int64
	for _, r := range rep.Rows {
		decided, permitted, denied = decided+r.Decided, permitted+r.Permitted, denied+r.UsesDenied
	}
	for _, c := range rep.Denials {
		byClause += c.Count
	}
	if decided != int64(n) || permitted != int64(verdicts[oversight.Permit]) || denied != int64(verdicts[oversight.Deny]) || byClause < denied {
		t.Errorf("the report counts %d uses decided, %d permitted, %d denied, %d denials by clause; the records hold %d: %v",
			decided, permitted, denied, byClause, n, verdicts)
	}
}
