//go:build unix

package agent

import (
	"os/exec"
	"syscall"
	"time"
)

// Containment mechanisms, as GET /v1/status and the log name them, from
// the strongest.
const (
	// ContainCgroup: the tool runs in a cgroup (v2) of its own, created
	// by the agent for each run. Every process it starts stays in it,
	// whatever it does (setsid, double fork), and cgroup.kill stops them
	// all. Linux, where the agent may create a child of its own cgroup.
	ContainCgroup = "cgroup"
	// ContainSubreaper: the agent is a child subreaper
	// (PR_SET_CHILD_SUBREAPER), so that every process the tool starts
	// stays below the agent in the process tree, orphans included; the
	// agent stops every process below it. Linux without a usable cgroup.
	ContainSubreaper = "subreaper"
	// ContainProcessGroup: the tool runs in a process group of its own,
	// and only that group is stopped: a process that leaves it (setsid)
	// is out of reach. Other Unix systems.
	ContainProcessGroup = "process_group"
)

// box holds every process of one run of the tool, so that stopping the
// tool stops all of them, wherever they went.
type box interface {
	// start starts cmd in the box.
	start(cmd *exec.Cmd) error
	// signal sends sig to every process in the box.
	signal(sig syscall.Signal)
	// killAll kills every process left in the box and waits until none
	// is left, for up to killWait. It reports whether the box is empty.
	killAll() bool
	// close releases the box once its processes are gone.
	close()
	// kind is one of the Contain… mechanisms.
	kind() string
}

// killWait bounds how long killAll waits for killed processes to go.
const killWait = 5 * time.Second

// groupBox holds a process group: the tool's, which it leads.
type groupBox struct{ pid int }

func (b *groupBox) start(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	b.pid = cmd.Process.Pid
	return nil
}

func (b *groupBox) signal(sig syscall.Signal) {
	if err := syscall.Kill(-b.pid, sig); err != nil {
		syscall.Kill(b.pid, sig) // it left its group
	}
}

func (b *groupBox) killAll() bool {
	for deadline := time.Now().Add(killWait); ; time.Sleep(10 * time.Millisecond) {
		if err := syscall.Kill(-b.pid, syscall.SIGKILL); err == syscall.ESRCH {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func (b *groupBox) close()       {}
func (b *groupBox) kind() string { return ContainProcessGroup }
