package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// Every command explains itself: --help exits 0 and prints its usage and a
// description, and so does the bare program.
func TestHelpEverywhere(t *testing.T) {
	var cli CLI
	parser, err := kong.New(&cli, modelOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	var paths [][]string
	var walk func(n *kong.Node, path []string)
	walk = func(n *kong.Node, path []string) {
		if n.Type == kong.CommandNode {
			path = append(append([]string(nil), path...), n.Name)
			paths = append(paths, path)
		}
		for _, c := range n.Children {
			walk(c, path)
		}
	}
	walk(parser.Model.Node, nil)
	if len(paths) < 20 {
		t.Fatalf("found only %d commands; the walk is broken", len(paths))
	}
	paths = append(paths, nil) // the program itself
	for _, p := range paths {
		name := strings.Join(p, " ")
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), append(p, "--help"), &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			usage := strings.TrimSpace("Usage: oversight " + name)
			if !strings.HasPrefix(out.String(), usage) {
				t.Errorf("help does not start with %q:\n%s", usage, out.String())
			}
			if lines := strings.Count(out.String(), "\n"); lines < 4 {
				t.Errorf("help is too thin:\n%s", out.String())
			}
		})
	}
}

// Unknown commands and flags are usage errors: exit 2 with a message.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"license", "list", "--colour"}, {"license", "show"}} {
		var out, errb bytes.Buffer
		code := Run(context.Background(), args, &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), "oversight:") {
			t.Errorf("%v: no error message: %q", args, errb.String())
		}
	}
}
