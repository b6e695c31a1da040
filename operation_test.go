package oversight

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// validRequest is the operation request of DECLARATION.md, filled in.
const validRequest = `{
  "deployment_id": "dep_01jq7m2k4x9v3c8h6t5r0n1b2a",
  "operation": "intercept",
  "target": {
    "id_hash": "7f3a9c2e4b1d8f6a0c5e2b7d9a4f1c3e8b6d0a2f5c7e9b1d3a6f8c0e2b4d6a8f",
    "country_code": "+44"
  },
  "legal_basis": {
    "category": "terrorism",
    "act": "kidnapping",
    "offense": "kidnapping of a public official",
    "statute": "Penal Code s. 372",
    "max_sentence_years": 20,
    "conduct": ["armed_violence", "expression_of_opinion"]
  },
  "grounds": [],
  "case_ref": "CASE-2026-0117",
  "warrant_ref": "W-2026-3381",
  "justification": "ransom demand received by the family on 3 May"
}`

func TestParseOperationRequest(t *testing.T) {
	r, err := ParseOperationRequest([]byte(validRequest))
	if err != nil {
		t.Fatalf("valid request: %v", err)
	}
	if r.Operation != OpIntercept || r.LegalBasis.Category != CategoryTerrorism || r.LegalBasis.Act != ActKidnapping ||
		r.LegalBasis.MaxSentenceYears == nil || *r.LegalBasis.MaxSentenceYears != 20 ||
		!slices.Equal(r.LegalBasis.Conduct, []string{"armed_violence", "expression_of_opinion"}) || r.Target.CountryCode != "+44" {
		t.Errorf("decoded %+v", r)
	}
}

func TestParseOperationRequestErrors(t *testing.T) {
	testCases := []struct {
		desc   string
		old    string // replaced in validRequest by new
		new    string
		old2   string // and then old2 by new2, if set
		new2   string
		fields []string
	}{
		{desc: "unknown field", old: `"case_ref"`, new: `"priority": 1, "case_ref"`, fields: []string{"priority"}},
		{desc: "unknown nested field", old: `"act": "kidnapping",`, new: `"act": "kidnapping", "severity": "high",`, fields: []string{"legal_basis.severity"}},
		{desc: "field in the wrong case", old: `"operation"`, new: `"Operation"`, fields: []string{"Operation"}},
		{desc: "nested field in the wrong case", old: `"country_code"`, new: `"Country_Code"`, fields: []string{"target.Country_Code"}},
		{desc: "duplicate field", old: `"operation": "intercept",`, new: `"operation": "intercept", "operation": "monitor",`, fields: []string{"operation"}},
		{desc: "duplicate field differing in case", old: `"operation": "intercept",`, new: `"operation": "intercept", "OPERATION": "monitor",`, fields: []string{"OPERATION"}},
		{desc: "unknown operation", old: `"intercept"`, new: `"wiretap"`, fields: []string{"operation"}},
		{desc: "operation of the wrong type", old: `"intercept"`, new: `7`, fields: []string{"operation"}},
		{desc: "unknown category", old: `"terrorism"`, new: `"espionage"`, fields: []string{"legal_basis.category"}},
		{desc: "unknown act", old: `"kidnapping"`, new: `"piracy"`, fields: []string{"legal_basis.act"}},
		{desc: "act outside terrorism", old: `"terrorism"`, new: `"serious_crime"`, fields: []string{"legal_basis.act"}},
		{desc: "serious crime without years", old: `"category": "terrorism",
    "act": "kidnapping",`, new: `"category": "serious_crime",`, old2: `"max_sentence_years": 20,`, fields: []string{"legal_basis.max_sentence_years"}},
		{desc: "serious crime with null years", old: `"category": "terrorism",
    "act": "kidnapping",`, new: `"category": "serious_crime",`, old2: `20`, new2: `null`, fields: []string{"legal_basis.max_sentence_years"}},
		{desc: "negative years", old: `20`, new: `-1`, fields: []string{"legal_basis.max_sentence_years"}},
		{desc: "too many years", old: `20`, new: `201`, fields: []string{"legal_basis.max_sentence_years"}},
		{desc: "fractional years", old: `20`, new: `2.5`, fields: []string{"legal_basis.max_sentence_years"}},
		{desc: "years as a string", old: `20`, new: `"20"`, fields: []string{"legal_basis.max_sentence_years"}},
		{desc: "huge years", old: `20`, new: `1e400`, fields: []string{"legal_basis.max_sentence_years"}},
		{desc: "short hash", old: `8f"`, new: `8"`, fields: []string{"target.id_hash"}},
		{desc: "hash not hex", old: `7f3a`, new: `7g3a`, fields: []string{"target.id_hash"}},
		{desc: "country code without +", old: `"+44"`, new: `"44"`, fields: []string{"target.country_code"}},
		{desc: "country code with a leading 0", old: `"+44"`, new: `"+044"`, fields: []string{"target.country_code"}},
		{desc: "country code too long", old: `"+44"`, new: `"+44444"`, fields: []string{"target.country_code"}},
		{desc: "conduct not snake_case", old: `"armed_violence"`, new: `"Armed violence"`, fields: []string{"legal_basis.conduct[0]"}},
		{desc: "grounds not snake_case", old: `"grounds": []`, new: `"grounds": ["religion", "a__b"]`, fields: []string{"grounds[1]"}},
		{desc: "grounds not an array", old: `"grounds": []`, new: `"grounds": "religion"`, fields: []string{"grounds"}},
		{desc: "target not an object", old: `"target": {`, new: `"target": 1, "x": {`, fields: []string{"target"}},
		{desc: "bad deployment id", old: `dep_01jq`, new: `lic_01jq`, fields: []string{"deployment_id"}},
		{desc: "several problems at once", old: `"deployment_id": "dep_01jq7m2k4x9v3c8h6t5r0n1b2a",
  "operation": "intercept",`, new: `"deployment_id": "", "operation": "spy",`, fields: []string{"deployment_id", "operation"}},
		{desc: "justification too long", old: `"ransom demand`, new: `"` + strings.Repeat("x", 2001), fields: []string{"justification"}},
		{desc: "trailing data", old: `"justification": "ransom demand received by the family on 3 May"
}`, new: `"justification": "x"} {}`, fields: []string{"body"}},
		{desc: "malformed JSON", old: `"grounds": [],`, new: `"grounds": [,`, fields: []string{"body"}},
		{desc: "truncated", old: `"grounds": [],`, new: `"grounds": [`, fields: []string{"body"}},
	}
	for _, tC := range testCases {
		t.Run(tC.desc, func(t *testing.T) {
			if !strings.Contains(validRequest, tC.old) {
				t.Fatalf("the valid request does not contain %q", tC.old)
			}
			in := strings.Replace(validRequest, tC.old, tC.new, 1)
			if tC.old2 != "" {
				if !strings.Contains(in, tC.old2) {
					t.Fatalf("the request does not contain %q", tC.old2)
				}
				in = strings.Replace(in, tC.old2, tC.new2, 1)
			}
			r, err := ParseOperationRequest([]byte(in))
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Fatalf("ParseOperationRequest = %+v, %v; want an EINVALID *Error", r, err)
			}
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tC.fields) {
				t.Errorf("fields %v, want %v (%v)", fields, tC.fields, err)
			}
		})
	}
}

