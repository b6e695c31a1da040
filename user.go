package oversight

import (
	"strings"
	"time"
	"unicode"
)

// User is a person (or, for machines, a named system) who acts on
// Oversight: an officer, a vendor's compliance staff, an administrator. The
// two-person rule compares users, so each person is one user, with one
// role; their API tokens and console sessions all act as that user.
type User struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Role      Role   `json:"role"`
	VendorID  string `json:"vendor_id,omitempty"`   // the vendor a vendor user acts for
	EndUserID string `json:"end_user_id,omitempty"` // the agency an end_user user acts for
	// CreatedBy is the actor who created the user ("system" for the
	// operator at the database).
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

// MaxNameLen bounds a user's name, in bytes.
const MaxNameLen = 200

// Validate checks the user's fields on their own: a name, a role, and the
// vendor or agency binding exactly where the role needs one.
func (u *User) Validate() error {
	var p Problems
	switch {
	case strings.TrimSpace(u.Name) == "":
		p.Add("name", "required: the person's name, or what a machine user is for")
	case len(u.Name) > MaxNameLen:
		p.Add("name", "at most %d bytes", MaxNameLen)
	case strings.IndexFunc(u.Name, unicode.IsControl) >= 0:
		p.Add("name", "must not contain control characters")
	}
	if !u.Role.Valid() {
		p.Add("role", "must be one of admin, defense, foreign_affairs, vendor, end_user, consular")
	}
	if u.Role == RoleVendor && !ValidID(PrefixVendor, u.VendorID) {
		p.Add("vendor_id", "a vendor user must name its vendor (ven_…)")
	}
	if u.Role != RoleVendor && u.VendorID != "" {
		p.Add("vendor_id", "only a vendor user is bound to a vendor")
	}
	if u.Role == RoleEndUser && !ValidID(PrefixEndUser, u.EndUserID) {
		p.Add("end_user_id", "an end_user user must name its agency (eu_…)")
	}
	if u.Role != RoleEndUser && u.EndUserID != "" {
		p.Add("end_user_id", "only an end_user user is bound to an agency")
	}
	return p.Err("invalid user")
}

// NameKey is the form of a user's name under which two users may not
// coexist: case folded, spaces collapsed, so that "Officer Tamar Golan" and
// "officer  tamar golan " are one person, not two.
func NameKey(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), " ")
}

// Principal returns the principal acting as u (without a token).
func (u *User) Principal() Principal {
	return Principal{UserID: u.ID, Role: u.Role, VendorID: u.VendorID, EndUserID: u.EndUserID, Name: u.Name}
}

// Active reports why u cannot act, or nil.
func (u *User) Active() error {
	if u.DisabledAt != nil {
		return Errorf(EUNAUTHORIZED, "user %s is disabled", u.ID)
	}
	return nil
}

// TokenRequest asks for an API token for a user.
type TokenRequest struct {
	UserID string
	Label  string
	// TTL is how long the token lasts; 0 means DefaultTokenTTL.
	TTL time.Duration
}

// Token lifetimes.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 366 * 24 * time.Hour
)

// Validate checks the request's fields on their own.
func (r *TokenRequest) Validate() error {
	var p Problems
	if !ValidID(PrefixUser, r.UserID) {
		p.Add("user", "must be a user id (usr_…)")
	}
	if len(r.Label) > MaxNameLen || strings.IndexFunc(r.Label, unicode.IsControl) >= 0 {
		p.Add("label", "at most %d bytes, without control characters", MaxNameLen)
	}
	if r.TTL < 0 || r.TTL > MaxTokenTTL {
		p.Add("ttl", "must be between 0 (the default, %s) and %s", DefaultTokenTTL, MaxTokenTTL)
	}
	return p.Err("invalid token request")
}
