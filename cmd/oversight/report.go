package main

import (
	"context"
	"fmt"
	"time"

	transparency "github.com/oversight-dev/oversight/report"
	"github.com/oversight-dev/oversight/tlog"
)

// ReportCmd recomputes the server's transparency report from its log.
type ReportCmd struct {
	Log          string   `name:"log" aliases:"server" env:"OVERSIGHT_SERVER" default:"${default_server}" placeholder:"URL" help:"The server whose report to check against its own log."`
	Key          string   `env:"OVERSIGHT_LOG_KEY" help:"The log's verifier key (origin+hash+key), pinned from a trusted source."`
	Checkpoint   string   `placeholder:"FILE" help:"Check against this saved checkpoint note (log checkpoint --save) instead of the latest."`
	Witness      []string `placeholder:"KEY" env:"OVERSIGHT_LOG_WITNESSES" help:"The verifier key of a witness you trust (repeatable): the checkpoint must carry its cosignature."`
	MinWitnesses int      `placeholder:"N" help:"How many of the --witness keys must have cosigned (default, or 0: all of them)."`
	From         string   `placeholder:"YYYY-MM-DD" help:"First day of the report (default: the log's first)."`
	To           string   `placeholder:"YYYY-MM-DD" help:"Last day of the report, included (default: the last with entries)."`
	Output       string   `short:"o" default:"text" enum:"text,json" help:"Output: text, or json (the report recomputed from the log)."`
}

// Help is shown by "oversight report --help".
func (c *ReportCmd) Help() string {
	return `Fetches the server's public transparency report, then reads the log itself through
its tiles, checks every entry against the signed checkpoint (and the witnesses'
cosignatures, with --witness), recomputes the report from those entries alone and
compares the two, figure by figure. Exits 0 if they are equal, 1 naming every figure
that differs: a server that published a figure its own log does not support is caught.

Examples:
  oversight report --log https://oversight.example --key "$OVERSIGHT_LOG_KEY"
  oversight report --from 2026-01-01 --to 2026-12-31 --checkpoint last.checkpoint
  oversight report -o json > recomputed.json`
}

// Run checks the report.
func (c *ReportCmd) Run(ctx context.Context, env *Env) error {
	lf := logFlags{Server: c.Log, Key: c.Key, Witness: c.Witness, MinWitnesses: c.MinWitnesses}
	vkey, err := lf.verifier()
	if err != nil {
		return err
	}
	for _, d := range []struct{ flag, v string }{{"--from", c.From}, {"--to", c.To}} {
		if _, err := time.Parse(transparency.DateLayout, d.v); d.v != "" && err != nil {
			return &exitError{code: exitUsage, msg: fmt.Sprintf("%s %q: want a date YYYY-MM-DD that exists", d.flag, d.v)}
		}
	}
	cl := lf.client()
	// The report first: the latest checkpoint, fetched after it, covers it.
	server, err := cl.TransparencyReport(ctx, c.From, c.To)
	if err != nil {
		return fmt.Errorf("the server's report: %w", err)
	}
	var cp tlog.Checkpoint
	if c.Checkpoint != "" {
		b, err := readFile(c.Checkpoint)
		if err != nil {
			return err
		}
		if cp, _, err = lf.verifyNote(b, vkey); err != nil {
			return fmt.Errorf("%s: %w", c.Checkpoint, err)
		}
	} else if cp, _, _, err = lf.checkpoint(ctx); err != nil {
		return err
	}
	// The tree the report names, proved to be the signed one or a prefix of it.
	root, err := tlog.ParseHash(server.Checkpoint.Root)
	if err != nil {
		return fmt.Errorf("the server's report names the root %q: %w", server.Checkpoint.Root, err)
	}
	named := tlog.Checkpoint{Origin: cp.Origin, Size: server.Checkpoint.Size, Root: root}
	switch {
	case server.Checkpoint.Origin != cp.Origin:
		return fmt.Errorf("the server's report is of the log %q, not %q", server.Checkpoint.Origin, cp.Origin)
	case named.Size > cp.Size:
		return fmt.Errorf("the server's report counts %d entries, more than the checkpoint you check against (%d): use a newer checkpoint", named.Size, cp.Size)
	}
	if err := cl.ProveConsistency(ctx, named, cp); err != nil {
		return fmt.Errorf("the tree the server's report names (size %d, root %s) is not the signed log's: %w", named.Size, named.Root, err)
	}
	start := time.Now()
	b := transparency.NewBuilder()
	if err := cl.VerifiedEntries(ctx, named, 0, b.Add); err != nil {
		return err
	}
	var from, to time.Time
	if server.From != "" {
		from, _ = time.Parse(transparency.DateLayout, server.From)
		to, _ = time.Parse(transparency.DateLayout, server.To)
	}
	log, err := b.Report(transparency.Checkpoint{Origin: named.Origin, Size: named.Size, Root: named.Root.String()}, from, to)
	if err != nil {
		return err
	}
	diffs := transparency.Compare(server, log)
	if c.Output == "json" {
		if err := printJSON(env.Stdout, log); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "read and verified the %d entries of the checkpoint of size %d (root %s) in %s\n",
			named.Size, named.Size, named.Root, time.Since(start).Round(time.Millisecond))
	}
	if len(diffs) > 0 {
		msg := fmt.Sprintf("the server's report from %s to %s differs from what its log shows, in %d figures:", server.From, server.To, len(diffs))
		for _, d := range diffs {
			msg += "\n  " + d.String()
		}
		return &exitError{code: exitError1, msg: msg}
	}
	if c.Output == "text" {
		fmt.Fprintf(env.Stdout, "the server's report from %s to %s equals the one recomputed from the log: %d figures checked\n",
			server.From, server.To, len(log.Cells()))
	}
	return nil
}
