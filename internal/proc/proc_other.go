//go:build !linux

package proc

// List returns ErrUnsupported: there is no /proc to read.
func List() ([]Process, error) { return nil, ErrUnsupported }

// Stat returns ErrUnsupported.
func Stat(pid int) (Process, error) { return Process{}, ErrUnsupported }

// Environ returns ErrUnsupported.
func Environ(pid int) ([]string, error) { return nil, ErrUnsupported }
