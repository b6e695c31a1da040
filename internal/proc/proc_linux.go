//go:build linux

package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// List reads the process table. Processes that exit while it reads are
// left out.
func List() ([]Process, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	out := make([]Process, 0, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if p, err := Stat(pid); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// Stat reads one process's entry.
func Stat(pid int) (Process, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Process{}, err
	}
	return parseStat(pid, b)
}

// parseStat parses /proc/PID/stat: "pid (comm) state ppid pgrp session …".
// comm may hold spaces and parentheses: it ends at the last ')'.
func parseStat(pid int, b []byte) (Process, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Process{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 4 || len(f[0]) != 1 {
		return Process{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	p := Process{PID: pid, State: f[0][0], Comm: string(b[open+1 : end])}
	for i, v := range []*int{&p.PPID, &p.PGID, &p.SID} {
		n, err := strconv.Atoi(f[i+1])
		if err != nil {
			return Process{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
		}
		*v = n
	}
	return p, nil
}

// Environ returns the environment a process was started with (as
// execve gave it; later changes to its own environment do not show).
func Environ(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), nil
}
