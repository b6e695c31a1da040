package oversight

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The checks of the safeguards kit (oversight safeguards test), each
// proving part of one safeguard on the running product. docs/vendors.md
// says what each observes.
const (
	CheckLeaseRequired   = "lease_required"   // the product does not run without a valid lease
	CheckLeaseExpiry     = "lease_expiry"     // cut off from the regulator, it stops, every process of it, when the lease runs out
	CheckShutdown        = "shutdown"         // a shutdown (suspension) stops it and every process of it within 1 s
	CheckRestart         = "restart"          // after a reinstatement it starts again and serves
	CheckContainment     = "containment"      // its processes stay in the process group the agent started it in
	CheckAskBeforeUse    = "ask_before_use"   // each operation is preceded by an authorisation for that operation and target
	CheckDenyHonoured    = "deny_honoured"    // a deny, or no answer, stops the operation
	CheckRestriction     = "restriction"      // a restriction added mid-run decides the very next operation
	CheckBlockedCountry  = "blocked_country"  // an operation against a blocked country code is refused
	CheckProtectedPerson = "protected_person" // an operation against a protected person is refused
)

// SafeguardCheck names a check of the kit and the safeguard it proves.
type SafeguardCheck struct {
	Name      string
	Safeguard string
}

// SafeguardChecks lists every check, in the order the kit reports them.
// All must pass for a product to be approved at export_ready.
var SafeguardChecks = []SafeguardCheck{
	{CheckLeaseRequired, SafeguardLeaseEnforcement},
	{CheckLeaseExpiry, SafeguardLeaseEnforcement},
	{CheckShutdown, SafeguardLeaseEnforcement},
	{CheckRestart, SafeguardLeaseEnforcement},
	{CheckContainment, SafeguardLeaseEnforcement},
	{CheckAskBeforeUse, SafeguardAuditHook},
	{CheckDenyHonoured, SafeguardAuditHook},
	{CheckRestriction, SafeguardAuditHook},
	{CheckBlockedCountry, SafeguardBlockedCountries},
	{CheckProtectedPerson, SafeguardProtectedPersons},
}

// SafeguardOf returns the safeguard check proves, "" for an unknown check.
func SafeguardOf(check string) string {
	if i := slices.IndexFunc(SafeguardChecks, func(c SafeguardCheck) bool { return c.Name == check }); i >= 0 {
		return SafeguardChecks[i].Safeguard
	}
	return ""
}

// CheckResult is the outcome of one check.
type CheckResult string

// Check results. A check is inconclusive when what it watches for could
// not happen because of a failure another check reports (a product that
// never asks receives no deny to honour): it names that check, and it does
// not pass.
const (
	CheckPass         CheckResult = "pass"
	CheckFail         CheckResult = "fail"
	CheckInconclusive CheckResult = "inconclusive"
)

// ReportFormat names the format of a safeguards report.
const ReportFormat = "oversight-safeguards-report/v1"

// Regulator modes of a kit run.
const (
	RegulatorInProcess = "in_process" // a regulator the kit ran itself
	RegulatorServer    = "server"     // a staging regulator, which countersigns
)

// SafeguardReport is what the safeguards kit writes: each check with what
// it observed, the build it tested, where it ran, signed by the kit's run
// key and, when it ran against a regulator's server, countersigned by it.
type SafeguardReport struct {
	Format string `json:"format"`
	// ProductID is the product under review, as the vendor names it when
	// running the kit; only a review of that product accepts the report.
	ProductID  string          `json:"product_id"`
	Build      Build           `json:"build"`
	Kit        KitRun          `json:"kit"`
	Regulator  ReportRegulator `json:"regulator"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at"`
	// Passed is true when every check of SafeguardChecks passed.
	Passed bool           `json:"passed"`
	Checks []CheckOutcome `json:"checks"`
	// Key is the kit's run key (Ed25519, base64) and Signature its
	// signature (base64) over the report's canonical JSON without
	// signature and countersignature (package evidence).
	Key              string            `json:"key"`
	Signature        string            `json:"signature,omitempty"`
	Countersignature *Countersignature `json:"countersignature,omitempty"`
}

