package ratelimit

import (
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClient(t *testing.T) {
	trusted, err := ParsePrefixes([]string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		trusted bool // whether the proxies are configured
		remote  string
		xff     []string
		want    string
	}{
		{"no proxy configured: the peer, whatever the header", false, "198.51.100.4:5000", []string{"203.0.113.9"}, "198.51.100.4"},
		{"from an untrusted peer: the peer, the header is its word", true, "198.51.100.4:5000", []string{"203.0.113.9"}, "198.51.100.4"},
		{"behind one trusted proxy", true, "10.1.2.3:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"the nearest untrusted hop, not what the client wrote first", true, "10.1.2.3:443", []string{"1.2.3.4, 203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"hops over several header lines", true, "192.0.2.7:443", []string{"1.2.3.4", "203.0.113.9", "10.0.0.1"}, "203.0.113.9"},
		{"every hop trusted: the farthest", true, "10.1.2.3:443", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"a hop that does not parse stops the reading", true, "10.1.2.3:443", []string{"203.0.113.9, not-an-address"}, "10.1.2.3"},
		{"no header from a trusted proxy: the proxy", true, "10.1.2.3:443", nil, "10.1.2.3"},
		{"IPv6 behind a proxy", true, "[2001:db8::1]:443", []string{"2001:db8:ffff::2, 2a00:1450::5"}, "2a00:1450::5"},
		{"an IPv4-mapped proxy address", true, "[::ffff:10.1.2.3]:443", []string{"203.0.113.9"}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAddresses()
			if tt.trusted {
				a = NewAddresses(trusted...)
			}
			r := httptest.NewRequest("POST", "/v1/complaints", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := a.Client(r); got != tt.want {
				t.Errorf("Client = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	ps, err := ParsePrefixes([]string{"10.1.2.3/8", "192.0.2.7", "2001:db8::1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::1/128"}
	for i, p := range ps {
		if p.String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, p, want[i])
		}
	}
	if _, err := ParsePrefixes([]string{"10.0.0.0/8", "proxy.internal"}); err == nil {
		t.Error("a host name was taken for a proxy's address")
	}
}

// Two clients behind one trusted proxy have buckets of their own.
func TestKeyBehindProxy(t *testing.T) {
	trusted, _ := ParsePrefixes([]string{"10.0.0.0/8"})
	a := NewAddresses(trusted...)
	key := func(client string) string {
		r := httptest.NewRequest("POST", "/v1/complaints", nil)
		r.RemoteAddr = "10.0.0.2:443"
		r.Header.Set("X-Forwarded-For", client)
		return a.Key(r)
	}
	first, again := key("203.0.113.9"), key("203.0.113.9")
	if first == key("203.0.113.10") {
		t.Error("two clients behind the proxy share a bucket")
	}
	if first != again {
		t.Error("one client's key varies")
	}
}

// FuzzClient reads X-Forwarded-For as a trusted proxy sends it, and as
// anyone may forge it: never a panic, and the client is the peer or an
// address the header holds, and the peer whenever the peer is not trusted.
func FuzzClient(f *testing.F) {
	f.Add("10.1.2.3:443", "203.0.113.9")
	f.Add("10.1.2.3:443", "1.2.3.4, 203.0.113.9, 10.9.9.9")
	f.Add("198.51.100.4:5000", "203.0.113.9")
	f.Add("[2001:db8::1]:443", "2001:db8:ffff::2, 2a00:1450::5")
	f.Add("[::ffff:10.1.2.3]:443", "::ffff:203.0.113.9,")
	f.Add("10.1.2.3", " , ,,")
	trusted, _ := ParsePrefixes([]string{"10.0.0.0/8", "2001:db8::/32"})
	a := NewAddresses(trusted...)
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("POST", "/v1/complaints", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := a.Client(r)
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		peer, err := netip.ParseAddr(host)
		if err != nil || !a.isTrusted(peer) {
			if got != host {
				t.Fatalf("untrusted peer %q: client %q", remote, got)
			}
			return
		}
		if got == peer.String() {
			return
		}
		addr, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("client %q is no address", got)
		}
		found := false
		for _, p := range strings.Split(xff, ",") {
			if h, err := netip.ParseAddr(strings.TrimSpace(p)); err == nil && h.Unmap() == addr {
				found = true
			}
		}
		if !found {
			t.Fatalf("client %q is neither the peer %q nor in the header %q", got, remote, xff)
		}
	})
}
