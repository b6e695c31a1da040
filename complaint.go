package oversight

import (
	"strings"
	"time"
)

// A complaint is what a person who believes they were targeted, or an
// insider, tells the regulator without an account: free text, and
// optionally the licence, vendor or country it is about. The answer gives
// a receipt (the complaint's id) and a secret; the secret, as a bearer
// token, reads the complaint's status and adds to it. Nothing identifies
// the complainant: no account, no address, no header is kept, and the
// secret is stored as its digest only. Officers triage complaints into
// misuse cases.

// ComplaintStatus is how far a complaint has gone.
type ComplaintStatus string

// Complaint statuses.
const (
	// ComplaintReceived: filed, not yet looked at.
	ComplaintReceived ComplaintStatus = "received"
	// ComplaintTriaged: an officer made it part of a misuse case.
	ComplaintTriaged ComplaintStatus = "triaged"
	// ComplaintDismissed: an officer found nothing to investigate.
	ComplaintDismissed ComplaintStatus = "dismissed"
)

// Valid reports whether s is a known status.
func (s ComplaintStatus) Valid() bool {
	return s == ComplaintReceived || s == ComplaintTriaged || s == ComplaintDismissed
}

// ComplaintSecretPrefix starts the secret a complaint's answer carries, so
// that the API tells it from an API token in the same header.
const ComplaintSecretPrefix = "ovc_"

// Limits on a complaint: text enough for a detailed account, and few
// additions, so that an anonymous caller cannot fill the database.
const (
	MaxComplaintText      = 20000
	MaxComplaintAdditions = 20
)

