package oversight

import (
	"errors"
	"testing"
	"time"
)

func TestDecodeJSONFields(t *testing.T) {
	type item struct {
		Name string `json:"name"`
	}
	type doc struct {
		When   time.Time         `json:"when"`
		Until  *time.Time        `json:"until,omitempty"`
		Items  []item            `json:"items"`
		Labels map[string]string `json:"labels"`
		Raw    any               `json:"raw"`
	}
	testCases := []struct {
		desc, in   string
		field, msg string // "" when the input is valid
	}{
		{desc: "valid", in: `{"when": "2026-01-01T00:00:00Z", "items": [{"name": "a"}], "labels": {"Any": "x"}, "raw": {"Free": 1, "Free": 2}}`},
		{desc: "first unknown field in document order", in: `{"zeta": 1, "alpha": 2, "beta": 3}`,
			field: "zeta", msg: "unknown field"},
		{desc: "unknown field in an array element", in: `{"items": [{"name": "a"}, {"name": "b", "size": 2}]}`,
			field: "items[1].size", msg: "unknown field"},
		{desc: "name in the wrong case", in: `{"items": [{"Name": "a"}]}`,
			field: "items[0].Name", msg: "unknown field; names are case-sensitive: name"},
		{desc: "repeated name", in: `{"when": "2026-01-01T00:00:00Z", "when": "2027-01-01T00:00:00Z"}`,
			field: "when", msg: "repeated field"},
		{desc: "repeated map key", in: `{"labels": {"a": "x", "a": "y"}}`,
			field: "labels.a", msg: "repeated field"},
		{desc: "escaped name", in: `{"\u0077hen": "2026-01-01T00:00:00Z"}`},
		{desc: "bad time", in: `{"items": [], "when": "yesterday"}`,
			field: "when", msg: `must be an RFC 3339 time such as 2026-01-01T00:00:00Z, not "yesterday"`},
		{desc: "bad time behind a pointer", in: `{"when": "2026-01-01T00:00:00Z", "until": "2026-13-01T00:00:00Z"}`,
			field: "until", msg: `2026-13-01 does not exist: there is no month 13`},
		{desc: "a day that does not exist", in: `{"when": "2026-02-29T00:00:00Z"}`,
			field: "when", msg: `2026-02-29 does not exist: February 2026 has 28 days`},
		{desc: "string where a time's string is expected elsewhere", in: `{"items": [{"name": "soon"}], "when": "soon"}`,
			field: "when", msg: `must be an RFC 3339 time such as 2026-01-01T00:00:00Z, not "soon"`},
		{desc: "NUL escaped", in: `{"items": [{"name": "a"}, {"name": "b\u0000c"}]}`,
			field: "items[1].name", msg: "must not contain the NUL character (U+0000)"},
		{desc: "invalid UTF-8", in: "{\"labels\": {\"k\": \"caf\xe9\"}}",
			field: "labels.k", msg: "must be valid UTF-8 text"},
		{desc: "invalid UTF-8 in free JSON", in: "{\"raw\": [\"\xff\"]}",
			field: "raw[0]", msg: "must be valid UTF-8 text"},
		{desc: "NUL in a map key", in: `{"labels": {"a\u0000": "x"}}`,
			field: "labels", msg: "a field name must not contain the NUL character (U+0000)"},
		{desc: "unpaired high surrogate", in: `{"items": [{"name": "\ud800x"}]}`,
			field: "items[0].name", msg: "must be valid UTF-16: an unpaired surrogate escape (\\ud800-\\udbff)"},
		{desc: "unpaired low surrogate", in: `{"items": [{"name": "\udc00"}]}`,
			field: "items[0].name", msg: "must be valid UTF-16: an unpaired surrogate escape (\\udc00-\\udfff)"},
		{desc: "surrogate pair", in: `{"items": [{"name": "\ud83d\ude00 \\u0000 \u00e9"}]}`},
	}
	for _, tC := range testCases {
		t.Run(tC.desc, func(t *testing.T) {
			var d doc
			err := DecodeJSON([]byte(tC.in), &d)
			if tC.field == "" {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || len(e.Fields) != 1 {
				t.Fatalf("DecodeJSON: %v; want an EINVALID *Error with one field", err)
			}
			if f := e.Fields[0]; f.Field != tC.field || f.Message != tC.msg {
				t.Errorf("field %q: %q; want %q: %q", f.Field, f.Message, tC.field, tC.msg)
			}
		})
	}
}

func TestIsMediaType(t *testing.T) {
	for _, tC := range []struct {
		ct   string
		want bool
	}{
		{"application/json", true},
		{"Application/JSON", true},
		{"application/json; charset=utf-8", true},
		{"application/json;charset=UTF-8", true},
		{"application/jsonx", false},
		{"application/json-patch+json", false},
		{"application/json; charset=latin1", false},
		{"application/json; v=2", false},
		{"text/json", false},
		{"", false},
	} {
		if got := IsMediaType(tC.ct, "application/json"); got != tC.want {
			t.Errorf("IsMediaType(%q): %v, want %v", tC.ct, got, tC.want)
		}
	}
}
