package httpapi_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

// Every endpoint, called by every role: the allowed roles get past the
// role check (whatever the state then says), the others get 403, and no
// token at all gets 401. Vendors and agencies reaching for what is not
// theirs get 404, so that ids cannot be probed.
func TestRoleMatrix(t *testing.T) {
	e := newEnv(t)
	e.world()
	ids := e.ids
	all := []string{"admin", "defense", "foreign_affairs", "vendor", "end_user", "consular"}
	type ep struct {
		method, path string
		body         func() any
		allowed      []string
	}
	none := func() any { return nil }
	eps := []ep{
		{"POST", "/v1/vendors", func() any { return map[string]any{"name": "New Vendor", "country": "IL"} }, may(oversight.TaskVendorCreate)},
		{"GET", "/v1/vendors", none, may(oversight.TaskVendorRead)},
		{"GET", "/v1/vendors/" + ids["vendor"], none, may(oversight.TaskVendorRead)},
		{"PATCH", "/v1/vendors/" + ids["vendor"], func() any { return map[string]any{"address": "2 Harbour Road, Haifa"} }, may(oversight.TaskVendorUpdate)},
		{"POST", "/v1/products", func() any {
			return map[string]any{"vendor_id": ids["vendor"], "name": "P", "capabilities": []string{"locate"}, "control_entries": []string{"4.A.5"}}
		}, may(oversight.TaskProductCreate)},
		{"GET", "/v1/products", none, may(oversight.TaskProductRead)},
		{"GET", "/v1/products/" + ids["product"], none, may(oversight.TaskProductRead)},
		{"POST", "/v1/products/" + ids["product"] + "/reviews", func() any { return map[string]any{"stage": "concept", "dossier": "d"} }, may(oversight.TaskReviewSubmit)},
		{"GET", "/v1/products/" + ids["product"] + "/reviews", none, may(oversight.TaskReviewRead)},
		{"GET", "/v1/reviews/" + ids["review"], none, may(oversight.TaskReviewRead)},
		{"POST", "/v1/reviews/" + ids["review"] + "/decision", func() any { return map[string]any{"decision": "approve"} }, may(oversight.TaskReviewDecide)},
		{"GET", "/v1/countries", none, may(oversight.TaskCountryRead)},
		{"PUT", "/v1/countries/DE", func() any { return map[string]any{"tier": "eligible"} }, may(oversight.TaskCountrySet)},
		{"POST", "/v1/end-users", func() any {
			return map[string]any{"country": "FR", "agency": "X", "kind": "intelligence", "signing_key": oversight.EncodeKey(make([]byte, 32))}
		}, may(oversight.TaskEndUserCreate)},
		{"GET", "/v1/end-users", none, may(oversight.TaskEndUserRead)},
		{"GET", "/v1/end-users/" + ids["end_user"], none, may(oversight.TaskEndUserRead)},
		{"PATCH", "/v1/end-users/" + ids["end_user"], func() any { return map[string]any{"kind": "intelligence"} }, may(oversight.TaskEndUserUpdate)},
		{"GET", "/v1/declaration-templates", none, may(oversight.TaskTemplateRead)},
		{"POST", "/v1/declarations:text", func() any {
			return map[string]any{"template": "IL-2021", "end_user_id": ids["end_user"], "signatory": map[string]string{"name": "n", "title": "t"}, "signed_on": "2026-01-01"}
		}, may(oversight.TaskDeclarationRead)},
		{"POST", "/v1/declarations", func() any { return e.declaration(ids["end_user"]) }, may(oversight.TaskDeclarationRecord)},
		{"GET", "/v1/declarations", none, may(oversight.TaskDeclarationRead)},
		{"GET", "/v1/declarations/" + ids["declaration"], none, may(oversight.TaskDeclarationRead)},
		{"POST", "/v1/licenses", func() any {
			return map[string]any{"kind": "marketing", "product_id": ids["product"], "end_user_id": ids["end_user"], "scope": scope()}
		}, may(oversight.TaskLicenseApply)},
		{"GET", "/v1/licenses", none, may(oversight.TaskLicenseRead)},
		{"GET", "/v1/licenses/" + ids["license"], none, may(oversight.TaskLicenseRead)},
		{"POST", "/v1/licenses/" + ids["applied"] + "/approvals", func() any { return map[string]any{"decision": "approve"} }, may(oversight.TaskLicenseDecide)},
		{"POST", "/v1/licenses/" + ids["license"] + "/actions", func() any {
			return map[string]any{"kind": "revoke", "reason": "r"}
		}, may(oversight.TaskActionOrder)},
		{"GET", "/v1/licenses/" + ids["license"] + "/actions", none, may(oversight.TaskLicenseRead)},
		{"POST", "/v1/deployments", func() any {
			return map[string]any{"license_id": ids["license"], "label": "x", "public_key": oversight.EncodeKey(make([]byte, 32))}
		}, may(oversight.TaskDeploymentRegister)},
		{"GET", "/v1/deployments?license=" + ids["license"], none, may(oversight.TaskLicenseRead)},
		{"GET", "/v1/deployments/" + ids["deployment"], none, may(oversight.TaskDeploymentRead)},
	}
	// A deployment to retire: the first role allowed retires it, the next
	// get past the role check to a conflict.
	rpub, _, _ := ed25519.GenerateKey(rand.Reader)
	var rd id
	e.must("vendor", "POST", "/v1/deployments", map[string]any{"license_id": ids["license"], "label": "to retire", "public_key": oversight.EncodeKey(rpub)}, 201, &rd)
	eps = append(eps, ep{"POST", "/v1/deployments/" + rd.ID + "/retire", func() any { return map[string]any{"reason": "r"} }, may(oversight.TaskDeploymentRetire)})

	// An action to read and approve, ordered by a second defense officer.
	var act struct{ ID string }
	e.must("defense2", "POST", "/v1/licenses/"+ids["license"]+"/actions", map[string]any{"kind": "suspend", "reason": "r"}, 201, &act)
	eps = append(eps,
		ep{"GET", "/v1/actions/" + act.ID, none, may(oversight.TaskActionRead)},
		ep{"POST", "/v1/actions/" + act.ID + "/approvals", func() any { return map[string]any{"decision": "approve"} }, may(oversight.TaskActionApprove)},
	)
	// An operation the deployment asked for (a deny: the suspension above
	// took effect at once, and a deny is stored like a permit), and a
	// misuse case about it. Cases are for officials only.
	var op oversight.Decision
	if code, b := e.decide(operationRequest(ids["deployment"])); code != 200 || json.Unmarshal(b, &op) != nil {
		t.Fatalf("authorize: %d %s", code, b)
	}
	var mc struct{ ID string }
	e.must("defense", "POST", "/v1/cases", map[string]any{"source": "complaint", "license_id": ids["license"], "title": "Complaint", "operation_ids": []string{op.OperationID}}, 201, &mc)
	eps = append(eps,
		ep{"GET", "/v1/operations?license=" + ids["license"], none, may(oversight.TaskOperationRead)},
		ep{"GET", "/v1/operations/" + op.OperationID, none, may(oversight.TaskOperationRead)},
		ep{"POST", "/v1/protected", func() any { return map[string]any{"id_hash": targetHash("matrix"), "category": "journalist"} }, may(oversight.TaskProtectedAdd)},
		ep{"POST", "/v1/protected:import?category=diplomat", func() any { return targetHash("matrix 2") + "\n" }, may(oversight.TaskProtectedImport)},
		ep{"POST", "/v1/cases", func() any {
			return map[string]any{"source": "forensic_report", "license_id": ids["license"], "title": "Report"}
		}, may(oversight.TaskCaseOpen)},
		ep{"GET", "/v1/cases", none, may(oversight.TaskCaseRead)},
		ep{"GET", "/v1/cases/" + mc.ID, none, may(oversight.TaskCaseRead)},
		ep{"PATCH", "/v1/cases/" + mc.ID, func() any { return map[string]any{"findings": "under review"} }, may(oversight.TaskCaseUpdate)},
		ep{"PATCH", "/v1/deployments/" + ids["deployment"], func() any {
			return map[string]any{"infrastructure": map[string]any{"domains": []string{"c2.example.net"}}}
		}, may(oversight.TaskDeploymentDeclare)},
	)
	// A forensic report, imported once to be read.
	bundle := func() any {
		return map[string]any{"type": "bundle", "id": "bundle--34d0032b-b342-4076-955d-6c0020fe693a", "objects": []any{}}
	}
	var rpt id
	e.must("defense", "POST", "/v1/evidence", bundle(), 201, &rpt)
	eps = append(eps,
		ep{"POST", "/v1/evidence", bundle, may(oversight.TaskEvidenceImport)},
		ep{"GET", "/v1/evidence", none, may(oversight.TaskEvidenceRead)},
		ep{"GET", "/v1/evidence/" + rpt.ID, none, may(oversight.TaskEvidenceRead)},
	)
	// A complaint, filed without a token, to list and triage.
	var rc oversight.ComplaintReceipt
	e.must("", "POST", "/v1/complaints", map[string]any{"text": "t", "license_id": ids["license"]}, 201, &rc)
	eps = append(eps,
		ep{"GET", "/v1/complaints", none, may(oversight.TaskComplaintRead)},
		ep{"POST", "/v1/complaints/" + rc.Receipt + "/triage", func() any { return map[string]any{"action": "dismiss", "note": "n"} }, may(oversight.TaskComplaintTriage)},
	)
	// Visa screening: a designation to read and delist, a case to
	// designate from, a screening whose record to read.
	var des, cs id
	var scr struct {
		ScreeningID string `json:"screening_id"`
	}
	e.must("defense", "POST", "/v1/designations", map[string]any{"name": "Matrix PERSON", "basis": "misuse"}, 201, &des)
	e.must("defense", "POST", "/v1/cases", map[string]any{"source": "complaint", "license_id": ids["license"], "title": "t"}, 201, &cs)
	e.must("consular", "POST", "/v1/screen", map[string]any{"name": "Matrix Person"}, 200, &scr)
	eps = append(eps,
		ep{"POST", "/v1/designations", func() any { return map[string]any{"name": "Another PERSON", "basis": "misuse"} }, may(oversight.TaskDesignate)},
		ep{"GET", "/v1/designations", none, may(oversight.TaskDesignationRead)},
		ep{"GET", "/v1/designations/" + des.ID, none, may(oversight.TaskDesignationRead)},
		ep{"POST", "/v1/designations/" + des.ID + "/delist", func() any { return map[string]any{"reason": "r"} }, may(oversight.TaskDesignationDelist)},
		ep{"POST", "/v1/designations:import", func() any {
			return map[string]any{"designations": []map[string]any{{"name": "Imported PERSON", "basis": "misuse", "source": "matrix:1"}}}
		}, may(oversight.TaskDesignationImport)},
		ep{"POST", "/v1/cases/" + cs.ID + "/designations", none, may(oversight.TaskDesignateFromCase)},
		ep{"GET", "/v1/cases/" + cs.ID + "/timeline", none, may(oversight.TaskCaseRead)},
		ep{"POST", "/v1/cases/" + cs.ID + "/actions", func() any { return map[string]any{"kind": "suspend", "reason": "r"} }, may(oversight.TaskActionOrder)},
		ep{"POST", "/v1/screen", func() any { return map[string]any{"name": "Matrix Person"} }, may(oversight.TaskScreen)},
		ep{"POST", "/v1/screen:batch", func() any { return "name\nMatrix Person\n" }, may(oversight.TaskScreen)},
		ep{"GET", "/v1/screenings", none, may(oversight.TaskScreeningRead)},
		ep{"GET", "/v1/screenings/" + scr.ScreeningID, none, may(oversight.TaskScreeningRead)},
	)
	// Screening in licensing: the vendor's owner designated, a match of
	// the applied licence's party, cleared by the first officer allowed
	// (the others then meet a conflict, past the role check).
	e.must("defense", "POST", "/v1/designations", map[string]any{"name": "Yoav BEN-AMI", "basis": "misuse"}, 201, nil)
	var ls oversight.LicenseScreening
	e.must("defense", "GET", "/v1/licenses/"+ids["applied"]+"/party-matches", nil, 200, &ls)
	if len(ls.Matches) == 0 || !ls.Blocked {
		t.Fatalf("party matches of the applied licence after designating its vendor's owner: %+v", ls)
	}
	pm := "/v1/licenses/" + ids["applied"] + "/party-matches"
	reason := func() any { return map[string]any{"reason": "another person, born 1990"} }
	eps = append(eps,
		ep{"GET", pm, none, may(oversight.TaskPartyMatchRead)},
		ep{"POST", pm + "/" + ls.Matches[0].ID + "/clear", reason, may(oversight.TaskPartyMatchDecide)},
		ep{"POST", pm + "/" + ls.Matches[0].ID + "/confirm", reason, may(oversight.TaskPartyMatchDecide)},
	)
	// What the vendor's registration withheld from the public log.
	var vendor oversight.Vendor
	e.must("defense", "GET", "/v1/vendors/"+ids["vendor"], nil, 200, &vendor)
	eps = append(eps, ep{"GET", fmt.Sprintf("/v1/log/entries/%d/private", vendor.LogIndex), none, may(oversight.TaskLogDisclose)})

	covered := map[string]bool{}
	for _, x := range eps {
		pattern := routeOf(e, x.method, x.path)
		covered[x.method+" "+pattern] = true
		for _, role := range all {
			code, body := e.call(role, x.method, x.path, x.body())
			allowed := contains(x.allowed, role)
			switch {
			case allowed && (code == 401 || code == 403):
				t.Errorf("%s %s as %s: %d, want it allowed: %s", x.method, x.path, role, code, body)
			case !allowed && code != 403:
				t.Errorf("%s %s as %s: %d, want 403: %s", x.method, x.path, role, code, body)
			}
			if code >= 500 {
				t.Errorf("%s %s as %s: %d: %s", x.method, x.path, role, code, body)
			}
		}
		if code, _ := e.call("", x.method, x.path, x.body()); code != 401 {
			t.Errorf("%s %s without a token: %d, want 401", x.method, x.path, code)
		}
	}
	// Every authenticated route of the server is in the matrix.
	for _, r := range e.api.Routes() {
		if r.Public || strings.Contains(r.Pattern, "/log/") {
			continue
		}
		if !covered[r.Method+" "+r.Pattern] && !r.Signed {
			t.Errorf("route %s %s is not in the role matrix", r.Method, r.Pattern)
		}
	}
}

