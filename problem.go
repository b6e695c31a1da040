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

// problemKinds gives each error code its HTTP status and its problem
// document's title: the one table the server writes by and the client
// reads by.
var problemKinds = []struct {
	code   string
	status int
	title  string
}{
	{EINVALID, 400, "Invalid request"},
	{EUNAUTHORIZED, 401, "Unauthorized"},
	{EFORBIDDEN, 403, "Forbidden"},
	{ENOTFOUND, 404, "Not found"},
	{EMETHOD, 405, "Method not allowed"},
	{ECONFLICT, 409, "Conflict with the current state"},
	{EINTEGRITY, 409, "Stored state disagrees with the audit log"},
	{ETOOLARGE, 413, "Request too large"},
	{ERATELIMIT, 429, "Too many requests"},
	{EUNAVAILABLE, 503, "Service unavailable"},
	{EINTERNAL, 500, "Internal error"},
}

// NewProblem describes err as a problem document, with the HTTP status and
// title of its code. Internal errors show only a generic detail.
func NewProblem(err error) Problem {
	code := ErrorCode(err)
	k := problemKinds[len(problemKinds)-1] // internal
	for _, x := range problemKinds {
		if x.code == code {
			k = x
			break
		}
	}
	p := Problem{Type: ProblemTypeBase + k.code, Title: k.title, Status: k.status, Detail: ErrorMessage(err)}
	var e *Error
	if errors.As(err, &e) {
		p.Errors = e.Fields
		p.CurrentState = e.State
	}
	return p
}

// Code returns the error code of the problem: the one its type names, or,
// for a problem that is not one of ours (a proxy's, say), the code of its
// status.
func (p *Problem) Code() string {
	if code, ok := strings.CutPrefix(p.Type, ProblemTypeBase); ok && code != "" {
		return code
	}
	for _, k := range problemKinds {
		if k.status == p.Status {
			return k.code
		}
	}
	return EINTERNAL
}
