// Package stix reads STIX 2.1 bundles of indicators of compromise, as
// Amnesty International's Security Lab and Citizen Lab publish them with
// their forensic reports, into the indicators Oversight matches against the
// infrastructure deployments declare.
//
// It reads only what matching needs: the bundle's id, the names of its
// malware objects, and its indicators' ids and patterns; every other object
// is checked for a type and an id and passed over. The bundle is decoded
// from a stream, one object at a time, so a large bundle costs the memory
// of its indicators, not of its text. (The Go STIX libraries found decode
// the whole bundle into memory at once and leave patterns unparsed; the
// few objects needed here are simpler to read directly.)
package stix

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/oversight-dev/oversight"
)

// MaxBundle is the largest bundle Decode reads, in bytes: 32 MiB. The
// largest bundles Amnesty's Security Lab has published are a few
// megabytes (Pegasus: 1.1 MB).
const MaxBundle = 32 << 20

// Bundle is what Decode read of a bundle.
type Bundle struct {
	// ID is the bundle's id (bundle--…), SHA256 the hex digest of the bytes
	// read.
	ID     string
	SHA256 string
	// Malware holds the names of the malware objects, in bundle order.
	Malware []string
	// Objects counts every object; Indicators holds each indicator once
	// (the first of several with one id), revoked ones left out.
	Objects    int
	Indicators []oversight.Indicator
}

