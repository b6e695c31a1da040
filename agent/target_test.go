package agent

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestNormalizeTarget(t *testing.T) {
	tests := []struct {
		kind, raw, want, err string
	}{
		{TargetPhone, "+44 20 7946 0958", "tel:+442079460958", ""},
		{TargetPhone, "+44 (0)20 7946-0958", "tel:+442079460958", ""},
		{TargetPhone, "0044 20 7946 0958", "tel:+442079460958", ""},
		{TargetPhone, "tel:+442079460958", "tel:+442079460958", ""},
		{TargetPhone, "TEL:+44.20.7946.0958", "tel:+442079460958", ""},
		{TargetPhone, " +33 6 12 34 56 78 ", "tel:+33612345678", ""},
		{TargetPhone, "+1 (555) 010-0199", "tel:+15550100199", ""},
		{TargetPhone, "020 7946 0958", "", "international form"},
		{TargetPhone, "+44 20 7946 0958 ext 2", "", "unexpected"},
		{TargetPhone, "+12345", "", "7 to 15 digits"},
		{TargetPhone, "+1234567890123456", "", "7 to 15 digits"},
		{TargetPhone, "+0 123 4567", "", "starts with 0"},
		{TargetPhone, "4+4 20 7946 0958", "", "unexpected"},
		{TargetPhone, "", "", "empty"},
		{TargetEmail, "Alice.Martin@Example.ORG", "mailto:alice.martin@example.org", ""},
		{TargetEmail, " mailto:alice@example.org. ", "mailto:alice@example.org", ""},
		{TargetEmail, "alice+news@example.org", "mailto:alice+news@example.org", ""},
		{TargetEmail, "alice", "", "local-part@domain"},
		{TargetEmail, "alice@", "", "local-part@domain"},
		{TargetEmail, "a@b@example.org", "", "local-part@domain"},
		{TargetEmail, "alice martin@example.org", "", "no spaces"},
		{TargetIMSI, "234 15 0999999999", "imsi:234150999999999", ""},
		{TargetIMSI, "imsi:208-01-1234567890", "imsi:208011234567890", ""},
		{TargetIMSI, "2341509999999999", "", "6 to 15 digits"},
		{TargetIMSI, "23415O999999999", "", "6 to 15 digits"},
		{TargetIMEI, "49-015420-323751-8", "imei:49015420323751", ""}, // 15 digits, Luhn check 8
		{TargetIMEI, "49015420323751", "imei:49015420323751", ""},
		{TargetIMEI, "4901542032375102", "imei:49015420323751", ""}, // IMEISV
		{TargetIMEI, "490154203237519", "", "check digit"},
		{TargetIMEI, "4901542032", "", "14 or 15 digits"},
		{"mac", "00:11:22:33:44:55", "", "unknown identifier type"},
	}
	for _, tc := range tests {
		t.Run(tc.kind+" "+tc.raw, func(t *testing.T) {
			got, err := NormalizeTarget(tc.kind, tc.raw)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("NormalizeTarget(%q, %q) = %q, %v; want error containing %q", tc.kind, tc.raw, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormalizeTarget(%q, %q) = %q, %v; want %q", tc.kind, tc.raw, got, err, tc.want)
			}
		})
	}
}

// The hash is HMAC-SHA256 keyed with the pepper, over the canonical form:
// every spelling of one number hashes alike, and another pepper gives
// another hash.
func TestHashTarget(t *testing.T) {
	pepper, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	a, _ := NormalizeTarget(TargetPhone, "+44 20 7946 0958")
	b, _ := NormalizeTarget(TargetPhone, "0044 (0)20 7946-0958")
	if HashTarget(pepper, a) != HashTarget(pepper, b) {
		t.Error("two spellings of one number hash differently")
	}
	// Computed independently: printf 'tel:+442079460958' | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1f
	const want = "73855358a2d277d6a6fe5e2c5ee014822fe665119e9930f417a7f868de6fec0e"
	if got := HashTarget(pepper, a); got != want {
		t.Errorf("HashTarget = %s, want %s", got, want)
	}
	if HashTarget([]byte("another pepper, another site...."), a) == HashTarget(pepper, a) {
		t.Error("the pepper does not change the hash")
	}
	if len(HashTarget(pepper, a)) != 64 {
		t.Error("not 64 hex digits")
	}
}

func TestCallingCode(t *testing.T) {
	codes := []string{"+1", "+33", "+44", "+590", "+7", "+1684"}
	for _, tc := range []struct{ number, want string }{
		{"tel:+442079460958", "+44"},
		{"+33612345678", "+33"},
		{"+15550100199", "+1"},
		{"+16846331234", "+1684"},
		{"+590590123456", "+590"},
		{"+79161234567", "+7"},
		{"+999123456", ""},
	} {
		if got := CallingCode(tc.number, codes); got != tc.want {
			t.Errorf("CallingCode(%s) = %q, want %q", tc.number, got, tc.want)
		}
	}
}

// Whatever the input, NormalizeTarget does not panic, and what it accepts
// is canonical: normalising it again changes nothing.
func FuzzNormalizeTarget(f *testing.F) {
	for _, s := range []string{"+44 20 7946 0958", "0044 (0)20 7946-0958", "Alice@Example.org", "234 15 0999999999", "49-015420-323751-8", "tel:+1"} {
		f.Add(TargetPhone, s)
		f.Add(TargetEmail, s)
		f.Add(TargetIMSI, s)
		f.Add(TargetIMEI, s)
	}
	f.Fuzz(func(t *testing.T, kind, raw string) {
		c, err := NormalizeTarget(kind, raw)
		if err != nil {
			return
		}
		_, rest, _ := strings.Cut(c, ":")
		again, err := NormalizeTarget(kind, rest)
		if err != nil || again != c {
			t.Fatalf("%q → %q → %q, %v", raw, c, again, err)
		}
	})
}
