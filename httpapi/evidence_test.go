package httpapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/stix"
)

// A forensic report through the API: a declared domain of Pegasus opens a
// case; the same bytes again are a 200 that adds nothing; a malformed
// bundle is a 400 naming object and field, and stores nothing; an
// oversized one is a 413.
func TestEvidenceImport(t *testing.T) {
	e := newEnv(t)
	e.world()
	bundle, err := os.ReadFile(filepath.Join("..", "stix", "testdata", "pegasus-excerpt.stix2"))
	if err != nil {
		t.Fatal(err)
	}
	e.must("vendor", "PATCH", "/v1/deployments/"+e.ids["deployment"], map[string]any{
		"infrastructure": map[string]any{"domains": []string{"Tookcheckout.com"}}}, 200, nil)
	var d oversight.Deployment
	e.must("defense", "GET", "/v1/deployments/"+e.ids["deployment"], nil, 200, &d)
	if d.Infrastructure == nil || d.Infrastructure.Domains[0] != "tookcheckout.com" {
		t.Fatalf("deployment %+v", d)
	}

	var rep oversight.EvidenceReport
	e.must("foreign_affairs", "POST", "/v1/evidence", bundle, 201, &rep)
	if rep.NewMatches != 1 || len(rep.CaseIDs) != 1 || rep.Matches[0].LicenseID != e.ids["license"] {
		t.Fatalf("report %+v", rep)
	}
	var again oversight.EvidenceReport
	e.must("defense", "POST", "/v1/evidence", bundle, 200, &again)
	if again.ID != rep.ID || again.NewMatches != 0 {
		t.Fatalf("again %+v", again)
	}
	var cases oversight.List[oversight.Case]
	e.must("defense", "GET", "/v1/cases?rule=EVIDENCE-INDICATOR&license="+e.ids["license"], nil, 200, &cases)
	if len(cases.Items) != 1 || cases.Items[0].ID != rep.CaseIDs[0] || len(cases.Items[0].Evidence) != 1 {
		t.Fatalf("cases %+v", cases.Items)
	}

	bad := bytes.Replace(bundle, []byte(`[domain-name:value='tookcheckout.com']`), []byte(`[domain-name:value='tookcheckout.com'`), 1)
	code, body := e.call("defense", "POST", "/v1/evidence", bad)
	var p oversight.Problem
	if code != 400 || json.Unmarshal(body, &p) != nil || len(p.Errors) != 1 || p.Errors[0].Field != "objects[5].pattern" ||
		!strings.Contains(p.Errors[0].Message, "indicator--75512940-6712-421e-97f6-55835fde1b2b") {
		t.Fatalf("malformed: %d %s", code, body)
	}
	var reports oversight.List[oversight.EvidenceReport]
	e.must("defense", "GET", "/v1/evidence", nil, 200, &reports)
	if len(reports.Items) != 1 {
		t.Fatalf("%d reports after a malformed one, want 1", len(reports.Items))
	}

	big := bytes.Repeat([]byte(" "), stix.MaxBundle+8192)
	copy(big, `{"type":"bundle","objects":[`)
	if code, body := e.call("defense", "POST", "/v1/evidence", big); code != 413 {
		t.Fatalf("oversized: %d %s", code, body)
	}
}
