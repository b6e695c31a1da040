package oversight

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. The HTTP layer maps each to one status; callers decide with
// ErrorCode rather than by matching messages.
const (
	EINVALID      = "invalid"            // bad input: 400
	EUNAUTHORIZED = "unauthorized"       // no or bad credentials: 401
	EFORBIDDEN    = "forbidden"          // wrong role or not the caller's resource: 403
	ENOTFOUND     = "not_found"          // 404
	EMETHOD       = "method_not_allowed" // 405
	ECONFLICT     = "conflict"           // state conflict: 409
	EINTEGRITY    = "integrity"          // stored state disagrees with the audit log: 409, nothing decided on it
	ETOOLARGE     = "too_large"          // body too large: 413
	ERATELIMIT    = "rate_limited"       // 429
	EUNAVAILABLE  = "unavailable"        // not ready, shutting down: 503
	EINTERNAL     = "internal"           // everything else: 500, details only in logs
)

// FieldError names one invalid field of a request and says what is wrong
// with it. Field is a JSON path in the request, such as
// "legal_basis.max_sentence_years" or "scope.purposes[1]".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the domain error. Its Message is safe to show to the caller;
// errors of any other type are internal and are logged, never shown.
type Error struct {
	Code    string
	Message string
	// Fields lists every invalid field when Code is EINVALID.
	Fields []FieldError
	// State is the current state of the resource when Code is ECONFLICT.
	State string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Conflictf returns an ECONFLICT error that names the current state.
func Conflictf(state, format string, args ...any) *Error {
	return &Error{Code: ECONFLICT, Message: fmt.Sprintf(format, args...), State: state}
}

// Invalid returns an EINVALID error under message that names one invalid
// field and says what is wrong with it: the common case of a refusal that
// Problems would otherwise be built for.
func Invalid(message, field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: []FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// NotFound returns an ENOTFOUND error for the resource kind and id.
func NotFound(kind, id string) *Error {
	return &Error{Code: ENOTFOUND, Message: fmt.Sprintf("%s %s not found", kind, id)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err: the message of the
// first *Error in its chain, or a generic text for internal errors.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Problems collects field errors while validating input. The zero value is
// ready to use.
type Problems struct {
	list []FieldError
}

// Add records that field is invalid.
func (p *Problems) Add(field, format string, args ...any) {
	p.list = append(p.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Required records a "required" error for field when value is blank.
func (p *Problems) Required(field, value string) bool {
	if strings.TrimSpace(value) == "" {
		p.Add(field, "required")
		return false
	}
	return true
}

// Len reports how many problems were recorded.
func (p *Problems) Len() int { return len(p.list) }

// Err returns nil when nothing was recorded, or an EINVALID *Error that
// lists every problem under message.
func (p *Problems) Err(message string) error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: message, Fields: p.list}
}
