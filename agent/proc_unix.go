//go:build unix && !linux

package agent

import "syscall"

// procAttr puts the command in a process group of its own. Outside Linux
// there is no parent-death signal: run the agent under a service manager
// that stops the group with it.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
