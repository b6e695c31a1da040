package service

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

// The integrity check's shortcuts read what json.Unmarshal reads: an
// entry's type, subject, payload and time from its ends, and a decision's
// columns from its payload, for every form they take, and they fall back
// to parsing when the entry is not canonical.
func TestIntegrityShortcuts(t *testing.T) {
	exp := time.Date(2026, 12, 5, 8, 0, 0, 123456000, time.UTC)
	for _, d := range []oversight.OperationDecided{
		{OperationID: "op_1", LicenseID: "lic_1", DeploymentID: "dep_1", Operation: oversight.OpIntercept, Category: oversight.CategorySeriousCrime,
			Decision: oversight.Permit, Codes: []string{"IL2021-3"}, ExpiresAt: &exp, PolicyVersion: 2, Commitment: "abc"},
		{OperationID: "op_2", LicenseID: "lic_2", DeploymentID: "dep_2", Operation: oversight.OpLocate, Category: oversight.CategoryTerrorism,
			Act: `a "quoted" \ act with "decision":"permit"`, Decision: oversight.Deny, Codes: []string{"SCOPE-COUNTRY", "IL2021-1"}, Review: true, MisuseCaseID: "case_1"},
	} {
		payload := d.AppendCanonicalJSON(nil)
		var want loggedOperation
		if err := json.Unmarshal(payload, &want); err != nil {
			t.Fatal(err)
		}
		got, ok := decidedColumns(payload)
		if !ok || got.LicenseID != want.LicenseID || got.Decision != want.Decision || (got.ExpiresAt == nil) != (want.ExpiresAt == nil) ||
			got.ExpiresAt != nil && !got.ExpiresAt.Equal(*want.ExpiresAt) {
			t.Errorf("%s: got %+v, want %+v", payload, got, want)
		}
		ev := oversight.Event{Index: 7, Type: oversight.EventOperationDecided, Actor: d.DeploymentID, Subject: d.OperationID, Time: exp, Payload: payload}
		entry := ev.AppendCanonicalJSON(nil)
		typ, subject, p, ok := eventHead(entry)
		if !ok || typ != ev.Type || subject != ev.Subject || string(p) != string(payload) {
			t.Errorf("eventHead(%s) = %q %q %s %v", entry, typ, subject, p, ok)
		}
		if at := eventTime(entry); !at.Equal(ev.Time) {
			t.Errorf("eventTime(%s) = %v, want %v", entry, at, ev.Time)
		}
	}
	for _, entry := range []string{
		`{"actor":"x","index":1,"payload":{},"subject":"a\"b","time":"t","type":"y"}`, // an escape
		`{"type":"y", "subject":"s"}`, // not canonical
		`not json`,
	} {
		if _, _, _, ok := eventHead([]byte(entry)); ok {
			t.Errorf("eventHead(%s) took it", entry)
		}
	}
}
