package oversight

import (
	"strings"
	"testing"
	"time"
)

func TestDerivedID(t *testing.T) {
	at := time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	a := DerivedID(PrefixOperation, at, []byte("signature one"))
	if a != DerivedID(PrefixOperation, at, []byte("signature one")) {
		t.Error("the same time and seed give different ids")
	}
	for _, b := range []string{
		DerivedID(PrefixOperation, at, []byte("signature two")),
		DerivedID(PrefixOperation, at.Add(time.Millisecond), []byte("signature one")),
	} {
		if a == b {
			t.Errorf("%s: another time or seed gives the same id", b)
		}
	}
	if !ValidID(PrefixOperation, a) || len(a) != len(PrefixOperation)+26 {
		t.Errorf("%s is not an id", a)
	}
	// Ids sort by their time, as NewID's do.
	earlier := DerivedID(PrefixOperation, at.Add(-time.Second), []byte("zzz"))
	if !(earlier < a) {
		t.Errorf("%s (a second earlier) does not sort before %s", earlier, a)
	}
	now := NewID(PrefixOperation)
	if d := DerivedID(PrefixOperation, time.Now().Add(-time.Minute), nil); !(d < now) || !strings.HasPrefix(d, PrefixOperation) {
		t.Errorf("derived %s, new %s: a derived id of a minute ago sorts after a new one", d, now)
	}
}
