package oversight

import (
	"errors"
	"testing"
)

// A problem document round-trips to the error it describes, and a problem
// that is not ours is read by its status.
func TestProblemCode(t *testing.T) {
	for _, k := range problemKinds {
		p := NewProblem(&Error{Code: k.code, Message: "m"})
		if p.Status != k.status || p.Title != k.title || p.Code() != k.code {
			t.Errorf("%s: problem %+v, code %s", k.code, p, p.Code())
		}
	}
	if p := NewProblem(errors.New("disk on fire")); p.Status != 500 || p.Detail != "Internal error." {
		t.Errorf("internal error shown as %+v", p)
	}
	foreign := Problem{Type: "about:blank", Status: 409}
	if foreign.Code() != ECONFLICT {
		t.Errorf("a foreign 409 reads as %s", foreign.Code())
	}
	if (&Problem{Status: 502}).Code() != EINTERNAL {
		t.Error("an unknown status does not read as internal")
	}
}
