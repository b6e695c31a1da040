package oversight

import "time"

// PrefixLease starts the id (jti) of an operating lease.
const PrefixLease = "lse_"

// Lease is an operating lease as the API hands it out
// (POST /v1/deployments/{id}/lease, and the "lease" server-sent event):
// the PASETO v4.public token, and its claims in the clear for logs and
// people. A holder trusts only what verifying Token tells it (package
// lease), never the other fields.
type Lease struct {
	Token         string    `json:"token"`
	ID            string    `json:"id"`
	DeploymentID  string    `json:"deployment_id"`
	LicenseID     string    `json:"license_id"`
	PolicyVersion int       `json:"policy_version"`
	IssuedAt      time.Time `json:"issued_at"`
	ExpiresAt     time.Time `json:"expires_at"`
	// LogIndex is the lease.issued event in the audit log.
	LogIndex int64 `json:"log_index"`
}

// LeaseKey is the answer to GET /v1/lease/key: the public key that
// verifies every lease this regulator issues.
type LeaseKey struct {
	Algorithm string `json:"algorithm"`  // "v4.public": PASETO version 4, Ed25519
	PublicKey string `json:"public_key"` // Ed25519, base64
}

// Server-sent event types of GET /v1/deployments/{id}/events.
const (
	PushLease    = "lease"    // a fresh lease: data is a Lease
	PushRestrict = "restrict" // a restriction is in force: data is a RestrictNotice
	PushShutdown = "shutdown" // stop now: data is a ShutdownNotice
)

// RestrictNotice is the data of a "restrict" event: what the regulator
// narrowed. The deployment need not act on it; the server applies it to
// every later decision. It is for the site's operators and logs.
type RestrictNotice struct {
	LicenseID     string      `json:"license_id"`
	ActionID      string      `json:"action_id"`
	Rule          string      `json:"rule"` // RESTRICT-<action id>
	Restriction   Restriction `json:"restriction"`
	Reason        string      `json:"reason"`
	CaseID        string      `json:"case_id,omitempty"`
	PolicyVersion int         `json:"policy_version"`
	LogIndex      int64       `json:"log_index"`
}

// ShutdownNotice is the data of a "shutdown" event: the licence no longer
// allows use, and the deployment must stop the tool at once. Status says
// why (suspended, revoked, expired); a suspended licence may be reinstated,
// and a "lease" event then says so. When DeploymentStatus is retired, the
// deployment itself was retired (Reason and LogIndex say why and where),
// whatever its licence's Status: it never gets a lease again.
type ShutdownNotice struct {
	LicenseID        string           `json:"license_id"`
	Status           LicenseStatus    `json:"status"`
	DeploymentStatus DeploymentStatus `json:"deployment_status,omitempty"`
	ActionID         string           `json:"action_id,omitempty"`
	Kind             ActionKind       `json:"kind,omitempty"`
	Reason           string           `json:"reason,omitempty"`
	CaseID           string           `json:"case_id,omitempty"`
	PolicyVersion    int              `json:"policy_version"`
	LogIndex         int64            `json:"log_index,omitempty"`
}
