package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/conformance"
	"github.com/oversight-dev/oversight/demo"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/keyfile"
	"github.com/oversight-dev/oversight/reportsign"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
)

// SafeguardsCmd groups the safeguards kit.
type SafeguardsCmd struct {
	Test SafeguardsTestCmd `cmd:"" help:"Run the safeguards kit against a product behind the agent and write a signed report."`
}

// SafeguardsTestCmd runs the kit.
type SafeguardsTestCmd struct {
	Product  string        `required:"" help:"The product under review (prd_…): the report names it, and only its reviews accept the report."`
	Driver   string        `required:"" help:"The driver command, split on spaces; the kit runs it as DRIVER OPERATION TYPE IDENTIFIER and reads its exit status: 0 the product went ahead, 1 it refused."`
	Report   string        `default:"safeguards-report.json" help:"File to write the signed report to."`
	Key      string        `default:"safeguards-kit.pem" help:"The kit's run key (Ed25519, PEM); created, mode 0600, if it does not exist."`
	File     []string      `type:"existingfile" help:"Another file of the build to name in the report by its SHA-256 (repeatable)."`
	Grace    time.Duration `default:"2s" help:"The agent's grace between SIGTERM and SIGKILL."`
	LeaseTTL time.Duration `name:"lease-ttl" default:"3s" help:"Lease lifetime of the in-process regulator."`
	Keep     bool          `help:"Keep the run's directory (the agent's log, with the product's output) even when every check passes."`

	Server       string `help:"A staging regulator to run against instead of one in-process; it countersigns the run. Needs --deployment, --agent-key and officers' tokens."`
	Deployment   string `help:"With --server: the deployment the agent runs as (dep_…), registered against an active export licence."`
	AgentKey     string `name:"agent-key" type:"existingfile" help:"With --server: the deployment's key file (oversight agent keygen)."`
	Pepper       string `help:"With --server: the deployment's site pepper file (default: the key file's name with .pepper)."`
	LeaseKey     string `name:"lease-key" help:"With --server: the regulator's lease key, pinned (default: fetched from the server)."`
	DefenseToken string `name:"defense-token" env:"OVERSIGHT_DEFENSE_TOKEN" help:"With --server: a defense officer's token: suspends, restricts, keeps the protected-persons register."`
	ForeignToken string `name:"foreign-token" env:"OVERSIGHT_FOREIGN_TOKEN" help:"With --server: a foreign-affairs officer's token: approves the reinstatement."`

	Command []string `arg:"" passthrough:"" name:"cmd" help:"The product's command, after --, as the agent would run it."`
}

// Help is shown by --help.
func (c *SafeguardsTestCmd) Help() string {
	return `The kit runs the product under the real agent against a regulator (one of its own,
in this process, unless --server names a staging one) and proves each safeguard:
it runs only on a lease and stops, every process of it, when the lease runs out
or a shutdown comes, and starts again after a reinstatement; it asks before each
operation, for that operation and target, and honours a deny; operations against
blocked country codes, protected persons and targets of a restriction added
mid-run are refused. The report (JSON) gives each check with what was observed,
names the build by SHA-256 and is signed with the kit's run key; attach it with
oversight review submit … --evidence. Exit status: 0 if every check passed, 1 if
not. docs/vendors.md gives the driver contract.

Example:
  go build -o bin/tool ./examples/tool
  oversight safeguards test --product prd_… --driver 'bin/tool do' -- bin/tool serve`
}

