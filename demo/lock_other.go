//go:build !unix

package demo

// lock does nothing where flock(2) is missing: there, only the listening
// address, bound before Claim, keeps a second demo off a running one.
func lock(path string) (unlock func(), err error) {
	return func() {}, nil
}
