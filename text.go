package oversight

import (
	"mime"
	"strings"
	"unicode/utf8"
)

// TextProblem says what makes s unfit to be stored or compared as text, or
// returns "" when nothing does. Text is valid UTF-8 without the NUL
// character: PostgreSQL refuses both in a text column, and SQLite would
// keep what PostgreSQL refuses, so the domain refuses them itself, for
// both databases alike, and names the field (see DecodeJSON and the HTTP
// layer's check of path and query parameters).
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "must not contain the NUL character (U+0000)"
	}
	return ""
}

// jsonStringProblem is TextProblem for a JSON string literal, quotes
// included, as it is written: encoding/json would quietly turn invalid
// UTF-8 and unpaired UTF-16 surrogates (\ud800) into U+FFFD and \u0000
// into NUL, so the literal itself is checked.
func jsonStringProblem(raw []byte) string {
	if !utf8.Valid(raw) {
		return "must be valid UTF-8 text"
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			if raw[i] == 0 {
				return "must not contain the NUL character (U+0000)"
			}
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue
		}
		r, ok := hex4(raw[i+1:])
		if !ok {
			continue // encoding/json has refused it already
		}
		i += 4
		switch {
		case r == 0:
			return "must not contain the NUL character (U+0000)"
		case r >= 0xDC00 && r <= 0xDFFF:
			return "must be valid UTF-16: an unpaired surrogate escape (\\udc00-\\udfff)"
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if lo, ok := hex4(raw[i+3:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			return "must be valid UTF-16: an unpaired surrogate escape (\\ud800-\\udbff)"
		}
	}
	return ""
}

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// IsMediaType reports whether contentType, the value of a Content-Type
// header, names exactly the media type want (case aside), with no
// parameter but an optional charset of UTF-8: "application/json" and
// "application/json; charset=utf-8" are JSON, "application/jsonx",
// "application/json; charset=latin1" and "application/json; v=2" are not.
func IsMediaType(contentType, want string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != want {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// CheckContentType refuses a request body whose Content-Type is not one of
// the media types wanted (see IsMediaType), with an EINVALID error naming
// the header. A missing header is taken for the first media type wanted.
func CheckContentType(contentType string, want ...string) error {
	if contentType == "" {
		return nil
	}
	for _, w := range want {
		if IsMediaType(contentType, w) {
			return nil
		}
	}
	return Invalid("invalid request", "Content-Type", "must be %s", strings.Join(want, " or "))
}