// may returns the roles that the table of who may do what
// (oversight.Task.Permission) lets do t: the matrix checks that the API
// enforces the table, endpoint by endpoint.
func may(t oversight.Task) []string {
	var out []string
	for _, r := range t.Permission().Roles {
		out = append(out, string(r))
	}
	if out == nil {
		panic("task " + string(t) + " is not in the table")
	}
	return out
}

// routeOf finds the pattern of the route that serves method and path.
func routeOf(e *env, method, path string) string {
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	_, pattern := e.api.Mux().Handler(req)
	_, p, _ := strings.Cut(pattern, " ")
	return p
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// A vendor sees only its own products and licences; an agency only those
// naming it.
func TestScoping(t *testing.T) {
	e := newEnv(t)
	e.world()
	for _, c := range []struct{ label, path string }{
		{"vendor_b", "/v1/products/" + e.ids["product"]},
		{"vendor_b", "/v1/licenses/" + e.ids["license"]},
		{"vendor_b", "/v1/vendors/" + e.ids["vendor"]},
		{"vendor_b", "/v1/deployments/" + e.ids["deployment"]},
		{"vendor_b", "/v1/products/" + e.ids["product"] + "/reviews"},
		{"vendor", "/v1/products/" + e.ids["product_b"]},
	} {
		if code, body := e.call(c.label, "GET", c.path, nil); code != 404 {
			t.Errorf("GET %s as %s: %d, want 404: %s", c.path, c.label, code, body)
		}
	}
	var list struct {
		Items []struct {
			ID       string `json:"id"`
			VendorID string `json:"vendor_id"`
		} `json:"items"`
	}
	e.must("vendor_b", "GET", "/v1/licenses", nil, 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("vendor_b sees %d licences of another vendor", len(list.Items))
	}
	e.must("vendor_b", "GET", "/v1/licenses?vendor_id="+e.ids["vendor"], nil, 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("vendor_b filtering on another vendor sees %d licences", len(list.Items))
	}
	e.must("vendor", "GET", "/v1/licenses", nil, 200, &list)
	if len(list.Items) != 3 {
		t.Errorf("vendor sees %d of its 3 licences", len(list.Items))
	}
	e.must("vendor_b", "GET", "/v1/products", nil, 200, &list)
	for _, p := range list.Items {
		if p.VendorID != e.ids["vendor_b"] {
			t.Errorf("vendor_b sees product %s of %s", p.ID, p.VendorID)
		}
	}
	e.must("vendor", "GET", "/v1/vendors", nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != e.ids["vendor"] {
		b, _ := json.Marshal(list)
		t.Errorf("vendor lists vendors %s, want only itself", b)
	}
}
