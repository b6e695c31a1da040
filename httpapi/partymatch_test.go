package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

// Over HTTP: an SDN entity imported with its legal form as the list
// writes it, a vendor registered under the same name with another legal
// form, its licence applied for; approval is a 409 problem naming the
// match, the list and the score, until an officer clears the match.
func TestPartyMatchOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.world()
	e.must("defense", "POST", "/v1/designations:import", map[string]any{"designations": []map[string]any{{
		"type": "entity", "name": "KESTREL DYNAMICS LLC", "basis": "sanctions_list", "source": "ofac-sdn:77001", "program": "CYBER2"}}}, 200, nil)
	applied := e.ids["applied"]
	code, body := e.call("defense", "POST", "/v1/licenses/"+applied+"/approvals", map[string]any{"decision": "approve"})
	var p oversight.Problem
	if code != 409 || json.Unmarshal(body, &p) != nil || p.CurrentState != "party_match" {
		t.Fatalf("approval: %d %s, want 409 party_match", code, body)
	}
	var ls oversight.LicenseScreening
	e.must("foreign_affairs", "GET", "/v1/licenses/"+applied+"/party-matches", nil, 200, &ls)
	var m *oversight.PartyMatch
	for i := range ls.Matches {
		if ls.Matches[i].Party.Kind == oversight.PartyVendor {
			m = &ls.Matches[i]
		}
	}
	if m == nil || !ls.Blocked {
		t.Fatalf("party matches: %+v", ls)
	}
	for _, want := range []string{m.ID, m.Match.DesignationID, "KESTREL DYNAMICS LLC", "OFAC SDN, programme CYBER2"} {
		if !strings.Contains(p.Detail, want) {
			t.Errorf("problem %q does not name %s", p.Detail, want)
		}
	}
	code, body = e.call("foreign_affairs", "POST", "/v1/licenses/"+applied+"/party-matches/"+m.ID+"/clear", map[string]any{})
	if code != 400 || !strings.Contains(string(body), "reason") {
		t.Errorf("clear without a reason: %d %s", code, body)
	}
	var cleared oversight.PartyMatch
	e.must("foreign_affairs", "POST", "/v1/licenses/"+applied+"/party-matches/"+m.ID+"/clear", map[string]any{"reason": "a different company"}, 200, &cleared)
	if cleared.Status != oversight.PartyMatchCleared {
		t.Fatalf("cleared: %+v", cleared)
	}
	e.approveBoth(applied)
}

// Over HTTP: changing a vendor and an agency. Stale, bad and unknown
// changes are problem documents (409 changed, 400 naming the field, 404);
// renaming the vendor to a listed entity's name opens a PARTY-LISTED case
// on its active licence and holds its applied one (409 party_match).
func TestPartyChangeOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.world()
	e.must("defense", "POST", "/v1/designations:import", map[string]any{"designations": []map[string]any{{
		"type": "entity", "name": "NIGHTJAR INTRUSION SYSTEMS LTD", "basis": "sanctions_list", "source": "ofac-sdn:77002", "program": "CYBER2"}}}, 200, nil)
	vpath := "/v1/vendors/" + e.ids["vendor"]
	var v oversight.Vendor
	e.must("defense", "GET", vpath, nil, 200, &v)
	for _, tc := range []struct {
		label, path string
		body        map[string]any
		code        int
		want        string // the field, or the current state
	}{
		{"defense", vpath, map[string]any{"log_index": v.LogIndex - 1, "address": "x"}, 409, "changed"},
		{"defense", vpath, map[string]any{"name": ""}, 400, "name"},
		{"defense", vpath, map[string]any{"remove_persons": []string{"per_x"}}, 400, "remove_persons[0]"},
		{"defense", vpath, map[string]any{"persons": []any{}}, 400, "persons"},
		{"defense", "/v1/vendors/ven_x", map[string]any{"name": "N"}, 404, ""},
		{"vendor", vpath, map[string]any{"name": "N"}, 403, ""},
		{"foreign_affairs", "/v1/end-users/" + e.ids["end_user"], map[string]any{"country": "DE"}, 400, "country"},
		{"end_user", "/v1/end-users/" + e.ids["end_user"], map[string]any{"agency": "N"}, 403, ""},
	} {
		code, body := e.call(tc.label, "PATCH", tc.path, tc.body)
		var p oversight.Problem
		if code != tc.code || json.Unmarshal(body, &p) != nil || p.Status != tc.code {
			t.Errorf("PATCH %s %v as %s: %d %s, want a %d problem", tc.path, tc.body, tc.label, code, body, tc.code)
			continue
		}
		if tc.code == 409 && p.CurrentState != tc.want || tc.code == 400 && (len(p.Errors) == 0 || p.Errors[0].Field != tc.want) {
			t.Errorf("PATCH %s %v: %s, want %s named", tc.path, tc.body, body, tc.want)
		}
	}

	var w oversight.Vendor
	e.must("admin", "PATCH", vpath, map[string]any{"log_index": v.LogIndex, "name": "Nightjar Intrusion Systems Limited"}, 200, &w)
	if w.Name != "Nightjar Intrusion Systems Limited" || w.LogIndex <= v.LogIndex || len(w.Persons) != len(v.Persons) {
		t.Fatalf("changed vendor: %+v", w)
	}
	var cases oversight.List[oversight.Case]
	e.must("defense", "GET", "/v1/cases?rule=PARTY-LISTED&license="+e.ids["license"], nil, 200, &cases)
	if len(cases.Items) != 1 {
		t.Fatalf("PARTY-LISTED cases of the active licence: %+v", cases.Items)
	}
	code, body := e.call("defense", "POST", "/v1/licenses/"+e.ids["applied"]+"/approvals", map[string]any{"decision": "approve"})
	var p oversight.Problem
	if code != 409 || json.Unmarshal(body, &p) != nil || p.CurrentState != "party_match" || !strings.Contains(p.Detail, "NIGHTJAR INTRUSION SYSTEMS LTD") {
		t.Fatalf("approval after the rename: %d %s", code, body)
	}
	var eu oversight.EndUser
	e.must("foreign_affairs", "PATCH", "/v1/end-users/"+e.ids["end_user"], map[string]any{"agency": "Directorate of Judicial Police", "kind": "intelligence"}, 200, &eu)
	if eu.Agency != "Directorate of Judicial Police" || eu.Kind != oversight.KindIntelligence {
		t.Fatalf("changed agency: %+v", eu)
	}
}
