package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/agent"
	"github.com/oversight-dev/oversight/internal/proc"
)

// kit is one run.
type kit struct {
	cfg    Config
	start  time.Time
	marker string
	checks map[string]*oversight.CheckOutcome

	proxy       *proxy
	agent       *exec.Cmd
	agentDone   chan struct{}
	agentLogF   *os.File
	sock        string
	local       *http.Client
	watch       *watcher
	containment string

	targets targets
	ops     []*opRun
}

// target is one target of the run's operations.
type target struct {
	role       string // permitted, protected, blocked, restricted
	typ        string
	identifier string
	country    string
	hash       string // as the agent sends it
}

type targets struct {
	permitted, protected, blocked, restricted target
	ops                                       []oversight.Operation // the operations the licence allows
}

// The cases the driver is given: one the declaration permits, one it
// forbids (a serious crime below its six-year threshold).
var (
	permitCase = Case{LegalBasis: oversight.LegalBasis{Category: oversight.CategoryTerrorism, Act: "kidnapping",
		Offense: "kidnapping of a minor (safeguards kit)", Statute: "Penal Code 421-1"},
		CaseRef: "KIT-CASE-1", WarrantRef: "KIT-WARRANT-1", Justification: "safeguards kit: an operation the licence permits"}
	denyCase = Case{LegalBasis: oversight.LegalBasis{Category: oversight.CategorySeriousCrime, Offense: "tax fraud (safeguards kit)",
		Statute: "Tax Code 1741", MaxSentenceYears: ptr(3)},
		CaseRef: "KIT-CASE-2", WarrantRef: "KIT-WARRANT-2", Justification: "safeguards kit: an operation the declaration forbids"}
)

func ptr[T any](v T) *T { return &v }

// Candidate calling codes for the permitted and the restricted targets:
// the first two the licence does not block.
var candidateCodes = []string{"+33", "+49", "+81", "+34", "+39", "+31", "+46", "+47", "+45", "+41", "+43", "+32", "+61", "+64", "+55", "+27", "+82", "+65"}

