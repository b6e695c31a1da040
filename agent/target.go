package agent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Kinds of target identifier the local endpoint accepts.
const (
	TargetPhone = "phone" // an E.164 telephone number
	TargetEmail = "email" // an e-mail address
	TargetIMSI  = "imsi"  // a SIM's International Mobile Subscriber Identity
	TargetIMEI  = "imei"  // a handset's International Mobile Equipment Identity
)

// TargetKinds lists the kinds NormalizeTarget knows.
var TargetKinds = []string{TargetPhone, TargetEmail, TargetIMSI, TargetIMEI}

// NormalizeTarget returns the canonical form of a raw target identifier,
// the string that is hashed: the same person's identifier, however the
// tool happens to write it, gives the same hash, here and in the
// regulator's protected-persons register.
//
//   - phone: "tel:" and the E.164 number, "+" and digits only:
//     "+44 (0)20 7946-0958", "0044 20 7946 0958" and "tel:+442079460958"
//     are all "tel:+442079460958". Separators (space, - . / ( )) and a
//     "(0)" trunk prefix are dropped; a leading "00" becomes "+". A number
//     must be in international form: 7 to 15 digits after the "+".
//   - email: "mailto:" and the address in lower case, trimmed, without a
//     trailing dot on the domain. Nothing provider-specific (no removal of
//     dots or +tags): two spellings that reach the same mailbox only on
//     one provider are two identifiers.
//   - imsi: "imsi:" and its 6 to 15 digits.
//   - imei: "imei:" and the 14 digits of the type allocation code and
//     serial number: the check digit of a 15-digit IMEI (verified) and the
//     software version of a 16-digit IMEISV are dropped, so every form of
//     one handset's number hashes alike.
func NormalizeTarget(kind, raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("empty identifier")
	}
	if len(s) > 320 {
		return "", errors.New("identifier longer than 320 bytes")
	}
	switch kind {
	case TargetPhone:
		n, err := normalizePhone(s)
		if err != nil {
			return "", err
		}
		return "tel:" + n, nil
	case TargetEmail:
		e, err := normalizeEmail(s)
		if err != nil {
			return "", err
		}
		return "mailto:" + e, nil
	case TargetIMSI:
		d := digits(strings.TrimPrefix(strings.ToLower(s), "imsi:"))
		if d == "" || len(d) < 6 || len(d) > 15 {
			return "", errors.New("an IMSI is 6 to 15 digits")
		}
		return "imsi:" + d, nil
	case TargetIMEI:
		d := digits(strings.TrimPrefix(strings.ToLower(s), "imei:"))
		switch len(d) {
		case 14:
		case 15:
			if !luhn(d) {
				return "", errors.New("IMEI check digit does not match (Luhn)")
			}
		case 16:
		default:
			return "", errors.New("an IMEI is 14 or 15 digits, an IMEISV 16")
		}
		return "imei:" + d[:14], nil
	}
	return "", fmt.Errorf("unknown identifier type %q: want %s", kind, strings.Join(TargetKinds, ", "))
}

// HashTarget returns the id_hash of a canonical identifier (from
// NormalizeTarget): hex HMAC-SHA256 keyed with the site pepper.
func HashTarget(pepper []byte, canonical string) string {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(canonical))
	return hex.EncodeToString(m.Sum(nil))
}

// CallingCode returns the E.164 country calling code of a canonical phone
// number ("tel:+44…" or "+44…") among codes, the longest that matches, or
// "" if none does. Calling codes are prefix-free across countries, except
// that some share one ("+1", "+7"); the longest match is the right one.
func CallingCode(number string, codes []string) string {
	number = strings.TrimPrefix(number, "tel:")
	best := ""
	for _, c := range codes {
		if len(c) > len(best) && strings.HasPrefix(number, c) {
			best = c
		}
	}
	return best
}

// normalizePhone returns the E.164 form of a telephone number.
func normalizePhone(s string) (string, error) {
	s = strings.TrimPrefix(strings.ToLower(s), "tel:")
	s = strings.ReplaceAll(s, "(0)", "")
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", fmt.Errorf("unexpected %q in a telephone number", r)
		}
	}
	n := b.String()
	if strings.HasPrefix(n, "00") {
		n = "+" + n[2:]
	}
	if !strings.HasPrefix(n, "+") {
		return "", errors.New("a telephone number must be in international form: + or 00, then the country calling code")
	}
	if d := len(n) - 1; d < 7 || d > 15 {
		return "", fmt.Errorf("an E.164 number has 7 to 15 digits, this one %d", d)
	}
	if n[1] == '0' {
		return "", errors.New("no country calling code starts with 0")
	}
	return n, nil
}

// normalizeEmail returns an e-mail address in its canonical form.
func normalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimPrefix(strings.ToLower(s), "mailto:"))
	local, domain, ok := strings.Cut(s, "@")
	domain = strings.TrimSuffix(domain, ".")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", errors.New("an e-mail address is local-part@domain")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", errors.New("an e-mail address has no spaces or control characters")
		}
	}
	if len(s) > 254 {
		return "", errors.New("an e-mail address is at most 254 characters")
	}
	return local + "@" + domain, nil
}

// digits returns s without separators, or "" if s has anything but digits
// and separators.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '/':
		default:
			return ""
		}
	}
	return b.String()
}

// luhn reports whether the last digit of d is its Luhn check digit.
func luhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}
