package oversight

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
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
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if path := unknownFieldPath(data, reflect.TypeOf(v)); path != "" {
			name = path
		}
		return invalidJSON(name, "unknown field")
	default:
		// Errors from a field's own UnmarshalJSON (a bad time, say).
		return invalidJSON("", strings.TrimPrefix(err.Error(), "json: "))
	}
}

func invalidJSON(field, msg string) error {
	if field == "" {
		field = "body"
	}
	return &Error{Code: EINVALID, Message: "invalid request body", Fields: []FieldError{{Field: field, Message: msg}}}
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

// unknownFieldPath finds the first key in data that t has no field for and
// returns its dotted path, such as "legal_basis.severity".
func unknownFieldPath(data []byte, t reflect.Type) string {
	var raw any
	if json.Unmarshal(data, &raw) != nil {
		return ""
	}
	return walkUnknown(raw, t, "")
}

func walkUnknown(raw any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch v := raw.(type) {
	case map[string]any:
		if t.Kind() == reflect.Map {
			for k, x := range v {
				if p := walkUnknown(x, t.Elem(), join(k)); p != "" {
					return p
				}
			}
			return ""
		}
		if t.Kind() != reflect.Struct {
			return ""
		}
		fields := jsonFields(t)
		for k, x := range v {
			ft, ok := fields[strings.ToLower(k)]
			if !ok {
				return join(k)
			}
			if p := walkUnknown(x, ft, join(k)); p != "" {
				return p
			}
		}
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return ""
		}
		for i, x := range v {
			if p := walkUnknown(x, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// jsonFields maps the lower-cased JSON names of t's fields to their types,
// following embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
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
				for k, v := range jsonFields(ft) {
					m[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		m[strings.ToLower(name)] = f.Type
	}
	return m
}