func TestParseOperationRequestEmpty(t *testing.T) {
	for _, in := range []string{"", " ", "null", "{}", "[]", `"x"`, "0"} {
		_, err := ParseOperationRequest([]byte(in))
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || len(e.Fields) == 0 {
			t.Errorf("%q: %v; want an EINVALID *Error naming a field", in, err)
		}
	}
}

// FuzzParseOperationRequest checks that any input either decodes to a
// well-formed request that survives a round trip, or fails with a clean
// EINVALID *Error naming each field at fault; never a panic. Seeds are in
// testdata/fuzz/FuzzParseOperationRequest.
func FuzzParseOperationRequest(f *testing.F) {
	f.Add([]byte(validRequest))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseOperationRequest(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if e.Code != EINVALID || e.Message == "" || len(e.Fields) == 0 {
				t.Fatalf("error %#v: want EINVALID with a message and fields", e)
			}
			for _, fe := range e.Fields {
				if fe.Field == "" || fe.Message == "" {
					t.Fatalf("field error %#v: want a field and a message", fe)
				}
			}
			if r != nil {
				t.Fatalf("a request and an error: %+v", r)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("parsed request does not validate: %v", err)
		}
		// What was accepted must mean the same after a round trip, and
		// use only the names DECLARATION.md gives, each once.
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := ParseOperationRequest(out)
		if err != nil {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(normalize(r), normalize(r2)) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", r, r2)
		}
		assertExactKeys(t, data, reflect.TypeOf(r).Elem())
	})
}

// normalize makes empty and nil slices equal, as JSON does not tell them
// apart once omitted.
func normalize(r *OperationRequest) OperationRequest {
	c := *r
	if len(c.Grounds) == 0 {
		c.Grounds = nil
	}
	if len(c.LegalBasis.Conduct) == 0 {
		c.LegalBasis.Conduct = nil
	}
	return c
}

// assertExactKeys fails unless every object key in data is a field name of t,
// spelt exactly, and no object repeats a key.
func assertExactKeys(t *testing.T, data []byte, typ reflect.Type) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var walk func(typ reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("accepted input does not re-tokenize: %v", err)
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				key := k.(string)
				if seen[key] {
					t.Fatalf("accepted a repeated key %q", key)
				}
				seen[key] = true
				ft, ok := exactField(typ, key)
				if !ok {
					t.Fatalf("accepted key %q, not a field of %v", key, typ)
				}
				walk(ft)
			}
			dec.Token()
		case json.Delim('['):
			for dec.More() {
				walk(typ.Elem())
			}
			dec.Token()
		}
	}
	walk(typ)
}

func exactField(typ reflect.Type, key string) (reflect.Type, bool) {
	if typ.Kind() != reflect.Struct {
		return nil, false
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == key {
			return f.Type, true
		}
	}
	return nil, false
}
