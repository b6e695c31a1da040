package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/agent"
	"github.com/oversight-dev/oversight/keyfile"
)

// AgentCmd groups the agent: running it (the default) and making its key.
type AgentCmd struct {
	Run    AgentRunCmd    `cmd:"" default:"withargs" help:"Run the agent around a tool (the default: oversight agent --server … -- CMD)."`
	Keygen AgentKeygenCmd `cmd:"" help:"Write a new Ed25519 deployment key and print its public key."`
}

// AgentRunCmd runs the enforcement agent.
type AgentRunCmd struct {
	Server     string        `type:"server" env:"OVERSIGHT_SERVER" default:"${default_server}" help:"The regulator's server URL."`
	Deployment string        `required:"" env:"OVERSIGHT_DEPLOYMENT" help:"This deployment's id, dep_… (oversight deployment register prints it)."`
	Key        string        `required:"" type:"existingfile" env:"OVERSIGHT_AGENT_KEY" help:"This deployment's Ed25519 key file (oversight agent keygen)."`
	Pepper     string        `env:"OVERSIGHT_AGENT_PEPPER" help:"The site pepper file (oversight deployment register writes it); default: the key file's name with .pepper."`
	LeaseKey   string        `name:"lease-key" env:"OVERSIGHT_LEASE_KEY" help:"The regulator's lease key, base64, pinned: get it from the regulator out of band (serve prints it at start). Required unless --insecure-trust-server-key."`
	Insecure   bool          `name:"insecure-trust-server-key" help:"Without --lease-key, take the lease key from the server at start, trusting that connection: whoever answers in its place then issues the leases. For demonstrations only."`
	Socket     string        `env:"OVERSIGHT_AGENT_SOCKET" help:"Unix socket of the local authorisation endpoint (default: $XDG_RUNTIME_DIR or the temporary directory, oversight-agent-<deployment>.sock); none with --socket=off."`
	Grace      time.Duration `default:"10s" help:"How long CMD has to exit after SIGTERM before it is killed."`
	LogLevel   string        `default:"info" enum:"debug,info,warn,error" help:"Log level: ${enum}."`
	LogFormat  string        `default:"text" enum:"text,json" help:"Log format: ${enum}."`
	Command    []string      `arg:"" optional:"" passthrough:"" name:"cmd" help:"The tool to run, after --, with its arguments."`
}

// Help is shown by "oversight agent run --help".
func (c *AgentRunCmd) Help() string {
	return `The agent runs at the deployment, next to the tool. It starts CMD only while it
holds a valid operating lease from the regulator, renews the lease at a third
of its lifetime and listens to the regulator's events. It stops CMD (SIGTERM,
then SIGKILL after --grace) when the licence is suspended or revoked, and when
the lease cannot be renewed before it expires, the server being unreachable
included: it fails closed. After a reinstatement it starts CMD again. A
revoked or expired licence is final: the agent exits with status 1. When CMD
exits on its own, the agent exits with CMD's status.

Leases are verified with the regulator's lease key, pinned with --lease-key:
get it from the regulator out of band (serve prints it at start). Without it
the agent does not start, unless --insecure-trust-server-key, for a
demonstration, takes it from the server.

CMD asks for authorisation before each use on the local endpoint, a unix
socket whose path is in $OVERSIGHT_AGENT_SOCKET: POST /v1/authorize with the
raw target identifier, which the agent normalises and hashes with the site
pepper, so that it never leaves the site (docs/vendors.md). GET /v1/status
says whether a lease is held.

Examples:
  oversight agent keygen --key agent.pem
  oversight deployment register --license lic_… --label "Site 1" --key agent.pem
  oversight agent --server https://oversight.example --deployment dep_… --key agent.pem \
      --lease-key 'rWpVX8lO…' -- ./tool --serve`
}

