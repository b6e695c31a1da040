package stix

import (
	"slices"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
)

func TestParsePattern(t *testing.T) {
	dom := func(v string) oversight.Observable {
		return oversight.Observable{Kind: oversight.ObservableDomain, Value: v, Path: "domain-name:value"}
	}
	tests := []struct {
		pattern string
		want    []oversight.Observable
	}{
		{`[domain-name:value='weather4free.com']`, []oversight.Observable{dom("weather4free.com")}},
		{`[domain-name:value = 'A.Example.COM.']`, []oversight.Observable{dom("a.example.com")}},
		{`[domain-name:value='a.example' OR domain-name:value='b.example'] AND [process:name='x']`, []oversight.Observable{dom("a.example"), dom("b.example")}},
		{`([domain-name:value='a.example'] FOLLOWEDBY [domain-name:value='b.example']) WITHIN 300 SECONDS`, []oversight.Observable{dom("a.example"), dom("b.example")}},
		{`[domain-name:value NOT = 'a.example']`, nil},
		{`[domain-name:value != 'a.example']`, nil},
		{`[domain-name:value LIKE '%.example']`, nil},
		{`[domain-name:value IN ('a.example', 'b.example')]`, nil},
		{`[process:name='fservernetd']`, nil},
		{`[email-addr:value='bogaardlisa803@gmail.com']`, nil},
		{`[ipv4-addr:value='198.51.100.0/24']`, []oversight.Observable{{Kind: oversight.ObservableIP, Value: "198.51.100.0/24", Path: "ipv4-addr:value"}}},
		{`[ipv6-addr:value='2001:db8::1']`, []oversight.Observable{{Kind: oversight.ObservableIP, Value: "2001:db8::1/128", Path: "ipv6-addr:value"}}},
		{`[url:value='https://c2.example.net:8443/x?y=1']`, []oversight.Observable{{Kind: oversight.ObservableDomain, Value: "c2.example.net", Path: "url:value"}}},
		{`[x509-certificate:hashes.'SHA-256'='3AC97735164824657B683E805133B1274B2DEDABF9FDD6AA9ACA31089D501E64']`,
			[]oversight.Observable{{Kind: oversight.ObservableCert, Value: "3ac97735164824657b683e805133b1274b2dedabf9fdd6aa9aca31089d501e64", Path: "x509-certificate:hashes.SHA-256"}}},
		{`[file:hashes.'SHA-256'='3ac97735164824657b683e805133b1274b2dedabf9fdd6aa9aca31089d501e64']`, nil},
		{`[network-traffic:extensions.'http-request-ext'.request_header.'Host' = 'x.example' AND network-traffic:dst_ref.value = 'y.example']`, nil},
		{`[file:name = 'it\'s'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`, nil},
		{`[x:list[*].y = 'a' AND x:list[0].z > 5 AND x:b = true AND x:c = h'ff']`, nil},
		{`[domain-name:value='not a domain']`, nil},
	}
	for _, tt := range tests {
		got, err := ParsePattern(tt.pattern)
		if err != nil {
			t.Errorf("%s: %v", tt.pattern, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.pattern, got, tt.want)
		}
	}
}

func TestParsePatternRefuses(t *testing.T) {
	tests := []struct{ pattern, msg string }{
		{``, "expected [ or ("},
		{`domain-name:value='x'`, "expected [ or ("},
		{`[domain-name:value='x'`, "] closing"},
		{`[domain-name:value='x`, "unterminated string"},
		{`[domain-name='x']`, ": after the object type"},
		{`[domain-name:value 'x']`, "comparison operator"},
		{`[domain-name:value = ]`, "expected a value"},
		{`[domain-name:value = 'x'] WITHIN SECONDS`, "expected a number"},
		{`[a:b='x'] [c:d='y']`, "after the pattern"},
		{`[a:b='\x']`, "unterminated string"},
		{strings.Repeat("(", 100) + `[a:b='x']` + strings.Repeat(")", 100), "nested"},
	}
	for _, tt := range tests {
		_, err := ParsePattern(tt.pattern)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %v, want one saying %q", tt.pattern, err, tt.msg)
		}
	}
}

// FuzzParsePattern: any input parses or fails with an error, never a
// panic, and what it yields is canonical.
func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		`[domain-name:value='weather4free.com']`,
		`[app:cert.sha256='3ac97735164824657b683e805133b1274b2dedabf9fdd6aa9aca31089d501e64']`,
		`([a:b[*].'c'='x' OR a:d IN (1, 'y')] REPEATS 5 TIMES) AND [url:value='http://[::1]/']`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		obs, err := ParsePattern(s)
		if err == nil {
			checkObservables(t, obs)
		}
	})
}
