package oversight

import "time"

// DeploymentStatus is whether a deployment may still act.
type DeploymentStatus string

// Deployment statuses.
const (
	DeploymentActive  DeploymentStatus = "active"
	DeploymentRetired DeploymentStatus = "retired"
)

// Deployment is one installation of a licensed tool at an end user's site.
// It signs every request it makes with its Ed25519 key (package reqsign).
type Deployment struct {
	ID        string           `json:"id"`
	LicenseID string           `json:"license_id"`
	Label     string           `json:"label"`
	PublicKey string           `json:"public_key"` // Ed25519, base64
	Status    DeploymentStatus `json:"status"`
	CreatedAt time.Time        `json:"created_at"`
	LogIndex  int64            `json:"log_index"`
	// Infrastructure is what the deployment declared of its product's
	// infrastructure; only the regulator's officers see it, and it is kept
	// apart from the deployment's record and out of the public log.
	Infrastructure *Infrastructure `json:"infrastructure,omitempty"`
	// Retired says when, why and by which log entry the deployment was
	// retired; nil while it is active.
	Retired *Retirement `json:"retired,omitempty"`
}

// Retirement is the end of a deployment: its key is refused from then on,
// whatever its licence's state.
type Retirement struct {
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Reason   string    `json:"reason"`
	LogIndex int64     `json:"log_index"`
}

// RetireRequest is the body of POST /v1/deployments/{id}/retire.
type RetireRequest struct {
	Reason string `json:"reason"`
}

// Validate checks the request's fields.
func (r *RetireRequest) Validate() error {
	var p Problems
	p.Required("reason", r.Reason)
	if len(r.Reason) > 1000 {
		p.Add("reason", "at most 1000 bytes")
	}
	return p.Err("invalid retirement")
}

// DeploymentRegistration is the body of POST /v1/deployments.
type DeploymentRegistration struct {
	LicenseID string `json:"license_id"`
	Label     string `json:"label"`
	PublicKey string `json:"public_key"`
	// Infrastructure is optional; it can be declared later
	// (DeploymentUpdate).
	Infrastructure *Infrastructure `json:"infrastructure"`
}

// Validate checks the registration's fields on their own, and puts its
// infrastructure in canonical form (Infrastructure.Normalize).
func (r *DeploymentRegistration) Validate() error {
	var p Problems
	if !ValidID(PrefixLicense, r.LicenseID) {
		p.Add("license_id", "must be a licence id (lic_…)")
	}
	p.Required("label", r.Label)
	if len(r.Label) > 200 {
		p.Add("label", "at most 200 characters")
	}
	if _, err := ParsePublicKey(r.PublicKey); err != nil {
		p.Add("public_key", "%v", err)
	}
	if r.Infrastructure != nil {
		in, err := r.Infrastructure.Normalize("infrastructure")
		if e, ok := err.(*Error); ok {
			for _, f := range e.Fields {
				p.Add(f.Field, "%s", f.Message)
			}
		} else {
			r.Infrastructure = in
		}
	}
	return p.Err("invalid deployment")
}

// DeploymentUpdate is the body of PATCH /v1/deployments/{id}: the
// deployment's infrastructure, which replaces what it declared before.
type DeploymentUpdate struct {
	Infrastructure *Infrastructure `json:"infrastructure"`
}

// Validate checks the update and normalises its infrastructure.
func (u *DeploymentUpdate) Validate() error {
	if u.Infrastructure == nil {
		return Invalid("invalid deployment update", "infrastructure", "required: the infrastructure the deployment uses")
	}
	in, err := u.Infrastructure.Normalize("infrastructure")
	if err != nil {
		return err
	}
	u.Infrastructure = in
	return nil
}

// RegisteredDeployment is the answer to a registration. SitePepper is the
// key of the HMAC with which the site hashes target identifiers; it is
// given once, here, and the regulator never receives a raw identifier.
type RegisteredDeployment struct {
	Deployment
	SitePepper string `json:"site_pepper"` // hex
}

// SignedRequest is what the signature of a deployment's request
// established (package reqsign checks it): the deployment that signed,
// the time it signed at, and a digest identifying this exact request (the
// SHA-256 of its signature), so that a second request with the same
// digest is refused as a replay.
type SignedRequest struct {
	Deployment string
	Time       time.Time
	Digest     [32]byte
}