// Run runs the agent until SIGINT or SIGTERM, the licence's end or CMD's.
func (c *AgentRunCmd) Run(ctx context.Context, env *Env) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := newLogger(env, c.LogLevel, c.LogFormat).With("component", "agent")
	key, err := keyfile.Read(c.Key)
	if err != nil {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("--key %s: %v", c.Key, err)}
	}
	cfg := agent.Config{Server: c.Server, DeploymentID: c.Deployment, Key: key, Command: c.Command, Grace: c.Grace, Logger: logger}
	if !oversight.ValidID(oversight.PrefixDeployment, c.Deployment) {
		return &exitError{code: exitUsage, msg: "--deployment: want a deployment id, dep_…"}
	}
	pepperFile := c.Pepper
	if pepperFile == "" {
		pepperFile = defaultPepperFile(c.Key)
	}
	if cfg.Pepper, err = readPepper(pepperFile); err != nil {
		if c.Pepper != "" || !errors.Is(err, os.ErrNotExist) {
			return &exitError{code: exitUsage, msg: fmt.Sprintf("--pepper %s: %v", pepperFile, err)}
		}
		logger.Warn("no site pepper: the local endpoint will refuse authorisation requests", "pepper", pepperFile)
	}
	switch {
	case c.LeaseKey != "":
		if cfg.LeaseKey, err = oversight.ParsePublicKey(c.LeaseKey); err != nil {
			return &exitError{code: exitUsage, msg: "--lease-key: " + err.Error()}
		}
	case c.Insecure:
		cfg.TrustServerKey = true
	default:
		return &exitError{code: exitUsage, msg: "no lease key: pin the regulator's lease key with --lease-key or OVERSIGHT_LEASE_KEY " +
			"(get it from the regulator out of band; the server prints it at start: \"Lease key (agents pin it with --lease-key): …\"), " +
			"or, for a demonstration only, take it from the server with --insecure-trust-server-key"}
	}
	switch c.Socket {
	case "off":
	case "":
		dir := os.Getenv("XDG_RUNTIME_DIR")
		if dir == "" {
			dir = os.TempDir()
		}
		cfg.Socket = filepath.Join(dir, "oversight-agent-"+c.Deployment+".sock")
	default:
		cfg.Socket = c.Socket
	}
	cfg.CallingCodes = callingCodes()
	a, err := agent.New(cfg)
	if err != nil {
		return &exitError{code: exitUsage, msg: err.Error()}
	}
	err = a.Run(ctx)
	var ee *agent.ExitError
	switch {
	case errors.As(err, &ee):
		return &exitError{code: ee.Code}
	case errors.Is(err, agent.ErrLicenseEnded):
		return &exitError{code: exitError1, msg: "agent: " + err.Error() + "; the tool may not run again"}
	}
	return err
}

// defaultPepperFile is where the pepper of the deployment whose key is in
// keyFile is kept unless told otherwise: beside it, with .pepper for the
// key's extension.
func defaultPepperFile(keyFile string) string {
	return strings.TrimSuffix(keyFile, filepath.Ext(keyFile)) + ".pepper"
}

// readPepper reads a site pepper file: hex, one line.
func readPepper(path string) ([]byte, error) {
	b, err := keyfile.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(p) < 16 {
		return nil, errors.New("not a site pepper: want at least 16 bytes in hex")
	}
	return p, nil
}

// AgentKeygenCmd writes a deployment key.
type AgentKeygenCmd struct {
	Key string `required:"" help:"File to write the key to (mode 0600); it must not exist."`
}

// Run writes the key and prints the public key alone on the last line.
func (c *AgentKeygenCmd) Run(env *Env) error {
	priv, err := keyfile.Generate(c.Key)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Wrote a new Ed25519 deployment key to %s (mode 0600). Its public key, for oversight deployment register:\n", c.Key)
	_, err = fmt.Fprintln(env.Stdout, oversight.EncodeKey(priv.Public().(ed25519.PublicKey)))
	return err
}
