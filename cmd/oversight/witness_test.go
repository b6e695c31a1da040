package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/tlog"
	"github.com/oversight-dev/oversight/witness"
)

// startWitness runs a witness of the log vkey over HTTP, as "oversight
// witness serve" does, and returns it as the log's server is told of it.
func startWitness(t *testing.T, name, vkey string) (*witness.Witness, witness.Peer) {
	t.Helper()
	w, err := witness.Open(context.Background(), witness.Config{Dir: filepath.Join(t.TempDir(), "witness"), Name: name, Logs: []string{vkey}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(func() { srv.Close(); w.Close() })
	p, err := witness.ParsePeer(srv.URL + "+" + w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return w, p
}

// TestWitnessesRefuseAFork: two witnesses cosign the log's checkpoints,
// and "log verify" accepts them with their keys. A second database signed
// with the same key (a forked log, shown to other readers) gets a
// checkpoint whose signature verifies, but both witnesses refuse it, and
// "log verify --witness … --min-witnesses 1" refuses it too.
func TestWitnessesRefuseAFork(t *testing.T) {
	skey, vkey, err := tlog.GenerateKey(store.DefaultLogOrigin)
	if err != nil {
		t.Fatal(err)
	}
	w1, p1 := startWitness(t, "witness.ngo.example/w1", vkey)
	w2, p2 := startWitness(t, "witness.press.example/w2", vkey)
	witnesses := []witness.Peer{p1, p2}
	require := []string{"--witness", w1.VerifierKey(), "--witness", w2.VerifierKey()}

	a := newLogServerWith(t, skey, witnesses)
	a.appendEvents(120)
	a.waitCheckpoint()
	code, out, errOut := a.oversight(append([]string{"log", "verify"}, require...)...)
	if code != 0 || !strings.Contains(out, "cosigned by 2 of your 2 witnesses") {
		t.Fatalf("log verify on the log: exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{"witness.ngo.example/w1", "witness.press.example/w2"} {
		if !strings.Contains(out, "cosigned by the witness "+w+" at ") {
			t.Errorf("log verify does not name %s:\n%s", w, out)
		}
	}
	if code, out, errOut := a.oversight(append([]string{"log", "checkpoint", "-o", "json"}, require...)...); code != 0 || strings.Count(out, `"witness"`) != 2 {
		t.Errorf("log checkpoint -o json: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := a.oversight(append([]string{"log", "prove", "--index", "7"}, require...)...); code != 0 {
		t.Errorf("log prove with witnesses: %s", errOut)
	}

	// The fork: another database, the same key, more entries than the
	// witnesses saw, so that it even looks like a log that grew.
	b := newLogServerWith(t, skey, witnesses)
	if b.vkey != a.vkey {
		t.Fatalf("the fork has key %s, not %s", b.vkey, a.vkey)
	}
	b.appendEvents(150)
	fork := b.waitCheckpoint()
	if code, _, errOut := b.oversight("log", "checkpoint"); code != 0 {
		t.Fatalf("the fork's checkpoint does not verify by signature alone: %s", errOut)
	}
	code, out, errOut = b.oversight(append([]string{"log", "verify", "--min-witnesses", "1"}, require...)...)
	if code != 1 || !strings.Contains(errOut, "not enough witness cosignatures: 0 of the 1 required") {
		t.Fatalf("log verify on the fork: exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []*witness.Witness{w1, w2} {
		logs, err := w.Logs(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := logs[0]; got.Checkpoint == nil || got.Checkpoint.Size != 120 || got.Refusals == 0 {
			t.Errorf("%s after the fork of size %d: %+v; want still at 120, the fork refused on record", w.Name(), fork.Size, got)
		}
	}
	// The true log goes on being cosigned.
	a.appendEvents(10)
	a.waitCheckpoint()
	if code, out, errOut := a.oversight(append([]string{"log", "verify"}, require...)...); code != 0 || !strings.Contains(out, "size 130") {
		t.Fatalf("log verify after the fork: exit %d\n%s%s", code, out, errOut)
	}
}

func TestLogVerifyWitnessFlags(t *testing.T) {
	ls := newLogServer(t)
	ls.appendEvents(3)
	ls.waitCheckpoint()
	w, _ := startWitness(t, "witness.example/w1", ls.vkey)
	for _, tt := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"log", "verify"}, 2, "say what to verify"},
		{[]string{"log", "verify", "--witness", ls.vkey}, 2, "this is a log's key"},
		{[]string{"log", "verify", "--witness", w.VerifierKey(), "--min-witnesses", "2"}, 2, "--min-witnesses 2: give from 1 to the number of --witness keys (1)"},
		{[]string{"log", "verify", "--witness", w.VerifierKey()}, 1, "not enough witness cosignatures: 0 of the 1 required (witness.example/w1: no cosignature)"},
		{[]string{"log", "checkpoint", "--witness", w.VerifierKey()}, 1, "not enough witness cosignatures"},
	} {
		code, out, errOut := ls.oversight(tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.says) {
			t.Errorf("%v: exit %d\n%s%s\nwant exit %d saying %q", tt.args, code, out, errOut, tt.code, tt.says)
		}
	}
}
