package oversight

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// OperationRecord is a decided operation request as the regulator keeps it
// (GET /v1/operations): the request, the decision and what it was decided
// against. The target is known only by its keyed hash; no raw identifier
// ever reaches the regulator.
type OperationRecord struct {
	ID           string    `json:"id"`
	LicenseID    string    `json:"license_id"`
	DeploymentID string    `json:"deployment_id"`
	Operation    Operation `json:"operation"`
	// Target holds the keyed hash of the identifier, in lower case, and
	// the calling code of its country.
	Target        Target     `json:"target"`
	LegalBasis    LegalBasis `json:"legal_basis"`
	Grounds       []string   `json:"grounds"`
	CaseRef       string     `json:"case_ref,omitempty"`
	WarrantRef    string     `json:"warrant_ref,omitempty"`
	Justification string     `json:"justification,omitempty"`

	Decision  Verdict    `json:"decision"`
	Reasons   []Reason   `json:"reasons"`
	Review    bool       `json:"review,omitempty"`
	DecidedAt time.Time  `json:"decided_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"` // permits only
	// PolicyVersion is the version of the licence's policy that decided.
	PolicyVersion int `json:"policy_version"`
	// MisuseCaseID is the misuse case the decision opened, if any (a
	// request against a protected person opens one).
	MisuseCaseID string `json:"misuse_case_id,omitempty"`
	// Commitment is what the public audit log shows of the private part of
	// this record: hex SHA-256 of Salt followed by the canonical JSON of
	// OperationCommitted. Salt is 16 random bytes, hex; with it an auditor
	// can check that the logged decision concerned exactly this target and
	// these references, while the log alone reveals neither and cannot
	// link two operations against one target.
	Commitment string `json:"commitment"`
	Salt       string `json:"salt"`
	LogIndex   int64  `json:"log_index"`
}

// OperationCommitted is the private part of an operation that the public
// audit log commits to without showing it (OperationRecord.Commitment).
type OperationCommitted struct {
	Target        Target     `json:"target"`
	LegalBasis    LegalBasis `json:"legal_basis"`
	Grounds       []string   `json:"grounds"`
	CaseRef       string     `json:"case_ref"`
	WarrantRef    string     `json:"warrant_ref"`
	Justification string     `json:"justification"`
}

// Committed returns the private part of o that its Commitment covers.
func (o *OperationRecord) Committed() OperationCommitted {
	return OperationCommitted{Target: o.Target, LegalBasis: o.LegalBasis, Grounds: o.Grounds,
		CaseRef: o.CaseRef, WarrantRef: o.WarrantRef, Justification: o.Justification}
}

// OperationCommitment computes the commitment of an operation record to
// its private part: hex SHA-256 of the 16 bytes of its salt followed by
// the RFC 8785 canonical JSON of o.Committed(). An auditor given the
// record recomputes it and compares it with the operation.decided event.
func OperationCommitment(o *OperationRecord) (string, error) {
	salt, err := hex.DecodeString(o.Salt)
	if err != nil || len(salt) != 16 {
		return "", fmt.Errorf("operation %s: the salt is not 16 bytes of hex", o.ID)
	}
	h := sha256.New()
	h.Write(salt)
	h.Write(o.Committed().AppendCanonicalJSON(make([]byte, 0, 512)))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// OperationDecided is the payload of the operation.decided event: what
// anyone may read of a decision in the public audit log. It names the
// licence, the deployment, the kind of operation and its legal category,
// the decision and the codes of its reasons; it leaves out the target (not
// even its hash, which would link the operations against one person), the
// target's country, the free-text references and justification, and the
// reasons' messages, which quote them. Commitment binds the record to what
// it leaves out (OperationRecord.Commitment).
type OperationDecided struct {
	OperationID   string     `json:"operation_id"`
	LicenseID     string     `json:"license_id"`
	DeploymentID  string     `json:"deployment_id"`
	Operation     Operation  `json:"operation"`
	Category      Category   `json:"category"`
	Act           string     `json:"act,omitempty"`
	Decision      Verdict    `json:"decision"`
	Codes         []string   `json:"codes"`
	Review        bool       `json:"review,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	PolicyVersion int        `json:"policy_version"`
	MisuseCaseID  string     `json:"misuse_case_id,omitempty"`
	Commitment    string     `json:"commitment"`
}

// Decided returns the public view of o, for the audit log.
func (o *OperationRecord) Decided() OperationDecided {
	codes := make([]string, len(o.Reasons))
	for i, r := range o.Reasons {
		codes[i] = r.Code
	}
	return OperationDecided{
		OperationID: o.ID, LicenseID: o.LicenseID, DeploymentID: o.DeploymentID, Operation: o.Operation,
		Category: o.LegalBasis.Category, Act: o.LegalBasis.Act, Decision: o.Decision, Codes: codes,
		Review: o.Review, ExpiresAt: o.ExpiresAt, PolicyVersion: o.PolicyVersion,
		MisuseCaseID: o.MisuseCaseID, Commitment: o.Commitment,
	}
}
