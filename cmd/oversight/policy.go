package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/policy"
)

// PolicyCmd groups the commands that work on a declaration as policy.
type PolicyCmd struct {
	Eval PolicyEvalCmd `cmd:"" help:"Decide one operation request offline, against a licence file and its declaration."`
}

// PolicyEvalCmd decides one operation request with no server and no
// database, as POST /v1/authorize would, and prints the decision.
type PolicyEvalCmd struct {
	License   string   `required:"" placeholder:"FILE" help:"The licence: status, declaration template, scope and restrictions, as JSON."`
	Request   string   `required:"" placeholder:"FILE" help:"The operation request, as JSON (DECLARATION.md)."`
	Protected string   `placeholder:"FILE" help:"The protected-persons register: one hex id_hash a line; blank lines and lines starting with # are ignored."`
	Active    int      `placeholder:"N" default:"0" help:"How many unexpired permits the licence holds now."`
	Now       string   `placeholder:"TIME" help:"The time of the decision: an RFC 3339 time, or a date alone for 00:00 UTC (default: now)."`
	Template  []string `placeholder:"FILE" sep:"none" help:"Add a declaration template from a JSON file, to test a declaration of your own (repeatable)."`
}

// Help is shown by "oversight policy eval --help".
func (c *PolicyEvalCmd) Help() string {
	return `Prints the decision as JSON: "permit" with the clause that permits the
operation and when the permit expires, or "deny" with every rule that forbids
it. The exit status is 0 for a permit, 3 for a deny and 2 for bad input.

The deployment named in the request is taken to be registered to the licence.
The declaration is one of the built-in templates (IL-2021) or one given with
--template.

Example licence.json:

  {"status": "active", "declaration": "IL-2021",
   "scope": {"purposes": ["terrorism", "serious_crime"],
             "operations": ["intercept", "extract", "locate", "monitor"],
             "blocked_country_codes": ["+1"], "max_active_operations": 50,
             "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"},
   "restrictions": [{"id": "act_01", "purposes": ["terrorism"]}]}

Example request.json:

  {"deployment_id": "dep_01", "operation": "intercept",
   "target": {"id_hash": "<64 hex digits>", "country_code": "+44"},
   "legal_basis": {"category": "serious_crime", "offense": "armed robbery",
                   "statute": "Penal Code s. 402", "max_sentence_years": 10},
   "grounds": [], "case_ref": "C-117", "warrant_ref": "W-3381", "justification": ""}

  oversight policy eval --license licence.json --request request.json \
      --now 2026-06-01T12:00:00Z --active 3`
}

// licenseFile is the licence file of "policy eval" (API.md).
type licenseFile struct {
	Status       oversight.LicenseStatus `json:"status"`
	Declaration  string                  `json:"declaration"`
	Scope        oversight.Scope         `json:"scope"`
	Restrictions []oversight.Restriction `json:"restrictions"`
}

// Run decides the request. A deny is exit status 3; bad input is 2.
func (c *PolicyEvalCmd) Run(ctx context.Context, env *Env) error {
	now := time.Now()
	if c.Now != "" {
		t, err := parseTimeFlag("--now", c.Now)
		if err != nil {
			return err
		}
		now = t
	}
	if c.Active < 0 {
		return &exitError{code: exitUsage, msg: "--active: want a number of permits, 0 or more"}
	}

	var templates []*oversight.DeclarationTemplate
	for _, name := range c.Template {
		data, err := readInput(name)
		if err != nil {
			return err
		}
		t, err := oversight.ParseTemplate(data)
		if err != nil {
			return badInput(name, err)
		}
		templates = append(templates, t)
	}
	engine, err := policy.NewEngine(policy.Options{Templates: templates})
	if err != nil {
		return err
	}

	lic, err := c.readLicense(engine)
	if err != nil {
		return err
	}
	data, err := readInput(c.Request)
	if err != nil {
		return err
	}
	req, err := oversight.ParseOperationRequest(data)
	if err != nil {
		return badInput(c.Request, err)
	}
	protected, err := readRegister(c.Protected)
	if err != nil {
		return err
	}

	p, err := engine.Compile(lic)
	if err != nil {
		return badInput(c.License, err)
	}
	d, err := p.Evaluate(req, policy.Facts{
		Now:                  now,
		ActivePermits:        c.Active,
		ProtectedTarget:      protected[strings.ToLower(req.Target.IDHash)],
		DeploymentRegistered: true,
	})
	if err != nil {
		return badInput(c.Request, err)
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return err
	}
	if d.Decision != oversight.Permit {
		return &exitError{code: 3}
	}
	return nil
}

// readLicense reads and checks the licence file.
func (c *PolicyEvalCmd) readLicense(engine *policy.Engine) (*policy.License, error) {
	data, err := readInput(c.License)
	if err != nil {
		return nil, err
	}
	var f licenseFile
	if err := oversight.DecodeJSON(data, &f); err != nil {
		return nil, badInput(c.License, err)
	}
	if _, ok := engine.Template(f.Declaration); !ok {
		var ids []string
		for _, t := range engine.Templates() {
			ids = append(ids, t.ID)
		}
		msg := fmt.Sprintf("no declaration template %q; known: %s (add one with --template)", f.Declaration, strings.Join(ids, ", "))
		if f.Declaration == "" {
			msg = "required: the declaration template, such as IL-2021"
		}
		return nil, &exitError{code: exitUsage, msg: c.License + ": declaration: " + msg}
	}
	l := &policy.License{Status: f.Status, Template: f.Declaration, Scope: f.Scope, Restrictions: f.Restrictions}
	if err := l.Validate(); err != nil {
		return nil, badInput(c.License, err)
	}
	return l, nil
}

// readInput reads a file named on the command line.
func readInput(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("%s: %v", name, err)}
	}
	return data, nil
}

// readRegister reads a protected-persons register file: the set of its
// hashes, in lower case. No file is an empty register.
func readRegister(name string) (map[string]bool, error) {
	set := make(map[string]bool)
	if name == "" {
		return set, nil
	}
	data, err := readInput(name)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if b, err := hex.DecodeString(line); err != nil || len(b) != 32 {
			return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("%s:%d: want an id_hash of 64 hex digits", name, n)}
		}
		set[strings.ToLower(line)] = true
	}
	if err := sc.Err(); err != nil {
		return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("%s: %v", name, err)}
	}
	return set, nil
}

// badInput turns an EINVALID error about a file into exit status 2 with one
// line per field at fault: "request.json: legal_basis.act: …".
func badInput(name string, err error) error {
	var e *oversight.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(e.Fields) == 0 {
		return &exitError{code: exitUsage, msg: name + ": " + e.Message}
	}
	lines := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		if f.Field == "body" {
			// The file as a whole: malformed JSON, trailing data.
			lines[i] = name + ": " + f.Message
			continue
		}
		lines[i] = name + ": " + f.Field + ": " + f.Message
	}
	return &exitError{code: exitUsage, msg: strings.Join(lines, "\n  ")}
}