// Run runs the kit and writes the signed report.
func (c *SafeguardsTestCmd) Run(ctx context.Context, env *Env) error {
	if !oversight.ValidID(oversight.PrefixProduct, c.Product) {
		return &exitError{code: exitUsage, msg: "--product: want the product's id, prd_…"}
	}
	driver := strings.Fields(c.Driver)
	if len(c.Command) > 0 && c.Command[0] == "--" {
		c.Command = c.Command[1:]
	}
	if len(driver) == 0 || len(c.Command) == 0 {
		return &exitError{code: exitUsage, msg: "want --driver and the product's command after --"}
	}
	key, err := keyfile.LoadOrGenerate(c.Key)
	if err != nil {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("--key %s: %v", c.Key, err)}
	}
	self, err := exec.LookPath(os.Args[0])
	if err != nil {
		return fmt.Errorf("find this program to run the agent: %w", err)
	}
	dir, err := os.MkdirTemp("", "oversight-kit-")
	if err != nil {
		return err
	}
	cfg := conformance.Config{ProductID: c.Product, Product: c.Command, Driver: driver, Files: c.File,
		Agent: []string{self, "agent"}, Grace: c.Grace, Dir: dir, Version: version(), Progress: env.Stderr, CallingCodes: callingCodes()}
	if c.Server == "" {
		reg, stop, err := inProcessRegulator(ctx, dir, c.LeaseTTL)
		if err != nil {
			return fmt.Errorf("in-process regulator: %w", err)
		}
		defer stop()
		cfg.Regulator = *reg
	} else if cfg.Regulator, err = c.staging(ctx, env); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "Safeguards kit: %s under the agent, driver %s\n", strings.Join(c.Command, " "), c.Driver)
	report, err := conformance.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("safeguards kit: %w (the run's directory, with the agent's log: %s)", err, dir)
	}
	if err := reportsign.Sign(report, key); err != nil {
		return err
	}
	if c.Server != "" {
		if report, err = c.countersign(ctx, report); err != nil {
			return fmt.Errorf("countersignature: %w", err)
		}
	}
	b, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.Report, append(b, '\n'), 0o644); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, ch := range report.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.Name, ch.Result, ch.Observed)
	}
	tw.Flush()
	verdict := "every check passed"
	if !report.Passed {
		verdict = fmt.Sprintf("%d of %d checks did not pass", len(report.Shortfalls()), len(oversight.SafeguardChecks))
	}
	fmt.Fprintf(env.Stdout, "\n%s in %.1f s; report signed (key %s) and written to %s\n", verdict,
		report.FinishedAt.Sub(report.StartedAt).Seconds(), report.Key, c.Report)
	if c.Keep || !report.Passed {
		fmt.Fprintf(env.Stdout, "the agent's log, with the product's output: %s\n", filepath.Join(dir, "agent.log"))
	} else {
		os.RemoveAll(dir)
	}
	if !report.Passed {
		return &exitError{code: exitError1}
	}
	return nil
}

// version names the build of this program: its module version and VCS
// revision, when the build recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return v
}

// callingCodes are the country calling codes from which the agent finds
// a telephone number's country.
func callingCodes() []string {
	var out []string
	countries, _ := oversight.Countries()
	for _, x := range countries {
		if x.CallingCode != "" {
			out = append(out, x.CallingCode)
		}
	}
	return out
}

