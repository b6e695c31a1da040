package oversight

// Page asks for one page of a list, in id order: ids are time-ordered, so
// this is creation order, and After is the last id of the previous page
// (the Next of the List it ended). Limit is the page size: 100 when 0, at
// most 1000.
type Page struct {
	After string
	Limit int
}

// LicenseFilter selects licences (GET /v1/licenses); empty fields match
// everything.
type LicenseFilter struct {
	VendorID  string
	EndUserID string
	ProductID string
	Status    LicenseStatus
	Kind      LicenseKind
	// Awaiting selects the applied licences on which this ministry has
	// not decided yet: the work waiting for its officers.
	Awaiting Ministry
}

// ProductFilter selects products (GET /v1/products); empty fields match
// everything. Stage is the last stage approved, as on the product:
// "testing" is the products whose testing stage was approved and which
// have not been approved export-ready yet.
type ProductFilter struct {
	VendorID string
	Stage    Stage
}

// Validate refuses a stage that is not one of the five.
func (f ProductFilter) Validate() error {
	if f.Stage != "" && !f.Stage.Valid() {
		return Invalid("invalid product filter", "stage", "must be concept, design, prototype, testing or export_ready")
	}
	return nil
}

// ReviewFilter selects development reviews; empty fields match
// everything. Status submitted is the reviews waiting for a decision.
type ReviewFilter struct {
	ProductID string
	Status    ReviewStatus
}

// OperationFilter selects decided operations (GET /v1/operations); empty
// fields match everything.
type OperationFilter struct {
	LicenseID    string
	DeploymentID string
	Decision     Verdict
}

// CaseFilter selects misuse cases (GET /v1/cases); empty fields match
// everything.
type CaseFilter struct {
	LicenseID string
	Status    CaseStatus
	Source    CaseSource
	// Rule is the code of the rule that opened the case, such as
	// EVIDENCE-INDICATOR.
	Rule string
}

// DesignationFilter selects designations (GET /v1/designations); empty
// fields match everything.
type DesignationFilter struct {
	Basis     Basis
	CaseID    string
	RelatedTo string
	Source    string
	// Status is "active" (not delisted), "delisted", or "" for both.
	Status string
}

// ScreeningFilter selects the records of screenings (GET /v1/screenings):
// by the officer who asked, and by a name screened, which is matched in
// any order of its parts through its keyed hash, never stored. Empty
// fields match everything.
type ScreeningFilter struct {
	Actor string
	Name  string
}
