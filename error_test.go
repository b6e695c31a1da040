package oversight

import (
	"slices"
	"testing"
)

// Invalid is the one constructor of a refusal naming one field: EINVALID,
// the message, and the field with its formatted reason.
func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		err         *Error
		msg, reason string
		field       string
	}{
		{Invalid("invalid query", "limit", "must be a whole number from 1 to 1000"), "invalid query", "must be a whole number from 1 to 1000", "limit"},
		{Invalid("invalid limit", "limit", "must be from 1 to %d", 1000), "invalid limit", "must be from 1 to 1000", "limit"},
		{Invalid("invalid list", "line 3", "%v", "50% off"), "invalid list", "50% off", "line 3"},
	} {
		want := []FieldError{{Field: tc.field, Message: tc.reason}}
		if tc.err.Code != EINVALID || tc.err.Message != tc.msg || !slices.Equal(tc.err.Fields, want) {
			t.Errorf("got %+v, want EINVALID %q with %+v", tc.err, tc.msg, want)
		}
		if ErrorCode(tc.err) != EINVALID {
			t.Errorf("ErrorCode(%v) = %q", tc.err, ErrorCode(tc.err))
		}
	}
}
