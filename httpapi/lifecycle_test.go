package httpapi_test

import (
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

// A case goes open → investigating → substantiated on its findings; from
// there, in one step, a suspension naming it, which stops the tool; its
// timeline shows each step from the log and measures the interval from
// the first evidence to the stop. The moves that skip a step, or a finding
// without findings, are refused; a case not substantiated orders nothing.
func TestCaseLifecycle(t *testing.T) {
	e := newEnv(t)
	e.world()
	var c, other oversight.Case
	e.must("defense", "POST", "/v1/cases", map[string]any{"source": "forensic_report", "license_id": e.ids["license"], "title": "Phone of a reporter",
		"evidence": []map[string]any{{"kind": "report", "ref": "FR-1", "description": "examination"}}}, 201, &c)
	e.must("defense", "POST", "/v1/cases", map[string]any{"source": "complaint", "license_id": e.ids["license"], "title": "Another"}, 201, &other)
	path := "/v1/cases/" + c.ID

	if code, b := e.call("defense", "PATCH", path, map[string]any{"status": "substantiated", "findings": "f"}); code != 409 {
		t.Errorf("open → substantiated: %d %s, want 409", code, b)
	}
	e.must("defense", "PATCH", path, map[string]any{"status": "investigating"}, 200, &c)
	code, b := e.call("defense", "PATCH", path, map[string]any{"status": "substantiated"})
	refusal(t, "substantiated without findings", code, b, "findings")
	e.must("foreign_affairs", "PATCH", path, map[string]any{"status": "substantiated", "findings": "The tool was used against a journalist."}, 200, &c)
	if c.Status != oversight.CaseSubstantiated {
		t.Fatalf("status %s", c.Status)
	}
	if code, b := e.call("defense", "PATCH", path, map[string]any{"status": "open"}); code != 409 || !strings.Contains(string(b), "investigating or closed") {
		t.Errorf("substantiated → open: %d %s, want 409 naming the moves", code, b)
	}

	if code, b := e.call("defense", "POST", "/v1/cases/"+other.ID+"/actions", map[string]any{"kind": "suspend", "reason": "r"}); code != 409 {
		t.Errorf("action from an open case: %d %s, want 409", code, b)
	}
	var a oversight.Action
	e.must("defense", "POST", path+"/actions", map[string]any{"kind": "suspend", "reason": "misuse established"}, 201, &a)
	if a.CaseID != c.ID || a.LicenseID != e.ids["license"] || a.Status != oversight.ActionExecuted {
		t.Errorf("action %+v", a)
	}

	var tl oversight.CaseTimeline
	e.must("admin", "GET", path+"/timeline", nil, 200, &tl)
	var whats []string
	for _, x := range tl.Entries {
		whats = append(whats, x.What)
	}
	want := "case opened|case updated, status investigating|case updated, status substantiated|enforcement proposed|suspend took effect"
	if got := strings.Join(whats, "|"); got != want {
		t.Errorf("timeline:\n got %s\nwant %s", got, want)
	}
	if s := tl.EvidenceToStop; s == nil || s.Seconds < 0 || !s.From.Equal(c.CreatedAt) || !s.To.Equal(*a.ExecutedAt) {
		t.Errorf("evidence to stop: %+v (case opened %s, action executed %v)", s, c.CreatedAt, a.ExecutedAt)
	}
	var o oversight.CaseTimeline
	e.must("defense", "GET", "/v1/cases/"+other.ID+"/timeline", nil, 200, &o)
	if o.EvidenceToStop != nil || len(o.Entries) != 1 {
		t.Errorf("a case with nothing done: %+v", o)
	}
}
