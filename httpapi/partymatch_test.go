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
