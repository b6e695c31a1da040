package agent

// Containment proved on real processes. The test binary plays every part:
// TestMain turns it into a supervisor (startCommand with a given
// mechanism, as the agent runs the tool), a tool that starts workers that
// leave its process group (setsid) and its parent (a double fork), and
// those workers, which ignore SIGTERM. The test finds the tool's
// processes by a marker in their environment, as the safeguards kit does,
// independently of the mechanism under test.

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oversight-dev/oversight/internal/proc"
)

const (
	envRole   = "OVERSIGHT_AGENT_TEST_ROLE"
	envMech   = "OVERSIGHT_AGENT_TEST_CONTAINMENT"
	envMarker = "OVERSIGHT_AGENT_TEST_MARKER"
	envGive   = "OVERSIGHT_AGENT_TEST_GIVE_MARKER" // the supervisor's, to give the tool
)

func TestMain(m *testing.M) {
	switch os.Getenv(envRole) {
	case "":
		os.Exit(m.Run())
	case "supervise":
		supervise()
	case "tool":
		self := func(role string, setsid bool) {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), envRole+"="+role)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
			if err := cmd.Start(); err != nil {
				panic(err)
			}
			if role == "middle" {
				cmd.Wait()
			}
		}
		self("worker", false) // stays in the group, ignores SIGTERM
		self("worker", true)  // a session of its own
		self("middle", false) // starts a worker in a session of its own and exits: a double fork
		select {}
	case "middle":
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), envRole+"=worker")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			panic(err)
		}
		os.Exit(0)
	case "worker":
		signal.Ignore(syscall.SIGTERM)
		select {}
	}
}

// supervise starts the tool as the agent does, with the mechanism the
// test chose, prints its pid and the mechanism, stops it on a line of
// standard input and prints "stopped" once the command is over.
func supervise() {
	forceContainment = os.Getenv(envMech)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	c, err := startCommand([]string{os.Args[0]}, []string{envRole + "=tool", envMarker + "=" + os.Getenv(envGive)}, log)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(c.pid(), c.containment())
	bufio.NewReader(os.Stdin).ReadString('\n')
	c.stop("the test says stop", 200*time.Millisecond)
	c.exited(<-c.done)
	fmt.Println("stopped")
	select {} // the test kills the supervisor
}

// marked returns the live processes whose environment holds marker.
func marked(t *testing.T, marker string) []proc.Process {
	t.Helper()
	table, err := proc.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []proc.Process
	for _, p := range table {
		if env, err := proc.Environ(p.PID); err == nil && !p.Zombie() && slices.Contains(env, envMarker+"="+marker) {
			out = append(out, p)
		}
	}
	return out
}

type supervisor struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	marker string
	tool   int
	kind   string
}

func startSupervisor(t *testing.T, mech string) *supervisor {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	s := &supervisor{marker: hex.EncodeToString(b)}
	s.cmd = exec.Command(os.Args[0])
	s.cmd.Env = append(os.Environ(), envRole+"=supervise", envMech+"="+mech, envGive+"="+s.marker)
	s.cmd.Stderr = os.Stderr
	s.in, _ = s.cmd.StdinPipe()
	out, _ := s.cmd.StdoutPipe()
	s.out = bufio.NewReader(out)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		for _, p := range marked(t, s.marker) {
			syscall.Kill(p.PID, syscall.SIGKILL)
		}
	})
	line, err := s.out.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 2 {
		t.Fatalf("supervisor: %q %v", line, err)
	}
	s.tool, _ = strconv.Atoi(f[0])
	s.kind = f[1]
	// The tool, its two workers and the double fork's worker, once the
	// middle process has exited.
	// Four processes, two outside the group, are not enough: while the
	// setsid worker is still starting, the middle process and its child
	// are four and two too, and the child's parent is then the middle
	// one. Settled means no worker outside the group is the child of
	// another of the tool's processes but the tool.
	ready := func() bool {
		m := marked(t, s.marker)
		mine := map[int]bool{}
		for _, p := range m {
			mine[p.PID] = true
		}
		out := slices.DeleteFunc(slices.Clone(m), func(p proc.Process) bool { return p.PGID == s.tool })
		for _, p := range out {
			if p.PPID != s.tool && mine[p.PPID] {
				return false
			}
		}
		return len(m) == 4 && len(out) == 2
	}
	for deadline := time.Now().Add(10 * time.Second); !ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the tool's processes did not all start: %+v", marked(t, s.marker))
		}
	}
	return s
}

