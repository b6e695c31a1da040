package oversight

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Infrastructure is what a deployment's product is known to use on the
// network and on devices: the domains and IP ranges of its servers, the
// SHA-256 digests of its certificates (TLS or code signing), and the ids of
// the apps it installs. A deployment declares it when registered or later
// (PATCH /v1/deployments/{id}); forensic reports are matched against it
// (POST /v1/evidence). Only the regulator's officers read it: it says
// where to look for a tool, which its operators and the public need not
// learn from Oversight.
type Infrastructure struct {
	// Domains are DNS names in lower case without a final dot; a domain
	// covers its subdomains.
	Domains []string `json:"domains"`
	// IPRanges are IPv4 or IPv6 prefixes in CIDR notation; a single
	// address is its /32 or /128.
	IPRanges []string `json:"ip_ranges"`
	// CertSHA256 are hex SHA-256 digests of certificates, in lower case.
	CertSHA256 []string `json:"cert_sha256"`
	// AppIDs are application ids, such as Android package names.
	AppIDs []string `json:"app_ids"`
}

// maxInfrastructure bounds each list of a declaration.
const maxInfrastructure = 1000

// Normalize validates each entry of in and returns the declaration in
// canonical form: domains in lower case without a final dot, prefixes
// masked to their network address, digests in lower case, every list
// sorted and without duplicates. field prefixes the names of the fields at
// fault, such as "infrastructure".
func (in *Infrastructure) Normalize(field string) (*Infrastructure, error) {
	var p Problems
	out := &Infrastructure{}
	norm := func(name string, list []string, f func(string) (string, bool), want string) []string {
		if len(list) > maxInfrastructure {
			p.Add(field+"."+name, "at most %d entries", maxInfrastructure)
			return []string{}
		}
		res := make([]string, 0, len(list))
		for i, v := range list {
			n, ok := f(v)
			if !ok {
				p.Add(fmt.Sprintf("%s.%s[%d]", field, name, i), "must be %s, not %q", want, clip(v, 80))
				continue
			}
			res = append(res, n)
		}
		slices.Sort(res)
		return slices.Compact(res)
	}
	out.Domains = norm("domains", in.Domains, NormalizeDomain, "a DNS name such as c2.example.com")
	out.IPRanges = norm("ip_ranges", in.IPRanges, NormalizePrefix, "an IP address or a CIDR prefix such as 203.0.113.0/24")
	out.CertSHA256 = norm("cert_sha256", in.CertSHA256, func(s string) (string, bool) { return NormalizeIDHash(s) }, "64 hex digits")
	out.AppIDs = norm("app_ids", in.AppIDs, NormalizeAppID, "an application id such as com.example.app")
	if err := p.Err("invalid infrastructure"); err != nil {
		return nil, err
	}
	return out, nil
}

// Empty reports whether in declares nothing.
func (in *Infrastructure) Empty() bool {
	return in == nil || len(in.Domains)+len(in.IPRanges)+len(in.CertSHA256)+len(in.AppIDs) == 0
}

// NormalizeDomain returns a DNS name in lower case without its final dot,
// and whether it is one: labels of letters, digits and hyphens (or
// underscores, which service names use), 1 to 63 bytes each, 253 in all,
// at least two labels.
func NormalizeDomain(s string) (string, bool) {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return "", false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	return s, true
}

// NormalizePrefix returns an IP address or CIDR prefix as a prefix masked
// to its network address (a single address as /32 or /128), and whether s
// is one.
func NormalizePrefix(s string) (string, bool) {
	p, ok := ParsePrefix(s)
	if !ok {
		return "", false
	}
	return p.String(), true
}

// ParsePrefix parses an IP address or a CIDR prefix, masked.
func ParsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// NormalizeAppID returns an application id without surrounding space, and
// whether it is one: a dotted name (Android package, iOS bundle id) of
// letters, digits, underscores and hyphens.
func NormalizeAppID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 0 || len(s) > 255 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "", false
		}
	}
	return s, true
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
