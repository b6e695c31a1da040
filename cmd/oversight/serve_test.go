package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oversight-dev/oversight/internal/serveproc"
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

// A second "serve --demo" in the directory of a running demo, on another
// address or on the same one, is refused before it touches the running
// demo's database or keys: the README's "oversight log key --keys
// data/demo-keys" still gives the key the running demo signs with.
func TestSecondDemoLeavesTheRunningOneAlone(t *testing.T) {
	dir := t.TempDir()
	first, err := serveproc.Start("oversight", dir, "--demo", "--addr", "127.0.0.1:0", "--log-level", "warn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(first.Kill)
	keyFile := filepath.Join(dir, "data", "demo-keys", "log.key")
	dbFile := filepath.Join(dir, "data", "demo.db")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.Stat(dbFile)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		addr, want string
	}{
		{"127.0.0.1:0", `another "oversight serve --demo" is running in this directory (it holds data/demo.lock)`},
		{strings.TrimPrefix(first.URL, "http://"), "address already in use"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, "oversight", "serve", "--demo", "--addr", tc.addr)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		if err == nil || timedOut || !strings.Contains(string(out), tc.want) {
			t.Errorf("second demo on %s: %v (timed out: %v)\n%s\nwant %q", tc.addr, err, timedOut, out, tc.want)
		}
		if now, err := os.ReadFile(keyFile); err != nil || !bytes.Equal(now, key) {
			t.Errorf("after a second demo on %s, the running demo's log key changed (%v)", tc.addr, err)
		}
		if now, err := os.Stat(dbFile); err != nil || !os.SameFile(now, db) {
			t.Errorf("after a second demo on %s, the running demo's database was replaced (%v)", tc.addr, err)
		}
	}
	cmd := exec.Command("oversight", "log", "key", "--keys", "data/demo-keys")
	cmd.Dir = dir
	if out, err := cmd.Output(); err != nil || strings.TrimSpace(string(out)) != first.LogKey {
		t.Errorf("log key --keys data/demo-keys: %q %v, want the running demo's %s", out, err, first.LogKey)
	}
	if res, err := http.Get(first.URL + "/readyz"); err != nil || res.StatusCode != 200 {
		t.Errorf("the running demo: %v %v", res, err)
	}
}

// A new installation says how to make its first admin and token; once
// there is an admin, it says nothing of it.
func TestServeSaysHowToMakeTheFirstAdmin(t *testing.T) {
	dir := t.TempDir()
	db, keys := filepath.Join(dir, "o.db"), filepath.Join(dir, "keys")
	serve := func() string {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		out := &serveproc.Buffer{}
		done := make(chan int, 1)
		go func() {
			done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--keys", keys, "--log-level", "error"},
				&Env{Stdout: out, Stderr: &serveproc.Buffer{}, Getenv: func(string) string { return "" }})
		}()
		for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "Audit log verifier key: ") || !strings.HasSuffix(out.String(), "\n"); {
			if time.Now().After(deadline) {
				t.Fatalf("no banner: %s", out)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // the lines after the banner's last
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited %d: %s", code, out)
		}
		return out.String()
	}
	want := "No admin yet. Make the first, with an API token, on this machine as the server's operator:\n" +
		"  oversight user create --db " + db + " --role admin --name \"Your Name\" --with-token\n"
	if out := serve(); !strings.Contains(out, want) {
		t.Fatalf("a new installation's banner:\n%s\nwant:\n%s", out, want)
	}
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"user", "create", "--db", db, "--role", "admin", "--name", "Ada Admin", "--with-token"},
		&Env{Stdout: &out, Stderr: &errb}); code != 0 {
		t.Fatalf("user create: %d %s", code, errb.String())
	}
	if out := serve(); strings.Contains(out, "No admin yet") {
		t.Fatalf("with an admin, the banner still says:\n%s", out)
	}
}

// With --metrics-addr, /metrics is served there and not on the API's
// address, so that it can be kept off the network the API faces.
func TestServeMetricsAddr(t *testing.T) {
	dir := t.TempDir()
	p, err := serveproc.Start("oversight", "", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
		"--db", filepath.Join(dir, "o.db"), "--keys", filepath.Join(dir, "keys"), "--log-level", "warn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if p.MetricsURL == "" || strings.HasPrefix(p.MetricsURL, p.URL) {
		t.Fatalf("metrics at %q, the API at %s", p.MetricsURL, p.URL)
	}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, b.String()
	}
	get(p.URL + "/healthz")
	if code, body := get(p.MetricsURL); code != 200 || !strings.Contains(body, "oversight_http_requests_total") {
		t.Errorf("GET %s: %d %.200s", p.MetricsURL, code, body)
	}
	if code, _ := get(p.URL + "/metrics"); code != 404 {
		t.Errorf("GET /metrics on the API's address: %d, want 404", code)
	}
}

// The review's new-user check (issue 12 point 3): edit a licence row in
// the SQLite file and restart. The demo's revoked licence, set back to
// active in its database, is found by the check serve runs at start:
// /readyz is 503 and names it, the error is logged, and the metric counts
// it. The demo's check recorded a verified checkpoint in its keys
// directory, and the restart resumes from it: the row is caught all the
// same.
func TestServeNoticesAnEditedLicence(t *testing.T) {
	dir := t.TempDir()
	demo, err := serveproc.Start("oversight", dir, "--demo", "--addr", "127.0.0.1:0", "--log-level", "warn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(demo.Kill)
	if err := demo.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := demo.Cmd.Wait(); err != nil {
		t.Fatalf("demo after SIGTERM: %v\n%s", err, demo.Stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "demo-keys", "integrity.checkpoint")); err != nil {
		t.Fatalf("the demo recorded no verified checkpoint: %v", err)
	}
	dbFile := filepath.Join(dir, "data", "demo.db")
	db, err := sql.Open("sqlite", dbFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id, doc string
	if err := db.QueryRow(`SELECT id, doc FROM licenses WHERE status = 'revoked' LIMIT 1`).Scan(&id, &doc); err != nil {
		t.Fatal(err)
	}
	doc = strings.Replace(doc, `"status":"revoked"`, `"status":"active"`, 1)
	if _, err := db.Exec(`UPDATE licenses SET status = 'active', doc = $2 WHERE id = $1`, id, doc); err != nil {
		t.Fatal(err)
	}
	db.Close()

	p, err := serveproc.Start("oversight", dir, "--addr", "127.0.0.1:0", "--db", dbFile, "--keys", filepath.Join(dir, "data", "demo-keys"), "--log-level", "info")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "licence "+id+": stored status active; the log says revoked") {
		t.Errorf("/readyz after the edit: %d %s", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "\noversight_integrity_mismatches_total 1\n") {
		t.Error("/metrics does not count the mismatch")
	}
	if !strings.Contains(p.Stderr.String(), "level=ERROR msg=\"stored state disagrees with the audit log\" kind=licence id="+id) {
		t.Errorf("no error logged:\n%s", p.Stderr)
	}
	if log := p.Stderr.String(); !strings.Contains(log, " from_checkpoint=") || strings.Contains(log, " from_checkpoint=0 ") {
		t.Errorf("the restart did not resume from the demo's checkpoint:\n%s", log)
	}
}