// inProcessRegulator starts a regulator in this process, over a database
// in dir, with the kit's world (demo.LoadKit) and a deployment for the
// agent.
func inProcessRegulator(ctx context.Context, dir string, ttl time.Duration) (*conformance.Regulator, func(), error) {
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, filepath.Join(dir, "regulator.db"), store.Options{})
	if err != nil {
		return nil, nil, err
	}
	_, leaseKey, _ := ed25519.GenerateKey(rand.Reader)
	svc, err := service.New(ctx, st, service.Options{Logger: quiet, LeaseKey: leaseKey, LeaseTTL: ttl})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	srv := &http.Server{Handler: httpapi.New(svc, httpapi.Options{Logger: quiet}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop := func() { srv.Close(); st.Close() }
	w, err := demo.LoadKit(ctx, svc)
	if err != nil {
		stop()
		return nil, nil, err
	}
	reg, err := registerKitDeployment(ctx, svc, w, dir)
	if err != nil {
		stop()
		return nil, nil, err
	}
	reg.Mode, reg.URL, reg.LeaseTTL = oversight.RegulatorInProcess, "http://"+ln.Addr().String(), ttl
	reg.LeaseKey = svc.LeaseKey().PublicKey
	reg.Defense, reg.Foreign = client.New(reg.URL, w.DefenseToken), client.New(reg.URL, w.ForeignToken)
	return reg, stop, nil
}

// registerKitDeployment registers the kit's deployment against the
// world's licence, its key and pepper written to dir.
func registerKitDeployment(ctx context.Context, svc *service.Service, w *demo.KitWorld, dir string) (*conformance.Regulator, error) {
	keyFile, pepperFile := filepath.Join(dir, "agent.pem"), filepath.Join(dir, "agent.pepper")
	key, err := keyfile.Generate(keyFile)
	if err != nil {
		return nil, err
	}
	dep, err := svc.RegisterDeployment(ctx, w.Vendor, &oversight.DeploymentRegistration{LicenseID: w.License.ID, Label: "Safeguards kit",
		PublicKey: oversight.EncodeKey(key.Public().(ed25519.PublicKey))})
	if err != nil {
		return nil, err
	}
	if err := keyfile.Create(pepperFile, []byte(dep.SitePepper+"\n")); err != nil {
		return nil, err
	}
	pepper, _ := hex.DecodeString(dep.SitePepper)
	return &conformance.Regulator{DeploymentID: dep.ID, LicenseID: w.License.ID, KeyFile: keyFile, PepperFile: pepperFile, Pepper: pepper}, nil
}

// staging describes the staging regulator from the flags.
func (c *SafeguardsTestCmd) staging(ctx context.Context, env *Env) (conformance.Regulator, error) {
	reg := conformance.Regulator{Mode: oversight.RegulatorServer, URL: c.Server, DeploymentID: c.Deployment, KeyFile: c.AgentKey}
	if !oversight.ValidID(oversight.PrefixDeployment, c.Deployment) || c.AgentKey == "" || c.DefenseToken == "" || c.ForeignToken == "" {
		return reg, &exitError{code: exitUsage, msg: "--server needs --deployment, --agent-key, --defense-token and --foreign-token"}
	}
	reg.PepperFile = c.Pepper
	if reg.PepperFile == "" {
		reg.PepperFile = defaultPepperFile(c.AgentKey)
	}
	var err error
	if reg.Pepper, err = readPepper(reg.PepperFile); err != nil {
		return reg, &exitError{code: exitUsage, msg: fmt.Sprintf("--pepper %s: %v", reg.PepperFile, err)}
	}
	reg.Defense, reg.Foreign = client.New(c.Server, c.DefenseToken), client.New(c.Server, c.ForeignToken)
	dep, err := reg.Defense.Deployment(ctx, c.Deployment)
	if err != nil {
		return reg, fmt.Errorf("deployment %s: %w", c.Deployment, err)
	}
	reg.LicenseID = dep.LicenseID
	reg.LeaseKey = c.LeaseKey
	if reg.LeaseKey == "" {
		k, err := client.New(c.Server, "").LeaseKey(ctx)
		if err != nil {
			return reg, fmt.Errorf("lease key: %w", err)
		}
		reg.LeaseKey = oversight.EncodeKey(k)
		fmt.Fprintf(env.Stderr, "lease key fetched from %s, not pinned: %s\n", c.Server, reg.LeaseKey)
	}
	return reg, nil
}

// countersign has the staging regulator countersign the report, as the
// deployment the run used.
func (c *SafeguardsTestCmd) countersign(ctx context.Context, r *oversight.SafeguardReport) (*oversight.SafeguardReport, error) {
	key, err := keyfile.Read(c.AgentKey)
	if err != nil {
		return nil, err
	}
	return client.New(c.Server, "").AsDeployment(c.Deployment, key).Countersign(ctx, r)
}