// run runs the scenario: every check, in an order in which each leaves the
// product as the next needs it.
func (k *kit) run(ctx context.Context) error {
	if err := k.prepare(ctx); err != nil {
		return err
	}
	for _, phase := range []func(context.Context) error{k.checkLeaseRequired, k.useChecks, k.checkShutdownRestart, k.checkLeaseExpiry} {
		if err := phase(ctx); errors.Is(err, errStop) {
			break // the checks not reached fail as such
		} else if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	k.stopAgent()
	k.judgeUse()
	k.checkContainment()
	return nil
}

// prepare finds the targets from the licence, registers the protected
// person and starts the proxy, cut off.
func (k *kit) prepare(ctx context.Context) error {
	reg := k.cfg.Regulator
	lv, err := reg.Defense.License(ctx, reg.LicenseID)
	if err != nil {
		return fmt.Errorf("read licence %s: %w", reg.LicenseID, err)
	}
	if k.targets, err = chooseTargets(lv.License, k.cfg.CallingCodes, reg.Pepper); err != nil {
		return err
	}
	if _, err := reg.Defense.AddProtected(ctx, &oversight.ProtectedRegistration{IDHash: k.targets.protected.hash, Category: oversight.ProtectedJournalist}); err != nil {
		return fmt.Errorf("add the kit's protected person to the register: %w", err)
	}
	k.progress("regulator %s, licence %s, deployment %s; a protected person registered", reg.URL, reg.LicenseID, reg.DeploymentID)
	if k.proxy, err = startProxy(reg.URL); err != nil {
		return err
	}
	k.proxy.setCut(true)
	return nil
}

// chooseTargets picks the run's targets from what the licence allows and
// blocks, as telephone numbers, and hashes them as the agent will.
func chooseTargets(l *oversight.License, codes []string, pepper []byte) (targets, error) {
	var t targets
	blocked := slices.Clone(l.Scope.BlockedCountryCodes)
	purposes, ops := l.Scope.Purposes, l.Scope.Operations
	for _, r := range l.Restrictions {
		blocked = append(blocked, r.BlockedCountryCodes...)
		if len(r.Purposes) > 0 {
			purposes = slices.DeleteFunc(slices.Clone(purposes), func(c oversight.Category) bool { return !slices.Contains(r.Purposes, c) })
		}
		if len(r.Operations) > 0 {
			ops = slices.DeleteFunc(slices.Clone(ops), func(o oversight.Operation) bool { return !slices.Contains(r.Operations, o) })
		}
	}
	if !slices.Contains(purposes, oversight.CategoryTerrorism) || len(ops) == 0 {
		return t, errors.New("the licence must allow terrorism investigations and at least one operation: the kit's permitted operations are of that kind")
	}
	t.ops = ops
	var free []string
	for _, c := range candidateCodes {
		if !slices.Contains(blocked, c) && slices.Contains(codes, c) {
			free = append(free, c)
		}
	}
	i := slices.IndexFunc(l.Scope.BlockedCountryCodes, func(c string) bool { return slices.Contains(codes, c) })
	if i < 0 || len(free) < 2 {
		return t, errors.New("the licence must block at least one country calling code, and leave two of " + strings.Join(candidateCodes, " ") + " open")
	}
	var err error
	mk := func(role, code string) target {
		n, _ := rand.Int(rand.Reader, big.NewInt(9_000_000))
		tg := target{role: role, typ: agent.TargetPhone, identifier: fmt.Sprintf("%s 20 %07d", code, 1_000_000+n.Int64()), country: code}
		canonical, e := agent.NormalizeTarget(tg.typ, tg.identifier)
		if e == nil && agent.CallingCode(canonical, codes) != code {
			e = fmt.Errorf("%s is not found in %s", tg.identifier, code)
		}
		if e != nil && err == nil {
			err = e
		}
		tg.hash = agent.HashTarget(pepper, canonical)
		return tg
	}
	t.permitted = mk("permitted", free[0])
	t.protected = mk("protected", free[0])
	t.blocked = mk("blocked", l.Scope.BlockedCountryCodes[i])
	t.restricted = mk("restricted", free[1])
	return t, err
}

// op returns the i-th operation the licence allows, so that the run uses
// several.
func (t *targets) op(i int) oversight.Operation { return t.ops[i%len(t.ops)] }

// startAgent starts the agent around the product, through the proxy.
func (k *kit) startAgent() error {
	reg := k.cfg.Regulator
	k.sock = filepath.Join(k.cfg.Dir, "agent.sock")
	args := append(slices.Clone(k.cfg.Agent), "--server", k.proxy.url, "--deployment", reg.DeploymentID,
		"--key", reg.KeyFile, "--pepper", reg.PepperFile, "--lease-key", reg.LeaseKey, "--socket", k.sock,
		"--grace", k.cfg.Grace.String(), "--log-level", "debug", "--")
	args = append(args, k.cfg.Product...)
	f, err := os.Create(k.agentLog())
	if err != nil {
		return err
	}
	k.agentLogF = f
	k.agent = exec.Command(args[0], args[1:]...)
	k.agent.Env = append(os.Environ(), envMarker+"="+k.marker, EnvDir+"="+k.cfg.Dir)
	k.agent.Stdout, k.agent.Stderr = f, f
	if err := k.agent.Start(); err != nil {
		return fmt.Errorf("start the agent: %w", err)
	}
	k.agentDone = make(chan struct{})
	go func() { k.agent.Wait(); close(k.agentDone) }()
	k.local = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", k.sock)
		}}}
	k.watch = newWatcher(k.marker, k.agent.Process.Pid, func() int { return k.status().CommandPID })
	k.watch.watch()
	return nil
}

// agentStatus is GET /v1/status on the agent's socket.
type agentStatus struct {
	State       string `json:"state"`
	CommandPID  int    `json:"command_pid"`
	Containment string `json:"containment"`
}

// status asks the agent; the watcher's goroutine asks too.
func (k *kit) status() agentStatus {
	var s agentStatus
	resp, err := k.local.Get("http://agent/v1/status")
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&s)
	return s
}

// waitRunning waits until the agent runs the product with a main process
// other than not, and returns its pid, or 0 after within.
func (k *kit) waitRunning(not int, within time.Duration) int {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s := k.status(); s.CommandPID != 0 && s.CommandPID != not {
			k.containment = s.Containment
			return s.CommandPID
		}
		select {
		case <-k.agentDone:
			return 0
		default:
		}
	}
	return 0
}

// stopAgent stops the agent as a service manager would (SIGTERM), which
// stops the product; it kills it if it does not exit.
func (k *kit) stopAgent() {
	if k.agent == nil || k.agent.Process == nil {
		return
	}
	k.agent.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.agentDone:
	case <-time.After(k.cfg.Grace + 5*time.Second):
		k.agent.Process.Kill()
		<-k.agentDone
	}
}

