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
	done     chan error // Wait's result, once
	stopping bool
	kill     *time.Timer
	log      *slog.Logger
}

// startCommand starts argv in a process group of its own, so that stopping
// it reaches its children too, with env added to the agent's environment.
// On Linux the kernel kills it if the agent dies, however it dies: the
// tool never outlives its supervisor.
func startCommand(argv, env []string, log *slog.Logger) (*command, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	c := &command{cmd: cmd, done: make(chan error, 1), log: log}
	go func() { c.done <- cmd.Wait() }()
	log.Info("command started", "cmd", strings.Join(argv, " "), "pid", cmd.Process.Pid)
	return c, nil
}

// pid returns the process id.
func (c *command) pid() int { return c.cmd.Process.Pid }

// stop asks the command to end (SIGTERM to its process group) and kills
// it (SIGKILL) if it is still there after grace. It does not wait: the
// exit arrives on done.
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

// signal sends sig to the command's process group, or to the process if
// it has left the group.
func (c *command) signal(sig syscall.Signal) {
	if err := syscall.Kill(-c.pid(), sig); err != nil {
		c.cmd.Process.Signal(sig)
	}
}

// exited records the command's end, as received from done, and describes
// it for the log.
func (c *command) exited(err error) string {
	if c.kill != nil {
		c.kill.Stop()
	}
	// The group may still hold children that ignored the signal.
	syscall.Kill(-c.pid(), syscall.SIGKILL)
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
