//go:build unix

package demo

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive lock on the file at path, creating it. The kernel
// drops the lock when the process ends, so a crashed demo leaves none
// behind.
func lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrRunning
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}
