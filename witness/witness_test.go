package witness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/oversight-dev/oversight/tlog"
	"github.com/oversight-dev/oversight/tlog/memlog"
)

const origin = "oversight.example/test-log"

// testLog is a log that signs checkpoints with its key: an in-memory tree
// and a tlog.Signer, as the store keeps them.
type testLog struct {
	t      *testing.T
	log    *memlog.Log
	prover *tlog.Prover
	skey   string
	vkey   string
}

func newTestLog(t *testing.T, skey, vkey string) *testLog {
	l := memlog.New()
	return &testLog{t: t, log: l, prover: tlog.NewProver(l, -1), skey: skey, vkey: vkey}
}

// grow appends n entries, each saying which log it is in.
func (l *testLog) grow(n int, tag string) {
	l.t.Helper()
	for i := range n {
		if _, err := l.log.Append([]byte(fmt.Sprintf("%s entry %d", tag, l.log.Size()+int64(i)))); err != nil {
			l.t.Fatal(err)
		}
	}
}

// sign returns the note of the log's current checkpoint. Each call uses a
// fresh signer, so that a test can sign what a real log would refuse to.
func (l *testLog) sign() (tlog.Checkpoint, []byte) {
	l.t.Helper()
	s, err := tlog.NewSigner(l.skey, nil)
	if err != nil {
		l.t.Fatal(err)
	}
	c := tlog.Checkpoint{Origin: origin, Size: l.log.Size(), Root: l.log.Root()}
	msg, err := s.Sign(c, nil)
	if err != nil {
		l.t.Fatal(err)
	}
	return c, msg
}

func (l *testLog) proof(oldSize, newSize int64) []tlog.Hash {
	l.t.Helper()
	p, err := l.prover.ConsistencyProof(context.Background(), oldSize, newSize)
	if err != nil {
		l.t.Fatal(err)
	}
	return p
}

