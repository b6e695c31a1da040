package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Reading entries: "oversight report" reads a million of them, and
// encoding/json spent most of its time checking and skipping the fields
// the report does not read (each entry twice: the event, then its
// payload). decodeEntry and decodePayload read an entry in one pass,
// keeping only the fields of entry and payload, and decode them as
// encoding/json does (exact key first, then one differing only in case;
// the last of repeated keys; strings with escapes and null through
// encoding/json itself), so that the server and a reader get the same
// figures from the same bytes; TestDecodeAsEncodingJSON checks it. Values
// the report does not read are skipped by their quotes and brackets, not
// checked further: the entries are the log's own, proved against its
// checkpoint.

var errSyntax = errors.New("invalid JSON")

// strs keeps one copy of each value that repeats from entry to entry
// (event types, countries, licence ids, decisions, clauses…), so that
// reading a million entries does not allocate each of them again; it
// stops growing at maxStrs values, after which a value new to it is
// allocated as it comes. A nil strs allocates every value.
type strs map[string]string

const maxStrs = 1 << 14

// of returns the string of b, the one kept if there is one.
func (m strs) of(b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	if m != nil && len(m) < maxStrs {
		m[s] = s
	}
	return s
}

// decodeEntry reads the fields of an event that the report reads, with
// the values that repeat (its type) from m.
func decodeEntry(data []byte, e *entry, m strs) error {
	var payload []byte
	err := members(data, func(key, val []byte) error {
		switch field(key, "index", "type", "subject", "time", "payload") {
		case "index":
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil {
				return jsonValue(val, &e.Index)
			}
			e.Index = n
		case "type":
			return jsonString(val, &e.Type, m)
		case "subject":
			return jsonString(val, &e.Subject, nil) // unique to the entry, mostly
		case "time":
			if string(val) == "null" {
				return nil
			}
			return e.Time.UnmarshalJSON(val)
		case "payload":
			payload = val
		}
		return nil
	})
	e.Payload = payload
	return err
}

// decodePayload reads the payload fields the report reads, with the
// values that repeat from m.
func decodePayload(data []byte, p *payload, m strs) error {
	if data == nil {
		return fmt.Errorf("no payload")
	}
	if string(data) == "null" {
		return nil
	}
	return members(data, func(key, val []byte) error {
		switch field(key, "country", "from", "to", "license_id", "kind", "case_id", "decision", "codes", "source", "status", "designations_linked", "basis") {
		case "country":
			return jsonString(val, &p.Country, m)
		case "from":
			return jsonString(val, &p.From, m)
		case "to":
			return jsonString(val, &p.To, m)
		case "license_id":
			return jsonString(val, &p.LicenseID, m)
		case "kind":
			return jsonString(val, &p.Kind, m)
		case "case_id":
			return jsonString(val, &p.CaseID, nil)
		case "decision":
			return jsonString(val, &p.Decision, m)
		case "codes":
			return jsonStrings(val, &p.Codes, m)
		case "source":
			return jsonString(val, &p.Source, m)
		case "status":
			return jsonString(val, &p.Status, m)
		case "designations_linked":
			return jsonStrings(val, &p.Linked, nil)
		case "basis":
			return jsonString(val, &p.Basis, m)
		}
		return nil
	})
}

// field returns the name of names that key is, exactly or but for case, or
// "". The names are lower-case ASCII: a key of lower-case ASCII that is
// none of them exactly is none of them but for case either.
func field(key []byte, names ...string) string {
	for _, n := range names {
		if string(key) == n {
			return n
		}
	}
	if !hasUpperOrNonASCII(key) {
		return ""
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return n
		}
	}
	return ""
}

func hasUpperOrNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// jsonString decodes a JSON string, from m if it holds it; one with
// escapes, or a value that is not a string, goes through encoding/json.
func jsonString(val []byte, s *string, m strs) error {
	if n := len(val); n >= 2 && val[0] == '"' && val[n-1] == '"' {
		raw := val[1 : n-1]
		if !hasEscapeOrControl(raw) {
			*s = m.of(raw)
			return nil
		}
	}
	return jsonValue(val, s)
}

