package lists

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

func FuzzReadJSONL(f *testing.F) {
	f.Add(`{"id":"des_a","name":"Ana ROSS","basis":"misuse"}`)
	f.Add("{\"source\":\"x:1\",\"name\":\"B\",\"basis\":\"immediate_relative\",\"related_to\":\"des_a\",\"relation\":\"child\"}\r\n\n")
	f.Add(`{"id":"des_a","name":"","basis":"misuse"}`)
	f.Fuzz(func(t *testing.T, in string) {
		res, err := ReadJSONL(strings.NewReader(in), Options{})
		if err != nil {
			if res != nil {
				t.Fatal("a result came with an error")
			}
			if oversight.ErrorCode(err) != oversight.EINVALID {
				t.Fatalf("error %v has code %q, want invalid", err, oversight.ErrorCode(err))
			}
			return
		}
		for _, d := range res.Designations {
			if err := d.Validate(); err != nil {
				t.Fatalf("accepted an invalid designation %+v: %v", d, err)
			}
			if d.ID == "" && d.Source == "" {
				t.Fatalf("accepted a designation without id or source: %+v", d)
			}
		}
	})
}

// FuzzReadSDN takes an sdn.csv and an alt.csv separated by a line "=alt=".
func FuzzReadSDN(f *testing.F) {
	f.Add("101,\"ZAVADSKY, Radomir\",\"individual\",\"CYBER2\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 12 Apr 1968; nationality Russia.\"\r\n\x1a=alt=\n101,201,\"aka\",\"ZAVADSKIY, R.\",-0- \r\n")
	f.Add("103,\"NORTHWIND LTD.\",-0- ,\"CYBER2\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n=alt=\n103,204,\"fka\",\"NW\",-0- \n")
	f.Add("1,\"A\",\"vessel\",\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n")
	f.Fuzz(func(t *testing.T, in string) {
		sdn, alt, _ := strings.Cut(in, "=alt=\n")
		res, err := ReadSDN(SDNFiles{SDN: strings.NewReader(sdn), Alt: bytes.NewReader([]byte(alt))}, Options{})
		if err != nil {
			if res != nil {
				t.Fatal("a result came with an error")
			}
			if oversight.ErrorCode(err) != oversight.EINVALID {
				t.Fatalf("error %v has code %q, want invalid", err, oversight.ErrorCode(err))
			}
			return
		}
		seen := map[string]bool{}
		for _, d := range res.Designations {
			if err := d.Validate(); err != nil {
				t.Fatalf("accepted an invalid designation %+v: %v", d, err)
			}
			if !strings.HasPrefix(d.Source, "ofac-sdn:") || seen[d.Source] {
				t.Fatalf("bad or repeated source %q", d.Source)
			}
			seen[d.Source] = true
		}
	})
}

func FuzzReadDPL(f *testing.F) {
	f.Add("\"Name\"\t\"City\"\t\"Country\"\t\"Effective_Date\"\t\"Expiration_Date\"\t\"FR_Citation\"\n\"ACME, LTD. (AC)\"\t\"X\"\t\"GB\"\t\"01/02/2020\"\t\"\"\t\"1 F.R. 2\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		res, err := ReadDPL(strings.NewReader(in), Options{At: at})
		if err != nil {
			if res != nil {
				t.Fatal("a result came with an error")
			}
			if oversight.ErrorCode(err) != oversight.EINVALID {
				t.Fatalf("error %v has code %q, want invalid", err, oversight.ErrorCode(err))
			}
			return
		}
		seen := map[string]bool{}
		for _, d := range res.Designations {
			if err := d.Validate(); err != nil {
				t.Fatalf("accepted an invalid designation %+v: %v", d, err)
			}
			if !strings.HasPrefix(d.Source, "bis-dpl:") || seen[d.Source] {
				t.Fatalf("bad or repeated source %q", d.Source)
			}
			seen[d.Source] = true
			if d.DelistedAt != nil && !d.DelistedAt.Before(at) {
				t.Fatalf("delisted at %v, not before %v", d.DelistedAt, at)
			}
		}
	})
}
