package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	"github.com/oversight-dev/oversight"
)

// Deployments ask for decisions with Deployment.Authorize; what follows is
// for officials and the parties of a licence.

// Operations lists decided operations, newest first. A vendor or an end
// user must name the licence.
func (c *Client) Operations(ctx context.Context, f oversight.OperationFilter, o oversight.Page) (*oversight.List[oversight.OperationRecord], error) {
	var out oversight.List[oversight.OperationRecord]
	q := query(append([]string{"license", f.LicenseID, "deployment", f.DeploymentID, "decision", string(f.Decision)}, pagePairs(o)...)...)
	return &out, c.Do(ctx, "GET", "/v1/operations"+q, nil, &out)
}

// Operation returns a decided operation.
func (c *Client) Operation(ctx context.Context, id string) (*oversight.OperationRecord, error) {
	var out oversight.OperationRecord
	return &out, c.Do(ctx, "GET", "/v1/operations/"+url.PathEscape(id), nil, &out)
}

// AddProtected puts a target hash on the protected-persons register. It
// returns the entry, which keeps its first category if the hash was
// already there.
func (c *Client) AddProtected(ctx context.Context, r *oversight.ProtectedRegistration) (*oversight.ProtectedPerson, error) {
	var out oversight.ProtectedPerson
	return &out, c.Do(ctx, "POST", "/v1/protected", r, &out)
}

// ImportProtected adds a list of target hashes, one a line, all of one
// category, to the register: all of them or, if a line is malformed, none.
func (c *Client) ImportProtected(ctx context.Context, category oversight.ProtectedCategory, list io.Reader) (*oversight.ProtectedImport, error) {
	resp, err := c.send(ctx, "POST", "/v1/protected:import"+query("category", string(category)), "text/plain; charset=utf-8", list, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out oversight.ProtectedImport
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("POST /v1/protected:import: decode answer: %w", err)
	}
	return &out, nil
}

// OpenCase opens a misuse case from a forensic report or a complaint.
func (c *Client) OpenCase(ctx context.Context, r *oversight.CaseRequest) (*oversight.Case, error) {
	var out oversight.Case
	return &out, c.Do(ctx, "POST", "/v1/cases", r, &out)
}

// Case returns a misuse case.
func (c *Client) Case(ctx context.Context, id string) (*oversight.Case, error) {
	var out oversight.Case
	return &out, c.Do(ctx, "GET", "/v1/cases/"+url.PathEscape(id), nil, &out)
}

// Cases lists misuse cases, newest first.
func (c *Client) Cases(ctx context.Context, f oversight.CaseFilter, o oversight.Page) (*oversight.List[oversight.Case], error) {
	var out oversight.List[oversight.Case]
	q := query(append([]string{"license", f.LicenseID, "status", string(f.Status), "source", string(f.Source), "rule", f.Rule}, pagePairs(o)...)...)
	return &out, c.Do(ctx, "GET", "/v1/cases"+q, nil, &out)
}

// CaseTimeline returns a case's timeline from the log, and the interval
// from its first evidence to the tool's stop.
func (c *Client) CaseTimeline(ctx context.Context, id string) (*oversight.CaseTimeline, error) {
	var out oversight.CaseTimeline
	return &out, c.Do(ctx, "GET", "/v1/cases/"+url.PathEscape(id)+"/timeline", nil, &out)
}

// ProposeCaseAction orders an enforcement action from a substantiated
// case, on its licence.
func (c *Client) ProposeCaseAction(ctx context.Context, id string, r *oversight.CaseActionRequest) (*oversight.Action, error) {
	var out oversight.Action
	return &out, c.Do(ctx, "POST", "/v1/cases/"+url.PathEscape(id)+"/actions", r, &out)
}

// UpdateCase records findings, evidence, operations and designations, or
// closes or reopens a case.
func (c *Client) UpdateCase(ctx context.Context, id string, u *oversight.CaseUpdate) (*oversight.Case, error) {
	var out oversight.Case
	return &out, c.Do(ctx, "PATCH", "/v1/cases/"+url.PathEscape(id), u, &out)
}
