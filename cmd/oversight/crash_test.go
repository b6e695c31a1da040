package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/internal/serveproc"
	"github.com/oversight-dev/oversight/tlog"
)

// startServer runs the binary on the database and keys directory, killed
// when the test ends if it still runs.
func startServer(t *testing.T, bin, db, keys string) *serveproc.Server {
	t.Helper()
	p, err := serveproc.Start(bin, "", "--addr", "127.0.0.1:0", "--db", db, "--keys", keys, "--log-level", "warn", "--token-rate=-1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

// ack is an acknowledged registration: 201 with its log index.
type ack struct {
	id, name string
	logIndex int64
}

// The crash test of issue 4 (point 5) and issue 2 (point 10): writers
// register vendors through the API of the real binary on SQLite, and the
// server is killed with SIGKILL in the middle. After a restart, every
// registration that was acknowledged is there, with its leaf at the index
// it was given (its inclusion proof verifies against a new checkpoint), the
// tree is consistent with every checkpoint published before the kill, and
// appends go on.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "oversight")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db, keys := filepath.Join(dir, "data", "oversight.db"), filepath.Join(dir, "keys")
	out, err := exec.Command(bin, "user", "create", "--role", "defense", "--name", "Officer Crash", "--with-token", "--db", db).Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))

	srv := startServer(t, bin, db, keys)
	vkey := srv.LogKey
	ctx := context.Background()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	// Writers: each acknowledged registration is recorded.
	var (
		mu    sync.Mutex
		acks  []ack
		stop  atomic.Bool
		wg    sync.WaitGroup
		fails atomic.Int64
	)
	for w := range 48 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				name := fmt.Sprintf("Crash Vendor %d-%d", w, i)
				body, _ := json.Marshal(map[string]any{"name": name, "country": "IL"})
				req, _ := http.NewRequest("POST", srv.URL+"/v1/vendors", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				res, err := hc.Do(req)
				if err != nil {
					fails.Add(1)
					continue // not acknowledged: the server died under it
				}
				var v oversight.Vendor
				derr := json.NewDecoder(res.Body).Decode(&v)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated || derr != nil {
					fails.Add(1)
					continue
				}
				mu.Lock()
				acks = append(acks, ack{v.ID, name, v.LogIndex})
				mu.Unlock()
			}
		}()
	}
	// Checkpoints published before the kill.
	var checkpoints []tlog.Checkpoint
	cl := client.New(srv.URL, "")
	cl.HTTP = hc
	for deadline := time.Now().Add(1500 * time.Millisecond); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		cp, _, err := cl.VerifiedCheckpoint(ctx, vkey)
		if err != nil {
			t.Fatal(err)
		}
		checkpoints = append(checkpoints, cp)
	}
	if err := srv.Cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	srv.Cmd.Wait()
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acks) < 100 {
		t.Fatalf("only %d registrations acknowledged before the kill", len(acks))
	}
	t.Logf("%d registrations acknowledged, %d not, %d checkpoints seen, the last of size %d",
		len(acks), fails.Load(), len(checkpoints), checkpoints[len(checkpoints)-1].Size)

	// Restart on the same database and keys.
	srv = startServer(t, bin, db, keys)
	if srv.LogKey != vkey {
		t.Fatalf("verifier key changed across the restart: %s, was %s", srv.LogKey, vkey)
	}
	cl = client.New(srv.URL, "")
	cl.HTTP = hc
	cp, _, err := cl.VerifiedCheckpoint(ctx, vkey)
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range checkpoints {
		if err := cl.ProveConsistency(ctx, old, cp); err != nil {
			t.Fatalf("checkpoint of size %d from before the kill: %v", old.Size, err)
		}
	}
	officer := client.New(srv.URL, token)
	officer.HTTP = hc
	seen := map[int64]string{}
	for _, a := range acks {
		if other, dup := seen[a.logIndex]; dup {
			t.Fatalf("log index %d acknowledged for %s and %s", a.logIndex, other, a.id)
		}
		seen[a.logIndex] = a.id
		// The change itself…
		v, err := officer.Vendor(ctx, a.id)
		if err != nil {
			t.Fatalf("acknowledged vendor %s (%s) lost: %v", a.id, a.name, err)
		}
		if v.Name != a.name || v.LogIndex != a.logIndex {
			t.Fatalf("vendor %s: %q at log index %d, acknowledged as %q at %d", a.id, v.Name, v.LogIndex, a.name, a.logIndex)
		}
		// …and its leaf, proved against the new checkpoint.
		e, err := cl.ProveEntry(ctx, cp, a.logIndex)
		if err != nil {
			t.Fatalf("vendor %s: %v", a.id, err)
		}
		var ev oversight.Event
		if err := json.Unmarshal(e.Event, &ev); err != nil || ev.Type != oversight.EventVendorRegistered || ev.Subject != a.id {
			t.Fatalf("entry %d is %s about %s, want the registration of %s (%v)", a.logIndex, ev.Type, ev.Subject, a.id, err)
		}
	}

	// Appends go on, and the log still extends what was signed.
	var last oversight.Vendor
	for i := range 20 {
		v, err := officer.CreateVendor(ctx, &oversight.Vendor{Name: fmt.Sprintf("After Restart %d", i), Country: "CY"})
		if err != nil {
			t.Fatal(err)
		}
		last = *v
	}
	if last.LogIndex < cp.Size {
		t.Fatalf("new vendor at log index %d, inside the old tree of size %d", last.LogIndex, cp.Size)
	}
	var after tlog.Checkpoint
	for deadline := time.Now().Add(10 * time.Second); after.Size <= last.LogIndex; time.Sleep(50 * time.Millisecond) {
		if after, _, err = cl.VerifiedCheckpoint(ctx, vkey); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint stuck at %d after the restart", after.Size)
		}
	}
	if err := cl.ProveConsistency(ctx, checkpoints[0], after); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.ProveEntry(ctx, after, last.LogIndex); err != nil {
		t.Fatal(err)
	}
	// A clean stop this time.
	srv.Cmd.Process.Signal(os.Interrupt)
	if err := srv.Cmd.Wait(); err != nil {
		t.Fatalf("server stopped with %v: %s", err, srv.Stderr)
	}
}
