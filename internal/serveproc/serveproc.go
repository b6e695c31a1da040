// Package serveproc runs "oversight serve" as a process of its own and
// reads its start-up banner (address, lease key, log key and, with --demo,
// the demo's tokens), for the tests and bench programs that need a real
// server process: crash and signal tests, the agent's tests, the
// revocation benchmark. The banner is what cmd/oversight/serve.go prints.
package serveproc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Server is a running "oversight serve" process.
type Server struct {
	Cmd      *exec.Cmd
	URL      string // http://host:port
	LeaseKey string // the key leases are verified with
	LogKey   string // the audit log's verifier key
	// MetricsURL is where /metrics is served with --metrics-addr; "" if
	// on the API's address.
	MetricsURL string
	// Tokens holds the demo's "export NAME=VALUE" lines: OVERSIGHT_SERVER
	// and one token per role (DEFENSE, FOREIGN, VENDOR…); empty without
	// --demo.
	Tokens map[string]string
	Stderr *Buffer // the server's log

	killOnce sync.Once
}

var exportLine = regexp.MustCompile(`^\s*export (\w+)=(\S+)`)

// Start runs bin serve args… in dir ("" for the current directory) and
// waits, up to 30 s, until the banner is complete: the last line is the
// audit log's key, or with --demo the line naming the OpenAPI document.
func Start(bin, dir string, args ...string) (*Server, error) {
	return StartWithin(30*time.Second, bin, dir, args...)
}

// StartWithin is Start waiting up to wait for the banner: a server on a
// large database checks it all against the log before it serves.
func StartWithin(wait time.Duration, bin, dir string, args ...string) (*Server, error) {
	s := &Server{Tokens: map[string]string{}, Stderr: &Buffer{}}
	s.Cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	s.Cmd.Dir = dir
	s.Cmd.Stderr = s.Stderr
	out, err := s.Cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.Cmd.Start(); err != nil {
		return nil, err
	}
	last := "Audit log verifier key: "
	if slices.Contains(args, "--demo") {
		last = "OpenAPI document: "
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		done := false
		for sc.Scan() {
			if done {
				continue // keep draining, so the server never blocks on stdout
			}
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "Oversight listening on "); ok {
				s.URL, _, _ = strings.Cut(rest, " ")
			}
			if u, ok := strings.CutPrefix(line, "Metrics on "); ok {
				s.MetricsURL = u
			}
			if k, ok := strings.CutPrefix(line, "Lease key (agents pin it with --lease-key): "); ok {
				s.LeaseKey = k
			}
			if k, ok := strings.CutPrefix(line, "Audit log verifier key: "); ok {
				s.LogKey = k
			}
			if m := exportLine.FindStringSubmatch(line); m != nil {
				s.Tokens[m[1]] = m[2]
			}
			if strings.HasPrefix(line, last) {
				done = true
				ready <- nil
			}
		}
		if !done {
			ready <- fmt.Errorf("server output ended before its banner: %v", sc.Err())
		}
	}()
	select {
	case err = <-ready:
	case <-time.After(wait):
		err = fmt.Errorf("server did not start within %s", wait)
	}
	if err == nil && s.URL == "" {
		err = errors.New("the banner named no address")
	}
	if err != nil {
		s.Kill()
		return nil, fmt.Errorf("%w\n%s", err, s.Stderr)
	}
	return s, nil
}

// Kill kills the server at once (SIGKILL), as a crash or a pulled cable
// would, and waits for it; it is safe to call again, or after Wait.
func (s *Server) Kill() {
	s.killOnce.Do(func() {
		if s.Cmd.ProcessState == nil {
			s.Cmd.Process.Kill()
			s.Cmd.Wait()
		}
	})
}

// Buffer collects a process's output for a reader that looks at it while
// the process runs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
