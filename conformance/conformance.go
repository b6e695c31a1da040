// Package conformance is the safeguards kit: it runs a product behind the
// real agent against a regulator and proves, on the running product, each
// safeguard a review at the testing stage asks for — that it runs only on
// a lease and stops, every process of it, when the lease ends or a
// shutdown comes; that it asks before each operation and honours a deny;
// that blocked country codes, protected persons and restrictions stop
// operations. It writes what it observed as an oversight.SafeguardReport;
// package reportsign signs it.
//
// The kit sees the product three ways, none of them the product's own
// word: the authorisations the agent forwards pass through a proxy the kit
// puts between the agent and the regulator; the product's processes are
// found in the process table by a marker in their environment and by
// descent from the agent; and the vendor's driver, a command the kit runs
// with an operation and a target, says by its exit status whether the
// product went ahead. docs/vendors.md gives the driver contract and what
// each check means.
package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
)

// Environment variables the kit sets.
const (
	// EnvDir is a directory of the run's own, given to the product (through
	// the agent) and to the driver, where they can meet: a socket, a spool.
	EnvDir = "OVERSIGHT_KIT_DIR"
	// EnvCase is the case the driver gives the product for one operation:
	// the JSON of Case.
	EnvCase = "OVERSIGHT_KIT_CASE"
	// envMarker marks every process of the product, so that the kit finds
	// them wherever they went.
	envMarker = "OVERSIGHT_KIT_RUN"
)

// Driver exit statuses: the product went ahead, or refused; anything else
// means the driver could not get an answer.
const (
	DriverWentAhead = 0
	DriverRefused   = 1
)

// Case is what an operator would enter for one operation besides the
// target: the legal basis and references the product puts in its
// authorisation request (the operation request of DECLARATION.md).
type Case struct {
	LegalBasis    oversight.LegalBasis `json:"legal_basis"`
	CaseRef       string               `json:"case_ref"`
	WarrantRef    string               `json:"warrant_ref"`
	Justification string               `json:"justification"`
}

// Config configures a run of the kit.
type Config struct {
	// ProductID is the product under review (prd_…), named in the report.
	ProductID string
	// Product is the product's command line, run under the agent.
	Product []string
	// Driver is the driver's command line; the kit appends the operation,
	// the target type and the target identifier.
	Driver []string
	// Files are other files of the build to name by their SHA-256.
	Files []string
	// Agent is the command line that runs the agent ("oversight agent");
	// the kit appends the agent's options, "--" and Product.
	Agent []string
	// Regulator is the regulator to run against and what the kit may do
	// there.
	Regulator Regulator
	// Grace is the agent's grace between SIGTERM and SIGKILL; 0 means
	// DefaultGrace.
	Grace time.Duration
	// CallingCodes are the E.164 calling codes, as the agent has them, from
	// which the kit makes telephone numbers in a given country.
	CallingCodes []string
	// Dir is the run's directory; the agent's log (with the product's
	// output) is written there as agent.log. It must exist.
	Dir string
	// Version is the oversight build running the kit, for the report.
	Version string
	// Progress receives one line per step for the person running the kit;
	// nil means none.
	Progress io.Writer
	// Logger receives the kit's own diagnostics; nil means none.
	Logger *slog.Logger
}

// DefaultGrace is the agent's grace period in a kit run: long enough for
// a product to stop cleanly, short enough that a product that ignores
// SIGTERM is seen to.
const DefaultGrace = 2 * time.Second

// Regulator is where the kit runs: the regulator's URL, the deployment
// the agent runs as, and officers' clients with which the kit suspends,
// reinstates and restricts the licence and keeps the protected-persons
// register.
type Regulator struct {
	Mode     string // oversight.RegulatorInProcess or RegulatorServer
	URL      string
	LeaseKey string // base64, pinned in the agent
	// LeaseTTL is the lifetime of the regulator's leases; 0 means the
	// longest the kit sees it give.
	LeaseTTL     time.Duration
	DeploymentID string
	LicenseID    string
	// KeyFile and PepperFile are the deployment's key and site pepper
	// files, as oversight deployment register leaves them; Pepper is the
	// pepper itself, with which the kit hashes targets as the agent does.
	KeyFile, PepperFile string
	Pepper              []byte
	// Defense orders suspensions, reinstatements and restrictions and
	// adds to the protected-persons register; Foreign approves
	// reinstatements (two ministries, two people).
	Defense, Foreign *client.Client
}

