package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reportsign"
)

func TestMain(m *testing.M) {
	// The scripts' and the process tests' "oversight" is this test binary
	// running main, signal handling included.
	testscript.Main(m, map[string]func(){"oversight": main})
}

// TestScripts runs the command-line scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup:               setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// setenvout NAME sets NAME to the last command's standard output,
			// trimmed: the scripts' "$(…)".
			"setenvout": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: setenvout NAME")
				}
				ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile("stdout")))
			},
			"safeguards-report": safeguardsReport,
		},
	})
}

// safeguardsReport writes a fixture safeguards report, as the kit would
// write one: safeguards-report [-fail CHECK] [-edited] PRODUCT FILE. With
// -fail the check failed; with -edited the report was changed after it
// was signed to say that it passed.
func safeguardsReport(ts *testscript.TestScript, neg bool, args []string) {
	fail, edited := "", false
	for len(args) > 2 {
		switch args[0] {
		case "-fail":
			fail, args = args[1], args[2:]
		case "-edited":
			edited, args = true, args[1:]
		default:
			args = nil
		}
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: safeguards-report [-fail CHECK] [-edited] PRODUCT FILE")
	}
	var failed []string
	if fail != "" {
		failed = append(failed, fail)
	}
	r := reportsign.Fixture(args[0], failed...)
	if edited {
		for i := range r.Checks {
			r.Checks[i].Result = oversight.CheckPass
		}
		r.Passed = true
	}
	b, err := json.MarshalIndent(r, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
}
