package agent

import "syscall"

// procAttr puts the command in a process group of its own and has the
// kernel kill it when the agent's thread that started it dies: a tool
// never outlives its supervisor, even one killed with SIGKILL.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
