//go:build linux

package proc

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Process
		ok   bool
	}{
		{"42 (sleep) S 1 42 40 0 -1", Process{PID: 42, PPID: 1, PGID: 42, SID: 40, State: 'S', Comm: "sleep"}, true},
		{"43 (a) b) (c) Z 7 8 9 0", Process{PID: 43, PPID: 7, PGID: 8, SID: 9, State: 'Z', Comm: "a) b) (c"}, true},
		{"44 (x) R 1 2", Process{}, false},
		{"45 x R 1 2 3", Process{}, false},
		{"46 (x) RR 1 2 3", Process{}, false},
		{"47 (x) S one 2 3", Process{}, false},
	} {
		got, err := parseStat(0, []byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("parseStat(%q): err = %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		got.PID = tc.want.PID
		if tc.ok && got != tc.want {
			t.Errorf("parseStat(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (sleep) S 1 42 40 0 -1 4194304"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseStat(1, b)
		if err == nil && p.State == 0 {
			t.Errorf("parsed %q without a state", b)
		}
	})
}

// A real process tree: this test's child and grandchild are below it;
// the table knows their process group; a zombie is not a descendant.
func TestListDescendants(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 30 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var below []Process
	for range 200 {
		table, err := List()
		if err != nil {
			t.Fatal(err)
		}
		if below = Descendants(table, os.Getpid()); len(below) >= 2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(below) != 2 {
		t.Fatalf("descendants = %+v, want sh and sleep", below)
	}
	if !slices.ContainsFunc(below, func(p Process) bool { return p.PID == cmd.Process.Pid && p.PPID == os.Getpid() }) {
		t.Errorf("the shell is not among the descendants: %+v", below)
	}
	env, err := Environ(os.Getpid())
	if err != nil || !slices.Contains(env, "PATH="+os.Getenv("PATH")) {
		t.Errorf("Environ(self) = %d entries, %v; want PATH among them", len(env), err)
	}
}