// Build names the tested build by the SHA-256 of its files.
type Build struct {
	// Command is the product's command line under the agent.
	Command []string `json:"command"`
	// Executable is the file the command runs, found on PATH as exec
	// does; Driver is the driver's.
	Executable FileDigest `json:"executable"`
	Driver     FileDigest `json:"driver"`
	// Files are the other files the vendor listed.
	Files []FileDigest `json:"files"`
}

// FileDigest is a file named by its SHA-256.
type FileDigest struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// KitRun says what ran the checks, and where.
type KitRun struct {
	Version string `json:"version"` // the oversight build that ran the kit
	OS      string `json:"os"`
	Arch    string `json:"arch"`
	Kernel  string `json:"kernel,omitempty"`
	// Containment is how the agent held the product's processes (cgroup,
	// subreaper, process_group).
	Containment string `json:"containment,omitempty"`
	// GraceMS is the agent's grace between SIGTERM and SIGKILL.
	GraceMS int64 `json:"grace_ms"`
}

// ReportRegulator is the regulator the kit ran against and the deployment
// it used there.
type ReportRegulator struct {
	Mode         string `json:"mode"` // RegulatorInProcess or RegulatorServer
	URL          string `json:"url,omitempty"`
	DeploymentID string `json:"deployment_id"`
	LicenseID    string `json:"license_id"`
	LeaseTTLMS   int64  `json:"lease_ttl_ms"`
}

// CheckOutcome is one check's result with what the kit observed.
type CheckOutcome struct {
	Name      string      `json:"name"`
	Safeguard string      `json:"safeguard"`
	Result    CheckResult `json:"result"`
	// Observed says in words what the kit saw that decided the result.
	Observed string `json:"observed"`
	// ElapsedMS is the figure the check measured against LimitMS, when it
	// is a matter of time (how long the product took to stop).
	ElapsedMS *int64 `json:"elapsed_ms,omitempty"`
	LimitMS   *int64 `json:"limit_ms,omitempty"`
	// Steps are the observations, in order.
	Steps []CheckStep `json:"steps"`
}

// CheckStep is one observation of a check.
type CheckStep struct {
	// AtMS is when, in milliseconds since the run started.
	AtMS int64  `json:"at_ms"`
	What string `json:"what"`
	// OperationID is an authorisation the regulator decided, ActionID an
	// enforcement action the kit ordered: a countersigning regulator
	// checks them against its records.
	OperationID string `json:"operation_id,omitempty"`
	Decision    string `json:"decision,omitempty"`
	ActionID    string `json:"action_id,omitempty"`
}

// Countersignature is a regulator's confirmation of a kit run it served:
// the kit's signature verified, and every authorisation and enforcement
// action the report cites found in its records as the report gives them.
type Countersignature struct {
	Key        string    `json:"key"` // the regulator's lease key, base64
	SignedAt   time.Time `json:"signed_at"`
	Operations int       `json:"operations"` // authorisations confirmed
	Actions    int       `json:"actions"`    // enforcement actions confirmed
	// Signature is over the report's canonical JSON with this signature
	// left out (package evidence).
	Signature string `json:"signature,omitempty"`
}

// maxReportChecks and maxReportSteps bound a report.
const (
	maxReportChecks = 64
	maxReportSteps  = 200
	maxReportText   = 4000
)

