package oversight

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DecodeJSON decodes data into v strictly: unknown fields, trailing data and
// values of the wrong type are errors. Every error is an EINVALID *Error
// whose field is the JSON path at fault, so that a person can fix the input
// without guessing.
func DecodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return invalidJSON("", "unexpected data after the JSON value")
		}
		// encoding/json matches names regardless of case and lets a
		// repeated name win over the first: two readers of one body could
		// then disagree on what it says. Accept only exact names, once.
		// It also turns invalid UTF-8 and unpaired surrogates into U+FFFD
		// without a word and lets NUL through: refuse those in any
		// string (TextProblem).
		if field, msg := checkKeys(data, reflect.TypeOf(v)); field != "" {
			return invalidJSON(field, msg)
		}
		return nil
	}
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return invalidJSON("", "empty body: a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidJSON("", "malformed JSON: unexpected end of input")
	case errors.As(err, &syn):
		return invalidJSON("", fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: ")))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return invalidJSON("", "must be "+jsonKind(typ.Type))
		}
		return invalidJSON(field, "must be "+jsonKind(typ.Type)+", not "+typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// Name the first unknown field in the document by its path, such
		// as "legal_basis.severity".
		if json.Valid(data) {
			if field, msg := checkKeys(data, reflect.TypeOf(v)); field != "" {
				return invalidJSON(field, msg)
			}
		}
		return invalidJSON(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
	}
	var pe *time.ParseError
	if errors.As(err, &pe) && json.Valid(data) {
		// encoding/json does not say which field a bad time was in: look
		// for the time value that failed.
		w := keyWalker{data: data, badTime: pe.Value}
		w.value(reflect.TypeOf(v), "")
		if w.field != "" {
			return invalidJSON(w.field, w.msg)
		}
		if w.badTimeAt != "" {
			if m := timeProblem(pe.Value, pe); m != timeForm {
				return invalidJSON(w.badTimeAt, m)
			}
			return invalidJSON(w.badTimeAt, timeForm+", not "+strconv.Quote(pe.Value))
		}
	}
	// Errors from a field's own UnmarshalJSON.
	return invalidJSON("", strings.TrimPrefix(err.Error(), "json: "))
}

func invalidJSON(field, msg string) error {
	if field == "" {
		field = "body"
	}
	return Invalid("invalid JSON", field, "%s", msg)
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a value of another type"
}

// JSONTextProblem returns the path of the first string or field name in
// data, a well-formed JSON value found at path, that is not text
// (TextProblem: invalid UTF-8, NUL, an unpaired surrogate escape), and what
// is wrong with it; "" when all are text. It is what DecodeJSON checks,
// for readers of documents in formats of their own (STIX bundles) that
// decode them otherwise.
func JSONTextProblem(data []byte, path string) (field, msg string) {
	w := keyWalker{data: data}
	w.value(nil, path)
	return w.field, w.msg
}

// checkKeys walks data, a JSON document that decoded into a value of type t,
// and returns the path of the first object key that does not name a field
// of t exactly (in case) or that repeats within its object, and what is
// wrong with it. Values of types that decode themselves (time.Time,
// json.RawMessage) and of interface type are not looked into.
func checkKeys(data []byte, t reflect.Type) (field, msg string) {
	w := keyWalker{data: data}
	w.value(t, "")
	return w.field, w.msg
}

// keyWalker scans a JSON document already known to be well-formed.
type keyWalker struct {
	data       []byte
	i          int
	field, msg string
	// badTime, when set, is a time value that failed to parse; badTimeAt
	// is set to the path of the first time field holding it.
	badTime, badTimeAt string
}

var timeType = reflect.TypeFor[time.Time]()

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// opaque reports whether the keys of a JSON value decoded into t are not
// field names to check.
func opaque(t reflect.Type) bool {
	return t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType)
}

func (w *keyWalker) ws() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\r', '\n':
			w.i++
		default:
			return
		}
	}
}

// value scans one value decoded into t (nil when not checked) at path.
// It stops at the first problem.
func (w *keyWalker) value(t reflect.Type, path string) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	isTime := t == timeType
	if opaque(t) {
		t = nil
	}
	w.ws()
	if w.i >= len(w.data) {
		return
	}
	switch w.data[w.i] {
	case '{':
		w.i++
		var fields map[string]reflect.Type
		var elem reflect.Type
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = exactFields(t)
			case reflect.Map:
				elem = t.Elem()
			}
		}
		var seen []string
		for w.field == "" {
			w.ws()
			if w.i >= len(w.data) || w.data[w.i] == '}' {
				w.i++
				return
			}
			if w.data[w.i] == ',' {
				w.i++
				continue
			}
			key, raw, ok := w.str()
			if !ok {
				return
			}
			p := key
			if path != "" {
				p = path + "." + key
			}
			if msg := jsonStringProblem(raw); msg != "" {
				w.field, w.msg = path, "a field name "+msg
				if path == "" {
					w.field = "body"
				}
				return
			}
			if t != nil && slices.Contains(seen, key) {
				w.field, w.msg = p, "repeated field"
				return
			}
			seen = append(seen, key)
			ft := elem
			if fields != nil {
				var known bool
				if ft, known = fields[key]; !known {
					w.field, w.msg = p, "unknown field"
					for name := range fields {
						if strings.EqualFold(name, key) {
							w.msg = "unknown field; names are case-sensitive: " + name
						}
					}
					return
				}
			}
			w.ws()
			if w.i < len(w.data) && w.data[w.i] == ':' {
				w.i++
			}
			w.value(ft, p)
		}
	case '[':
		w.i++
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for n := 0; w.field == ""; {
			w.ws()
			if w.i >= len(w.data) || w.data[w.i] == ']' {
				w.i++
				return
			}
			if w.data[w.i] == ',' {
				w.i++
				continue
			}
			w.value(elem, fmt.Sprintf("%s[%d]", path, n))
			n++
		}
	case '"':
		s, raw, _ := w.str()
		if msg := jsonStringProblem(raw); msg != "" {
			w.field, w.msg = path, msg
			if path == "" {
				w.field = "body"
			}
			return
		}
		if isTime && w.badTime != "" && w.badTimeAt == "" && s == w.badTime {
			w.badTimeAt = path
		}
	default:
		// A number, true, false or null: up to the next delimiter.
		for w.i < len(w.data) && !strings.ContainsRune(",]} \t\r\n", rune(w.data[w.i])) {
			w.i++
		}
	}
}

// str scans a string and returns its value and its literal, quotes
// included.
func (w *keyWalker) str() (string, []byte, bool) {
	if w.i >= len(w.data) || w.data[w.i] != '"' {
		return "", nil, false
	}
	start, escaped := w.i, false
	for w.i++; w.i < len(w.data); w.i++ {
		switch w.data[w.i] {
		case '\\':
			escaped = true
			w.i++
		case '"':
			w.i++
			raw := w.data[start:w.i]
			if !escaped {
				return string(raw[1 : len(raw)-1]), raw, true
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", raw, false
			}
			return s, raw, true
		}
	}
	return "", nil, false
}

// exactFieldsCache maps a struct type to its exactFields.
var exactFieldsCache sync.Map

// exactFields maps the JSON names of t's fields, exactly as encoding/json
// writes them, to their types, following embedded structs.
func exactFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := exactFieldsCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := make(map[string]reflect.Type)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range exactFields(ft) {
					m[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	exactFieldsCache.Store(t, m)
	return m
}
