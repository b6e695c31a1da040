package oversight

// List is one page of a listing. Next is the cursor of the following page
// (pass it as "after"), empty on the last page.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// LicenseView is a licence with its history: every audit-log event about
// it, oldest first.
type LicenseView struct {
	*License
	History []Event `json:"history"`
}
