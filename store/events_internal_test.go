package store

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"

	"github.com/oversight-dev/oversight"
)

// Event.AppendCanonicalJSON must produce exactly what canonicalising the whole
// marshalled event produces, for any strings: the leaf bytes are the
// public record and verifiers recompute them.
func FuzzCanonicalEvent(f *testing.F) {
	f.Add("license.decided", "defense:tok_01", "lic_01", int64(42), int64(1767225600123456), `{"decision":"approve"}`)
	f.Add("x", "<a&b>", "\u2028\u2029", int64(0), int64(0), `{"b":1,"a":[1.5e300,"\u0001"]}`)
	f.Add("\x00\x1f\"\\\x7f", "é\xffz", "\t\n\r\b\f", int64(1<<53), int64(-1), `null`)
	f.Fuzz(func(t *testing.T, typ, actor, subject string, index, micros int64, payload string) {
		// JCS writes integers beyond 2^53 as IEEE doubles; a log index
		// never gets there.
		if index < 0 || index > 1<<53 || !json.Valid([]byte(payload)) {
			t.Skip()
		}
		canon, err := jcs.Transform([]byte(payload))
		if err != nil {
			t.Skip()
		}
		ev := oversight.Event{Index: index, Type: typ, Actor: actor, Subject: subject,
			Time: time.UnixMicro(micros).UTC(), Payload: canon}
		if ev.Time.Year() < 0 || ev.Time.Year() > 9999 {
			t.Skip() // not representable in RFC 3339
		}
		raw, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		got := ev.AppendCanonicalJSON(nil)
		if string(got) != string(want) {
			t.Fatalf("Event.AppendCanonicalJSON:\n got %q\nwant %q", got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
	})
}

// A payload that writes its own canonical JSON must write exactly what
// canonicalising json.Marshal's output gives: the public record of every
// decision takes this path.
func FuzzOperationDecidedCanonical(f *testing.F) {
	f.Add("op_1", "lic_1", "dep_1", "intercept", "terrorism", "kidnapping", "permit", "IL2021-2", "", true, int64(1767225600123456), 3, "case_1", "abcd")
	f.Add("op_\u2028", "<&>", "\"\\", "x", "y", "", "deny", "\x00\x1f", "\xff", false, int64(0), 0, "", "")
	f.Fuzz(func(t *testing.T, id, lic, dep, op, cat, act, decision, code1, code2 string, review bool, micros int64, version int, caseID, commitment string) {
		d := oversight.OperationDecided{OperationID: id, LicenseID: lic, DeploymentID: dep, Operation: oversight.Operation(op),
			Category: oversight.Category(cat), Act: act, Decision: oversight.Verdict(decision), Codes: []string{code1, code2},
			Review: review, PolicyVersion: version, MisuseCaseID: caseID, Commitment: commitment}
		if micros%2 == 0 {
			e := time.UnixMicro(micros).UTC()
			if e.Year() < 0 || e.Year() > 9999 {
				t.Skip()
			}
			d.ExpiresAt = &e
		}
		if micros%3 == 0 {
			d.Codes = nil
		}
		raw, err := json.Marshal(d)
		if err != nil {
			t.Skip()
		}
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := canonicalPayload(d)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("AppendCanonicalJSON:\n got %s\nwant %s", got, want)
		}
	})
}
