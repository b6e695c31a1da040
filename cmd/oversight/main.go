// Command oversight is the Oversight server, its enforcement agent and the
// command-line client of its API, in one binary. Run "oversight --help".
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// OVERSIGHT_CPUPROFILE: where the benchmarks (bench/report) have a
	// command write its CPU profile, up to its end or SIGTERM's.
	if f := os.Getenv("OVERSIGHT_CPUPROFILE"); f != "" {
		if w, err := os.Create(f); err == nil {
			pprof.StartCPUProfile(w) // os.Exit below closes w
		}
	}
	code := Run(ctx, os.Args[1:], &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	pprof.StopCPUProfile() // flushes the profile, if one was started
	os.Exit(code)
}

// Env is what a command may touch of the outside world. Tests pass their
// own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// CLI is the command tree. Each command is a struct with a Run method in a
// file of its own; kong builds help text from the tags.
type CLI struct {
	Serve ServeCmd `cmd:"" help:"Run the Oversight server: API, audit log, background jobs."`
	Agent AgentCmd `cmd:"" help:"Run the enforcement agent around a deployed tool; make its key (agent keygen)."`
	User  UserCmd  `cmd:"" help:"Manage users (people and their roles) directly in the database."`
	Token TokenCmd `cmd:"" help:"Manage API tokens of users directly in the database."`

	Vendor      VendorCmd      `cmd:"" help:"Register, list and change vendors."`
	Product     ProductCmd     `cmd:"" help:"Register and list products."`
	Review      ReviewCmd      `cmd:"" help:"Submit and decide development-stage reviews."`
	Safeguards  SafeguardsCmd  `cmd:"" help:"Prove a product's safeguards with the kit: runs it behind the agent, writes a signed report."`
	Country     CountryCmd     `cmd:"" help:"List countries and set their eligibility."`
	EndUser     EndUserCmd     `cmd:"" name:"end-user" help:"Register, list and change end-user agencies."`
	Declaration DeclarationCmd `cmd:"" help:"Sign and record end-user declarations."`
	License     LicenseCmd     `cmd:"" help:"Apply for, approve, deny and inspect licences."`
	Deployment  DeploymentCmd  `cmd:"" help:"Register deployments of a licensed tool and list them."`
	Policy      PolicyCmd      `cmd:"" help:"Evaluate operation requests against a declaration and a licence, offline."`
	Authorize   AuthorizeCmd   `cmd:"" help:"Ask the server for a decision on an operation request, signed as a deployment."`
	Operation   OperationCmd   `cmd:"" help:"List and show decided operations."`
	Protected   ProtectedCmd   `cmd:"" help:"Keep the protected-persons register: add hashes, import lists, hash identifiers."`
	Case        CaseCmd        `cmd:"" help:"Open, list, show and update misuse cases (officials)."`
	Complaint   ComplaintCmd   `cmd:"" help:"File a complaint without an account, read its status and add to it with its secret."`
	Complaints  ComplaintsCmd  `cmd:"" help:"List, show and triage complaints (officials)."`
	Evidence    EvidenceCmd    `cmd:"" help:"Import forensic reports (STIX bundles) and match them against declared infrastructure (officials)."`
	Log         LogCmd         `cmd:"" help:"Read and verify the public audit log: checkpoints, inclusion and consistency proofs."`
	Witness     WitnessCmd     `cmd:"" help:"Run a witness that cosigns the audit log's checkpoints, for anyone independent of the regulator."`
	Report      ReportCmd      `cmd:"" help:"Recompute the public transparency report from the audit log alone and compare it with the server's."`

	Designations DesignationsCmd `cmd:"" help:"Designate people for visa refusal, import lists, delist (defense, foreign_affairs)."`
	Screen       ScreenCmd       `cmd:"" help:"Screen a visa applicant's name, or a batch of names, against the designations; or offline against a list file."`
}

// exitError ends the program with a given status after printing its
// message, if any. Commands use it for outcomes that are not failures of the
// program, such as a deny from "policy eval" (status 3).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// Exit statuses.
const (
	exitOK     = 0
	exitError1 = 1 // the command failed
	exitUsage  = 2 // bad input: flags, arguments, files
)

// Run parses args, runs the command and returns the exit status.
func Run(ctx context.Context, args []string, env *Env) (code int) {
	var cli CLI
	exited := false
	parser, err := kong.New(&cli, append(modelOptions(),
		kong.Description("Oversight supervises commercial cyber-intrusion tools from development to use: "+
			"licences, per-use authorisation, enforcement, visa screening and a public audit log."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Writers(env.Stdout, env.Stderr),
		kong.Exit(func(c int) { exited = true; code = c }),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Bind(env),
	)...)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oversight: %v\n", err)
		return exitError1
	}
	kctx, err := parser.Parse(args)
	if exited {
		return code
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "oversight: %v\n", err)
		return exitUsage
	}
	var cf *clientFlags
	if sel := kctx.Selected(); sel != nil && sel.Target.CanAddr() {
		if c, ok := sel.Target.Addr().Interface().(interface{ clientOptions() *clientFlags }); ok {
			cf = c.clientOptions()
		}
	}
	err = kctx.Run()
	return report(env, err, cf)
}

// modelOptions build the command tree: the options the tests need too.
func modelOptions() []kong.Option {
	return []kong.Option{
		kong.Name("oversight"),
		kong.Vars{"default_server": defaultServer, "default_db": defaultDB, "demo_db": demoDB},
		kong.NamedMapper("server", kong.MapperFunc(decodeServer)),
	}
}

// report prints err and maps it to an exit status. cf are the client flags
// of the command that failed, nil if it has none.
func report(env *Env, err error, cf *clientFlags) int {
	if err == nil {
		return exitOK
	}
	if cf != nil && cf.Token == "" && oversight.ErrorCode(err) == oversight.EUNAUTHORIZED {
		fmt.Fprintf(env.Stderr, "oversight: no API token: set OVERSIGHT_TOKEN, or pass --token "+
			"(\"oversight token create\" makes one on the server; \"oversight serve --demo\" prints one per role)\n")
		return exitError1
	}
	var ne *client.NetError
	if errors.As(err, &ne) {
		if h := unreachable(ne); h != "" {
			fmt.Fprintf(env.Stderr, "oversight: %v\noversight: %s\n", err, h)
			return exitError1
		}
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(env.Stderr, "oversight: %s\n", ee.msg)
		}
		return ee.code
	}
	var de *oversight.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		fmt.Fprintf(env.Stderr, "oversight: %v\n", err)
	} else {
		// One line per invalid field, so that each can be read and fixed.
		fmt.Fprintf(env.Stderr, "oversight: %s\n", de.Message)
		for _, f := range de.Fields {
			fmt.Fprintf(env.Stderr, "  %s: %s\n", f.Field, f.Message)
		}
	}
	if de != nil && de.Code == oversight.EINVALID {
		return exitUsage
	}
	return exitError1
}
