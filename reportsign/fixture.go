package reportsign

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/oversight-dev/oversight"
)

// Fixture returns a report on productID in which every check passed but
// those named in failed, signed with a key made for it: what fictional
// data (the demo, tests, benchmarks) attach to a review to take a product
// to export_ready without running the kit. It says so: its build is named
// "(fixture)", with the digest of nothing, and no regulator countersigned
// it.
func Fixture(productID string, failed ...string) *oversight.SafeguardReport {
	empty := sha256.Sum256(nil)
	none := oversight.FileDigest{Path: "(fixture)", SHA256: hex.EncodeToString(empty[:])}
	now := time.Now().UTC()
	r := &oversight.SafeguardReport{Format: oversight.ReportFormat, ProductID: productID,
		Build:     oversight.Build{Command: []string{"(fixture)"}, Executable: none, Driver: none, Files: []oversight.FileDigest{}},
		Kit:       oversight.KitRun{Version: "(fixture)", OS: "none", Arch: "none"},
		Regulator: oversight.ReportRegulator{Mode: oversight.RegulatorInProcess, DeploymentID: "(fixture)", LicenseID: "(fixture)"},
		StartedAt: now, FinishedAt: now, Passed: len(failed) == 0}
	for _, c := range oversight.SafeguardChecks {
		o := oversight.CheckOutcome{Name: c.Name, Safeguard: c.Safeguard, Result: oversight.CheckPass,
			Observed: "a fixture: not observed", Steps: []oversight.CheckStep{}}
		if slices.Contains(failed, c.Name) {
			o.Result, o.Observed = oversight.CheckFail, "a fixture: failed, not observed"
		}
		r.Checks = append(r.Checks, o)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	Sign(r, key)
	return r
}