// Complaint is a complaint as officers read it. The complainant reads
// its ComplaintStatusView.
type Complaint struct {
	// ID is the receipt.
	ID        string `json:"id"`
	Text      string `json:"text"`
	LicenseID string `json:"license_id,omitempty"`
	VendorID  string `json:"vendor_id,omitempty"`
	Country   string `json:"country,omitempty"` // ISO 3166-1 alpha-2
	// Additions are what the complainant added later, oldest first.
	Additions []ComplaintAddition `json:"additions"`
	Status    ComplaintStatus     `json:"status"`
	// CaseID is the misuse case the complaint was triaged into.
	CaseID string `json:"case_id,omitempty"`
	// Note is the officer's reason for a dismissal, or what the triage
	// said; the complainant reads it.
	Note      string     `json:"note,omitempty"`
	TriagedBy string     `json:"triaged_by,omitempty"`
	TriagedAt *time.Time `json:"triaged_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	LogIndex  int64      `json:"log_index"`
	// SecretHash is the SHA-256 of the complainant's secret, never
	// served.
	SecretHash []byte `json:"-"`
}

// ComplaintAddition is information a complainant added to a complaint.
type ComplaintAddition struct {
	Text    string    `json:"text"`
	AddedAt time.Time `json:"added_at"`
}

// ComplaintStatusView is what a complainant reads with the secret: the
// complaint's own text and its status, not who handled it nor the case.
type ComplaintStatusView struct {
	ID        string              `json:"id"`
	Text      string              `json:"text"`
	LicenseID string              `json:"license_id,omitempty"`
	VendorID  string              `json:"vendor_id,omitempty"`
	Country   string              `json:"country,omitempty"`
	Additions []ComplaintAddition `json:"additions"`
	Status    ComplaintStatus     `json:"status"`
	Note      string              `json:"note,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// View returns what the complainant reads of c.
func (c *Complaint) View() *ComplaintStatusView {
	return &ComplaintStatusView{ID: c.ID, Text: c.Text, LicenseID: c.LicenseID, VendorID: c.VendorID, Country: c.Country,
		Additions: c.Additions, Status: c.Status, Note: c.Note, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// ComplaintRequest is the body of POST /v1/complaints.
type ComplaintRequest struct {
	Text      string `json:"text"`
	LicenseID string `json:"license_id"`
	VendorID  string `json:"vendor_id"`
	Country   string `json:"country"`
}

// Validate checks the request's fields on their own.
func (r *ComplaintRequest) Validate() error {
	var p Problems
	checkComplaintText(&p, "text", r.Text)
	if r.LicenseID != "" && !ValidID(PrefixLicense, r.LicenseID) {
		p.Add("license_id", "must be a licence id (lic_…), or left out")
	}
	if r.VendorID != "" && !ValidID(PrefixVendor, r.VendorID) {
		p.Add("vendor_id", "must be a vendor id (ven_…), or left out")
	}
	if r.Country != "" && !validISO2(r.Country) {
		p.Add("country", "must be an ISO 3166-1 alpha-2 code such as MX, or left out")
	}
	return p.Err("invalid complaint")
}

// ComplaintAdditionRequest is the body of POST /v1/complaints/{receipt}:
// what the complainant adds.
type ComplaintAdditionRequest struct {
	Text string `json:"text"`
}

// Validate checks the addition.
func (r *ComplaintAdditionRequest) Validate() error {
	var p Problems
	checkComplaintText(&p, "text", r.Text)
	return p.Err("invalid addition")
}

func checkComplaintText(p *Problems, field, text string) {
	if strings.TrimSpace(text) == "" {
		p.Add(field, "required: say what you know")
		return
	}
	if len(text) > MaxComplaintText {
		p.Add(field, "at most %d bytes", MaxComplaintText)
	}
}

// TriageAction is what an officer does with a complaint.
type TriageAction string

// Triage actions.
const (
	TriageNewCase TriageAction = "new_case" // open a case of source complaint
	TriageAttach  TriageAction = "attach"   // add it to an existing case
	TriageDismiss TriageAction = "dismiss"  // nothing to investigate
)

// ComplaintTriage is the body of POST /v1/complaints/{receipt}/triage.
type ComplaintTriage struct {
	Action TriageAction `json:"action"`
	// LicenseID and Title are the new case's (action new_case); the
	// licence defaults to the one the complaint names.
	LicenseID string `json:"license_id"`
	Title     string `json:"title"`
	// CaseID is the case to attach to (action attach).
	CaseID string `json:"case_id"`
	// Note is told to the complainant; a dismissal needs one.
	Note string `json:"note"`
}

// Validate checks the triage's fields on their own.
func (t *ComplaintTriage) Validate() error {
	var p Problems
	switch t.Action {
	case TriageNewCase:
		if t.LicenseID != "" && !ValidID(PrefixLicense, t.LicenseID) {
			p.Add("license_id", "must be a licence id (lic_…)")
		}
		if len(t.Title) > 500 {
			p.Add("title", "at most 500 characters")
		}
	case TriageAttach:
		if !ValidID(PrefixCase, t.CaseID) {
			p.Add("case_id", "must be a case id (case_…)")
		}
	case TriageDismiss:
		p.Required("note", t.Note)
	default:
		p.Add("action", "must be new_case, attach or dismiss")
	}
	if len(t.Note) > 2000 {
		p.Add("note", "at most 2000 characters")
	}
	return p.Err("invalid triage")
}

// ComplaintFilter selects complaints (GET /v1/complaints).
type ComplaintFilter struct {
	Status    ComplaintStatus
	LicenseID string
}

// ComplaintReceipt is the answer to POST /v1/complaints: the receipt that
// names the complaint and the secret that opens it, shown this once.
type ComplaintReceipt struct {
	Receipt   string          `json:"receipt"`
	Secret    string          `json:"secret"`
	Status    ComplaintStatus `json:"status"`
	CreatedAt time.Time       `json:"created_at"`
}

// TriageResult is the answer to POST /v1/complaints/{receipt}/triage: the
// complaint, and the case it went into (none for a dismissal).
type TriageResult struct {
	Complaint *Complaint `json:"complaint"`
	Case      *Case      `json:"case,omitempty"`
}