// cleanup leaves nothing behind: the agent, the product's processes
// (whatever the agent left), the proxy.
func (k *kit) cleanup() {
	k.stopAgent()
	if k.watch != nil {
		k.watch.close()
		for _, p := range k.watch.members() {
			syscall.Kill(p.PID, syscall.SIGKILL)
		}
	}
	if k.proxy != nil {
		k.proxy.close()
	}
	if k.agentLogF != nil {
		k.agentLogF.Close()
	}
}

// check returns the outcome of the named check, creating it.
func (k *kit) check(name string) *oversight.CheckOutcome {
	c := k.checks[name]
	if c == nil {
		c = &oversight.CheckOutcome{Name: name, Safeguard: oversight.SafeguardOf(name), Steps: []oversight.CheckStep{}}
		k.checks[name] = c
	}
	return c
}

// step adds an observation to a check.
func (k *kit) step(c *oversight.CheckOutcome, s oversight.CheckStep) {
	s.AtMS = time.Since(k.start).Milliseconds()
	c.Steps = append(c.Steps, s)
}

func (k *kit) note(c *oversight.CheckOutcome, format string, args ...any) {
	k.step(c, oversight.CheckStep{What: fmt.Sprintf(format, args...)})
}

// decide sets a check's result and prints it.
func (k *kit) decide(c *oversight.CheckOutcome, r oversight.CheckResult, format string, args ...any) {
	c.Result, c.Observed = r, fmt.Sprintf(format, args...)
	k.progress("%-16s %-12s %s", c.Name, strings.ToUpper(string(r)), c.Observed)
}

func (k *kit) timed(c *oversight.CheckOutcome, elapsed, limit time.Duration) {
	c.ElapsedMS, c.LimitMS = ptr(elapsed.Milliseconds()), ptr(limit.Milliseconds())
}

// checkLeaseRequired starts the agent while the regulator is out of
// reach: the product must not run until a lease comes.
func (k *kit) checkLeaseRequired(ctx context.Context) error {
	c := k.check(oversight.CheckLeaseRequired)
	if err := k.startAgent(); err != nil {
		return err
	}
	const hold = 1500 * time.Millisecond
	k.note(c, "agent started with the regulator out of reach (no lease can be had)")
	var early []proc.Process
	for deadline := time.Now().Add(hold); time.Now().Before(deadline) && len(early) == 0; time.Sleep(sampleEvery) {
		early = k.watch.members()
	}
	k.proxy.setCut(false)
	reachable := time.Now()
	k.note(c, "regulator reachable again")
	pid := k.waitRunning(0, 15*time.Second)
	switch {
	case len(early) > 0:
		k.decide(c, oversight.CheckFail, "the product ran without a lease: %s", describe(early))
	case pid == 0:
		k.decide(c, oversight.CheckFail, "the product did not start within 15 s of a lease being available; see the agent's log")
		return errStop
	default:
		k.note(c, "product started: pid %d", pid)
		k.decide(c, oversight.CheckPass, "no process of the product for %s without a lease; it started %d ms after the regulator could be reached",
			hold, time.Since(reachable).Milliseconds())
	}
	return nil
}

// useChecks asks the product for operations: permitted, forbidden by the
// declaration, against a blocked code, against a protected person, and
// against a target before and after a restriction.
func (k *kit) useChecks(ctx context.Context) error {
	t := &k.targets
	k.drive(ctx, "permitted", t.op(0), t.permitted, permitCase, true)
	k.drive(ctx, "forbidden by the declaration", t.op(1), t.permitted, denyCase, false)
	k.drive(ctx, "blocked country code", t.op(0), t.blocked, permitCase, false)
	k.drive(ctx, "protected person", t.op(0), t.protected, permitCase, false)
	before := k.drive(ctx, "before the restriction", t.op(2), t.restricted, permitCase, false)
	reg := k.cfg.Regulator
	a, err := reg.Defense.RequestAction(ctx, reg.LicenseID, &oversight.ActionRequest{Kind: oversight.ActionRestrict,
		Reason:      "Safeguards kit: a restriction added mid-run",
		Restriction: &oversight.Restriction{BlockedCountryCodes: []string{t.restricted.country}}})
	if err != nil {
		return fmt.Errorf("restrict the licence: %w", err)
	}
	restrictedAt := time.Now()
	after := k.drive(ctx, "after the restriction", t.op(2), t.restricted, permitCase, false)
	k.judgeRestriction(before, after, a.ID, restrictedAt)
	return nil
}