func logKeys(t *testing.T) (string, string) {
	t.Helper()
	skey, vkey, err := tlog.GenerateKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

// testWitness is a witness served over HTTP.
type testWitness struct {
	*Witness
	srv *httptest.Server
	dir string
}

func startWitness(t *testing.T, dir, name string, logs ...string) *testWitness {
	t.Helper()
	w, err := Open(context.Background(), Config{Dir: dir, Name: name, Logs: logs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(func() { srv.Close(); w.Close() })
	return &testWitness{Witness: w, srv: srv, dir: dir}
}

func (w *testWitness) peer(t *testing.T) Peer {
	t.Helper()
	p, err := ParsePeer(w.srv.URL + "+" + w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func post(t *testing.T, url string, body []byte) (int, string, string) {
	t.Helper()
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestAddCheckpoint walks one log through the answers C2SP tlog-witness
// prescribes, each a step in the life of the witness.
func TestAddCheckpoint(t *testing.T) {
	skey, vkey := logKeys(t)
	otherSkey, _, _ := tlog.GenerateKey(origin) // the same origin, another key
	_, strangerVkey, _ := tlog.GenerateKey("stranger.example/log")
	w := startWitness(t, filepath.Join(t.TempDir(), "witness"), "witness.example/w1", vkey, strangerVkey)
	wv, err := tlog.NewWitnessVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}

	l := newTestLog(t, skey, vkey)
	l.grow(3, "main")
	_, note3 := l.sign()
	l.grow(2, "main")
	_, note5 := l.sign()
	l.grow(4, "main")
	_, note9 := l.sign()

	fork := newTestLog(t, skey, vkey) // another history under the same key
	fork.grow(5, "fork")
	_, fork5 := fork.sign()
	fork.grow(4, "fork")
	_, fork9 := fork.sign()

	impostor := newTestLog(t, otherSkey, "")
	impostor.grow(9, "main")
	_, impostor9 := impostor.sign()

	stranger, _, _ := tlog.GenerateKey("unknown.example/log")
	unknown := newTestLog(t, stranger, "")
	unknown.grow(1, "x")
	s, _ := tlog.NewSigner(stranger, nil)
	unknownNote, _ := s.Sign(tlog.Checkpoint{Size: 1, Root: unknown.log.Root()}, nil)

	body := func(old int64, proof []tlog.Hash, msg []byte) []byte {
		return tlog.AddCheckpoint{OldSize: old, Proof: proof, Note: msg}.Marshal()
	}
	for _, step := range []struct {
		name   string
		body   []byte
		status int
		answer string // the 409's size, or a part of the error
	}{
		{"first checkpoint of the log", body(0, nil, note3), 200, ""},
		{"stale old size", body(0, nil, note5), 409, "3\n"},
		{"consistent", body(3, l.proof(3, 5), note5), 200, ""},
		{"the same again", body(5, nil, note5), 200, ""},
		{"a fork of the same size", body(5, nil, fork5), 409, "5\n"},
		{"a fork that grew", body(5, fork.proof(5, 9), fork9), 422, "not consistent"},
		{"a proof for other sizes", body(5, l.proof(3, 9), note9), 422, "not consistent"},
		{"signed by another key", body(5, l.proof(5, 9), impostor9), 403, "no valid signature"},
		{"unknown log", body(0, nil, unknownNote), 404, "does not follow"},
		{"old size beyond the checkpoint", body(9, nil, note5), 400, "larger than"},
		{"proof from size 0", body(0, l.proof(3, 5), note5), 400, "must be empty"},
		{"malformed", []byte("old 5\n" + string(note9)), 400, "invalid add-checkpoint request"},
		{"a log with nothing cosigned", body(0, nil, note3), 409, "5\n"},
		{"consistent again", body(5, l.proof(5, 9), note9), 200, ""},
	} {
		status, ctype, answer := post(t, w.srv.URL, step.body)
		if status != step.status {
			t.Fatalf("%s: %d %q, want %d", step.name, status, answer, step.status)
		}
		switch {
		case status == 200:
			c, err := tlog.ParseAddCheckpoint(step.body)
			if err != nil {
				t.Fatal(err)
			}
			cosigned, err := tlog.AddCosignatures(c.Note, []byte(answer))
			if err != nil {
				t.Fatalf("%s: answer %q: %v", step.name, answer, err)
			}
			if _, _, err := tlog.VerifyCosigned(cosigned, vkey, []note.Verifier{wv}, 1); err != nil {
				t.Errorf("%s: %v", step.name, err)
			}
		case status == 409:
			if ctype != "text/x.tlog.size" || answer != step.answer {
				t.Errorf("%s: 409 %s %q, want text/x.tlog.size %q", step.name, ctype, answer, step.answer)
			}
		case !strings.Contains(answer, step.answer):
			t.Errorf("%s: %d %q, want it to say %q", step.name, status, answer, step.answer)
		}
	}

	logs, err := w.Logs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The fork of the same size and the fork that grew are kept as
	// evidence, and so is the bad proof; the protocol's 409s are not.
	if got := logs[0]; got.Checkpoint == nil || got.Checkpoint.Size != 9 || got.Refusals != 3 {
		t.Errorf("state %+v, want size 9 and 3 refusals", got)
	}
	if logs[1].Checkpoint != nil {
		t.Errorf("the stranger's log: %+v", logs[1])
	}

	// The state survives a restart; the name is fixed.
	w.srv.Close()
	w.Close()
	again := startWitness(t, w.dir, "", vkey)
	if again.VerifierKey() != w.VerifierKey() || again.Name() != "witness.example/w1" {
		t.Errorf("after a restart: %s %s", again.Name(), again.VerifierKey())
	}
	if status, _, answer := post(t, again.srv.URL, body(0, nil, note9)); status != 409 || answer != "9\n" {
		t.Errorf("after a restart: %d %q, want 409 9", status, answer)
	}
	_, err = Open(context.Background(), Config{Dir: w.dir, Name: "witness.example/other", Logs: []string{vkey}})
	if err == nil || !strings.Contains(err.Error(), "cannot change") {
		t.Errorf("a new name: %v", err)
	}
	_, err = Open(context.Background(), Config{Dir: filepath.Join(t.TempDir(), "witness"), Logs: []string{vkey}})
	if err == nil || !strings.Contains(err.Error(), "--name is required") {
		t.Errorf("no name at the first start: %v", err)
	}
	open := t.TempDir()
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), Config{Dir: open, Name: "witness.example/w1", Logs: []string{vkey}})
	if err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("a directory others may read: %v", err)
	}

	resp, err := http.Get(again.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"witness witness.example/w1", again.VerifierKey(), "log " + origin, "cosigned size 9", "refused 3"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("GET / does not say %q:\n%s", want, page)
		}
	}
	status, _, _ := post(t, again.srv.URL, bytes.Repeat([]byte("x"), MaxRequest+1))
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over %d bytes: %d", MaxRequest, status)
	}
}

