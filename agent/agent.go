// Package agent is the deployment side of enforcement: it runs at the site
// of a licensed tool, keeps the tool's operating lease, and supervises the
// tool.
//
// The agent starts the tool (CMD) only while it holds a valid lease from the
// regulator, renews the lease at a third of its lifetime, and listens to
// the regulator's server-sent events. It stops the tool (SIGTERM, then
// SIGKILL after a grace period) when the regulator pushes a shutdown, when
// a renewal is refused because the licence is no longer active, and when
// the lease expires without renewal, whatever the reason, the regulator
// being unreachable included: it fails closed. Stopping the tool stops
// every process it started, wherever it went: the agent holds them in a
// cgroup of the tool's own, or as a child subreaper, or (outside Linux) in
// the tool's process group. While it has no lease it
// keeps asking, and it starts the tool again when a lease comes (after a
// reinstatement). A revoked or expired licence is final: the agent stops
// the tool and returns ErrLicenseEnded.
//
// The agent also serves the tool a local HTTP endpoint on a unix socket,
// whose path it passes in OVERSIGHT_AGENT_SOCKET. Before each use the tool
// asks there for authorisation with the raw target identifier; the agent
// normalises and hashes it with the site pepper (NormalizeTarget,
// HashTarget) and forwards the signed operation request to the regulator,
// so the raw identifier never leaves the site. See docs/vendors.md.
package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/lease"
)

// Environment variables the agent sets for CMD.
const (
	EnvSocket     = "OVERSIGHT_AGENT_SOCKET" // the local endpoint's unix socket
	EnvDeployment = "OVERSIGHT_DEPLOYMENT"   // the deployment id
)

// DefaultGrace is how long the tool has to exit after SIGTERM before it
// is killed.
const DefaultGrace = 10 * time.Second

// ErrLicenseEnded is returned by Run when the licence is revoked or has
// expired: the tool is stopped and no lease will ever come again.
var ErrLicenseEnded = errors.New("licence ended")

// ExitError is returned by Run when the command ended on its own; Code is
// its exit status (128+signal if a signal ended it).
type ExitError struct {
	Code   int
	Status string
}

func (e *ExitError) Error() string { return "command ended on its own: " + e.Status }

// Config configures an Agent.
type Config struct {
	// Server is the regulator's URL, such as https://oversight.example.
	Server string
	// DeploymentID and Key are the deployment's id and Ed25519 key.
	DeploymentID string
	Key          ed25519.PrivateKey
	// LeaseKey verifies leases. Pin it: get it from the regulator out of
	// band. It is required unless TrustServerKey.
	LeaseKey ed25519.PublicKey
	// TrustServerKey, with no LeaseKey, fetches the lease key from the
	// server at start, trusting that connection: whoever answers in the
	// server's place then issues the leases. For demonstrations only.
	TrustServerKey bool
	// Pepper is the site pepper with which target identifiers are hashed;
	// without it the local endpoint refuses authorisation requests.
	Pepper []byte
	// Socket is the path of the local endpoint's unix socket; "" serves
	// none.
	Socket string
	// Command is the tool to supervise, program and arguments; empty means
	// none: the agent only keeps the lease and serves the endpoint.
	Command []string
	// Grace is how long the command has between SIGTERM and SIGKILL; 0
	// means DefaultGrace.
	Grace time.Duration
	// CallingCodes are the E.164 country calling codes ("+44") from which
	// a phone number's country code is found; without them the tool must
	// give it.
	CallingCodes []string
	// Logger receives the agent's log; nil means slog.Default().
	Logger *slog.Logger
	// HTTP is the client of the regulator's API; nil means one with a
	// 10-second timeout.
	HTTP *http.Client
}

// Agent supervises one deployment. Create it with New and call Run once.
type Agent struct {
	cfg Config
	log *slog.Logger
	api *client.Deployment

	// held is the lease in force, for the local endpoint; nil when none.
	mu      sync.Mutex
	held    *lease.Lease
	expires time.Time // local deadline of held
	cmdPID  int
	contain string // how the command's processes are held (Contain…)
}

