package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/keyfile"
)

// DeploymentCmd groups the deployment commands.
type DeploymentCmd struct {
	Register DeploymentRegisterCmd `cmd:"" help:"Register a deployment of an active export licence with its agent's key; saves the site pepper."`
	Show     DeploymentShowCmd     `cmd:"" help:"Show a deployment."`
	List     DeploymentListCmd     `cmd:"" help:"List the deployments of a licence."`
	Declare  DeploymentDeclareCmd  `cmd:"" help:"Declare the infrastructure a deployment uses (domains, IP ranges, certificates, app ids); officers match forensic reports against it."`
	Retire   DeploymentRetireCmd   `cmd:"" help:"Retire a deployment: its key is refused from then on; the licence is untouched."`
}

// infrastructureFlags give a deployment's infrastructure.
type infrastructureFlags struct {
	Domain     []string `help:"A domain the product uses; it covers its subdomains (repeatable)."`
	IPRange    []string `name:"ip-range" help:"An IP address or CIDR prefix the product uses (repeatable)."`
	CertSHA256 []string `name:"cert-sha256" help:"SHA-256 of a certificate the product uses, hex (repeatable)."`
	AppID      []string `name:"app-id" help:"An application id the product installs, such as com.example.app (repeatable)."`
}

func (f *infrastructureFlags) infrastructure() *oversight.Infrastructure {
	if len(f.Domain)+len(f.IPRange)+len(f.CertSHA256)+len(f.AppID) == 0 {
		return nil
	}
	return &oversight.Infrastructure{Domains: f.Domain, IPRanges: f.IPRange, CertSHA256: f.CertSHA256, AppIDs: f.AppID}
}

// DeploymentDeclareCmd declares a deployment's infrastructure.
type DeploymentDeclareCmd struct {
	clientFlags
	infrastructureFlags
	ID string `arg:"" help:"Deployment id (dep_…)."`
}

// Help is shown by "oversight deployment declare --help".
func (c *DeploymentDeclareCmd) Help() string {
	return `The vendor, the end user or a defense officer declares what the deployment's
product uses on the network and on devices. The declaration replaces the
previous one: give every entry each time. Only the regulator's officers read
it back; the public log records how many entries of each kind were declared.
Forensic reports imported with "oversight evidence import" are matched
against it.

Example:
  oversight deployment declare dep_… --domain c2.example.net --ip-range 203.0.113.0/24 \
      --cert-sha256 3ac9…1e64 --app-id com.example.agent`
}

// Run declares the infrastructure.
func (c *DeploymentDeclareCmd) Run(ctx context.Context, env *Env) error {
	in := c.infrastructure()
	if in == nil {
		in = &oversight.Infrastructure{}
	}
	d, err := c.client().UpdateDeployment(ctx, c.ID, &oversight.DeploymentUpdate{Infrastructure: in})
	if err != nil {
		return err
	}
	return c.print(env, d, one(d.ID), func(w io.Writer) { deploymentTable(w, d) })
}

// DeploymentRegisterCmd registers a deployment.
type DeploymentRegisterCmd struct {
	clientFlags
	infrastructureFlags
	License string `required:"" help:"The active export licence the deployment runs under (lic_…)."`
	Label   string `required:"" help:"A name for the site, such as \"Paris data centre, rack 4\"."`
	Key     string `required:"" type:"existingfile" help:"The agent's key file (oversight agent keygen); its public key is registered."`
	Pepper  string `help:"File to save the site pepper to, mode 0600; it must not exist (default: the key file's name with .pepper)."`
}

// Help is shown by "oversight deployment register --help".
func (c *DeploymentRegisterCmd) Help() string {
	return `A vendor, the end user or a defense officer registers a deployment. The answer
carries the site pepper, the key with which the agent hashes target
identifiers; it is given only once and saved to --pepper. Keep it with the
agent's key.

Example:
  oversight agent keygen --key agent.pem
  oversight deployment register --license lic_… --label "Site 1" --key agent.pem
  oversight agent --deployment dep_… --key agent.pem -- ./tool`
}

