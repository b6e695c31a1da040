package oversight

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Every carrier of an identity holds it to one rule: an identity refused
// in one place (a designation) is refused in every other (a vendor's
// person or relative, a person a case names or his relative, a screening
// request), under that carrier's path, and one accepted is accepted
// everywhere. Issue 13: a relative the registry accepted then blocked
// designating from the case.
func TestIdentityOneRule(t *testing.T) {
	long := strings.Repeat("a", maxNameLen+1)
	for _, tc := range []struct {
		desc  string
		id    Identity
		field string // "" when valid
	}{
		{"valid", Identity{Name: "Eleni KYPRIANOU", Aliases: []string{"Ελένη Κυπριανού"}, BirthDate: "1972", Nationality: "CY"}, ""},
		{"full birth date", Identity{Name: "Eleni KYPRIANOU", BirthDate: "1972-03-04"}, ""},
		{"no name", Identity{Name: " "}, "name"},
		{"long name", Identity{Name: long}, "name"},
		{"empty alias", Identity{Name: "A", Aliases: []string{"B", ""}}, "aliases[1]"},
		{"long alias", Identity{Name: "A", Aliases: []string{long}}, "aliases[0]"},
		{"too many aliases", Identity{Name: "A", Aliases: make([]string, maxAliases+1)}, "aliases"},
		{"birth date", Identity{Name: "A", BirthDate: "1972-02-30"}, "birth_date"},
		{"nationality by name", Identity{Name: "A", Nationality: "Cyprus"}, "nationality"},
		{"nationality in lower case", Identity{Name: "A", Nationality: "cy"}, "nationality"},
	} {
		rel := Relative{Identity: tc.id, Relation: RelationSpouse}
		carriers := []struct {
			name   string
			prefix string
			err    error
		}{
			{"designation", "", func() error { d := Designation{Identity: tc.id, Basis: BasisMisuse}; return d.Validate() }()},
			{"vendor's person", "persons[0].", (&Vendor{Name: "V", Country: "CY", Persons: []Person{{Identity: tc.id, Role: PersonOwner}}}).Validate()},
			{"vendor's person's relative", "persons[0].relatives[0].", (&Vendor{Name: "V", Country: "CY",
				Persons: []Person{{Identity: Identity{Name: "P"}, Role: PersonOwner, Relatives: []Relative{rel}}}}).Validate()},
			{"case's person", "persons[0].", (&CaseDesignationRequest{Persons: []InvolvedPerson{{Identity: tc.id}}}).Validate()},
			{"case's person's relative", "persons[0].relatives[0].", (&CaseDesignationRequest{
				Persons: []InvolvedPerson{{Identity: Identity{Name: "P"}, Relatives: []Relative{rel}}}}).Validate()},
		}
		if len(tc.id.Aliases) == 0 { // a screening request has no aliases
			carriers = append(carriers, struct {
				name   string
				prefix string
				err    error
			}{"screening request", "", (&ScreenRequest{Name: tc.id.Name, BirthDate: tc.id.BirthDate, Nationality: tc.id.Nationality}).Validate()})
		}
		for _, c := range carriers {
			if tc.field == "" {
				if c.err != nil {
					t.Errorf("%s as a %s: %v", tc.desc, c.name, c.err)
				}
				continue
			}
			var e *Error
			if !errors.As(c.err, &e) || !hasField(e, c.prefix+tc.field) {
				t.Errorf("%s as a %s: %v, want a problem with %s", tc.desc, c.name, c.err, c.prefix+tc.field)
			}
		}
	}
}

func hasField(e *Error, field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Tidy trims and writes the nationality in upper case, so that what a
// form gives ("cy ") passes the rule.
func TestIdentityTidy(t *testing.T) {
	v := &Vendor{Name: "V", Country: "CY", Persons: []Person{{Identity: Identity{Name: " Andreas ", Aliases: []string{" Αντρέας"}, BirthDate: " 1969", Nationality: "cy "},
		Role: PersonOwner, Relatives: []Relative{{Identity: Identity{Name: "Eleni ", Nationality: " cy"}, Relation: RelationSpouse}}}}}
	v.Tidy()
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	per := v.Persons[0]
	if per.Name != "Andreas" || per.Aliases[0] != "Αντρέας" || per.BirthDate != "1969" || per.Nationality != "CY" ||
		per.Relatives[0].Name != "Eleni" || per.Relatives[0].Nationality != "CY" {
		t.Errorf("tidied %+v", per)
	}
}

// The identity is embedded: its fields are the carriers' own on the wire,
// as they were before there was one type.
func TestIdentityWire(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{Relative{Identity: Identity{Name: "E", BirthDate: "1972"}, Relation: RelationSpouse}, `{"name":"E","birth_date":"1972","relation":"spouse"}`},
		{Person{Identity: Identity{Name: "A", Nationality: "CY"}, Role: PersonOwner, Share: 70},
			`{"name":"A","nationality":"CY","role":"owner","share":70}`},
		{Designation{ID: "des_1", Identity: Identity{Name: "A", Aliases: []string{"B"}}, Basis: BasisMisuse},
			`{"id":"des_1","name":"A","aliases":["B"],"basis":"misuse","listed_at":"0001-01-01T00:00:00Z","log_index":0}`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("%T: %s %v, want %s", tc.v, b, err, tc.want)
		}
	}
	var r CaseDesignationRequest
	if err := DecodeJSON([]byte(`{"persons":[{"name":"A","aliases":["B"],"birth_date":"1975","nationality":"FR","relatives":[{"name":"S","relation":"child"}]}]}`), &r); err != nil {
		t.Fatal(err)
	}
	if p := r.Persons[0]; p.Name != "A" || p.Aliases[0] != "B" || p.Relatives[0].Name != "S" || p.Relatives[0].Relation != RelationChild {
		t.Errorf("decoded %+v", p)
	}
	if err := DecodeJSON([]byte(`{"persons":[{"name":"A","identity":{}}]}`), &r); ErrorCode(err) != EINVALID {
		t.Errorf("an identity field on the wire: %v", err)
	}
}