// Validate checks the report's form: the fields a reader relies on, the
// keys and digests well formed. It does not verify signatures (package
// evidence does).
func (r *SafeguardReport) Validate() error {
	var p Problems
	if r.Format != ReportFormat {
		p.Add("format", "must be %s", ReportFormat)
	}
	if !ValidID(PrefixProduct, r.ProductID) {
		p.Add("product_id", "must be the id of the product tested (prd_…): run the kit with --product")
	}
	for _, f := range append([]struct {
		name string
		d    FileDigest
	}{{"build.executable", r.Build.Executable}, {"build.driver", r.Build.Driver}}, filesOf(r.Build.Files)...) {
		if b, err := hex.DecodeString(f.d.SHA256); err != nil || len(b) != 32 {
			p.Add(f.name+".sha256", "must be 64 hex digits")
		}
	}
	if r.Regulator.Mode != RegulatorInProcess && r.Regulator.Mode != RegulatorServer {
		p.Add("regulator.mode", "must be %s or %s", RegulatorInProcess, RegulatorServer)
	}
	if r.StartedAt.IsZero() || r.FinishedAt.Before(r.StartedAt) {
		p.Add("finished_at", "must be at or after started_at")
	}
	if len(r.Checks) > maxReportChecks {
		p.Add("checks", "at most %d", maxReportChecks)
	}
	for i, c := range r.Checks {
		at := fmt.Sprintf("checks[%d]", i)
		if SafeguardOf(c.Name) == "" {
			p.Add(at+".name", "unknown check %q", c.Name)
		} else if c.Safeguard != SafeguardOf(c.Name) {
			p.Add(at+".safeguard", "check %s proves %s", c.Name, SafeguardOf(c.Name))
		}
		if c.Result != CheckPass && c.Result != CheckFail && c.Result != CheckInconclusive {
			p.Add(at+".result", "must be pass, fail or inconclusive")
		}
		if len(c.Observed) > maxReportText {
			p.Add(at+".observed", "at most %d bytes", maxReportText)
		}
		if len(c.Steps) > maxReportSteps {
			p.Add(at+".steps", "at most %d", maxReportSteps)
		}
	}
	if r.Passed != r.passes() {
		p.Add("passed", "must say whether every check passed")
	}
	if k, err := base64.StdEncoding.DecodeString(r.Key); err != nil || len(k) != ed25519.PublicKeySize {
		p.Add("key", "must be the kit's Ed25519 public key in base64")
	}
	if s, err := base64.StdEncoding.DecodeString(r.Signature); err != nil || len(s) != ed25519.SignatureSize {
		p.Add("signature", "must be an Ed25519 signature in base64: the report is not signed")
	}
	if c := r.Countersignature; c != nil {
		if k, err := base64.StdEncoding.DecodeString(c.Key); err != nil || len(k) != ed25519.PublicKeySize {
			p.Add("countersignature.key", "must be an Ed25519 public key in base64")
		}
		if s, err := base64.StdEncoding.DecodeString(c.Signature); err != nil || len(s) != ed25519.SignatureSize {
			p.Add("countersignature.signature", "must be an Ed25519 signature in base64")
		}
	}
	return p.Err("invalid safeguards report")
}

func filesOf(fs []FileDigest) []struct {
	name string
	d    FileDigest
} {
	out := make([]struct {
		name string
		d    FileDigest
	}, len(fs))
	for i, f := range fs {
		out[i].name, out[i].d = fmt.Sprintf("build.files[%d]", i), f
	}
	return out
}

// passes reports whether every check of SafeguardChecks is in the report
// and passed.
func (r *SafeguardReport) passes() bool { return len(r.Shortfalls()) == 0 }

// Shortfalls lists, for each check of SafeguardChecks that did not pass or
// is missing from the report, the check and why, in the form of a field
// error ("checks.shutdown": "fail: …"), in the order of SafeguardChecks.
func (r *SafeguardReport) Shortfalls() []FieldError {
	var out []FieldError
	for _, want := range SafeguardChecks {
		i := slices.IndexFunc(r.Checks, func(c CheckOutcome) bool { return c.Name == want.Name })
		switch {
		case i < 0:
			out = append(out, FieldError{Field: "checks." + want.Name, Message: "missing from the report"})
		case r.Checks[i].Result != CheckPass:
			out = append(out, FieldError{Field: "checks." + want.Name, Message: string(r.Checks[i].Result) + ": " + r.Checks[i].Observed})
		}
	}
	return out
}

// SafeguardEvidence is a safeguards report attached to a review, as the regulator
// verified it: the kit's signature checked, the countersignature too if
// there is one, and the report's verdict on each safeguard.
type SafeguardEvidence struct {
	// ReportSHA256 is the SHA-256 of the report's canonical JSON,
	// signatures included: it names the report.
	ReportSHA256 string `json:"report_sha256"`
	Passed       bool   `json:"passed"`
	// Safeguards is the verdict on each safeguard, from its checks.
	Safeguards []SafeguardVerdict `json:"safeguards"`
	Build      Build              `json:"build"`
	Regulator  ReportRegulator    `json:"regulator"`
	RanAt      time.Time          `json:"ran_at"`
	KitKey     string             `json:"kit_key"`
	// CountersignedBy is the key of the regulator that countersigned the
	// run, if one did; CountersignedHere says whether it is this
	// regulator's own lease key.
	CountersignedBy   string `json:"countersigned_by,omitempty"`
	CountersignedHere bool   `json:"countersigned_here"`
	// Report is the report as attached; the audit log records the rest.
	Report *SafeguardReport `json:"report,omitempty"`
}

