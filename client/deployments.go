package client

import (
	"context"
	"net/url"

	"github.com/oversight-dev/oversight"
)

// RegisterDeployment registers a deployment of a licensed tool.
func (c *Client) RegisterDeployment(ctx context.Context, r *oversight.DeploymentRegistration) (*oversight.RegisteredDeployment, error) {
	var out oversight.RegisteredDeployment
	return &out, c.Do(ctx, "POST", "/v1/deployments", r, &out)
}

// Deployment returns a deployment.
func (c *Client) Deployment(ctx context.Context, id string) (*oversight.Deployment, error) {
	var out oversight.Deployment
	return &out, c.Do(ctx, "GET", "/v1/deployments/"+url.PathEscape(id), nil, &out)
}

// Deployments lists the deployments of a licence.
func (c *Client) Deployments(ctx context.Context, licenseID string, o oversight.Page) (*oversight.List[oversight.Deployment], error) {
	var out oversight.List[oversight.Deployment]
	return &out, c.Do(ctx, "GET", "/v1/deployments"+query(append([]string{"license", licenseID}, pagePairs(o)...)...), nil, &out)
}

// RetireDeployment retires a deployment: its key is refused from then on.
func (c *Client) RetireDeployment(ctx context.Context, id, reason string) (*oversight.Deployment, error) {
	var out oversight.Deployment
	return &out, c.Do(ctx, "POST", "/v1/deployments/"+url.PathEscape(id)+"/retire", &oversight.RetireRequest{Reason: reason}, &out)
}