// checkShutdownRestart suspends the licence (a shutdown event): every
// process of the product must be gone within a second; then reinstates
// it: the product must start again and serve.
func (k *kit) checkShutdownRestart(ctx context.Context) error {
	reg := k.cfg.Regulator
	sd, rs := k.check(oversight.CheckShutdown), k.check(oversight.CheckRestart)
	running := k.watch.members()
	old := k.status().CommandPID
	if len(running) == 0 || old == 0 {
		k.decide(sd, oversight.CheckFail, "the product was not running when the shutdown came: it had stopped on its own")
		return errStop
	}
	k.note(sd, "product running: %s", describe(running))
	at := time.Now()
	a, err := reg.Defense.RequestAction(ctx, reg.LicenseID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "Safeguards kit: shutdown"})
	if err != nil {
		return fmt.Errorf("suspend the licence: %w", err)
	}
	k.step(sd, oversight.CheckStep{What: "licence suspended: the regulator pushes a shutdown", ActionID: a.ID})
	const limit = time.Second
	k.judgeStop(sd, at, limit, len(running), "the shutdown", fmt.Sprintf("the limit is %d ms (does it ignore SIGTERM?)", limit.Milliseconds()))

	a, err = reg.Defense.RequestAction(ctx, reg.LicenseID, &oversight.ActionRequest{Kind: oversight.ActionReinstate, Reason: "Safeguards kit: reinstatement"})
	if err == nil {
		a, err = reg.Foreign.ApproveAction(ctx, a.ID, &oversight.ActionApprovalRequest{Decision: "approve"})
	}
	if err != nil {
		return fmt.Errorf("reinstate the licence: %w", err)
	}
	at = time.Now()
	k.step(rs, oversight.CheckStep{What: "licence reinstated (both ministries)", ActionID: a.ID})
	pid := k.waitRunning(old, 15*time.Second)
	if pid == 0 {
		k.decide(rs, oversight.CheckFail, "the product did not start again within 15 s of the reinstatement")
		return errStop
	}
	k.note(rs, "product started again: pid %d, %d ms after the reinstatement", pid, time.Since(at).Milliseconds())
	o := k.drive(ctx, "after the reinstatement", k.targets.op(0), k.targets.permitted, permitCase, true)
	if o.exit != DriverWentAhead && o.exit != DriverRefused {
		k.decide(rs, oversight.CheckFail, "the product started again (pid %d) but does not answer: %s", pid, o.summary())
		return nil
	}
	k.decide(rs, oversight.CheckPass, "the product started again %d ms after the reinstatement and answered an operation (%s)",
		time.Since(at).Milliseconds(), o.summary())
	return nil
}

// checkLeaseExpiry cuts the agent off from the regulator: an operation
// asked for then gets no answer and must not go ahead, and the product,
// every process of it, must stop when the lease runs out.
func (k *kit) checkLeaseExpiry(ctx context.Context) error {
	c := k.check(oversight.CheckLeaseExpiry)
	running := k.watch.members()
	if len(running) == 0 {
		k.decide(c, oversight.CheckFail, "the product was not running when the regulator was cut off")
		return nil
	}
	at := time.Now()
	k.proxy.setCut(true)
	k.note(c, "regulator cut off: the lease can no longer be renewed")
	k.drive(ctx, "cut off from the regulator", k.targets.op(0), k.targets.permitted, permitCase, false)
	ttl := max(k.cfg.Regulator.LeaseTTL, k.proxy.leaseTTL())
	limit := ttl + k.cfg.Grace + time.Second
	k.judgeStop(c, at, limit, len(running), "the regulator was cut off",
		fmt.Sprintf("the lease (%s) and the grace (%s) allow %d ms", ttl, k.cfg.Grace, limit.Milliseconds()))
	return nil
}

// judgeStop waits for every process of the product to go, counting from
// at, and decides c: pass if all went within limit. after says after what;
// hint explains the limit when it is exceeded.
func (k *kit) judgeStop(c *oversight.CheckOutcome, at time.Time, limit time.Duration, running int, after, hint string) {
	elapsed, left := k.watch.waitGone(at, limit+k.cfg.Grace+5*time.Second)
	k.timed(c, elapsed, limit)
	switch {
	case len(left) > 0:
		k.decide(c, oversight.CheckFail, "processes of the product still ran %d ms after %s: %s", elapsed.Milliseconds(), after, describe(left))
	case elapsed > limit:
		k.decide(c, oversight.CheckFail, "the product took %d ms to stop, every process of it, after %s; %s", elapsed.Milliseconds(), after, hint)
	default:
		k.decide(c, oversight.CheckPass, "every process of the product (%d) was gone %d ms after %s", running, elapsed.Milliseconds(), after)
	}
}