// object is the part of a STIX object that Decode reads; other properties,
// custom ones included, are ignored.
type object struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	SpecVersion string `json:"spec_version"`
	Name        string `json:"name"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	Revoked     bool   `json:"revoked"`
}

// Decode reads a STIX 2.1 bundle from r. A bundle that is not well-formed
// is an EINVALID *oversight.Error whose field names the object and its
// property at fault, such as objects[17].pattern, and whose message names
// the object's id; one larger than MaxBundle is ETOOLARGE. Patterns of
// type stix are parsed (ParsePattern); those of other types (snort, yara,
// …) are kept without observables.
func Decode(r io.Reader) (*Bundle, error) {
	lr := &io.LimitedReader{R: r, N: MaxBundle + 1}
	h := sha256.New()
	d := &decoder{dec: json.NewDecoder(io.TeeReader(lr, h)), lr: lr}
	b, err := d.bundle()
	if err != nil {
		return nil, err
	}
	b.SHA256 = hex.EncodeToString(h.Sum(nil))
	return b, nil
}

type decoder struct {
	dec *json.Decoder
	lr  *io.LimitedReader
}

// fail turns an error of encoding/json met at field into the domain error.
func (d *decoder) fail(field string, err error) error {
	if d.lr.N <= 0 {
		return &oversight.Error{Code: oversight.ETOOLARGE, Message: fmt.Sprintf("the bundle is larger than %d MiB; split it", MaxBundle>>20)}
	}
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		oe  *oversight.Error
		msg string
	)
	switch {
	case errors.As(err, &oe):
		// The reader's own refusal, such as the request body's limit.
		return oe
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		msg = "malformed JSON: unexpected end of input"
	case errors.As(err, &syn):
		msg = fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field != "" {
			field += "." + typ.Field
		}
		msg = "must be " + kind(typ.Type.Kind().String()) + ", not " + typ.Value
	default:
		msg = strings.TrimPrefix(err.Error(), "json: ")
	}
	return invalid(field, msg)
}

func kind(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	}
	return "a " + k
}

func invalid(field, msg string) error {
	return oversight.Invalid("invalid STIX bundle", field, "%s", msg)
}

// decode reads the next JSON value, refuses it if any of its strings is
// not text (oversight.JSONTextProblem, as the API's own decoder does), and
// unmarshals it into v.
func (d *decoder) decode(field string, v any) error {
	var raw json.RawMessage
	if err := d.dec.Decode(&raw); err != nil {
		return d.fail(field, err)
	}
	if f, msg := oversight.JSONTextProblem(raw, field); f != "" {
		return invalid(f, msg)
	}
	if _, ok := v.(*json.RawMessage); ok {
		*v.(*json.RawMessage) = raw
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return d.fail(field, err)
	}
	return nil
}

func (d *decoder) delim(field string, want json.Delim) error {
	t, err := d.dec.Token()
	if err != nil {
		return d.fail(field, err)
	}
	if t != want {
		what := map[json.Delim]string{'{': "an object", '[': "an array"}[want]
		return invalid(field, "must be "+what)
	}
	return nil
}

func (d *decoder) bundle() (*Bundle, error) {
	b := &Bundle{Indicators: []oversight.Indicator{}, Malware: []string{}}
	if err := d.delim("", '{'); err != nil {
		return nil, err
	}
	var typ string
	seenObjects := false
	for d.dec.More() {
		t, err := d.dec.Token()
		if err != nil {
			return nil, d.fail("", err)
		}
		key, _ := t.(string)
		switch key {
		case "type":
			if err := d.decode("type", &typ); err != nil {
				return nil, err
			}
			if typ != "bundle" {
				return nil, invalid("type", fmt.Sprintf("must be bundle, not %q", clip(typ)))
			}
		case "id":
			if err := d.decode("id", &b.ID); err != nil {
				return nil, err
			}
			if !validID("bundle", b.ID) {
				return nil, invalid("id", fmt.Sprintf("must be bundle-- followed by a UUID, not %q", clip(b.ID)))
			}
		case "objects":
			seenObjects = true
			if err := d.objects(b); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := d.decode(key, &skip); err != nil {
				return nil, err
			}
		}
	}
	if _, err := d.dec.Token(); err != nil {
		return nil, d.fail("", err)
	}
	if _, err := d.dec.Token(); err != io.EOF {
		if d.lr.N <= 0 {
			return nil, d.fail("", err)
		}
		return nil, invalid("", "unexpected data after the bundle")
	}
	switch {
	case typ == "":
		return nil, invalid("type", "required: a bundle has type bundle")
	case b.ID == "":
		return nil, invalid("id", "required: the bundle's id (bundle--…)")
	case !seenObjects:
		return nil, invalid("objects", "required: the bundle's objects")
	}
	return b, nil
}

func (d *decoder) objects(b *Bundle) error {
	if err := d.delim("objects", '['); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := 0; d.dec.More(); i++ {
		field := fmt.Sprintf("objects[%d]", i)
		var o object
		if err := d.decode(field, &o); err != nil {
			return err
		}
		b.Objects++
		if err := o.check(field); err != nil {
			return err
		}
		switch o.Type {
		case "malware":
			if o.Name != "" {
				b.Malware = append(b.Malware, o.Name)
			}
		case "indicator":
			// Every pattern is checked, those skipped below included: a
			// bundle is taken whole or not at all.
			ind := oversight.Indicator{ID: o.ID, Pattern: o.Pattern, Observables: []oversight.Observable{}}
			if o.PatternType == "stix" {
				obs, err := ParsePattern(o.Pattern)
				if err != nil {
					return invalid(field+".pattern", fmt.Sprintf("indicator %s: not a STIX pattern: %v", o.ID, err))
				}
				ind.Observables = append(ind.Observables, obs...)
			}
			if o.Revoked || seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			b.Indicators = append(b.Indicators, ind)
		}
	}
	_, err := d.dec.Token() // ]
	if err != nil {
		return d.fail("objects", err)
	}
	return nil
}

// check validates the properties of an object that Decode relies on.
func (o *object) check(field string) error {
	switch {
	case o.Type == "":
		return invalid(field+".type", "required")
	case !validType(o.Type):
		return invalid(field+".type", fmt.Sprintf("must be a STIX type such as indicator, not %q", clip(o.Type)))
	case o.ID == "":
		return invalid(field+".id", fmt.Sprintf("required: the id of this %s", o.Type))
	case !validID(o.Type, o.ID):
		return invalid(field+".id", fmt.Sprintf("must be %s-- followed by a UUID, not %q", o.Type, clip(o.ID)))
	case o.SpecVersion != "" && o.SpecVersion != "2.1":
		return invalid(field+".spec_version", fmt.Sprintf("%s: must be 2.1, not %q (STIX 2.0 is not read)", o.ID, clip(o.SpecVersion)))
	}
	if o.Type != "indicator" {
		return nil
	}
	switch {
	case o.Pattern == "":
		return invalid(field+".pattern", fmt.Sprintf("indicator %s: required", o.ID))
	case len(o.Pattern) > 64<<10:
		return invalid(field+".pattern", fmt.Sprintf("indicator %s: at most 64 KiB", o.ID))
	case o.PatternType == "":
		return invalid(field+".pattern_type", fmt.Sprintf("indicator %s: required, such as stix", o.ID))
	}
	return nil
}

// validType reports whether t is a STIX type name: lower-case letters,
// digits and hyphens, 3 to 250 bytes.
func validType(t string) bool {
	if len(t) < 3 || len(t) > 250 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validID reports whether id is typ-- followed by a UUID in its canonical
// text form.
func validID(typ, id string) bool {
	u, ok := strings.CutPrefix(id, typ+"--")
	if !ok || len(u) != 36 {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
