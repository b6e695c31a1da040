package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/agent"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/keyfile"
)

// AuthorizeCmd asks the server for a decision as a deployment, as the agent
// does before every use.
type AuthorizeCmd struct {
	Server     string `type:"server" env:"OVERSIGHT_SERVER" default:"${default_server}" help:"Server URL (http:// unless it says https://)."`
	Deployment string `required:"" help:"The deployment asking (dep_…)."`
	Key        string `required:"" type:"existingfile" help:"The deployment's key file (oversight agent keygen); it signs the request."`
	Request    string `required:"" help:"The operation request, a JSON file as DECLARATION.md defines it (- for standard input)."`
	TargetKind string `name:"target-kind" enum:",phone,email,imsi,imei" default:"" help:"With --target: the kind of identifier (phone, email, imsi, imei)."`
	Target     string `help:"A raw target identifier to hash with the site pepper into target.id_hash, as the agent does; it never leaves this machine."`
	Pepper     string `help:"With --target: the site pepper file (default: the key file's name with .pepper)."`
}

// Help is shown by --help.
func (c *AuthorizeCmd) Help() string {
	return `Signs the request with the deployment's key and prints the decision as JSON:
the clause that permits it, or every rule that forbids it, the operation id and
its position in the audit log. Exit status 0 for a permit, 3 for a deny, 2 for
a request the server refuses as malformed.

The request names the deployment (deployment_id, filled in if left out) and the
target by its keyed hash. With --target, the raw identifier is normalised and
hashed here with the site pepper, as the agent does, and only its hash is sent.

Example:
  oversight authorize --deployment dep_… --key agent.pem --request request.json \
      --target-kind phone --target '+44 20 7946 0958'`
}

// Run asks for the decision.
func (c *AuthorizeCmd) Run(ctx context.Context, env *Env) error {
	key, err := keyfile.Read(c.Key)
	if err != nil {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("--key %s: %v", c.Key, err)}
	}
	var req oversight.OperationRequest
	if err := readJSONFile(env, c.Request, &req); err != nil {
		return err
	}
	if req.DeploymentID == "" {
		req.DeploymentID = c.Deployment
	}
	if c.Target != "" {
		if c.TargetKind == "" {
			return &exitError{code: exitUsage, msg: "--target needs --target-kind: phone, email, imsi or imei"}
		}
		pepperFile := c.Pepper
		if pepperFile == "" {
			pepperFile = defaultPepperFile(c.Key)
		}
		pepper, err := readPepper(pepperFile)
		if err != nil {
			return &exitError{code: exitUsage, msg: fmt.Sprintf("--pepper %s: %v", pepperFile, err)}
		}
		canonical, err := agent.NormalizeTarget(c.TargetKind, c.Target)
		if err != nil {
			return &exitError{code: exitUsage, msg: "--target: " + err.Error()}
		}
		req.Target.IDHash = agent.HashTarget(pepper, canonical)
	}
	cl := client.New(c.Server, "")
	cl.UserAgent = "oversight-cli"
	d, err := cl.AsDeployment(c.Deployment, key).Authorize(ctx, &req)
	if err != nil {
		return err
	}
	if err := printJSON(env.Stdout, d); err != nil {
		return err
	}
	if d.Decision != oversight.Permit {
		return &exitError{code: 3}
	}
	return nil
}

// OperationCmd groups the commands on decided operations.
type OperationCmd struct {
	List OperationListCmd `cmd:"" help:"List decided operations, newest first."`
	Show OperationShowCmd `cmd:"" help:"Show a decided operation."`
}

// OperationListCmd lists operations.
type OperationListCmd struct {
	clientFlags
	License    string `help:"The licence whose operations to list (required for vendors and end users)."`
	Deployment string `help:"Only this deployment's operations."`
	Decision   string `enum:",permit,deny" default:"" help:"Only permits or only denies."`
	Limit      int    `default:"100" help:"Page size."`
	After      string `help:"Cursor from the previous page."`
}

// Run lists operations.
func (c *OperationListCmd) Run(ctx context.Context, env *Env) error {
	out, err := c.client().Operations(ctx, oversight.OperationFilter{LicenseID: c.License, DeploymentID: c.Deployment, Decision: oversight.Verdict(c.Decision)},
		oversight.Page{Limit: c.Limit, After: c.After})
	if err != nil {
		return err
	}
	return c.print(env, out, idsOf(out.Items, func(o *oversight.OperationRecord) string { return o.ID }), func(w io.Writer) {
		row(w, "ID", "DECIDED", "DEPLOYMENT", "OPERATION", "CATEGORY", "DECISION", "REASONS")
		for _, o := range out.Items {
			row(w, o.ID, o.DecidedAt.Format(time.RFC3339), o.DeploymentID, o.Operation, o.LegalBasis.Category, o.Decision, join(reasonCodes(o.Reasons)))
		}
		nextPage(w, out.Next)
	})
}

// OperationShowCmd shows an operation.
type OperationShowCmd struct {
	clientFlags
	ID string `arg:"" help:"Operation id (op_…)."`
}

// Run shows the operation.
func (c *OperationShowCmd) Run(ctx context.Context, env *Env) error {
	o, err := c.client().Operation(ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(env, o, one(o.ID), func(w io.Writer) {
		row(w, "id", o.ID)
		row(w, "licence", o.LicenseID)
		row(w, "deployment", o.DeploymentID)
		row(w, "operation", o.Operation)
		row(w, "target", o.Target.IDHash+" ("+o.Target.CountryCode+")")
		lb := o.LegalBasis
		basis := string(lb.Category) + prefixed(": ", lb.Act)
		if lb.MaxSentenceYears != nil {
			basis += fmt.Sprintf(", %d years", *lb.MaxSentenceYears)
		}
		row(w, "legal basis", basis+prefixed("; ", lb.Offense)+prefixed("; ", lb.Statute))
		row(w, "grounds", join(o.Grounds))
		row(w, "case ref", orDash(o.CaseRef))
		row(w, "warrant", orDash(o.WarrantRef))
		row(w, "decision", o.Decision)
		for _, r := range o.Reasons {
			row(w, "reason", r.Code+": "+r.Message)
		}
		if o.ExpiresAt != nil {
			row(w, "expires", o.ExpiresAt.Format(time.RFC3339))
		}
		if o.Review {
			row(w, "review", "yes: the permit rests on an open-ended clause")
		}
		if o.MisuseCaseID != "" {
			row(w, "misuse case", o.MisuseCaseID)
		}
		row(w, "decided", o.DecidedAt.Format(time.RFC3339))
		row(w, "policy version", o.PolicyVersion)
		row(w, "log index", o.LogIndex)
	})
}

func reasonCodes(rs []oversight.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Code
	}
	return out
}