// TestAddCheckpointRace submits checkpoints of growing sizes at once from
// many goroutines: whatever the order, the witness never cosigns a smaller
// tree after a larger one, which C2SP tlog-witness requires of the check
// and the update being atomic.
func TestAddCheckpointRace(t *testing.T) {
	skey, vkey := logKeys(t)
	w := startWitness(t, filepath.Join(t.TempDir(), "witness"), "witness.example/w1", vkey)
	l := newTestLog(t, skey, vkey)
	l.grow(1, "main")
	_, first := l.sign()
	if status, _, answer := post(t, w.srv.URL, tlog.AddCheckpoint{Note: first}.Marshal()); status != 200 {
		t.Fatalf("%d %s", status, answer)
	}
	type req struct {
		size int64
		body []byte
	}
	var reqs []req
	for range 20 {
		l.grow(1, "main")
		c, msg := l.sign()
		reqs = append(reqs, req{c.Size, tlog.AddCheckpoint{OldSize: 1, Proof: l.proof(1, c.Size), Note: msg}.Marshal()})
	}
	var mu sync.Mutex
	var cosigned []int64
	var wg sync.WaitGroup
	for _, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, _, _ := post(t, w.srv.URL, r.body); status == 200 {
				mu.Lock()
				cosigned = append(cosigned, r.size)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Every request claimed old size 1: exactly one can be cosigned.
	if len(cosigned) != 1 {
		t.Fatalf("cosigned sizes %v, want exactly one", cosigned)
	}
	logs, _ := w.Logs(context.Background())
	if logs[0].Checkpoint.Size != cosigned[0] {
		t.Errorf("recorded size %d, cosigned %d", logs[0].Checkpoint.Size, cosigned[0])
	}
}

func TestParsePeer(t *testing.T) {
	w := startWitness(t, filepath.Join(t.TempDir(), "witness"), "witness.example/w1")
	key := w.VerifierKey()
	for _, tt := range []struct {
		in, url, fails string
	}{
		{"http://127.0.0.1:8090+" + key, "http://127.0.0.1:8090", ""},
		{"https://witness.example/path/+" + key, "https://witness.example/path", ""},
		{"https://w.example/a+b+" + key, "https://w.example/a+b", ""},
		{"witness.example+" + key, "", "not an http(s) URL"},
		{"http://127.0.0.1:8090", "", "want URL+KEY"},
		{key, "", "want URL+KEY"},
		{"http://127.0.0.1:8090+" + strings.Replace(key, "+", "+0", 1), "", "want URL+KEY"},
	} {
		p, err := ParsePeer(tt.in)
		switch {
		case tt.fails == "" && (err != nil || p.URL != tt.url || p.Key != key):
			t.Errorf("ParsePeer(%q) = %+v, %v; want URL %q", tt.in, p, err, tt.url)
		case tt.fails != "" && (err == nil || !strings.Contains(err.Error(), tt.fails)):
			t.Errorf("ParsePeer(%q) = %+v, %v; want an error saying %q", tt.in, p, err, tt.fails)
		}
	}
}

// TestCosigner: a log's checkpoints cosigned by two witnesses as it grows;
// one witness down, then back; and a fork with the same key refused by
// both.
func TestCosigner(t *testing.T) {
	ctx := context.Background()
	skey, vkey := logKeys(t)
	w1 := startWitness(t, filepath.Join(t.TempDir(), "witness"), "witness.example/w1", vkey)
	w2 := startWitness(t, filepath.Join(t.TempDir(), "witness"), "witness.example/w2", vkey)
	l := newTestLog(t, skey, vkey)
	proofs := func(l *testLog) ProofFunc {
		return func(ctx context.Context, a, b int64) ([]tlog.Hash, error) {
			return l.prover.ConsistencyProof(ctx, a, b)
		}
	}
	c := NewCosigner([]Peer{w1.peer(t), w2.peer(t)}, proofs(l), slog.New(slog.DiscardHandler))
	both := c.Verifiers()

	for _, n := range []int{3, 300, 1} {
		l.grow(n, "main")
		_, msg := l.sign()
		cosigned, err := c.Cosign(ctx, msg)
		if err != nil {
			t.Fatalf("size %d: %v", l.log.Size(), err)
		}
		if _, got, err := tlog.VerifyCosigned(cosigned, vkey, both, 2); err != nil || len(got) != 2 {
			t.Fatalf("size %d: %d cosignatures, %v", l.log.Size(), len(got), err)
		}
		if again, err := c.Cosign(ctx, cosigned); err != nil || !bytes.Equal(again, cosigned) {
			t.Errorf("cosigning a cosigned note again: %v", err)
		}
	}

	// A new log process knows nothing of the witnesses' sizes: it learns
	// them from their 409s.
	fresh := NewCosigner([]Peer{w1.peer(t), w2.peer(t)}, proofs(l), slog.New(slog.DiscardHandler))
	l.grow(10, "main")
	_, msg := l.sign()
	if cosigned, err := fresh.Cosign(ctx, msg); err != nil {
		t.Fatal(err)
	} else if _, _, err := tlog.VerifyCosigned(cosigned, vkey, both, 2); err != nil {
		t.Fatal(err)
	}

	// w2 down: the note comes back with w1's cosignature, and an error
	// naming w2.
	w2.srv.Close()
	l.grow(5, "main")
	_, msg = l.sign()
	cosigned, err := c.Cosign(ctx, msg)
	if err == nil || !strings.Contains(err.Error(), "witness.example/w2") {
		t.Errorf("w2 down: %v", err)
	}
	if _, got, err := tlog.VerifyCosigned(cosigned, vkey, both, 1); err != nil || len(got) != 1 || got[0].Witness != "witness.example/w1" {
		t.Errorf("w2 down: %v %v", got, err)
	}
	w2 = startWitness(t, w2.dir, "", vkey) // back, at another address
	c = NewCosigner([]Peer{w1.peer(t), w2.peer(t)}, proofs(l), slog.New(slog.DiscardHandler))
	cosigned, err = c.Cosign(ctx, cosigned)
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := tlog.VerifyCosigned(cosigned, vkey, both, 2); err != nil || len(got) != 2 {
		t.Errorf("w2 back: %v %v", got, err)
	}

	// A second log with the same key and another history: larger, smaller
	// and of the same size as what the witnesses cosigned. Neither
	// cosigns any.
	size := l.log.Size()
	for _, n := range []int64{size + 7, size - 7, size} {
		fork := newTestLog(t, skey, vkey)
		fork.grow(int(n), "fork")
		fc := NewCosigner([]Peer{w1.peer(t), w2.peer(t)}, proofs(fork), slog.New(slog.DiscardHandler))
		_, msg := fork.sign()
		got, err := fc.Cosign(ctx, msg)
		if err == nil || !bytes.Equal(got, msg) {
			t.Errorf("fork of size %d: cosigned (%v)", n, err)
		}
		for _, name := range []string{"witness.example/w1", "witness.example/w2"} {
			if !strings.Contains(fmt.Sprint(err), name) {
				t.Errorf("fork of size %d: the error does not name %s: %v", n, name, err)
			}
		}
		t.Logf("fork of size %d (log at %d): %v", n, size, err)
	}
	logs, _ := w1.Logs(ctx)
	if logs[0].Checkpoint.Size != size || logs[0].Refusals != 2 {
		t.Errorf("w1 after the forks: size %d, %d refusals; want %d and 2 (the larger fork and the one of the same size)",
			logs[0].Checkpoint.Size, logs[0].Refusals, size)
	}
}
