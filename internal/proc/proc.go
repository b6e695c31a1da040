// Package proc reads the process table: each process's parent, process
// group, session and state, and its environment. The agent uses it to find
// every process of a supervised tool, wherever the tool's processes went
// (another process group, another session, a double fork); the safeguards
// kit uses it to watch them independently of the agent. It reads Linux's
// /proc; elsewhere List returns ErrUnsupported.
package proc

import "errors"

// ErrUnsupported is returned where there is no /proc to read.
var ErrUnsupported = errors.New("reading the process table needs Linux's /proc")

// Process is one entry of the process table.
type Process struct {
	PID, PPID int
	PGID, SID int  // process group and session
	State     byte // R, S, D, Z (zombie: exited, not yet reaped)…
	Comm      string
}

// Zombie reports whether p has exited and waits to be reaped: it runs no
// more, whatever the table says.
func (p Process) Zombie() bool { return p.State == 'Z' || p.State == 'X' }

// Descendants returns the processes of table below root (children,
// grandchildren and on), zombies excluded, in table order.
func Descendants(table []Process, root int) []Process {
	children := map[int][]int{}
	for _, p := range table {
		children[p.PPID] = append(children[p.PPID], p.PID)
	}
	below := map[int]bool{}
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if c != root && !below[c] {
				below[c] = true
				queue = append(queue, c)
			}
		}
	}
	var out []Process
	for _, p := range table {
		if below[p.PID] && !p.Zombie() {
			out = append(out, p)
		}
	}
	return out
}
