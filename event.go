package oversight

import (
	"encoding/json"
	"time"
)

// Event records one state change or decision. Every change is written with
// its event in the same transaction, and every event is a leaf of the audit
// log: Index is its position there, counted from 0.
type Event struct {
	Index   int64     `json:"index"`
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`   // Principal.Actor, a deployment id, or "system"
	Subject string    `json:"subject"` // the id of the resource that changed
	Time    time.Time `json:"time"`
	// Payload is the canonical JSON (RFC 8785) of what changed.
	Payload json.RawMessage `json:"payload"`
}

// Event types. They are part of the public record: auditors filter on them.
const (
	EventVendorRegistered = "vendor.registered"
	// EventVendorUpdated and EventEndUserUpdated record a change of a
	// vendor or an agency: the record as it now is (a vendor's persons
	// withheld, as at registration) and which fields and persons changed.
	EventVendorUpdated        = "vendor.updated"
	EventEndUserUpdated       = "end_user.updated"
	EventProductRegistered    = "product.registered"
	EventReviewSubmitted      = "review.submitted"
	EventReviewDecided        = "review.decided"
	EventCountryUpdated       = "country.updated"
	EventEndUserRegistered    = "end_user.registered"
	EventDeclarationRecorded  = "declaration.recorded"
	EventLicenseApplied       = "license.applied"
	EventLicenseDecided       = "license.decided" // one ministry's approval or denial
	EventLicenseStatus        = "license.status"  // the status changed (active, denied, suspended, …)
	EventTokenCreated         = "token.created"
	EventTokenRevoked         = "token.revoked"
	EventUserCreated          = "user.created"
	EventPasskeyRegistered    = "passkey.registered"
	EventDeploymentRegistered = "deployment.registered"
	// EventInfrastructureDeclared counts what a deployment declared of its
	// infrastructure, never the values.
	EventInfrastructureDeclared = "deployment.infrastructure_declared"
	// EventEvidenceImported records a forensic report's import: its
	// digest, its counts and the cases it opened or updated.
	EventEvidenceImported  = "evidence.imported"
	EventDeploymentRetired = "deployment.retired"
	EventOperationDecided  = "operation.decided"
	EventProtectedAdded    = "protected.added"
	EventCaseOpened        = "case.opened"
	EventCaseUpdated       = "case.updated"
	// EventComplaintFiled, EventComplaintAdded and EventComplaintTriaged
	// record a complaint's life without its text or anything of the
	// complainant: that one was filed, added to, or triaged into a case.
	EventComplaintFiled      = "complaint.filed"
	EventComplaintAdded      = "complaint.added"
	EventComplaintTriaged    = "complaint.triaged"
	EventActionRequested     = "action.requested"
	EventActionApproved      = "action.approved" // the second ministry approved a pending action
	EventActionRejected      = "action.rejected" // the second ministry rejected it: it never takes effect
	EventActionExecuted      = "action.executed"
	EventDesignationListed   = "designation.listed"
	EventDesignationUpdated  = "designation.updated"
	EventDesignationDelisted = "designation.delisted"
	EventScreeningPerformed  = "screening.performed"
	// EventPartyMatched: a licensing party's name matched a designation
	// at or above the review band; EventPartyCleared and
	// EventPartyConfirmed are an officer's decision on it.
	EventPartyMatched   = "party.matched"
	EventPartyCleared   = "party.cleared"
	EventPartyConfirmed = "party.confirmed"
	EventLeaseIssued    = "lease.issued"
	// EventReportCountersigned: a regulator confirmed a safeguards kit run
	// it served.
	EventReportCountersigned = "safeguards.countersigned"
)

// LogEntry is one leaf of the audit log as served at
// /v1/log/entries/{index}: Entry holds the exact leaf bytes, the event's
// canonical JSON, which is what clients hash (RFC 6962) to check an
// inclusion proof; Event is the same JSON, for reading, absent if the
// stored bytes are not JSON at all. A client that has proved Entry
// (client.ProveEntry) sets Event to the proved bytes.
type LogEntry struct {
	Index int64           `json:"index"`
	Entry []byte          `json:"entry"` // base64 in JSON
	Event json.RawMessage `json:"event,omitempty"`
}

// NewLogEntry returns the entry at index whose leaf bytes are entry.
func NewLogEntry(index int64, entry []byte) LogEntry {
	e := LogEntry{Index: index, Entry: entry}
	if json.Valid(entry) {
		e.Event = entry
	}
	return e
}
