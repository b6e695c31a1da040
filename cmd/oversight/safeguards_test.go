package main

// The safeguards kit run as a vendor runs it ("oversight safeguards test",
// the agent a process of its own, the in-process regulator) against the
// example tool, which passes every check, and against broken variants of
// it built here from its source, each of which fails exactly the check it
// breaks: the others pass, or are inconclusive because of that failure.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
