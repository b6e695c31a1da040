package oversight

import (
	"errors"
	"strings"
)

// ProblemTypeBase prefixes the type URI of every problem document; the
// error code follows it.
const ProblemTypeBase = "https://oversight.example/problems/"

// Problem is an RFC 9457 problem document, the form every API error takes
// on the wire.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	// CurrentState names the resource's state on a 409.
	CurrentState string `json:"current_state,omitempty"`
}

// NewProblem describes err as a problem document with the given status and
// title. Internal errors show only a generic detail.
func NewProblem(err error, status int, title string) Problem {
	p := Problem{Type: ProblemTypeBase + ErrorCode(err), Title: title, Status: status, Detail: ErrorMessage(err)}
	var e *Error
	if errors.As(err, &e) {
		p.Errors = e.Fields
		p.CurrentState = e.State
	}
	return p
}

// Code returns the error code the problem's type names, or "" if its type
// is not one of ours.
func (p *Problem) Code() string {
	code, ok := strings.CutPrefix(p.Type, ProblemTypeBase)
	if !ok {
		return ""
	}
	return code
}
