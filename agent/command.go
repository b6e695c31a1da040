//go:build unix

package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// command is the supervised tool: one run of CMD.
type command struct {
	cmd      *exec.Cmd
	box      box        // every process of the run
	done     chan error // Wait's result, once
	stopping bool
	kill     *time.Timer
	log      *slog.Logger
}

// startCommand starts argv, with env added to the agent's environment, in
// a box that holds every process it will start (see newBox), and in a
// process group of its own. On Linux the kernel kills it if the agent
// dies, however it dies.
func startCommand(argv, env []string, log *slog.Logger) (*command, error) {
	mk := func() *exec.Cmd {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), env...)
		cmd.SysProcAttr = procAttr()
		return cmd
	}
	cmd, b := mk(), newBox(log)
	err := b.start(cmd)
	if err != nil && b.kind() == ContainCgroup && cmd.Process == nil {
		// A cgroup the agent may create but not start a process in (no
		// clone3, no delegation): hold the tool as a subreaper instead.
		log.Warn("cannot start the command in a cgroup of its own; holding it as a child subreaper", "err", err)
		cmd, b = mk(), fallbackBox()
		err = b.start(cmd)
	}
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	c := &command{cmd: cmd, box: b, done: make(chan error, 1), log: log}
	go func() { c.done <- cmd.Wait() }()
	log.Info("command started", "cmd", strings.Join(argv, " "), "pid", cmd.Process.Pid, "containment", b.kind())
	return c, nil
}

// containment names the mechanism holding the command's processes.
func (c *command) containment() string { return c.box.kind() }

// pid returns the process id.
func (c *command) pid() int { return c.cmd.Process.Pid }

// stop asks the command to end (SIGTERM to every process it started) and
// kills them (SIGKILL) if it is still there after grace. It does not
// wait: the exit arrives on done.
func (c *command) stop(why string, grace time.Duration) {
	if c.stopping {
		return
	}
	c.stopping = true
	c.log.Warn("stopping command", "why", why, "pid", c.pid(), "signal", "SIGTERM", "grace", grace)
	c.signal(syscall.SIGTERM)
	c.kill = time.AfterFunc(grace, func() {
		c.log.Warn("command still running after the grace period; killing it", "pid", c.pid(), "signal", "SIGKILL")
		c.signal(syscall.SIGKILL)
	})
}

// signal sends sig to every process of the command.
func (c *command) signal(sig syscall.Signal) { c.box.signal(sig) }

// exited records the command's end, as received from done, and describes
// it for the log. Whatever the command left running (children that
// ignored the signal, workers in another session) is killed first: the
// command has stopped only when all of it has.
func (c *command) exited(err error) string {
	if c.kill != nil {
		c.kill.Stop()
	}
	if !c.box.killAll() {
		c.log.Error("processes of the command survive SIGKILL", "containment", c.box.kind())
	}
	c.box.close()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	if err != nil {
		return err.Error()
	}
	return "exit status 0"
}

// exitCode is the status the agent exits with after the command ended on
// its own: the command's, or 128+signal as a shell reports it.
func exitCode(err error) int {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if err != nil {
			return 1
		}
		return 0
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}
