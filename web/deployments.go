package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
)

func (s *Server) routesDeployments() {
	readers := []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleVendor, oversight.RoleEndUser}
	s.handle("GET", "/deployments", s.deploymentsPage, readers...)
	s.handle("GET", "/deployments/new", s.deploymentNewPage, oversight.RoleDefense, oversight.RoleVendor, oversight.RoleEndUser)
	s.handle("POST", "/deployments", s.deploymentRegister, oversight.RoleDefense, oversight.RoleVendor, oversight.RoleEndUser)
	s.handle("GET", "/deployments/{id}", s.deploymentPage, readers...)
	s.handle("GET", "/deployments/{id}/live", s.deploymentLive, readers...)
}

type deploymentsData struct {
	Items   []oversight.Deployment
	Next    string
	License string
	// Licenses are the signed-in party's licences to choose from: vendors
	// and agencies list the deployments of one licence at a time.
	Licenses []oversight.License
}

// deploymentsPage lists deployments: every one for officials, a licence's
// for anyone who may read it.
func (s *Server) deploymentsPage(w http.ResponseWriter, r *request) error {
	lic := param(r.Request, "license")
	pg := &page{Title: "Deployments", Form: r.URL.Query()}
	d := deploymentsData{License: lic}
	if lic == "" && !r.p.Is(officials...) {
		ls, err := s.svc.Licenses(r.Context(), r.p, oversight.LicenseFilter{}, oversight.Page{Limit: pageSize, After: pageOf(r.Request).After})
		if err != nil {
			return err
		}
		d.Licenses, d.Next = ls.Items, ls.Next
		var ids []string
		for _, l := range ls.Items {
			ids = append(ids, l.ProductID, l.EndUserID)
		}
		pg.Data, pg.Names = d, s.resolve(r.Context(), r.p, nil, ids...)
		return s.render(w, r.Request, r.p, "deployments", pg)
	}
	l, err := s.svc.Deployments(r.Context(), r.p, lic, pageOf(r.Request))
	if err != nil {
		return err
	}
	d.Items, d.Next = l.Items, l.Next
	var ids []string
	for _, x := range l.Items {
		if !slices.Contains(ids, x.LicenseID) {
			ids = append(ids, x.LicenseID)
		}
	}
	pg.Data, pg.Names = d, s.resolve(r.Context(), r.p, nil, ids...)
	return s.render(w, r.Request, r.p, "deployments", pg)
}

// leaseView is a deployment's lease state in words.
type leaseView struct {
	*service.DeploymentLease
	// State is operating, no_lease, shutdown or retired; Headline and
	// Detail say it for people.
	State, Headline, Detail string
	Recent                  []oversight.OperationRecord
}

// leaseState reads a deployment's lease state and its latest decisions.
func (s *Server) leaseState(ctx context.Context, p *oversight.Principal, id string) (*leaseView, error) {
	st, err := s.svc.DeploymentLease(ctx, p, id)
	if err != nil {
		return nil, err
	}
	v := &leaseView{DeploymentLease: st}
	valid := st.Lease != nil && st.Lease.ExpiresAt.After(st.At)
	switch {
	case st.Deployment.Status != oversight.DeploymentActive:
		v.State, v.Headline = "retired", "Retired"
		v.Detail = "This deployment is " + string(st.Deployment.Status) + ": the server refuses its requests and issues it no lease."
	case st.License.Status != oversight.LicenseActive:
		v.State, v.Headline = "shutdown", "Shut down: the licence is "+string(st.License.Status)
		v.Detail = "Since " + when(st.License.UpdatedAt) + " the server sends a shutdown to the deployment's event stream and refuses its leases; its agent stops the tool."
		if valid {
			v.Detail += " Its last lease would have run until " + when(st.Lease.ExpiresAt) + "; the agent stops at the shutdown, or at the latest then."
		}
	case valid:
		v.State, v.Headline = "operating", "Operating under a valid lease"
		v.Detail = "Lease issued " + seconds(st.Lease.IssuedAt) + ", valid until " + seconds(st.Lease.ExpiresAt) + "; the agent renews it before it runs out."
	case st.Lease != nil:
		v.State, v.Headline = "no_lease", "Not operating: its lease ran out"
		v.Detail = "The last lease ended " + seconds(st.Lease.ExpiresAt) + ": the agent is stopped, or cannot reach the server."
	default:
		v.State, v.Headline = "no_lease", "Not operating yet"
		v.Detail = "No lease was ever issued to this deployment: its agent has not started."
	}
	ops, err := s.svc.Operations(ctx, p, oversight.OperationFilter{LicenseID: st.License.ID, DeploymentID: id}, oversight.Page{Limit: 5})
	if err != nil {
		return nil, err
	}
	v.Recent = ops.Items
	return v, nil
}

func (s *Server) deploymentPage(w http.ResponseWriter, r *request) error {
	v, err := s.leaseState(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	pg := &page{Title: "Deployment: " + v.Deployment.Label, Data: v,
		Names: s.resolve(r.Context(), r.p, nil, v.License.ProductID, v.License.EndUserID)}
	return s.render(w, r.Request, r.p, "deployment", pg)
}

// deploymentLive streams the deployment's lease state: the page changes
// when a lease is renewed or a shutdown goes out.
func (s *Server) deploymentLive(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	return s.live(w, r, func(ctx context.Context) ([]byte, error) {
		v, err := s.leaseState(ctx, r.p, id)
		if err != nil {
			return nil, err
		}
		return s.fragment("deployment", "lease", &page{User: r.p, Data: v})
	})
}

type deploymentNewData struct {
	Registered *oversight.RegisteredDeployment
	LeaseKey   string
	Origin     string
}

func (s *Server) deploymentNewPage(w http.ResponseWriter, r *request) error {
	return s.render(w, r.Request, r.p, "deployment_new", &page{Title: "Register a deployment",
		Form: map[string][]string{"license_id": {param(r.Request, "license")}}, Data: deploymentNewData{}})
}

// deploymentRegister registers a deployment with its agent's public key,
// and shows the site pepper, once: the key with which the agent hashes
// the identifiers of its targets, which the regulator never sees.
func (s *Server) deploymentRegister(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	reg := &oversight.DeploymentRegistration{LicenseID: strings.TrimSpace(r.PostFormValue("license_id")), Label: strings.TrimSpace(r.PostFormValue("label")),
		PublicKey: strings.TrimSpace(r.PostFormValue("public_key"))}
	d, err := s.svc.RegisterDeployment(r.Context(), r.p, reg)
	pg := &page{Title: "Register a deployment", Form: r.PostForm}
	if err != nil {
		if formError(pg, err, nil) {
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "deployment_new", pg.with(deploymentNewData{}))
		}
		return err
	}
	pg.Title, pg.Flash = "Deployment registered", "Registered. Save the site pepper now: it is shown only this once."
	return s.render(w, r.Request, r.p, "deployment_new", pg.with(deploymentNewData{Registered: d, LeaseKey: s.svc.LeaseKey().PublicKey, Origin: s.origin.String()}))
}