func hasEscapeOrControl(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return true
		}
	}
	return false
}

// jsonStrings decodes an array of strings, each from m if it holds it.
func jsonStrings(val []byte, ss *[]string, m strs) error {
	if len(val) == 0 || val[0] != '[' {
		return jsonValue(val, ss)
	}
	out := (*ss)[:0]
	if out == nil {
		out = []string{}
	}
	i := skipSpace(val, 1)
	if i < len(val) && val[i] == ']' {
		*ss = out
		return nil
	}
	for i < len(val) {
		end, err := skipValue(val, i)
		if err != nil {
			return err
		}
		var s string
		if err := jsonString(val[i:end], &s, m); err != nil {
			return err
		}
		out = append(out, s)
		var last bool
		if i, last, err = afterValue(val, end, ']'); err != nil || last {
			*ss = out
			return err
		}
	}
	return errSyntax
}

// afterValue moves past the comma after a member or an element at data[i:]
// (spaces first), or past the end of their object or array, close, saying
// it is the last.
func afterValue(data []byte, i int, close byte) (next int, last bool, err error) {
	i = skipSpace(data, i)
	switch {
	case i >= len(data):
		return 0, false, errSyntax
	case data[i] == ',':
		return skipSpace(data, i+1), false, nil
	case data[i] == close:
		return i + 1, true, nil
	}
	return 0, false, errSyntax
}

// jsonValue decodes val with encoding/json, for what the fast paths leave.
func jsonValue(val []byte, v any) error { return json.Unmarshal(val, v) }

// members calls f with each key of the JSON object data and its value,
// checking the object's syntax as it goes.
func members(data []byte, f func(key, val []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errSyntax
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return trailing(data, i+1)
	}
	for i < len(data) {
		if data[i] != '"' {
			return errSyntax
		}
		end, err := skipString(data, i)
		if err != nil {
			return err
		}
		// The key as it is written, unless it has escapes.
		key := data[i+1 : end-1]
		if hasEscapeOrControl(key) {
			var k string
			if err := jsonValue(data[i:end], &k); err != nil {
				return err
			}
			key = []byte(k)
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return errSyntax
		}
		i = skipSpace(data, i+1)
		end, err = skipValue(data, i)
		if err != nil {
			return err
		}
		if err := f(key, data[i:end]); err != nil {
			return err
		}
		var last bool
		if i, last, err = afterValue(data, end, '}'); err != nil {
			return err
		} else if last {
			return trailing(data, i)
		}
	}
	return errSyntax
}

func trailing(data []byte, i int) error {
	if skipSpace(data, i) != len(data) {
		return errSyntax
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the end of the string that begins at data[i]: the
// first quote after it that an odd number of backslashes does not escape,
// found with bytes.IndexByte (long values, such as commitments, are most
// of an entry's bytes).
func skipString(data []byte, i int) (int, error) {
	for i++; ; {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return 0, errSyntax
		}
		q := i + j
		k := q
		for k > i && data[k-1] == '\\' {
			k--
		}
		if (q-k)%2 == 0 {
			return q + 1, nil
		}
		i = q + 1
	}
}

// skipValue returns the end of the JSON value that begins at data[i].
func skipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, errSyntax
	}
	switch c := data[i]; {
	case c == '"':
		return skipString(data, i)
	case c == '{' || c == '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				end, err := skipString(data, i)
				if err != nil {
					return 0, err
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return 0, errSyntax
	case c == '-' || c >= '0' && c <= '9':
		j := i + 1
		for j < len(data) && strings.IndexByte("0123456789.eE+-", data[j]) >= 0 {
			j++
		}
		return j, nil
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(data[i:min(len(data), i+len(lit))]), lit) {
				return i + len(lit), nil
			}
		}
		return 0, errSyntax
	}
}
