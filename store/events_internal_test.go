package store

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"

	"github.com/oversight-dev/oversight"
)

// appendCanonicalEvent must produce exactly what canonicalising the whole
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
		got := appendCanonicalEvent(nil, &ev)
		if string(got) != string(want) {
			t.Fatalf("appendCanonicalEvent:\n got %q\nwant %q", got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
	})
}