// New checks cfg and returns an agent.
func New(cfg Config) (*Agent, error) {
	var missing []string
	if cfg.Server == "" {
		missing = append(missing, "server")
	}
	if !oversight.ValidID(oversight.PrefixDeployment, cfg.DeploymentID) {
		missing = append(missing, "deployment id (dep_…)")
	}
	if len(cfg.Key) != ed25519.PrivateKeySize {
		missing = append(missing, "Ed25519 key")
	}
	if (cfg.LeaseKey != nil || !cfg.TrustServerKey) && len(cfg.LeaseKey) != ed25519.PublicKeySize {
		missing = append(missing, "lease key (pinned, or TrustServerKey)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("agent: missing %s", strings.Join(missing, ", "))
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := client.New(cfg.Server, "")
	c.UserAgent = "oversight-agent"
	c.HTTP = cfg.HTTP
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	return &Agent{cfg: cfg, log: cfg.Logger, api: c.AsDeployment(cfg.DeploymentID, cfg.Key)}, nil
}

// Run runs the agent until ctx ends (it then stops the command and
// returns nil), the command ends on its own (*ExitError), or the licence
// ends (ErrLicenseEnded, after stopping the command).
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.log.Info("agent starting", "deployment", a.cfg.DeploymentID, "server", a.cfg.Server)
	if a.cfg.LeaseKey == nil {
		key, err := a.fetchLeaseKey(ctx)
		if err != nil {
			return nil // ctx ended while waiting for the server
		}
		a.cfg.LeaseKey = key
	}
	if a.cfg.Socket != "" {
		stop, err := a.serveLocal(a.cfg.Socket)
		if err != nil {
			return err
		}
		defer stop()
	}
	l := &loop{a: a, leases: make(chan leaseResult, 1), pushed: make(chan pushed, 16), exits: make(chan error, 1)}
	go a.listen(ctx, l.pushed)
	return l.run(ctx)
}

// fetchLeaseKey gets the lease key from the server, retrying until it
// answers or ctx ends.
func (a *Agent) fetchLeaseKey(ctx context.Context) (ed25519.PublicKey, error) {
	c := client.New(a.cfg.Server, "")
	c.HTTP = a.cfg.HTTP
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		key, err := c.LeaseKey(ctx)
		if err == nil {
			a.log.Warn("lease key fetched from the server, not pinned; pin it with --lease-key", "lease_key", oversight.EncodeKey(key))
			return key, nil
		}
		a.log.Error("cannot get the lease key; the command will not start until the server answers", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// current returns the lease in force, or nil.
func (a *Agent) current() *lease.Lease {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held == nil || !time.Now().Before(a.expires) {
		return nil
	}
	return a.held
}

func (a *Agent) setLease(l *lease.Lease, expires time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.held, a.expires = l, expires
}

func (a *Agent) setPID(pid int, containment string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cmdPID, a.contain = pid, containment
}

// leaseResult is the outcome of one renewal.
type leaseResult struct {
	l    *oversight.Lease
	err  error
	sent time.Time
}

// pushed is an event from the regulator.
type pushed struct {
	typ  string
	data json.RawMessage
	at   time.Time
}

// loop is the agent's state machine. One goroutine owns it; everything
// else talks to it through channels.
type loop struct {
	a      *Agent
	leases chan leaseResult
	pushed chan pushed
	exits  chan error

	held      *lease.Lease
	renewing  bool
	failures  int
	renew     *time.Timer // when to ask for the next lease
	expiry    *time.Timer // when the held lease runs out
	cmd       *command
	cmdExits  chan error
	ended     oversight.LicenseStatus // revoked or expired: final
	refusedAs string                  // the licence state the last refusal named
}

func (l *loop) run(ctx context.Context) error {
	l.renew = time.NewTimer(0) // ask at once
	l.expiry = time.NewTimer(time.Hour)
	l.expiry.Stop()
	defer l.renew.Stop()
	defer l.expiry.Stop()
	for {
		select {
		case <-ctx.Done():
			if l.cmd != nil {
				l.cmd.stop("the agent is stopping", l.a.cfg.Grace)
				l.waitCommand()
			}
			l.a.log.Info("agent stopped")
			return nil

		case <-l.renew.C:
			if !l.renewing {
				l.renewing = true
				go func(sent time.Time) {
					rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					defer cancel()
					ol, err := l.a.api.Lease(rctx)
					l.leases <- leaseResult{l: ol, err: err, sent: sent}
				}(time.Now())
			}

		case r := <-l.leases:
			l.renewing = false
			if err := l.renewed(r); err != nil {
				return err
			}

		case p := <-l.pushed:
			if err := l.event(p); err != nil {
				return err
			}

		case <-l.expiry.C:
			if l.held != nil {
				l.a.log.Error("lease expired without renewal: failing closed", "license", l.held.License)
				l.drop("the lease expired without renewal")
			}
			l.retry()

		case err := <-l.cmdExits:
			status := l.cmd.exited(err)
			stopped := l.cmd.stopping
			l.cmd, l.cmdExits = nil, nil
			l.a.setPID(0, "")
			if !stopped {
				l.a.log.Warn("command ended on its own; the agent ends with it", "status", status)
				return &ExitError{Code: exitCode(err), Status: status}
			}
			l.a.log.Info("command stopped", "status", status)
			if l.ended != "" {
				return fmt.Errorf("%w: licence is %s", ErrLicenseEnded, l.ended)
			}
			l.start() // a lease may have come while it was stopping
		}
	}
}

// renewed handles the answer to a lease request.
func (l *loop) renewed(r leaseResult) error {
	log := l.a.log
	if r.err == nil {
		v, err := lease.Verify(l.a.cfg.LeaseKey, r.l.Token, l.a.cfg.DeploymentID, time.Now())
		if err != nil {
			// A lease that does not verify is no lease: keep the one held,
			// if any, until it runs out.
			log.Error("the server sent a lease that does not verify; is the lease key the regulator's?", "err", err)
			l.retry()
			return nil
		}
		l.failures = 0
		l.refusedAs = ""
		if !l.adopt(v, r.sent) {
			// Not newer than the lease held (a pushed one came first):
			// renew on this one's schedule all the same.
			l.renew.Reset(time.Until(r.sent.Add(v.Lifetime() / 3)))
		}
		return nil
	}
	var ce *client.Error
	if errors.As(r.err, &ce) && ce.Status == http.StatusConflict {
		state := ce.Problem.CurrentState
		if state != l.refusedAs {
			log.Warn("the regulator refuses a lease", "state", state, "detail", ce.Problem.Detail)
		}
		l.refusedAs = state
		l.failures++
		l.drop("the regulator refuses a lease: " + state)
		if state == string(oversight.LicenseRevoked) || state == string(oversight.LicenseExpired) {
			return l.end(oversight.LicenseStatus(state))
		}
		l.retry()
		return nil
	}
	l.failures++
	if l.held != nil {
		log.Warn("lease renewal failed; keeping the lease until it expires", "err", r.err, "expires_in", time.Until(l.held.Expires).Round(time.Second))
	} else if l.failures == 1 || l.failures%10 == 0 {
		log.Error("cannot get a lease; the command stays stopped", "err", r.err, "attempts", l.failures)
	}
	l.retry()
	return nil
}

// adopt makes v the lease in force, if it is newer than the one held
// (later, or as late and of a newer policy version), and starts the
// command if it is not running. It reports whether it took v.
func (l *loop) adopt(v *lease.Lease, sent time.Time) bool {
	if h := l.held; h != nil && !v.Expires.After(h.Expires) &&
		!(v.Expires.Equal(h.Expires) && v.PolicyVersion > h.PolicyVersion) {
		return false
	}
	// The deadline is on this machine's monotonic clock, counted from
	// when the lease was asked for: a lease never lasts longer here than
	// its lifetime, whatever the clocks say. It is also never later than
	// its expiry by this machine's wall clock.
	life := v.Lifetime()
	deadline := sent.Add(life)
	if byWall := time.Now().Add(time.Until(v.Expires)); byWall.Before(deadline) {
		deadline = byWall
	}
	first := l.held == nil || l.held.PolicyVersion != v.PolicyVersion
	l.held = v
	l.a.setLease(v, deadline)
	l.expiry.Reset(time.Until(deadline))
	l.renew.Reset(time.Until(sent.Add(life / 3)))
	if first {
		l.a.log.Info("lease granted", "license", v.License, "policy_version", v.PolicyVersion, "expires", v.Expires.Format(time.RFC3339), "lifetime", life)
	} else {
		l.a.log.Debug("lease renewed", "expires", v.Expires.Format(time.RFC3339))
	}
	l.start()
	return true
}

// retry schedules the next lease request after a failure: soon, then less
// often, but always well within a lease lifetime.
func (l *loop) retry() {
	wait := time.Second << min(l.failures, 5)
	if l.held != nil {
		wait = min(wait, max(l.held.Lifetime()/10, 200*time.Millisecond))
	}
	l.renew.Reset(min(wait, 30*time.Second))
}

// drop forgets the lease and stops the command.
func (l *loop) drop(why string) {
	l.held = nil
	l.a.setLease(nil, time.Time{})
	l.expiry.Stop()
	if l.cmd != nil {
		l.cmd.stop(why, l.a.cfg.Grace)
	}
}

// end makes the licence's end final: the command is stopped, and Run
// returns once it has exited.
func (l *loop) end(status oversight.LicenseStatus) error {
	l.ended = status
	l.renew.Stop()
	if l.cmd == nil {
		l.a.log.Error("licence ended; the agent stops", "status", status)
		return fmt.Errorf("%w: licence is %s", ErrLicenseEnded, status)
	}
	return nil
}

// start starts the command if there is one to run, a lease, and no run
// of it still going.
func (l *loop) start() {
	if len(l.a.cfg.Command) == 0 || l.cmd != nil || l.held == nil || l.ended != "" {
		return
	}
	env := []string{EnvDeployment + "=" + l.a.cfg.DeploymentID}
	if l.a.cfg.Socket != "" {
		env = append(env, EnvSocket+"="+l.a.cfg.Socket)
	}
	cmd, err := startCommand(l.a.cfg.Command, env, l.a.log)
	if err != nil {
		l.a.log.Error("cannot start the command", "err", err)
		return
	}
	l.cmd, l.cmdExits = cmd, cmd.done
	l.a.setPID(cmd.pid(), cmd.containment())
}

// waitCommand waits for a stopping command to exit.
func (l *loop) waitCommand() {
	status := l.cmd.exited(<-l.cmdExits)
	l.a.log.Info("command stopped", "status", status)
	l.cmd, l.cmdExits = nil, nil
}

// event handles an event pushed by the regulator.
func (l *loop) event(p pushed) error {
	log := l.a.log
	switch p.typ {
	case oversight.PushLease:
		var ol oversight.Lease
		if err := json.Unmarshal(p.data, &ol); err != nil {
			log.Error("bad lease event", "err", err)
			return nil
		}
		v, err := lease.Verify(l.a.cfg.LeaseKey, ol.Token, l.a.cfg.DeploymentID, time.Now())
		if err != nil {
			log.Error("pushed lease does not verify; ignored", "err", err)
			return nil
		}
		l.failures, l.refusedAs = 0, ""
		l.adopt(v, p.at)
	case oversight.PushRestrict:
		var n oversight.RestrictNotice
		if err := json.Unmarshal(p.data, &n); err != nil {
			log.Error("bad restrict event", "err", err)
			return nil
		}
		r := n.Restriction
		attrs := []any{"rule", n.Rule, "reason", n.Reason, "policy_version", n.PolicyVersion}
		if len(r.Purposes) > 0 {
			attrs = append(attrs, "purposes", r.Purposes)
		}
		if len(r.Operations) > 0 {
			attrs = append(attrs, "operations", r.Operations)
		}
		if len(r.BlockedCountryCodes) > 0 {
			attrs = append(attrs, "blocked_country_codes", r.BlockedCountryCodes)
		}
		if r.MaxActiveOperations != nil {
			attrs = append(attrs, "max_active_operations", *r.MaxActiveOperations)
		}
		if r.ValidUntil != nil {
			attrs = append(attrs, "valid_until", r.ValidUntil.Format(time.RFC3339))
		}
		log.Warn("restriction in force", attrs...)
	case oversight.PushShutdown:
		var n oversight.ShutdownNotice
		if err := json.Unmarshal(p.data, &n); err != nil {
			// Whatever it says, it says stop.
			log.Error("bad shutdown event; stopping all the same", "err", err)
			n.Status = "unknown"
		}
		if l.held != nil || l.cmd != nil || n.Status != oversight.LicenseStatus(l.refusedAs) {
			attrs := []any{"status", n.Status}
			if n.ActionID != "" {
				attrs = append(attrs, "action", n.ActionID, "reason", n.Reason)
			}
			if n.CaseID != "" {
				attrs = append(attrs, "case", n.CaseID)
			}
			log.Warn("shutdown ordered by the regulator", attrs...)
		}
		l.refusedAs = string(n.Status)
		l.drop(fmt.Sprintf("licence %s (%s)", n.Status, orNone(n.ActionID)))
		if n.Status == oversight.LicenseRevoked || n.Status == oversight.LicenseExpired {
			return l.end(n.Status)
		}
		l.retry()
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no action"
	}
	return s
}

// listen follows the regulator's event stream, reconnecting with the last
// event id after any failure, until ctx ends.
func (a *Agent) listen(ctx context.Context, out chan<- pushed) {
	last := ""
	for wait := time.Second; ctx.Err() == nil; {
		idle := 45 * time.Second
		if l := a.current(); l != nil {
			idle = min(max(l.Lifetime()*3/4, 3*time.Second), idle)
		}
		s, err := a.api.Events(ctx, last, idle)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("cannot open the event stream; retrying", "err", err, "retry_in", wait)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, 30*time.Second)
			continue
		}
		a.log.Debug("event stream open", "last_event_id", last)
		wait = time.Second
		for {
			ev, err := s.Next()
			if err != nil {
				if ctx.Err() == nil {
					a.log.Warn("event stream lost; reconnecting", "err", err)
				}
				break
			}
			last = ev.ID
			select {
			case out <- pushed{typ: ev.Type, data: ev.Data, at: time.Now()}:
			case <-ctx.Done():
			}
		}
		s.Close()
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stat is the answer to GET /v1/status on the local endpoint.
type stat struct {
	DeploymentID  string     `json:"deployment_id"`
	State         string     `json:"state"` // "active": a lease is held; "waiting": none
	LicenseID     string     `json:"license_id,omitempty"`
	PolicyVersion int        `json:"policy_version,omitempty"`
	LeaseExpires  *time.Time `json:"lease_expires_at,omitempty"`
	CommandPID    int        `json:"command_pid,omitempty"`
	// Containment is how the command's processes are held: cgroup,
	// subreaper or process_group (see docs/vendors.md).
	Containment string `json:"containment,omitempty"`
}

func (a *Agent) status() stat {
	s := stat{DeploymentID: a.cfg.DeploymentID, State: "waiting"}
	if l := a.current(); l != nil {
		s.State, s.LicenseID, s.PolicyVersion = "active", l.License, l.PolicyVersion
		exp := l.Expires
		s.LeaseExpires = &exp
	}
	a.mu.Lock()
	s.CommandPID, s.Containment = a.cmdPID, a.contain
	a.mu.Unlock()
	return s
}
