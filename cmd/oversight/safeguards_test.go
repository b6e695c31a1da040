package main

// The safeguards kit run as a vendor runs it ("oversight safeguards test",
// the agent a process of its own, the in-process regulator) against the
// example tool, which passes every check, and against broken variants of
// it built here from its source, each of which fails exactly the check it
// breaks: the others pass, or are inconclusive because of that failure.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reportsign"
)

// toolVariant is the example tool with one safeguard broken: old, in its
// source, replaced by new.
type toolVariant struct {
	name, old, new string
	fails          string // the one check that must fail; "" for none
}

var toolVariants = []toolVariant{
	{name: "compliant"},
	{name: "ignores SIGTERM", fails: oversight.CheckShutdown,
		old: "signal.Notify(stop, syscall.SIGTERM, os.Interrupt)",
		new: "signal.Ignore(syscall.SIGTERM); signal.Notify(stop, os.Interrupt)"},
	{name: "double-forks a worker that survives", fails: oversight.CheckContainment,
		old: `cmd := exec.Command(self, "worker")`,
		new: `cmd := exec.Command("sh", "-c", "setsid \"$0\" worker-that-stays </dev/null &", self)`},
	{name: "goes ahead without asking", fails: oversight.CheckAskBeforeUse,
		old: "d, err := authorize(r.Context(), agent, &req)",
		new: `_ = agent; d, err := decision{Decision: "permit"}, error(nil)`},
	{name: "ignores a deny", fails: oversight.CheckDenyHonoured,
		old: `if err != nil || d.Decision != "permit" {`,
		new: `if err != nil {`},
}

// A worker that stays: it ignores SIGTERM, for the double fork variant.
const stayingWorker = `
func init() {
	if len(os.Args) > 1 && os.Args[1] == "worker-that-stays" {
		signal.Ignore(syscall.SIGTERM)
		select {}
	}
}
`

// buildTool builds the example tool, with v's change, into dir.
func buildTool(t *testing.T, v toolVariant, dir string) string {
	t.Helper()
	src, err := os.ReadFile("../../examples/tool/main.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	if v.old != "" {
		if !strings.Contains(s, v.old) {
			t.Fatalf("the example tool no longer contains %q: update the variant %q", v.old, v.name)
		}
		s = strings.Replace(s, v.old, v.new, 1) + stayingWorker
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/tool\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "tool")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", v.name, err, out)
	}
	return bin
}

// shortTemp is a temporary directory for the kit's run directory, which
// it keeps when a check fails: removed at the end of the test, and short,
// since the agent's socket is in it (a socket's path is at most 107 bytes).
func shortTemp(t *testing.T) string {
	dir, err := os.MkdirTemp("", "kit")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestSafeguardsKit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the kit five times")
	}
	for _, v := range toolVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tool := buildTool(t, v, dir)
			report := filepath.Join(dir, "report.json")
			cmd := exec.Command("oversight", "safeguards", "test", "--product", "prd_01kit0test", "--driver", tool+" do",
				"--report", report, "--key", filepath.Join(dir, "kit.pem"), "--", tool, "serve")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "TMPDIR="+shortTemp(t))
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			b, rerr := os.ReadFile(report)
			if rerr != nil {
				t.Fatalf("no report: %v\n%s", rerr, out)
			}
			var r oversight.SafeguardReport
			if err := oversight.DecodeJSON(b, &r); err != nil {
				t.Fatalf("report: %v", err)
			}
			if err := reportsign.Verify(&r); err != nil {
				t.Errorf("the report's signature: %v", err)
			}
			if err := r.Validate(); err != nil {
				t.Errorf("the report: %v", err)
			}
			for _, c := range r.Checks {
				switch {
				case c.Name == v.fails && c.Result != oversight.CheckFail:
					t.Errorf("%s: %s, want fail: %s", c.Name, c.Result, c.Observed)
				case c.Name != v.fails && c.Result == oversight.CheckFail:
					t.Errorf("%s: fail, want pass: %s", c.Name, c.Observed)
				case v.fails == "" && c.Result != oversight.CheckPass:
					t.Errorf("%s: %s, want pass: %s", c.Name, c.Result, c.Observed)
				}
			}
			if wantExit := map[bool]int{true: 0, false: 1}[v.fails == ""]; cmd.ProcessState.ExitCode() != wantExit || r.Passed != (v.fails == "") {
				t.Errorf("exit status %d, passed %v; want %d", cmd.ProcessState.ExitCode(), r.Passed, wantExit)
			}
			if t.Failed() {
				t.Logf("kit output:\n%s", out)
			}
		})
	}
}

// Against a staging regulator ("serve --demo", a process), the run is
// countersigned by the regulator, and the report attached to the demo
// product at the testing stage gets it approved at export_ready, the review
// showing the report countersigned by this regulator.
func TestSafeguardsKitServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the kit against a server")
	}
	t.Parallel()
	s := startDemo(t, 3*time.Second)
	st := register(t, s)
	dir := t.TempDir()
	tool := buildTool(t, toolVariants[0], dir)
	ps, err := s.as("VENDOR").Products(context.Background(), oversight.ProductFilter{}, oversight.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	product := ""
	for _, p := range ps.Items {
		if p.Name == "Merlin" && p.Stage == oversight.StageTesting {
			product = p.ID
		}
	}
	if product == "" {
		t.Fatal("the demo has no product approved at testing")
	}
	report := filepath.Join(dir, "report.json")
	cmd := exec.Command("oversight", "safeguards", "test", "--server", s.URL, "--deployment", st.dep, "--agent-key", st.key,
		"--lease-key", s.LeaseKey, "--product", product, "--driver", tool+" do", "--report", report, "--key", filepath.Join(dir, "kit.pem"),
		"--", tool, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OVERSIGHT_DEFENSE_TOKEN="+s.Tokens["DEFENSE"], "OVERSIGHT_FOREIGN_TOKEN="+s.Tokens["FOREIGN"], "TMPDIR="+shortTemp(t))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kit against the server: %v\n%s", err, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r oversight.SafeguardReport
	if err := oversight.DecodeJSON(b, &r); err != nil {
		t.Fatal(err)
	}
	if err := reportsign.Verify(&r); err != nil || r.Countersignature == nil || r.Countersignature.Key != s.LeaseKey ||
		r.Countersignature.Operations < 5 || r.Countersignature.Actions != 3 {
		t.Fatalf("countersignature %+v: %v", r.Countersignature, err)
	}

	vendor := []string{"OVERSIGHT_SERVER=" + s.URL, "OVERSIGHT_TOKEN=" + s.Tokens["VENDOR"]}
	defense := []string{"OVERSIGHT_SERVER=" + s.URL, "OVERSIGHT_TOKEN=" + s.Tokens["DEFENSE"]}
	rev := strings.TrimSpace(run(t, vendor, "review", "submit", product, "--stage", "export_ready", "--dossier", "Release",
		"--safeguard", "lease_enforcement", "--safeguard", "audit_hook", "--safeguard", "blocked_countries", "--safeguard", "protected_persons",
		"--evidence", report, "-o", "id"))
	run(t, defense, "review", "decide", rev, "--decision", "approve")
	show := run(t, defense, "review", "show", rev)
	for _, want := range []string{"passes; countersigned by this regulator", "lease_enforcement", "status"} {
		if !strings.Contains(show, want) {
			t.Errorf("review show lacks %q:\n%s", want, show)
		}
	}
}
