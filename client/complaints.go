package client

import (
	"context"
	"net/url"

	"github.com/oversight-dev/oversight"
)

// FileComplaint files a complaint; it needs no token. Keep the answer's
// secret: it is the only way to read the complaint again.
func (c *Client) FileComplaint(ctx context.Context, r *oversight.ComplaintRequest) (*oversight.ComplaintReceipt, error) {
	var out oversight.ComplaintReceipt
	return &out, c.Do(ctx, "POST", "/v1/complaints", r, &out)
}

// ComplaintStatus reads a complaint as its complainant, the client's token
// being the complaint's secret.
func (c *Client) ComplaintStatus(ctx context.Context, receipt string) (*oversight.ComplaintStatusView, error) {
	var out oversight.ComplaintStatusView
	return &out, c.Do(ctx, "GET", "/v1/complaints/"+url.PathEscape(receipt), nil, &out)
}

// AddToComplaint adds information to a complaint as its complainant, the
// client's token being the complaint's secret.
func (c *Client) AddToComplaint(ctx context.Context, receipt, text string) (*oversight.ComplaintStatusView, error) {
	var out oversight.ComplaintStatusView
	return &out, c.Do(ctx, "POST", "/v1/complaints/"+url.PathEscape(receipt), &oversight.ComplaintAdditionRequest{Text: text}, &out)
}

// Complaint reads a whole complaint, as an official.
func (c *Client) Complaint(ctx context.Context, receipt string) (*oversight.Complaint, error) {
	var out oversight.Complaint
	return &out, c.Do(ctx, "GET", "/v1/complaints/"+url.PathEscape(receipt), nil, &out)
}

// Complaints lists complaints, newest first, as an official.
func (c *Client) Complaints(ctx context.Context, f oversight.ComplaintFilter, o oversight.Page) (*oversight.List[oversight.Complaint], error) {
	var out oversight.List[oversight.Complaint]
	return &out, c.Do(ctx, "GET", "/v1/complaints"+query(append([]string{"status", string(f.Status), "license", f.LicenseID}, pagePairs(o)...)...), nil, &out)
}

// TriageComplaint makes a complaint part of a case, or dismisses it.
func (c *Client) TriageComplaint(ctx context.Context, receipt string, t *oversight.ComplaintTriage) (*oversight.TriageResult, error) {
	var out oversight.TriageResult
	return &out, c.Do(ctx, "POST", "/v1/complaints/"+url.PathEscape(receipt)+"/triage", t, &out)
}
