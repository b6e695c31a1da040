package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGTERM shuts the server down gracefully: it stops listening, lets the
// requests in flight finish, and exits 0.
func TestServeGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	// "oversight" is this test binary, installed on PATH by testscript.
	p := startServer(t, "oversight", filepath.Join(dir, "o.db"), filepath.Join(dir, "keys"))
	res, err := http.Get(p.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/readyz: %d", res.StatusCode)
	}
	start := time.Now()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exited with %v after SIGTERM: %s", err, p.Stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server still running 20 s after SIGTERM")
	}
	t.Logf("stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	if _, err := http.Get(p.URL + "/healthz"); err == nil {
		t.Error("server still answers after exiting")
	}
	if strings.Contains(p.Stderr.String(), "level=ERROR") {
		t.Errorf("errors logged during shutdown:\n%s", p.Stderr)
	}
}