func (s *supervisor) stop(t *testing.T) {
	t.Helper()
	io.WriteString(s.in, "stop\n")
	if line, err := s.out.ReadString('\n'); err != nil || line != "stopped\n" {
		t.Fatalf("supervisor after stop: %q %v", line, err)
	}
}

func cgroupUsable() error {
	dir, err := ownCgroup()
	if err != nil {
		return err
	}
	return probeCgroup(dir)
}

// Workers that leave the tool's process group, its session and its
// parent are stopped with it by a cgroup and by a subreaper; a process
// group alone lets them live, which is why the agent uses the others.
func TestContainment(t *testing.T) {
	for _, tc := range []struct {
		mech    string
		escapes bool
	}{
		{ContainCgroup, false},
		{ContainSubreaper, false},
		{ContainProcessGroup, true},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			if tc.mech == ContainCgroup {
				if err := cgroupUsable(); err != nil {
					t.Skipf("no usable cgroup here: %v", err)
				}
			}
			s := startSupervisor(t, tc.mech)
			if s.kind != tc.mech {
				t.Fatalf("containment %q, want %q", s.kind, tc.mech)
			}
			if tc.mech == ContainSubreaper {
				// The workers outside the tool's process group whose
				// parent is neither the tool nor the subreaper. A
				// worker that left the tool by forking twice is the
				// subreaper's once the process between them has
				// exited, which may be a moment after it started.
				misplaced := func() []proc.Process {
					return slices.DeleteFunc(marked(t, s.marker), func(p proc.Process) bool {
						return p.PGID == s.tool || p.PID == s.tool || p.PPID == s.tool || p.PPID == s.cmd.Process.Pid
					})
				}
				out := misplaced()
				for deadline := time.Now().Add(5 * time.Second); len(out) > 0 && time.Now().Before(deadline); out = misplaced() {
					time.Sleep(20 * time.Millisecond)
				}
				for _, p := range out {
					t.Errorf("worker %d's parent is %d, not the tool or the subreaper", p.PID, p.PPID)
				}
			}
			s.stop(t)
			left := marked(t, s.marker)
			switch {
			case tc.escapes && len(left) == 0:
				t.Errorf("%s: the workers outside the group were stopped; this test no longer shows what a group alone misses", tc.mech)
			case !tc.escapes && len(left) > 0:
				t.Errorf("%s: processes outlived the tool: %+v", tc.mech, left)
			}
		})
	}
}

// An agent killed outright leaves the workers in the tool's cgroup; the
// next agent to start stops them.
func TestCgroupSweep(t *testing.T) {
	if err := cgroupUsable(); err != nil {
		t.Skipf("no usable cgroup here: %v", err)
	}
	s := startSupervisor(t, ContainCgroup)
	s.cmd.Process.Kill()
	s.cmd.Wait()
	time.Sleep(50 * time.Millisecond)
	if len(marked(t, s.marker)) == 0 {
		t.Fatal("nothing outlived the killed supervisor: nothing to sweep")
	}
	next := startSupervisor(t, ContainCgroup)
	if left := marked(t, s.marker); len(left) > 0 {
		t.Errorf("the next agent left the dead one's processes running: %+v", left)
	}
	next.stop(t)
}

func TestCgroupFiles(t *testing.T) {
	mi := []byte("25 30 0:22 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
		"35 30 0:32 / /sys/fs/cgroup/my\\040unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n")
	if m, r := cgroup2Mount(mi); m != "/sys/fs/cgroup/my unified" || r != "/" {
		t.Errorf("cgroup2Mount = %q %q", m, r)
	}
	if m, _ := cgroup2Mount([]byte("25 30 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n")); m != "" {
		t.Errorf("cgroup2Mount without cgroup2 = %q", m)
	}
	if p, ok := unifiedPath([]byte("4:memory:/x\n0::/system.slice/oversight.service\n")); !ok || p != "/system.slice/oversight.service" {
		t.Errorf("unifiedPath = %q %v", p, ok)
	}
	if _, ok := unifiedPath([]byte("4:memory:/x\n")); ok {
		t.Error("unifiedPath found a v2 path in a v1-only file")
	}
}

func FuzzCgroupFiles(f *testing.F) {
	f.Add([]byte("35 30 0:32 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n"), []byte("0::/system.slice/x.service\n"))
	f.Fuzz(func(t *testing.T, mountinfo, cgroup []byte) {
		mount, root := cgroup2Mount(mountinfo)
		if mount == "" && root != "" {
			t.Errorf("a root %q without a mount", root)
		}
		if p, ok := unifiedPath(cgroup); ok && !strings.HasPrefix(p, "/") {
			t.Errorf("unifiedPath = %q, not absolute", p)
		}
	})
}