func (c *Config) check() error {
	var missing []string
	for _, f := range []struct {
		ok   bool
		what string
	}{
		{len(c.Product) > 0, "the product's command"},
		{len(c.Driver) > 0, "the driver"},
		{len(c.Agent) > 0, "the agent's command"},
		{c.Regulator.URL != "", "the regulator's URL"},
		{c.Regulator.LeaseKey != "", "the lease key"},
		{c.Regulator.DeploymentID != "" && c.Regulator.LicenseID != "", "the deployment and its licence"},
		{c.Regulator.KeyFile != "" && c.Regulator.PepperFile != "" && len(c.Regulator.Pepper) > 0, "the deployment's key and pepper"},
		{c.Regulator.Defense != nil && c.Regulator.Foreign != nil, "officers' clients"},
		{c.Dir != "", "a directory for the run"},
	} {
		if !f.ok {
			missing = append(missing, f.what)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("conformance: missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// Run runs every check against the product and returns the report,
// unsigned. An error means the kit could not run (the regulator refused an
// order, the agent could not start), not that a check failed. Run leaves
// no process of the product behind.
func Run(ctx context.Context, cfg Config) (*oversight.SafeguardReport, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	b := make([]byte, 12)
	rand.Read(b)
	k := &kit{cfg: cfg, start: time.Now(), marker: hex.EncodeToString(b), checks: map[string]*oversight.CheckOutcome{}}
	build, err := digestBuild(cfg)
	if err != nil {
		return nil, err
	}
	r := &oversight.SafeguardReport{
		Format: oversight.ReportFormat, ProductID: cfg.ProductID, Build: *build,
		Kit: oversight.KitRun{Version: cfg.Version, OS: runtime.GOOS, Arch: runtime.GOARCH, Kernel: kernel(), GraceMS: cfg.Grace.Milliseconds()},
		Regulator: oversight.ReportRegulator{Mode: cfg.Regulator.Mode, DeploymentID: cfg.Regulator.DeploymentID,
			LicenseID: cfg.Regulator.LicenseID, LeaseTTLMS: cfg.Regulator.LeaseTTL.Milliseconds()},
		StartedAt: k.start.UTC(),
	}
	if cfg.Regulator.Mode == oversight.RegulatorServer {
		r.Regulator.URL = cfg.Regulator.URL
	}
	err = k.run(ctx)
	k.cleanup()
	if err != nil {
		return nil, err
	}
	r.Kit.Containment = k.containment
	if r.Regulator.LeaseTTLMS == 0 && k.proxy != nil {
		r.Regulator.LeaseTTLMS = k.proxy.leaseTTL().Milliseconds()
	}
	r.FinishedAt = time.Now().UTC()
	for _, c := range oversight.SafeguardChecks {
		out := k.checks[c.Name]
		if out == nil {
			out = &oversight.CheckOutcome{Name: c.Name, Safeguard: c.Safeguard, Result: oversight.CheckFail,
				Observed: "the kit did not reach this check", Steps: []oversight.CheckStep{}}
		}
		r.Checks = append(r.Checks, *out)
	}
	r.Passed = len(r.Shortfalls()) == 0
	return r, nil
}

// kernel returns the running kernel's release, where the system says.
func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// errStop is returned inside a run when a check cannot go on.
var errStop = errors.New("stop")

// progress prints a line for the person running the kit.
func (k *kit) progress(format string, args ...any) {
	fmt.Fprintf(k.cfg.Progress, "%6.1fs  %s\n", time.Since(k.start).Seconds(), fmt.Sprintf(format, args...))
}

// agentLog is the agent's log in the run's directory.
func (k *kit) agentLog() string { return filepath.Join(k.cfg.Dir, "agent.log") }
