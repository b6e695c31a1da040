package oversight

import "time"

// Role is what a caller may do. Deployments are not a role: they sign their
// requests with their own key (see Deployment).
type Role string

// The roles of API.md.
const (
	RoleAdmin          Role = "admin"
	RoleDefense        Role = "defense"         // export-control officer, Ministry of Defense
	RoleForeignAffairs Role = "foreign_affairs" // Ministry of Foreign Affairs officer
	RoleVendor         Role = "vendor"          // a vendor's compliance staff, bound to one vendor
	RoleEndUser        Role = "end_user"        // a purchasing agency's system, bound to one agency
	RoleConsular       Role = "consular"        // visa screening
)

// Roles lists every role in a stable order.
var Roles = []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser, RoleConsular}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Principal is an authenticated caller: a user, through one of their API
// tokens or a console session.
type Principal struct {
	// UserID is the user acting: the identity the two-person rule compares
	// and the audit log records as the actor.
	UserID string
	// TokenID identifies the API token used, if any (not for a console
	// session); never the token itself.
	TokenID   string
	Role      Role
	VendorID  string // set for RoleVendor
	EndUserID string // set for RoleEndUser
	Name      string // the user's name, for people reading the record
}

// Actor is how the audit log names the principal: role and user id, the
// same whether the user came through the API or the console. A principal
// without a user (records made before users existed) is named by its token.
func (p *Principal) Actor() string {
	if p == nil {
		return "system"
	}
	if p.UserID != "" {
		return string(p.Role) + ":" + p.UserID
	}
	return string(p.Role) + ":" + p.TokenID
}

// Is reports whether p holds one of roles.
func (p *Principal) Is(roles ...Role) bool {
	if p == nil {
		return false
	}
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

// Token is a stored API token of a user. Only the SHA-256 hash of the
// secret is kept; the role and bindings are the user's.
type Token struct {
	ID        string     `json:"id"`
	UserID    string     `json:"user_id"`
	Label     string     `json:"label,omitempty"` // what holds it, e.g. "nightly export script"
	Hash      []byte     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Principal is the user the token acts for, filled in when the token
	// is authenticated or created.
	Principal Principal `json:"-"`
}

// Usable reports why the token cannot be used at t, or nil.
func (t *Token) Usable(now time.Time) error {
	switch {
	case t.RevokedAt != nil:
		return Errorf(EUNAUTHORIZED, "token %s was revoked", t.ID)
	case !now.Before(t.ExpiresAt):
		return Errorf(EUNAUTHORIZED, "token %s expired at %s", t.ID, t.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}
