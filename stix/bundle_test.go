package stix

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

func TestDecodeExcerpts(t *testing.T) {
	tests := []struct {
		file       string
		malware    string
		objects    int
		indicators int
		observable []oversight.Observable // some of those expected
		unmatched  int                    // indicators without observables
	}{
		{
			file: "pegasus-excerpt.stix2", malware: "Pegasus", objects: 23, indicators: 11, unmatched: 3,
			observable: []oversight.Observable{{Kind: oversight.ObservableDomain, Value: "weather4free.com", Path: "domain-name:value"}},
		},
		{
			file: "novispy-excerpt.stix2", malware: "NoviSpy", objects: 37, indicators: 18, unmatched: 4,
			observable: []oversight.Observable{
				{Kind: oversight.ObservableIP, Value: "176.223.111.131/32", Path: "domain-name:value"},
				{Kind: oversight.ObservableApp, Value: "com.gu.activity", Path: "app:id"},
				{Kind: oversight.ObservableCert, Value: "3ac97735164824657b683e805133b1274b2dedabf9fdd6aa9aca31089d501e64", Path: "app:cert.sha256"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b, err := Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(b.Malware, []string{tt.malware}) || b.Objects != tt.objects || len(b.Indicators) != tt.indicators {
				t.Fatalf("malware %v, %d objects, %d indicators; want [%s], %d, %d", b.Malware, b.Objects, len(b.Indicators), tt.malware, tt.objects, tt.indicators)
			}
			if !strings.HasPrefix(b.ID, "bundle--") || len(b.SHA256) != 64 {
				t.Errorf("id %q, sha256 %q", b.ID, b.SHA256)
			}
			var all []oversight.Observable
			unmatched := 0
			for _, ind := range b.Indicators {
				all = append(all, ind.Observables...)
				if len(ind.Observables) == 0 {
					unmatched++
				}
			}
			if unmatched != tt.unmatched {
				t.Errorf("%d indicators without observables, want %d", unmatched, tt.unmatched)
			}
			for _, o := range tt.observable {
				if !slices.Contains(all, o) {
					t.Errorf("missing observable %+v in %+v", o, all)
				}
			}
		})
	}
}

// TestDecodePublished reads the four published bundles beside the
// repository, when they are there (../shared on the project's machines).
func TestDecodePublished(t *testing.T) {
	want := map[string]int{"pegasus.stix2": 1549, "cytrox.stix2": 343, "novispy.stix2": 18, "wintego_helios.stix2": 175}
	dir := filepath.Join("..", "..", "shared", "data", "indicators")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no published bundles at %s", dir)
	}
	for name, n := range want {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(b.Indicators) != n {
			t.Errorf("%s: %d indicators, want %d", name, len(b.Indicators), n)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	const (
		ind = `{"type":"indicator","spec_version":"2.1","id":"indicator--05b7c427-1452-437e-a19e-32590edf60c3","pattern":"[domain-name:value='a.example']","pattern_type":"stix"}`
		id  = `"id":"bundle--34d0032b-b342-4076-955d-6c0020fe693a"`
	)
	tests := []struct {
		name, in    string
		code, field string
		msgContains string
	}{
		{"empty", ``, oversight.EINVALID, "", "end of input"},
		{"not an object", `[]`, oversight.EINVALID, "", "must be an object"},
		{"wrong type", `{"type":"report",` + id + `,"objects":[]}`, oversight.EINVALID, "type", "must be bundle"},
		{"no id", `{"type":"bundle","objects":[]}`, oversight.EINVALID, "id", "required"},
		{"bad id", `{"type":"bundle","id":"bundle--x","objects":[]}`, oversight.EINVALID, "id", "UUID"},
		{"no objects", `{"type":"bundle",` + id + `}`, oversight.EINVALID, "objects", "required"},
		{"objects not array", `{"type":"bundle",` + id + `,"objects":{}}`, oversight.EINVALID, "objects", "array"},
		{"object not object", `{"type":"bundle",` + id + `,"objects":[` + ind + `,"x"]}`, oversight.EINVALID, "objects[1]", "object"},
		{"object without type", `{"type":"bundle",` + id + `,"objects":[{"id":"x"}]}`, oversight.EINVALID, "objects[0].type", "required"},
		{"id of another type", `{"type":"bundle",` + id + `,"objects":[{"type":"malware","id":"indicator--05b7c427-1452-437e-a19e-32590edf60c3"}]}`, oversight.EINVALID, "objects[0].id", "malware--"},
		{"pattern missing", `{"type":"bundle",` + id + `,"objects":[{"type":"indicator","id":"indicator--05b7c427-1452-437e-a19e-32590edf60c3","pattern_type":"stix"}]}`, oversight.EINVALID, "objects[0].pattern", "indicator--05b7c427-1452-437e-a19e-32590edf60c3: required"},
		{"pattern of wrong type", `{"type":"bundle",` + id + `,"objects":[{"type":"indicator","id":"indicator--05b7c427-1452-437e-a19e-32590edf60c3","pattern":5,"pattern_type":"stix"}]}`, oversight.EINVALID, "objects[0].pattern", "must be a string"},
		{"bad pattern", `{"type":"bundle",` + id + `,"objects":[` + ind + `,` + strings.Replace(ind, `value='a.example']`, `value='a.example'`, 1) + `]}`, oversight.EINVALID, "objects[1].pattern", "indicator--05b7c427-1452-437e-a19e-32590edf60c3: not a STIX pattern"},
		{"pattern type missing", `{"type":"bundle",` + id + `,"objects":[` + strings.Replace(ind, `,"pattern_type":"stix"`, ``, 1) + `]}`, oversight.EINVALID, "objects[0].pattern_type", "required"},
		{"stix 2.0", `{"type":"bundle",` + id + `,"objects":[` + strings.Replace(ind, `"2.1"`, `"2.0"`, 1) + `]}`, oversight.EINVALID, "objects[0].spec_version", "2.1"},
		{"truncated", `{"type":"bundle",` + id + `,"objects":[` + ind, oversight.EINVALID, "objects", "end of input"},
		{"trailing data", `{"type":"bundle",` + id + `,"objects":[]} {}`, oversight.EINVALID, "", "after the bundle"},
		{"NUL in a pattern", `{"type":"bundle",` + id + `,"objects":[` + strings.Replace(ind, `a.example`, `a\u0000.example`, 1) + `]}`, oversight.EINVALID, "objects[0].pattern", "NUL"},
		{"invalid UTF-8 in the bundle's id", "{\"type\":\"bundle\",\"id\":\"bundle--\xff\",\"objects\":[]}", oversight.EINVALID, "id", "UTF-8"},
		{"syntax", `{"type":"bundle",` + id + `,"objects":[{"type":}]}`, oversight.EINVALID, "objects[0]", "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.in))
			e, ok := err.(*oversight.Error)
			if !ok {
				t.Fatalf("error %v (%T), want *oversight.Error", err, err)
			}
			if e.Code != tt.code {
				t.Fatalf("code %s (%v), want %s", e.Code, e, tt.code)
			}
			if len(e.Fields) != 1 || e.Fields[0].Field != tt.field || !strings.Contains(e.Fields[0].Message, tt.msgContains) {
				t.Fatalf("fields %+v, want %s containing %q", e.Fields, tt.field, tt.msgContains)
			}
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--34d0032b-b342-4076-955d-6c0020fe693a","objects":[`)
	obj := `{"type":"note","id":"note--05b7c427-1452-437e-a19e-32590edf60c3","content":"` + strings.Repeat("x", 1<<20) + `"},`
	for b.Len() <= MaxBundle {
		b.WriteString(obj)
	}
	_, err := Decode(&b)
	if oversight.ErrorCode(err) != oversight.ETOOLARGE {
		t.Fatalf("error %v, want %s", err, oversight.ETOOLARGE)
	}
}

func TestDecodeSkipsRevokedAndRepeated(t *testing.T) {
	in := `{"type":"bundle","id":"bundle--34d0032b-b342-4076-955d-6c0020fe693a","spec_version":"2.0","objects":[
	 {"type":"indicator","id":"indicator--05b7c427-1452-437e-a19e-32590edf60c3","pattern":"[domain-name:value='a.example.com']","pattern_type":"stix"},
	 {"type":"indicator","id":"indicator--05b7c427-1452-437e-a19e-32590edf60c3","pattern":"[domain-name:value='b.example.com']","pattern_type":"stix"},
	 {"type":"indicator","id":"indicator--15b7c427-1452-437e-a19e-32590edf60c3","pattern":"[domain-name:value='c.example.com']","pattern_type":"stix","revoked":true},
	 {"type":"indicator","id":"indicator--25b7c427-1452-437e-a19e-32590edf60c3","pattern":"alert tcp any any","pattern_type":"snort","x_custom":{"a":[1]}}]}`
	b, err := Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Indicators) != 2 || b.Indicators[0].Observables[0].Value != "a.example.com" || len(b.Indicators[1].Observables) != 0 {
		t.Fatalf("indicators %+v", b.Indicators)
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must return a bundle
// or a domain error, never panic, and a bundle's observables must be
// canonical.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"pegasus-excerpt.stix2", "novispy-excerpt.stix2"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"bundle","id":"bundle--34d0032b-b342-4076-955d-6c0020fe693a","objects":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(bytes.NewReader(data))
		if err != nil {
			if _, ok := err.(*oversight.Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, ind := range b.Indicators {
			checkObservables(t, ind.Observables)
		}
	})
}

func checkObservables(t *testing.T, obs []oversight.Observable) {
	t.Helper()
	for _, o := range obs {
		var again string
		var ok bool
		switch o.Kind {
		case oversight.ObservableDomain:
			again, ok = oversight.NormalizeDomain(o.Value)
		case oversight.ObservableIP:
			again, ok = oversight.NormalizePrefix(o.Value)
		case oversight.ObservableCert:
			again, ok = oversight.NormalizeIDHash(o.Value)
		case oversight.ObservableApp:
			again, ok = oversight.NormalizeAppID(o.Value)
		}
		if !ok || again != o.Value {
			t.Fatalf("observable %+v is not canonical (%q, %v)", o, again, ok)
		}
	}
}
