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

// Principal is an authenticated caller.
type Principal struct {
	// TokenID identifies the token used; it is what the audit log records as
	// the actor, never the token itself.
	TokenID   string
	Role      Role
	VendorID  string // set for RoleVendor
	EndUserID string // set for RoleEndUser
	Name      string // a label for people reading the log, e.g. "defense officer 2"
}

// Actor is how the audit log names the principal: role and token id.
func (p *Principal) Actor() string {
	if p == nil {
		return "system"
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

// Token is a stored API token. Only the SHA-256 hash of the secret is kept.
type Token struct {
	ID        string
	Hash      []byte
	Principal Principal
	CreatedAt time.Time
}
