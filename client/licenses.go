package client

import (
	"context"
	"net/url"

	"github.com/oversight-dev/oversight"
)

// ApplyLicense files a licence application.
func (c *Client) ApplyLicense(ctx context.Context, a *oversight.LicenseApplication) (*oversight.License, error) {
	var out oversight.License
	return &out, c.Do(ctx, "POST", "/v1/licenses", a, &out)
}

// DecideLicense records one ministry's approval or denial.
func (c *Client) DecideLicense(ctx context.Context, id string, r *oversight.ApprovalRequest) (*oversight.License, error) {
	var out oversight.License
	return &out, c.Do(ctx, "POST", "/v1/licenses/"+url.PathEscape(id)+"/approvals", r, &out)
}

// License returns a licence with its history.
func (c *Client) License(ctx context.Context, id string) (*oversight.LicenseView, error) {
	var out oversight.LicenseView
	return &out, c.Do(ctx, "GET", "/v1/licenses/"+url.PathEscape(id), nil, &out)
}

// Licenses lists licences matching f.
func (c *Client) Licenses(ctx context.Context, f oversight.LicenseFilter, o oversight.Page) (*oversight.List[oversight.License], error) {
	var out oversight.List[oversight.License]
	q := query(append([]string{"vendor_id", f.VendorID, "end_user_id", f.EndUserID, "product_id", f.ProductID,
		"status", string(f.Status), "kind", string(f.Kind)}, pagePairs(o)...)...)
	return &out, c.Do(ctx, "GET", "/v1/licenses"+q, nil, &out)
}

// RequestAction orders an enforcement action on a licence.
func (c *Client) RequestAction(ctx context.Context, licenseID string, r *oversight.ActionRequest) (*oversight.Action, error) {
	var out oversight.Action
	return &out, c.Do(ctx, "POST", "/v1/licenses/"+url.PathEscape(licenseID)+"/actions", r, &out)
}

// ApproveAction approves or rejects a pending action.
func (c *Client) ApproveAction(ctx context.Context, id string, r *oversight.ActionApprovalRequest) (*oversight.Action, error) {
	var out oversight.Action
	return &out, c.Do(ctx, "POST", "/v1/actions/"+url.PathEscape(id)+"/approvals", r, &out)
}

// Action returns an action.
func (c *Client) Action(ctx context.Context, id string) (*oversight.Action, error) {
	var out oversight.Action
	return &out, c.Do(ctx, "GET", "/v1/actions/"+url.PathEscape(id), nil, &out)
}

// Actions lists the actions on a licence.
func (c *Client) Actions(ctx context.Context, licenseID string, o oversight.Page) (*oversight.List[oversight.Action], error) {
	var out oversight.List[oversight.Action]
	return &out, c.Do(ctx, "GET", "/v1/licenses/"+url.PathEscape(licenseID)+"/actions"+query(pagePairs(o)...), nil, &out)
}

// LicenseScreening returns the matches of a licence's parties against the
// lists and designations, and whether one blocks its approval.
func (c *Client) LicenseScreening(ctx context.Context, id string) (*oversight.LicenseScreening, error) {
	var out oversight.LicenseScreening
	return &out, c.Do(ctx, "GET", "/v1/licenses/"+url.PathEscape(id)+"/party-matches", nil, &out)
}

// DecidePartyMatch clears (verb "clear") or confirms ("confirm") a match
// of one of a licence's parties, with the officer's reason.
func (c *Client) DecidePartyMatch(ctx context.Context, licenseID, matchID, verb string, r *oversight.PartyMatchDecision) (*oversight.PartyMatch, error) {
	var out oversight.PartyMatch
	return &out, c.Do(ctx, "POST", "/v1/licenses/"+url.PathEscape(licenseID)+"/party-matches/"+url.PathEscape(matchID)+"/"+url.PathEscape(verb), r, &out)
}
