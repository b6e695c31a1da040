package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestPolicyEvalExitStatus runs "policy eval" on the files of the
// policy_eval and policy_errors scripts and checks the exit status the
// scripts cannot: 0 permit, 3 deny, 2 bad input.
func TestPolicyEvalExitStatus(t *testing.T) {
	dir := t.TempDir()
	for _, script := range []string{"policy_eval.txt", "policy_errors.txt"} {
		a, err := txtar.ParseFile(filepath.Join("testdata", "script", script))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			name := filepath.Join(dir, f.Name)
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	testCases := []struct {
		desc string
		args string
		want int
	}{
		{"permit", "--license license.json --request permit.json --now 2026-06-01T12:00:00Z", 0},
		{"deny", "--license license.json --request deny.json --now 2026-06-01T12:00:00Z", 3},
		{"deny: protected target", "--license license.json --request permit.json --protected protected.txt --now 2026-06-01T12:00:00Z", 3},
		{"deny: quota", "--license license.json --request permit.json --active 50 --now 2026-06-01T12:00:00Z", 3},
		{"bad request", "--license license.json --request bad-request.json", 2},
		{"bad licence", "--license bad-license.json --request permit.json", 2},
		{"unknown template", "--license unknown-template.json --request permit.json", 2},
		{"bad register", "--license license.json --request permit.json --protected bad-protected.txt", 2},
		{"missing file", "--license license.json --request missing.json", 2},
		{"bad --now", "--license license.json --request permit.json --now tomorrow", 2},
		{"missing flag", "--request permit.json", 2},
	}
	for _, tC := range testCases {
		t.Run(tC.desc, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{"policy", "eval"}
			for _, a := range strings.Fields(tC.args) {
				if strings.HasSuffix(a, ".json") || strings.HasSuffix(a, ".txt") {
					a = filepath.Join(dir, a)
				}
				args = append(args, a)
			}
			env := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
			if got := Run(context.Background(), args, env); got != tC.want {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tC.want, &stdout, &stderr)
			}
		})
	}
}
