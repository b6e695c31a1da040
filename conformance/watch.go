package conformance

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oversight-dev/oversight/internal/proc"
)

// watcher finds the product's processes in the process table, on its own
// evidence rather than the agent's: a process is the product's if the
// marker the kit put in the agent's environment is in its own (every
// process the product starts inherits it, in whatever group, session or
// place in the tree it ends up), or if it is below the agent. It samples
// the table in the background to see processes that leave the group the
// agent started the product in.
type watcher struct {
	marker   string
	agentPID int
	// mainPID asks the agent which process is the product's main one.
	mainPID func() int

	mu      sync.Mutex
	marked  map[int]bool // pid → whether its environment has the marker
	mains   map[int]bool // the product's main processes, one per start
	outside map[int]int  // pid → samples in a row it was seen outside its group
	escaped map[int]proc.Process
	count   map[int]bool // every process of the product seen
	stop    chan struct{}
	done    chan struct{}
}

func newWatcher(marker string, agentPID int, mainPID func() int) *watcher {
	return &watcher{marker: marker, agentPID: agentPID, mainPID: mainPID,
		marked: map[int]bool{}, mains: map[int]bool{}, outside: map[int]int{}, escaped: map[int]proc.Process{}, count: map[int]bool{}}
}

// sampleEvery is how often the background sampling looks.
const sampleEvery = 20 * time.Millisecond

// watch samples in the background until close.
func (w *watcher) watch() {
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(w.done)
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.members()
			}
		}
	}()
}

func (w *watcher) close() {
	if w.stop != nil {
		close(w.stop)
		<-w.done
	}
}

// members returns the product's live processes now.
func (w *watcher) members() []proc.Process {
	table, err := proc.List()
	if err != nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	live := map[int]bool{}
	for _, p := range table {
		live[p.PID] = true
	}
	for pid := range w.marked {
		if !live[pid] {
			delete(w.marked, pid)
		}
	}
	var out []proc.Process
	below := proc.Descendants(table, w.agentPID)
	for _, p := range table {
		if p.PID == w.agentPID || p.Zombie() {
			continue
		}
		m, known := w.marked[p.PID]
		if !known {
			env, _ := proc.Environ(p.PID)
			m = slices.Contains(env, envMarker+"="+w.marker)
			w.marked[p.PID] = m
		}
		if m || slices.ContainsFunc(below, func(q proc.Process) bool { return q.PID == p.PID }) {
			out = append(out, p)
		}
	}
	// A child of the agent not yet known as a main process: ask the agent
	// (a subreaper's orphans are its children too).
	for _, p := range out {
		if p.PPID == w.agentPID && !w.mains[p.PID] {
			if pid := w.mainPID(); pid > 0 {
				w.mains[pid] = true
			}
			break
		}
	}
	for _, p := range out {
		w.count[p.PID] = true
		if len(w.mains) == 0 || w.mains[p.PGID] {
			delete(w.outside, p.PID)
			continue
		}
		// Seen twice in a row outside, so that a process caught between
		// fork and setpgid is not taken for one that left.
		if w.outside[p.PID]++; w.outside[p.PID] >= 2 {
			if _, ok := w.escaped[p.PID]; !ok {
				w.escaped[p.PID] = p
			}
		}
	}
	return out
}

// waitGone waits, sampling often, until the product has no process left
// or wait has passed, and returns how long it took from since and what
// was left.
func (w *watcher) waitGone(since time.Time, wait time.Duration) (time.Duration, []proc.Process) {
	deadline := time.Now().Add(wait)
	for {
		left := w.members()
		if len(left) == 0 {
			return time.Since(since), nil
		}
		if time.Now().After(deadline) {
			return time.Since(since), left
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// escapes returns the processes seen outside the group of the product's
// main process.
func (w *watcher) escapes() []proc.Process {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []proc.Process
	for _, p := range w.escaped {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b proc.Process) int { return a.PID - b.PID })
	return out
}

// seen is how many processes of the product the kit has seen.
func (w *watcher) seen() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.count)
}

// describe lists processes for a report: pid, name, group and session.
func describe(ps []proc.Process) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("pid %d (%s, group %d, session %d)", p.PID, p.Comm, p.PGID, p.SID))
	}
	return strings.Join(s, ", ")
}