// Run registers the deployment and saves its pepper.
func (c *DeploymentRegisterCmd) Run(ctx context.Context, env *Env) error {
	key, err := keyfile.Read(c.Key)
	if err != nil {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("--key %s: %v", c.Key, err)}
	}
	pepperFile := c.Pepper
	if pepperFile == "" {
		pepperFile = defaultPepperFile(c.Key)
	}
	// Refuse before registering, not after: the pepper is shown only once.
	if _, err := os.Stat(pepperFile); err == nil {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("--pepper %s exists; a site pepper is never overwritten", pepperFile)}
	}
	d, err := c.client().RegisterDeployment(ctx, &oversight.DeploymentRegistration{LicenseID: c.License, Label: c.Label,
		PublicKey: oversight.EncodeKey(key.Public().(ed25519.PublicKey)), Infrastructure: c.infrastructure()})
	if err != nil {
		return err
	}
	if err := keyfile.Create(pepperFile, []byte(d.SitePepper+"\n")); err != nil {
		// The registration stands; say what to do with the pepper.
		fmt.Fprintf(env.Stderr, "oversight: cannot save the site pepper to %s: %v\nSite pepper (save it, mode 0600): %s\n", pepperFile, err, d.SitePepper)
		return &exitError{code: exitError1}
	}
	return c.print(env, &d.Deployment, one(d.ID), func(w io.Writer) {
		deploymentTable(w, &d.Deployment)
		row(w, "site pepper", "saved to "+pepperFile+" (mode 0600)")
		row(w, "next", fmt.Sprintf("oversight agent --server %s --deployment %s --key %s --lease-key KEY -- CMD ARGS…", c.Server, d.ID, c.Key))
	})
}

func deploymentTable(w io.Writer, d *oversight.Deployment) {
	row(w, "id", d.ID)
	row(w, "licence", d.LicenseID)
	row(w, "label", d.Label)
	row(w, "status", d.Status)
	row(w, "public key", d.PublicKey)
	row(w, "log index", d.LogIndex)
	if in := d.Infrastructure; in != nil {
		row(w, "domains", join(in.Domains))
		row(w, "ip ranges", join(in.IPRanges))
		row(w, "cert sha256", join(in.CertSHA256))
		row(w, "app ids", join(in.AppIDs))
	}
	if r := d.Retired; r != nil {
		row(w, "retired", fmt.Sprintf("%s by %s: %s (log index %d)", r.At.Format(time.RFC3339), r.By, r.Reason, r.LogIndex))
	}
}

// DeploymentRetireCmd retires a deployment.
type DeploymentRetireCmd struct {
	clientFlags
	ID     string `arg:"" help:"Deployment id (dep_…)."`
	Reason string `required:"" help:"Why the deployment is retired; it is in the audit log."`
}

// Help is shown by "oversight deployment retire --help".
func (c *DeploymentRetireCmd) Help() string {
	return `A defense officer, or the vendor or agency whose licence the deployment
runs under, retires it: from then on its key is refused, its event stream
gets a shutdown and it never gets a lease again. The licence and its other
deployments are untouched; to stop them all, suspend or revoke the licence.

Example:
  oversight deployment retire dep_… --reason "site decommissioned"`
}

// Run retires it.
func (c *DeploymentRetireCmd) Run(ctx context.Context, env *Env) error {
	d, err := c.client().RetireDeployment(ctx, c.ID, c.Reason)
	if err != nil {
		return err
	}
	return c.print(env, d, one(d.ID), func(w io.Writer) { deploymentTable(w, d) })
}

// DeploymentShowCmd shows a deployment.
type DeploymentShowCmd struct {
	clientFlags
	ID string `arg:"" help:"Deployment id (dep_…)."`
}

// Run shows it.
func (c *DeploymentShowCmd) Run(ctx context.Context, env *Env) error {
	d, err := c.client().Deployment(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, d, one(d.ID), func(w io.Writer) { deploymentTable(w, d) })
}

// DeploymentListCmd lists deployments.
type DeploymentListCmd struct {
	clientFlags
	License string `help:"Only this licence's deployments (officials may leave it out)."`
}

// Run lists them.
func (c *DeploymentListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Deployments(ctx, c.License, oversight.Page{Limit: 1000})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(d *oversight.Deployment) string { return d.ID }), func(w io.Writer) {
		row(w, "ID", "LICENCE", "STATUS", "LABEL")
		for _, d := range out.Items {
			row(w, d.ID, d.LicenseID, d.Status, d.Label)
		}
	})
}
