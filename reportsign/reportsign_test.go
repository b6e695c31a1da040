package reportsign

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

func sample() *oversight.SafeguardReport {
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	r := &oversight.SafeguardReport{Format: oversight.ReportFormat, ProductID: "prd_01test",
		Build: oversight.Build{Command: []string{"bin/tool", "serve"},
			Executable: oversight.FileDigest{Path: "/opt/tool", SHA256: strings.Repeat("ab", 32), Size: 10},
			Driver:     oversight.FileDigest{Path: "/opt/tool", SHA256: strings.Repeat("ab", 32), Size: 10}, Files: []oversight.FileDigest{}},
		Kit:       oversight.KitRun{Version: "v1", OS: "linux", Arch: "amd64", Containment: "cgroup", GraceMS: 2000},
		Regulator: oversight.ReportRegulator{Mode: oversight.RegulatorServer, URL: "https://staging.example", DeploymentID: "dep_1", LicenseID: "lic_1", LeaseTTLMS: 3000},
		StartedAt: at, FinishedAt: at.Add(7 * time.Second), Passed: true}
	for _, c := range oversight.SafeguardChecks {
		r.Checks = append(r.Checks, oversight.CheckOutcome{Name: c.Name, Safeguard: c.Safeguard, Result: oversight.CheckPass,
			Observed: "seen <&> \u2028 done", Steps: []oversight.CheckStep{{AtMS: 5, What: "asked", OperationID: "op_1", Decision: "permit"}}})
	}
	return r
}

// roundTrip writes r as the kit does and reads it as the server does.
func roundTrip(t *testing.T, r *oversight.SafeguardReport, edit func(string) string) *oversight.SafeguardReport {
	t.Helper()
	b, err := json.MarshalIndent(r, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	var out oversight.SafeguardReport
	if err := oversight.DecodeJSON([]byte(edit(string(b))), &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestSignVerify(t *testing.T) {
	_, kit, _ := ed25519.GenerateKey(rand.Reader)
	_, reg, _ := ed25519.GenerateKey(rand.Reader)
	r := sample()
	if err := Sign(r, kit); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("a signed sample: %v", err)
	}
	same := func(s string) string { return s }
	if err := Verify(roundTrip(t, r, same)); err != nil {
		t.Fatalf("signed, written and read: %v", err)
	}
	d1, _ := Digest(r)
	d2, _ := Digest(roundTrip(t, r, same))
	if d1 != d2 || len(d1) != 64 {
		t.Errorf("digest %s, after a round trip %s", d1, d2)
	}
	if err := Countersign(r, reg, 3, 2, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := Verify(roundTrip(t, r, same)); err != nil {
		t.Fatalf("countersigned, written and read: %v", err)
	}
	for _, tc := range []struct {
		name, old, new, field string
	}{
		{"a check turned to pass", `"passed": true`, `"passed": false`, "signature"},
		{"an observation", "seen", "SEEN", "signature"},
		{"the build", strings.Repeat("ab", 32), strings.Repeat("cd", 32), "signature"},
		{"the countersignature's count", `"operations": 3`, `"operations": 30`, "countersignature.signature"},
		{"the kit's key", r.Key, oversight.EncodeKey(reg.Public().(ed25519.PublicKey)), "signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := roundTrip(t, r, func(s string) string {
				if !strings.Contains(s, tc.old) {
					t.Fatalf("%q not in the report", tc.old)
				}
				return strings.Replace(s, tc.old, tc.new, 1)
			})
			err := Verify(edited)
			var e *oversight.Error
			if err == nil || !errors.As(err, &e) || e.Code != oversight.EINVALID || e.Fields[0].Field != tc.field {
				t.Errorf("edited report: %v, want EINVALID on %s", err, tc.field)
			}
		})
	}
	// Signing again drops the countersignature: it was over another report.
	if err := Sign(r, kit); err != nil || r.Countersignature != nil {
		t.Errorf("re-signed: %v, countersignature %v", err, r.Countersignature)
	}
}
