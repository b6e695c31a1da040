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
		{"POST", "/v1/vendors", func() any { return map[string]any{"name": "New Vendor", "country": "IL"} }, []string{"admin", "defense"}},
		{"GET", "/v1/vendors", none, []string{"admin", "defense", "foreign_affairs", "vendor"}},
		{"GET", "/v1/vendors/" + ids["vendor"], none, []string{"admin", "defense", "foreign_affairs", "vendor"}},
		{"POST", "/v1/products", func() any {
			return map[string]any{"vendor_id": ids["vendor"], "name": "P", "capabilities": []string{"locate"}, "control_entries": []string{"4.A.5"}}
		}, []string{"admin", "defense", "vendor"}},
		{"GET", "/v1/products", none, []string{"admin", "defense", "foreign_affairs", "vendor"}},
		{"GET", "/v1/products/" + ids["product"], none, []string{"admin", "defense", "foreign_affairs", "vendor"}},
		{"POST", "/v1/products/" + ids["product"] + "/reviews", func() any { return map[string]any{"stage": "concept", "dossier": "d"} }, []string{"admin", "vendor"}},
		{"GET", "/v1/products/" + ids["product"] + "/reviews", none, []string{"admin", "defense", "foreign_affairs", "vendor"}},
		{"GET", "/v1/reviews/" + ids["review"], none, []string{"admin", "defense", "foreign_affairs", "vendor"}},
		{"POST", "/v1/reviews/" + ids["review"] + "/decision", func() any { return map[string]any{"decision": "approve"} }, []string{"defense"}},
		{"GET", "/v1/countries", none, all},
		{"PUT", "/v1/countries/DE", func() any { return map[string]any{"tier": "eligible"} }, []string{"defense"}},
		{"POST", "/v1/end-users", func() any {
			return map[string]any{"country": "FR", "agency": "X", "kind": "intelligence", "signing_key": oversight.EncodeKey(make([]byte, 32))}
		}, []string{"admin", "defense", "foreign_affairs"}},
		{"GET", "/v1/end-users", none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		{"GET", "/v1/end-users/" + ids["end_user"], none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		{"GET", "/v1/declaration-templates", none, all},
		{"POST", "/v1/declarations:text", func() any {
			return map[string]any{"template": "IL-2021", "end_user_id": ids["end_user"], "signatory": map[string]string{"name": "n", "title": "t"}, "signed_on": "2026-01-01"}
		}, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		{"POST", "/v1/declarations", func() any { return e.declaration(ids["end_user"]) }, []string{"admin", "foreign_affairs", "end_user"}},
		{"GET", "/v1/declarations", none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		{"GET", "/v1/declarations/" + ids["declaration"], none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		{"POST", "/v1/licenses", func() any {
			return map[string]any{"kind": "marketing", "product_id": ids["product"], "end_user_id": ids["end_user"], "scope": scope()}
		}, []string{"defense", "vendor"}},
		{"GET", "/v1/licenses", none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		{"GET", "/v1/licenses/" + ids["license"], none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		{"POST", "/v1/licenses/" + ids["applied"] + "/approvals", func() any { return map[string]any{"decision": "approve"} }, []string{"defense", "foreign_affairs"}},
		{"POST", "/v1/licenses/" + ids["license"] + "/actions", func() any {
			return map[string]any{"kind": "revoke", "reason": "r"}
		}, []string{"defense", "foreign_affairs"}},
		{"GET", "/v1/licenses/" + ids["license"] + "/actions", none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		{"POST", "/v1/deployments", func() any {
			return map[string]any{"license_id": ids["license"], "label": "x", "public_key": oversight.EncodeKey(make([]byte, 32))}
		}, []string{"defense", "vendor", "end_user"}},
		{"GET", "/v1/deployments?license=" + ids["license"], none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		{"GET", "/v1/deployments/" + ids["deployment"], none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
	}
	// A deployment to retire: the first role allowed retires it, the next
	// get past the role check to a conflict.
	rpub, _, _ := ed25519.GenerateKey(rand.Reader)
	var rd id
	e.must("vendor", "POST", "/v1/deployments", map[string]any{"license_id": ids["license"], "label": "to retire", "public_key": oversight.EncodeKey(rpub)}, 201, &rd)
	eps = append(eps, ep{"POST", "/v1/deployments/" + rd.ID + "/retire", func() any { return map[string]any{"reason": "r"} }, []string{"defense", "vendor", "end_user"}})

	// An action to read and approve, ordered by a second defense officer.
	var act struct{ ID string }
	e.must("defense2", "POST", "/v1/licenses/"+ids["license"]+"/actions", map[string]any{"kind": "suspend", "reason": "r"}, 201, &act)
	eps = append(eps,
		ep{"GET", "/v1/actions/" + act.ID, none, []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}},
		ep{"POST", "/v1/actions/" + act.ID + "/approvals", func() any { return map[string]any{"decision": "approve"} }, []string{"defense", "foreign_affairs"}},
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
	officialsAndParties := []string{"admin", "defense", "foreign_affairs", "vendor", "end_user"}
	eps = append(eps,
		ep{"GET", "/v1/operations?license=" + ids["license"], none, officialsAndParties},
		ep{"GET", "/v1/operations/" + op.OperationID, none, officialsAndParties},
		ep{"POST", "/v1/protected", func() any { return map[string]any{"id_hash": targetHash("matrix"), "category": "journalist"} }, []string{"defense", "foreign_affairs"}},
		ep{"POST", "/v1/protected:import?category=diplomat", func() any { return targetHash("matrix 2") + "\n" }, []string{"defense", "foreign_affairs"}},
		ep{"POST", "/v1/cases", func() any {
			return map[string]any{"source": "forensic_report", "license_id": ids["license"], "title": "Report"}
		}, []string{"defense", "foreign_affairs"}},
		ep{"GET", "/v1/cases", none, []string{"admin", "defense", "foreign_affairs"}},
		ep{"GET", "/v1/cases/" + mc.ID, none, []string{"admin", "defense", "foreign_affairs"}},
		ep{"PATCH", "/v1/cases/" + mc.ID, func() any { return map[string]any{"findings": "under review"} }, []string{"defense", "foreign_affairs"}},
		ep{"PATCH", "/v1/deployments/" + ids["deployment"], func() any {
			return map[string]any{"infrastructure": map[string]any{"domains": []string{"c2.example.net"}}}
		}, []string{"defense", "vendor", "end_user"}},
	)
	// A forensic report, imported once to be read.
	bundle := func() any {
		return map[string]any{"type": "bundle", "id": "bundle--34d0032b-b342-4076-955d-6c0020fe693a", "objects": []any{}}
	}
	var rpt id
	e.must("defense", "POST", "/v1/evidence", bundle(), 201, &rpt)
	eps = append(eps,
		ep{"POST", "/v1/evidence", bundle, []string{"defense", "foreign_affairs"}},
		ep{"GET", "/v1/evidence", none, []string{"admin", "defense", "foreign_affairs"}},
		ep{"GET", "/v1/evidence/" + rpt.ID, none, []string{"admin", "defense", "foreign_affairs"}},
	)
	// A complaint, filed without a token, to list and triage.
	var rc oversight.ComplaintReceipt
	e.must("", "POST", "/v1/complaints", map[string]any{"text": "t", "license_id": ids["license"]}, 201, &rc)
	eps = append(eps,
		ep{"GET", "/v1/complaints", none, []string{"admin", "defense", "foreign_affairs"}},
		ep{"POST", "/v1/complaints/" + rc.Receipt + "/triage", func() any { return map[string]any{"action": "dismiss", "note": "n"} }, []string{"defense", "foreign_affairs"}},
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
	designators := []string{"defense", "foreign_affairs"}
	screeners := []string{"admin", "defense", "foreign_affairs", "consular"}
	eps = append(eps,
		ep{"POST", "/v1/designations", func() any { return map[string]any{"name": "Another PERSON", "basis": "misuse"} }, designators},
		ep{"GET", "/v1/designations", none, screeners},
		ep{"GET", "/v1/designations/" + des.ID, none, screeners},
		ep{"POST", "/v1/designations/" + des.ID + "/delist", func() any { return map[string]any{"reason": "r"} }, designators},
		ep{"POST", "/v1/designations:import", func() any {
			return map[string]any{"designations": []map[string]any{{"name": "Imported PERSON", "basis": "misuse", "source": "matrix:1"}}}
		}, designators},
		ep{"POST", "/v1/cases/" + cs.ID + "/designations", none, designators},
		ep{"POST", "/v1/screen", func() any { return map[string]any{"name": "Matrix Person"} }, screeners},
		ep{"POST", "/v1/screen:batch", func() any { return "name\nMatrix Person\n" }, screeners},
		ep{"GET", "/v1/screenings", none, []string{"admin", "defense", "foreign_affairs"}},
		ep{"GET", "/v1/screenings/" + scr.ScreeningID, none, []string{"admin", "defense", "foreign_affairs"}},
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
		ep{"GET", pm, none, []string{"admin", "defense", "foreign_affairs"}},
		ep{"POST", pm + "/" + ls.Matches[0].ID + "/clear", reason, designators},
		ep{"POST", pm + "/" + ls.Matches[0].ID + "/confirm", reason, designators},
	)
	// What the vendor's registration withheld from the public log.
	var vendor oversight.Vendor
	e.must("defense", "GET", "/v1/vendors/"+ids["vendor"], nil, 200, &vendor)
	eps = append(eps, ep{"GET", fmt.Sprintf("/v1/log/entries/%d/private", vendor.LogIndex), none, []string{"admin", "defense", "foreign_affairs"}})

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
