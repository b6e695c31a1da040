package httpapi_test

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reqsign"
)

// A revoked licence set back to active in the database behind the
// server's back (issue 12 point 3): once the integrity check has run, its
// deployment's lease and decisions are refused with a 409 whose problem
// type says the stored state disagrees with the audit log, /readyz is 503
// and says why, and the metric counts the mismatch.
func TestIntegrityHTTP(t *testing.T) {
	e := newLeaseEnv(t, 0)
	dep, lic := e.ids["deployment"], e.ids["license"]
	e.action("revoke", nil)

	db, err := sql.Open("sqlite", e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var doc string
	if err := db.QueryRow(`SELECT doc FROM licenses WHERE id = $1`, lic).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	doc = strings.Replace(doc, `"status":"revoked"`, `"status":"active"`, 1)
	if _, err := db.Exec(`UPDATE licenses SET status = 'active', doc = $2 WHERE id = $1`, lic, doc); err != nil {
		t.Fatal(err)
	}
	lease := func() (int, oversight.Problem) {
		req, err := reqsign.NewRequest("POST", e.srv.URL+"/v1/deployments/"+dep+"/lease", nil, dep, e.keys[dep], time.Now())
		if err != nil {
			t.Fatal(err)
		}
		code, b := e.send(req)
		var p oversight.Problem
		json.Unmarshal(b, &p)
		return code, p
	}
	if code, p := lease(); code != http.StatusOK {
		t.Fatalf("before the check, the edit takes (the defect): %d %+v", code, p)
	}
	if _, err := e.svc.CheckIntegrity(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantType := oversight.ProblemTypeBase + oversight.EINTEGRITY
	if code, p := lease(); code != http.StatusConflict || p.Type != wantType || p.CurrentState != "unverified" ||
		!strings.Contains(p.Detail, "licence "+lic+": its stored state disagrees with the audit log") {
		t.Errorf("lease after the check: %d %+v", code, p)
	}
	code, b := e.decide(operationRequest(dep))
	var p oversight.Problem
	json.Unmarshal(b, &p)
	if code != http.StatusConflict || p.Type != wantType {
		t.Errorf("authorize after the check: %d %s", code, b)
	}
	code, b = e.call("", "GET", "/readyz", nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(b), "licence "+lic+": stored status active; the log says revoked") {
		t.Errorf("readyz: %d %s", code, b)
	}
	code, b = e.call("", "GET", "/metrics", nil)
	if code != 200 || !strings.Contains(string(b), "\noversight_integrity_mismatches_total 1\n") {
		t.Errorf("metrics: %d, no oversight_integrity_mismatches_total 1", code)
	}
}
