// Command revoke measures how long a revoked licence takes to stop a tool:
// from the call that puts the revocation into force (the second ministry's
// approval) to the moment the tool's process is gone.
//
// Everything is real: the server is "oversight serve --demo" in a process
// of its own, each run a new export licence approved by both ministries, a
// new deployment with its own key, and "oversight agent" in a process of
// its own supervising "sleep 600". The tool's exit is seen through a pidfd
// (Linux), to the microsecond, not by polling.
//
//	go build -o /tmp/oversight ./cmd/oversight
//	go run ./bench/revoke -oversight /tmp/oversight -runs 30
//
// or bench/revoke/revoke.sh, which does that and keeps the output in
// bench/out/revoke.txt.
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/bench/internal/latency"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/internal/serveproc"
	"github.com/oversight-dev/oversight/keyfile"
)

var (
	binary   = flag.String("oversight", "oversight", "the oversight binary")
	runs     = flag.Int("runs", 30, "revocations to measure (at least 20)")
	leaseTTL = flag.Duration("lease-ttl", time.Minute, "the server's lease lifetime")
	keep     = flag.Bool("keep", false, "keep the working directory")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	if *runs < 20 {
		log.Fatal("-runs: at least 20, for a p99 that means something")
	}
	if strings.Contains(*binary, "/") {
		abs, err := filepath.Abs(*binary) // the server runs in another directory
		if err != nil {
			log.Fatal(err)
		}
		*binary = abs
	}
	dir, err := os.MkdirTemp("", "bench-revoke-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	srv, err := startServer(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.stop()

	ctx := context.Background()
	tmpl, err := srv.as("DEFENSE").Licenses(ctx, oversight.LicenseFilter{Kind: oversight.KindExport, Status: oversight.LicenseActive}, oversight.Page{})
	if err != nil || len(tmpl.Items) == 0 {
		log.Fatalf("the demo's active export licence: %v", err)
	}
	base := tmpl.Items[0]

	fmt.Printf("revoke → tool exit, %d runs; server: oversight serve --demo (lease %s); one new licence, deployment and agent per run\n\n", *runs, *leaseTTL)
	var total, approve []time.Duration
	for i := range *runs {
		t, a, err := measure(ctx, srv, &base, filepath.Join(dir, fmt.Sprintf("run%02d", i)))
		if err != nil {
			log.Fatalf("run %d: %v", i+1, err)
		}
		total = append(total, t)
		approve = append(approve, a)
		fmt.Printf("run %2d  revoke → exit %8.2f ms   (approval call %6.2f ms)\n", i+1, ms(t), ms(a))
	}
	fmt.Println()
	report("revoke call → tool exit", total)
	report("approval call alone    ", approve)
}

// measure runs one revocation and returns the time from the approval call
// to the tool's exit, and how long the approval call itself took.
func measure(ctx context.Context, srv *server, base *oversight.License, dir string) (time.Duration, time.Duration, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, 0, err
	}
	// A new export licence like the demo's, approved by both ministries.
	l, err := srv.as("VENDOR").ApplyLicense(ctx, &oversight.LicenseApplication{Kind: oversight.KindExport, VendorID: base.VendorID,
		ProductID: base.ProductID, EndUserID: base.EndUserID, DeclarationID: base.DeclarationID, Scope: base.Scope})
	if err != nil {
		return 0, 0, fmt.Errorf("apply: %w", err)
	}
	for _, m := range []struct {
		role     string
		ministry oversight.Ministry
	}{{"DEFENSE", oversight.MinistryDefense}, {"FOREIGN", oversight.MinistryForeignAffairs}} {
		if _, err := srv.as(m.role).DecideLicense(ctx, l.ID, &oversight.ApprovalRequest{Ministry: m.ministry, Decision: "approve"}); err != nil {
			return 0, 0, fmt.Errorf("approve licence: %w", err)
		}
	}
	// A deployment with its own key.
	keyFile := filepath.Join(dir, "agent.pem")
	key, err := keyfile.Generate(keyFile)
	if err != nil {
		return 0, 0, err
	}
	d, err := srv.as("VENDOR").RegisterDeployment(ctx, &oversight.DeploymentRegistration{LicenseID: l.ID, Label: "bench site",
		PublicKey: oversight.EncodeKey(key.Public().(ed25519.PublicKey))})
	if err != nil {
		return 0, 0, fmt.Errorf("register: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "agent.pepper"), []byte(d.SitePepper+"\n"), 0o600); err != nil {
		return 0, 0, err
	}
	// The agent around sleep 600, which first writes its pid.
	pidFile := filepath.Join(dir, "tool.pid")
	agent := exec.Command(*binary, "agent", "--server", srv.URL, "--deployment", d.ID, "--key", keyFile, "--lease-key", srv.LeaseKey,
		"--socket", "off", "--log-level", "debug", "--",
		"sh", "-c", `echo $$ > "$0"; exec sleep 600`, pidFile)
	var logs serveproc.Buffer
	agent.Stderr = &logs
	if err := agent.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- agent.Wait() }()
	defer func() {
		agent.Process.Kill()
		<-exited
	}()
	pid, err := waitPID(pidFile, 10*time.Second)
	if err != nil {
		return 0, 0, fmt.Errorf("%w\n%s", err, logs.String())
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("pidfd_open: %w", err)
	}
	defer unix.Close(fd)
	// Steady state: the agent follows the event stream.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "event stream open"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("the agent did not open its event stream\n%s", logs.String())
		}
	}

	// Defense orders the revocation; foreign affairs' approval executes it.
	a, err := srv.as("DEFENSE").RequestAction(ctx, l.ID, &oversight.ActionRequest{Kind: oversight.ActionRevoke, Reason: "bench"})
	if err != nil {
		return 0, 0, fmt.Errorf("revoke: %w", err)
	}
	start := time.Now()
	if _, err := srv.as("FOREIGN").ApproveAction(ctx, a.ID, &oversight.ActionApprovalRequest{Decision: "approve"}); err != nil {
		return 0, 0, fmt.Errorf("approve revocation: %w", err)
	}
	called := time.Since(start)
	if err := pollExit(fd, 10*time.Second); err != nil {
		return 0, 0, fmt.Errorf("%w\n%s", err, logs.String())
	}
	return time.Since(start), called, nil
}

// pollExit waits until the process behind a pidfd exits.
func pollExit(fd int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			return errors.New("the tool is still running")
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
}

func waitPID(file string, within time.Duration) (int, error) {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(file)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return pid, nil
		}
	}
	return 0, errors.New("the tool did not start")
}

// report prints percentiles (nearest rank).
func report(what string, ds []time.Duration) {
	s := latency.Sorted(ds)
	pct := func(p float64) time.Duration { return latency.Percentile(s, p) }
	fmt.Printf("%s  n=%d  min %.2f ms  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
		what, len(s), ms(s[0]), ms(pct(50)), ms(pct(90)), ms(pct(99)), ms(s[len(s)-1]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// server is "oversight serve --demo" running as a process.
type server struct{ *serveproc.Server }

func startServer(dir string) (*server, error) {
	p, err := serveproc.Start(*binary, dir, "--demo", "--addr", "127.0.0.1:0", "--lease-ttl", leaseTTL.String(), "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	return &server{p}, nil
}

func (s *server) stop() { s.Kill() }

func (s *server) as(role string) *client.Client { return client.New(s.URL, s.Tokens[role]) }
