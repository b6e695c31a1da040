package oversight

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"time"
)

// ID prefixes, one per kind of resource (API.md, Conventions).
const (
	PrefixVendor      = "ven_"
	PrefixProduct     = "prd_"
	PrefixReview      = "rev_"
	PrefixEndUser     = "eu_"
	PrefixDeclaration = "dec_"
	PrefixLicense     = "lic_"
	PrefixAction      = "act_"
	PrefixDeployment  = "dep_"
	PrefixOperation   = "op_"
	PrefixCase        = "case_"
	PrefixDesignation = "des_"
	PrefixToken       = "tok_"
	PrefixUser        = "usr_"
	PrefixPerson      = "per_"
	PrefixScreening   = "scr_"
	PrefixReport      = "rpt_"
	PrefixPartyMatch  = "pm_"
	PrefixComplaint   = "cmp_"
)

// crockford is Crockford's base32 alphabet in lower case: no i, l, o or u,
// so ids survive being read aloud or copied by hand.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns a new id with the given prefix: 48 bits of milliseconds
// since the Unix epoch followed by 80 random bits, in base32. Ids sort by
// creation time, which keeps database indexes append-mostly.
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:])
	return formatID(prefix, &b)
}

// DerivedID returns an id with the given prefix whose 48 time bits are t's
// milliseconds and whose 80 other bits are the start of SHA-256(seed): the
// same t and seed always give the same id. An id derived from what makes a
// request unique (its signature) lets the id's unique index refuse the
// request's repetition.
func DerivedID(prefix string, t time.Time, seed []byte) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	sum := sha256.Sum256(seed)
	copy(b[6:], sum[:10])
	return formatID(prefix, &b)
}

// formatID writes the 128 bits of b as 26 base32 digits, most significant
// first, after prefix.
func formatID(prefix string, b *[16]byte) string {
	var out strings.Builder
	out.Grow(len(prefix) + 26)
	out.WriteString(prefix)
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- {
		shift := uint(i * 5)
		var v uint64
		switch {
		case shift >= 64:
			v = hi >> (shift - 64)
		case shift > 59:
			v = lo>>shift | hi<<(64-shift)
		default:
			v = lo >> shift
		}
		out.WriteByte(crockford[v&31])
	}
	return out.String()
}

// ValidID reports whether id has the given prefix followed by 1 to 64
// characters from the id alphabet. It guards lookups against junk input; it
// does not check that the id exists.
func ValidID(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || len(rest) == 0 || len(rest) > 64 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