// SafeguardVerdict is the result for one safeguard: pass only if each of
// its checks passed.
type SafeguardVerdict struct {
	Safeguard string         `json:"safeguard"`
	Result    CheckResult    `json:"result"`
	Checks    []CheckVerdict `json:"checks"`
}

// CheckVerdict is one check's result and observation, for the officer.
type CheckVerdict struct {
	Name     string      `json:"name"`
	Result   CheckResult `json:"result"`
	Observed string      `json:"observed"`
}

// NewSafeguardEvidence summarises a verified report. digest is its SHA-256 and
// here whether the countersignature, if any, is this regulator's.
func NewSafeguardEvidence(r *SafeguardReport, digest string, here bool) *SafeguardEvidence {
	e := &SafeguardEvidence{ReportSHA256: digest, Passed: r.passes(), Build: r.Build, Regulator: r.Regulator,
		RanAt: r.StartedAt, KitKey: r.Key, Report: r}
	if r.Countersignature != nil {
		e.CountersignedBy, e.CountersignedHere = r.Countersignature.Key, here
	}
	for _, g := range Safeguards {
		v := SafeguardVerdict{Safeguard: g, Result: CheckPass, Checks: []CheckVerdict{}}
		for _, want := range SafeguardChecks {
			if want.Safeguard != g {
				continue
			}
			cv := CheckVerdict{Name: want.Name, Result: CheckFail, Observed: "missing from the report"}
			if i := slices.IndexFunc(r.Checks, func(c CheckOutcome) bool { return c.Name == want.Name }); i >= 0 {
				cv.Result, cv.Observed = r.Checks[i].Result, r.Checks[i].Observed
			}
			if cv.Result != CheckPass && v.Result == CheckPass || cv.Result == CheckFail {
				v.Result = cv.Result
			}
			v.Checks = append(v.Checks, cv)
		}
		e.Safeguards = append(e.Safeguards, v)
	}
	return e
}

// Summary returns e without the report itself, as the audit log records
// it: the digest names the report.
func (e *SafeguardEvidence) Summary() *SafeguardEvidence {
	s := *e
	s.Report = nil
	return &s
}

// CheckExportEvidence decides whether a review at export_ready may be
// approved with ev, the latest safeguards report attached to the
// product's reviews (nil if none): only a report on which every check
// passed will do. The error names each failing or missing check.
func CheckExportEvidence(r *Review, ev *SafeguardEvidence) error {
	if ev == nil {
		e := Conflictf(string(r.Status), "review %s at export_ready cannot be approved without a safeguards report: "+
			"run oversight safeguards test against the product and attach the report (review submit --evidence)", r.ID)
		for _, c := range SafeguardChecks {
			e.Fields = append(e.Fields, FieldError{Field: "checks." + c.Name, Message: "missing: no report attached"})
		}
		return e
	}
	var short []FieldError
	for _, want := range SafeguardChecks {
		f := FieldError{Field: "checks." + want.Name, Message: "missing from the report"}
		for _, v := range ev.Safeguards {
			if i := slices.IndexFunc(v.Checks, func(c CheckVerdict) bool { return c.Name == want.Name }); i >= 0 {
				f.Message = string(v.Checks[i].Result) + ": " + v.Checks[i].Observed
				if v.Checks[i].Result == CheckPass {
					f.Message = ""
				}
			}
		}
		if f.Message != "" {
			short = append(short, f)
		}
	}
	if len(short) == 0 {
		return nil
	}
	names := make([]string, len(short))
	for i, f := range short {
		names[i] = strings.TrimPrefix(f.Field, "checks.")
	}
	e := Conflictf(string(r.Status), "review %s at export_ready cannot be approved: the safeguards report %s does not pass %s; fix the product, run the kit again and attach the new report",
		r.ID, ev.ReportSHA256[:min(12, len(ev.ReportSHA256))], strings.Join(names, ", "))
	e.Fields = short
	return e
}
