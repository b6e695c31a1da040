// Package cputime reads the CPU time a benchmark spent: the whole
// process's, which does not depend on what else the machine runs, and one
// OS thread's, for work a goroutine locked to its thread does alone.
package cputime

import (
	"time"

	"golang.org/x/sys/unix"
)

// Process returns the CPU time the process has used, user and system.
func Process() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Thread returns the CPU time the calling OS thread has used; call it
// from a goroutine locked to its thread (runtime.LockOSThread).
func Thread() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