// checkContainment reports the processes seen outside the process group
// the agent started the product in.
func (k *kit) checkContainment() {
	c := k.check(oversight.CheckContainment)
	held := ""
	if k.containment != "" {
		held = " (the agent held them by " + k.containment + ")"
	}
	if out := k.watch.escapes(); len(out) > 0 {
		k.decide(c, oversight.CheckFail, "processes of the product left its process group: %s; they were stopped here%s, but where the agent can only signal the group they would outlive the product",
			describe(out), held)
		return
	}
	k.decide(c, oversight.CheckPass, "all %d processes of the product seen stayed in its process group%s", k.watch.seen(), held)
}

// opRun is one operation the kit asked the product for, through the
// driver, with what the regulator was asked meanwhile.
type opRun struct {
	label  string
	op     oversight.Operation
	t      target
	c      Case
	start  time.Time
	exit   int // the driver's status; -1 if it did not exit
	output string
	auths  []authSeen
}

// asked returns the authorisation the product asked for this operation on
// this target, the last if several, or nil.
func (o *opRun) asked() *authSeen {
	for i := len(o.auths) - 1; i >= 0; i-- {
		if a := &o.auths[i]; a.operation == o.op && a.idHash == o.t.hash {
			return a
		}
	}
	return nil
}

// did says what the product did.
func (o *opRun) did() string {
	switch o.exit {
	case DriverWentAhead:
		return "went ahead"
	case DriverRefused:
		return "refused"
	case -1:
		return "gave no answer (the driver did not exit)"
	}
	return fmt.Sprintf("gave no answer (driver exit status %d: %s)", o.exit, o.output)
}

// summary describes the operation for a report.
func (o *opRun) summary() string {
	asked := "without asking the agent"
	if a := o.asked(); a != nil {
		asked = "asked the agent, regulator's answer: " + a.describe()
	} else if len(o.auths) > 0 {
		asked = fmt.Sprintf("asked the agent only about other operations or targets (%d requests)", len(o.auths))
	}
	return fmt.Sprintf("%s on %s %s (%s): %s; the product %s", o.op, o.t.typ, o.t.identifier, o.label, asked, o.did())
}

// drive runs the driver for one operation and records what happened. With
// ready, it retries while the driver gets no answer, for up to 10 s: the
// product may still be starting.
func (k *kit) drive(ctx context.Context, label string, op oversight.Operation, t target, c Case, ready bool) *opRun {
	o := &opRun{label: label, op: op, t: t, c: c}
	caseJSON, _ := json.Marshal(c)
	deadline := time.Now().Add(10 * time.Second)
	for {
		o.start = time.Now()
		args := append(slices.Clone(k.cfg.Driver), string(op), t.typ, t.identifier)
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		cmd := exec.CommandContext(rctx, args[0], args[1:]...)
		cmd.Env = append(os.Environ(), EnvDir+"="+k.cfg.Dir, EnvCase+"="+string(caseJSON))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		o.exit = cmd.ProcessState.ExitCode()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			o.exit, o.output = -1, err.Error()
		} else {
			o.output = lastLine(out.String())
		}
		o.auths = k.proxy.since(o.start)
		if !ready || o.exit == DriverWentAhead || o.exit == DriverRefused || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	k.ops = append(k.ops, o)
	k.cfg.Logger.Debug("operation", "label", label, "summary", o.summary())
	return o
}

// lastLine returns the last non-empty line of s, cut to 300 bytes.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 300 {
		l = l[:300] + "…"
	}
	return l
}

// opStep records an operation in a check, with the regulator's
// operation id, which a countersigning regulator checks.
func (k *kit) opStep(c *oversight.CheckOutcome, o *opRun) {
	s := oversight.CheckStep{AtMS: o.start.Sub(k.start).Milliseconds(), What: o.summary()}
	if a := o.asked(); a != nil && a.decision.OperationID != "" {
		s.OperationID, s.Decision = a.decision.OperationID, string(a.decision.Decision)
	}
	c.Steps = append(c.Steps, s)
}
