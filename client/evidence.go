package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	"github.com/oversight-dev/oversight"
)

// UpdateDeployment declares a deployment's infrastructure, replacing what
// it declared before.
func (c *Client) UpdateDeployment(ctx context.Context, id string, u *oversight.DeploymentUpdate) (*oversight.Deployment, error) {
	var out oversight.Deployment
	return &out, c.Do(ctx, "PATCH", "/v1/deployments/"+url.PathEscape(id), u, &out)
}

// ImportEvidence sends a forensic report, a STIX 2.1 bundle, as it is
// read from bundle, and reports whether the server saw it for the first
// time.
func (c *Client) ImportEvidence(ctx context.Context, bundle io.Reader) (rep *oversight.EvidenceReport, created bool, err error) {
	resp, err := c.send(ctx, "POST", "/v1/evidence", "application/stix+json;version=2.1", bundle, nil)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	var out oversight.EvidenceReport
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, false, fmt.Errorf("POST /v1/evidence: decode answer: %w", err)
	}
	return &out, resp.StatusCode == 201, nil
}

// EvidenceReport returns an imported forensic report.
func (c *Client) EvidenceReport(ctx context.Context, id string) (*oversight.EvidenceReport, error) {
	var out oversight.EvidenceReport
	return &out, c.Do(ctx, "GET", "/v1/evidence/"+url.PathEscape(id), nil, &out)
}

// EvidenceReports lists imported forensic reports, newest first.
func (c *Client) EvidenceReports(ctx context.Context, o oversight.Page) (*oversight.List[oversight.EvidenceReport], error) {
	var out oversight.List[oversight.EvidenceReport]
	return &out, c.Do(ctx, "GET", "/v1/evidence"+query(pagePairs(o)...), nil, &out)
}
