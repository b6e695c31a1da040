package oversight_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

// Redact moves exactly the members its paths name, through objects and
// arrays, and leaves the rest as written.
func TestRedact(t *testing.T) {
	vendor := oversight.Vendor{ID: "ven_1", Name: "Kestrel", Country: "IL", Persons: []oversight.Person{
		{ID: "per_1", Identity: oversight.Identity{Name: "Yoav", BirthDate: "1971-04-09"}, Role: oversight.PersonOwner, Share: 55.5,
			Relatives: []oversight.Relative{{Identity: oversight.Identity{Name: "Michal"}, Relation: oversight.RelationSpouse}}},
		{ID: "per_2", Identity: oversight.Identity{Name: "Ronit"}, Role: oversight.PersonOwner, Share: 44.5},
	}}
	for _, c := range []struct {
		name        string
		v           any
		paths       []string
		public      string
		private     map[string]string // path → JSON
		errContains string
	}{
		{"vendor", vendor, oversight.PersonalVendor,
			`{"country":"IL","created_at":"0001-01-01T00:00:00Z","id":"ven_1","log_index":0,"name":"Kestrel","persons":[{"id":"per_1","role":"owner","share":55.5},{"id":"per_2","role":"owner","share":44.5}]}`,
			map[string]string{"persons[0].name": `"Yoav"`, "persons[0].birth_date": `"1971-04-09"`, "persons[0].relatives": `[{"name":"Michal","relation":"spouse"}]`, "persons[1].name": `"Ronit"`}, ""},
		{"nested arrays", map[string]any{"a": []any{map[string]any{"b": []any{map[string]any{"c": 1, "d": 2}}}}}, []string{"a[].b[].c"},
			`{"a":[{"b":[{"d":2}]}]}`, map[string]string{"a[0].b[0].c": "1"}, ""},
		{"every element", map[string]any{"names": []string{"x", "y"}, "n": 1}, []string{"names[]"},
			`{"n":1}`, map[string]string{"names[0]": `"x"`, "names[1]": `"y"`}, ""},
		{"nothing named", map[string]any{"n": 1}, []string{"person", "a.b", "c[].d"}, `{"n":1}`, map[string]string{}, ""},
		{"null skipped", map[string]any{"person": nil}, []string{"person"}, `{"person":null}`, map[string]string{}, ""},
		{"not an object", []int{1}, []string{"x"}, "", nil, "not a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pub, priv, err := oversight.Redact(c.v, c.paths...)
			if c.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), c.errContains) {
					t.Fatalf("err = %v, want %q", err, c.errContains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := json.Marshal(pub); string(b) != c.public {
				t.Errorf("public:\n got %s\nwant %s", b, c.public)
			}
			got := map[string]string{}
			for k, v := range priv {
				b, _ := json.Marshal(v)
				got[k] = string(b)
			}
			if !reflect.DeepEqual(got, c.private) {
				t.Errorf("private:\n got %v\nwant %v", got, c.private)
			}
		})
	}
}

// A disclosure verifies against its entry only, with its own salt and
// fields, byte for byte.
func TestDisclosureVerify(t *testing.T) {
	salt := make([]byte, oversight.PrivateSaltSize)
	salt[0] = 7
	fields := []byte(`{"persons[0].name":"Yoav"}`)
	commitment := oversight.PrivateCommitment(salt, fields)
	ev := &oversight.Event{Index: 5, Type: oversight.EventVendorRegistered, Payload: json.RawMessage(`{"id":"ven_1","private":"` + commitment + `"}`)}
	good := oversight.Disclosure{Index: 5, Commitment: commitment, Salt: hex.EncodeToString(salt), Fields: fields}
	if err := good.Verify(ev); err != nil {
		t.Fatalf("the server's own disclosure: %v", err)
	}
	otherSalt := append([]byte(nil), salt...)
	otherSalt[1] = 1
	for _, c := range []struct {
		name string
		edit func(d *oversight.Disclosure, ev *oversight.Event)
		want string
	}{
		{"other entry", func(d *oversight.Disclosure, ev *oversight.Event) { d.Index = 6 }, "not 5"},
		{"another name", func(d *oversight.Disclosure, ev *oversight.Event) { d.Fields = []byte(`{"persons[0].name":"Yoaf"}`) }, "hash to"},
		{"re-encoded", func(d *oversight.Disclosure, ev *oversight.Event) { d.Fields = []byte(`{"persons[0].name": "Yoav"}`) }, "hash to"},
		{"another salt", func(d *oversight.Disclosure, ev *oversight.Event) { d.Salt = hex.EncodeToString(otherSalt) }, "hash to"},
		{"short salt", func(d *oversight.Disclosure, ev *oversight.Event) { d.Salt = "07" }, "32 bytes"},
		{"another commitment claimed", func(d *oversight.Disclosure, ev *oversight.Event) { d.Commitment = strings.Repeat("0", 64) }, "hash to"},
		{"entry withholds nothing", func(d *oversight.Disclosure, ev *oversight.Event) { ev.Payload = json.RawMessage(`{"id":"ven_1"}`) }, "withholds nothing"},
		{"entry edited", func(d *oversight.Disclosure, ev *oversight.Event) {
			ev.Payload = json.RawMessage(`{"private":"` + oversight.PrivateCommitment(salt, []byte(`{}`)) + `"}`)
		}, "hash to"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, e := good, *ev
			c.edit(&d, &e)
			err := d.Verify(&e)
			if !errors.Is(err, oversight.ErrDisclosure) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrDisclosure saying %q", err, c.want)
			}
		})
	}
}
