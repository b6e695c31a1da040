package web_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The oversight command, built once for the tests that run a real agent
// as a site does: "oversight agent" around a tool, a process of its own.
var oversightBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if oversightBin.dir != "" {
		os.RemoveAll(oversightBin.dir)
	}
	os.Exit(code)
}

// oversightBinary returns the path of the oversight command, building it
// the first time.
func oversightBinary(t *testing.T) string {
	t.Helper()
	oversightBin.once.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			oversightBin.err = fmt.Errorf("the go command, to build oversight for the agent: %v", err)
			return
		}
		if oversightBin.dir, oversightBin.err = os.MkdirTemp("", "oversight-web-test-"); oversightBin.err != nil {
			return
		}
		oversightBin.path = filepath.Join(oversightBin.dir, "oversight")
		out, err := exec.Command(goBin, "build", "-o", oversightBin.path, "github.com/oversight-dev/oversight/cmd/oversight").CombinedOutput()
		if err != nil {
			oversightBin.err = fmt.Errorf("go build ./cmd/oversight: %v\n%s", err, out)
		}
	})
	if oversightBin.err != nil {
		t.Fatal(oversightBin.err)
	}
	return oversightBin.path
}

// site is a deployment's directory at the agency: the agent's key and,
// once registered, its pepper.
type site struct {
	dir, key, pub string
}

// newSite makes the agent's key with the command line, as a site does.
func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{dir: t.TempDir()}
	s.key = filepath.Join(s.dir, "agent.pem")
	out, err := exec.Command(oversightBinary(t), "agent", "keygen", "--key", s.key).Output()
	if err != nil {
		t.Fatalf("oversight agent keygen: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	s.pub = lines[len(lines)-1]
	return s
}

// agentProc is "oversight agent" running around a tool that writes its
// pid to a file, then becomes "sleep 600".
type agentProc struct {
	cmd     *exec.Cmd
	log     *syncBuffer
	pidFile string
	done    chan struct{}
}

func startAgent(t *testing.T, s *site, server, deployment, leaseKey string) *agentProc {
	t.Helper()
	a := &agentProc{log: &syncBuffer{}, pidFile: filepath.Join(s.dir, "tool.pid"), done: make(chan struct{})}
	a.cmd = exec.Command(oversightBinary(t), "agent", "--server", server, "--deployment", deployment, "--key", s.key,
		"--pepper", filepath.Join(s.dir, "agent.pepper"), "--lease-key", leaseKey, "--socket", "off", "--grace", "2s", "--log-level", "debug",
		"--", "sh", "-c", `echo $$ > "$0"; exec sleep 600`, a.pidFile)
	a.cmd.Stderr = a.log
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		a.cmd.Process.Kill() // the kernel then stops the tool (parent-death signal)
		<-a.done
		if t.Failed() {
			t.Logf("agent log:\n%s", a.log)
		}
	})
	return a
}

// tool waits for the agent to start the tool and returns its pid.
func (a *agentProc) tool(t *testing.T) int {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(a.pidFile)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && alive(pid) {
			return pid
		}
	}
	t.Fatalf("the agent did not start the tool; its log:\n%s", a.log)
	return 0
}

// stopped waits for the process pid to end.
func stopped(t *testing.T, pid int, a *agentProc) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !alive(pid) {
			return
		}
	}
	t.Fatalf("the tool (pid %d) still runs; the agent's log:\n%s", pid, a.log)
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// syncBuffer is a bytes.Buffer safe for the agent's writes and the test's
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
