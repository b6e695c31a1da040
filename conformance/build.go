package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/oversight-dev/oversight"
)

// digestBuild names the tested build: the SHA-256 of the executable the
// product's command runs, of the driver's and of every file listed.
func digestBuild(cfg Config) (*oversight.Build, error) {
	b := &oversight.Build{Command: cfg.Product, Files: []oversight.FileDigest{}}
	var err error
	if b.Executable, err = digestCommand(cfg.Product[0]); err != nil {
		return nil, fmt.Errorf("the product: %w", err)
	}
	if b.Driver, err = digestCommand(cfg.Driver[0]); err != nil {
		return nil, fmt.Errorf("the driver: %w", err)
	}
	for _, f := range cfg.Files {
		d, err := digestFile(f)
		if err != nil {
			return nil, err
		}
		b.Files = append(b.Files, d)
	}
	return b, nil
}

// digestCommand finds name as exec does (on PATH unless it has a slash)
// and digests the file.
func digestCommand(name string) (oversight.FileDigest, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return oversight.FileDigest{}, err
	}
	return digestFile(path)
}

func digestFile(path string) (oversight.FileDigest, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return oversight.FileDigest{}, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return oversight.FileDigest{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return oversight.FileDigest{}, fmt.Errorf("read %s: %w", path, err)
	}
	return oversight.FileDigest{Path: abs, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}
