package oversight

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// CanonicalMarshaler is implemented by event payloads that write their own
// RFC 8785 canonical JSON: members sorted by name, no insignificant space,
// strings escaped as JCS says. The audit log stores it as is, so it must be
// exactly what canonicalising json.Marshal's output would give; each
// implementation has a test that checks it against a JCS library.
type CanonicalMarshaler interface {
	AppendCanonicalJSON(b []byte) []byte
}

// AppendCanonicalString appends s as an RFC 8785 (JCS) string: only '"', '\\' and
// control characters are escaped, the short forms where JSON has them,
// \u00xx in lower case otherwise; invalid UTF-8 becomes U+FFFD, as
// encoding/json makes it.
func AppendCanonicalString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return append(b, '"')
}

// canonicalObject appends the members of a JSON object in the order they
// are added, which the caller keeps sorted by name.
type canonicalObject struct {
	b     []byte
	first bool
}

func newCanonicalObject(b []byte) *canonicalObject {
	return &canonicalObject{b: append(b, '{'), first: true}
}

func (o *canonicalObject) name(n string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = AppendCanonicalString(o.b, n)
	o.b = append(o.b, ':')
}

func (o *canonicalObject) str(n, v string) {
	o.name(n)
	o.b = AppendCanonicalString(o.b, v)
}

func (o *canonicalObject) int(n string, v int64) {
	o.name(n)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *canonicalObject) time(n string, t time.Time) {
	o.name(n)
	o.b = append(o.b, '"')
	o.b = t.AppendFormat(o.b, time.RFC3339Nano)
	o.b = append(o.b, '"')
}

func (o *canonicalObject) strs(n string, vs []string) {
	o.name(n)
	if vs == nil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i, v := range vs {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = AppendCanonicalString(o.b, v)
	}
	o.b = append(o.b, ']')
}

// raw adds a member whose value is JSON that is already canonical.
func (o *canonicalObject) raw(n string, v []byte) {
	o.name(n)
	o.b = append(o.b, v...)
}

func (o *canonicalObject) end() []byte { return append(o.b, '}') }

// AppendCanonicalJSON appends the canonical JSON of ev, the leaf the audit
// log stores: ev.Payload must already be canonical (it is written as it
// is, not parsed again). The result is what canonicalising
// json.Marshal(ev) gives.
func (ev *Event) AppendCanonicalJSON(b []byte) []byte {
	o := newCanonicalObject(b)
	o.str("actor", ev.Actor)
	o.int("index", ev.Index)
	o.raw("payload", ev.Payload)
	o.str("subject", ev.Subject)
	o.time("time", ev.Time)
	o.str("type", ev.Type)
	return o.end()
}

// AppendCanonicalJSON appends the canonical JSON of d, the public record of
// a decision: the same bytes as canonicalising json.Marshal(d), without
// parsing them back, because every authorisation writes one.
func (d OperationDecided) AppendCanonicalJSON(b []byte) []byte {
	o := newCanonicalObject(b)
	if d.Act != "" {
		o.str("act", d.Act)
	}
	o.str("category", string(d.Category))
	o.strs("codes", d.Codes)
	o.str("commitment", d.Commitment)
	o.str("decision", string(d.Decision))
	o.str("deployment_id", d.DeploymentID)
	if d.ExpiresAt != nil {
		o.time("expires_at", *d.ExpiresAt)
	}
	o.str("license_id", d.LicenseID)
	if d.MisuseCaseID != "" {
		o.str("misuse_case_id", d.MisuseCaseID)
	}
	o.str("operation", string(d.Operation))
	o.str("operation_id", d.OperationID)
	o.int("policy_version", int64(d.PolicyVersion))
	if d.Review {
		o.name("review")
		o.b = append(o.b, "true"...)
	}
	return o.end()
}

// AppendCanonicalJSON appends the canonical JSON of c, the private part of
// an operation that its commitment covers: the same bytes as
// canonicalising json.Marshal(c).
func (c OperationCommitted) AppendCanonicalJSON(b []byte) []byte {
	o := newCanonicalObject(b)
	o.str("case_ref", c.CaseRef)
	o.strs("grounds", c.Grounds)
	o.str("justification", c.Justification)
	o.name("legal_basis")
	lb := c.LegalBasis
	l := newCanonicalObject(o.b)
	if lb.Act != "" {
		l.str("act", lb.Act)
	}
	l.str("category", string(lb.Category))
	if len(lb.Conduct) > 0 {
		l.strs("conduct", lb.Conduct)
	}
	if lb.MaxSentenceYears != nil {
		l.int("max_sentence_years", int64(*lb.MaxSentenceYears))
	}
	if lb.Offense != "" {
		l.str("offense", lb.Offense)
	}
	if lb.Statute != "" {
		l.str("statute", lb.Statute)
	}
	o.b = l.end()
	o.name("target")
	t := newCanonicalObject(o.b)
	t.str("country_code", c.Target.CountryCode)
	t.str("id_hash", c.Target.IDHash)
	o.b = t.end()
	o.str("warrant_ref", c.WarrantRef)
	return o.end()
}
