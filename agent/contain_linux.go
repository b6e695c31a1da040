package agent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oversight-dev/oversight/internal/proc"
)

// containment is what this process can use to hold the tool, found once.
var containment struct {
	once   sync.Once
	cgroup string // the agent's own cgroup directory, where it makes one per run; "" if it cannot
	seq    int
	mu     sync.Mutex
}

// forceContainment, when set (by tests), picks the mechanism instead of
// the strongest available one.
var forceContainment string

// newBox returns a box of the strongest kind this system allows: a cgroup
// of its own for the run if the agent may create one below its own
// cgroup, else the agent as a child subreaper.
func newBox(log *slog.Logger) box {
	containment.once.Do(func() {
		dir, err := ownCgroup()
		if err == nil {
			err = probeCgroup(dir)
		}
		if err != nil {
			log.Info("no cgroup for the tool; the agent will hold its processes as a child subreaper", "why", err)
			return
		}
		containment.cgroup = dir
		sweepCgroups(dir, log)
	})
	switch forceContainment {
	case ContainProcessGroup:
		return &groupBox{}
	case ContainSubreaper:
		return &treeBox{}
	}
	if containment.cgroup != "" {
		containment.mu.Lock()
		containment.seq++
		name := fmt.Sprintf("%s%d-%d", cgroupPrefix, os.Getpid(), containment.seq)
		containment.mu.Unlock()
		return &cgroupBox{dir: filepath.Join(containment.cgroup, name), log: log}
	}
	return &treeBox{}
}

// cgroupPrefix names the cgroups the agent makes: oversight-tool-PID-N,
// PID being the agent's.
const cgroupPrefix = "oversight-tool-"

// ownCgroup returns the directory of this process's cgroup in the cgroup
// v2 hierarchy, wherever it is mounted (/sys/fs/cgroup, or
// /sys/fs/cgroup/unified on hybrid systems).
func ownCgroup() (string, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	mount, root := cgroup2Mount(mi)
	if mount == "" {
		return "", errors.New("no cgroup v2 hierarchy is mounted")
	}
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	path, ok := unifiedPath(cg)
	if !ok {
		return "", errors.New("this process is in no cgroup v2")
	}
	rel, err := filepath.Rel(root, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("this process's cgroup %s is outside the mounted hierarchy", path)
	}
	return filepath.Join(mount, rel), nil
}

// cgroup2Mount finds the first cgroup2 mount in /proc/self/mountinfo: its
// mount point and the root of the hierarchy it shows.
func cgroup2Mount(mountinfo []byte) (mount, root string) {
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		before, after, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(before), strings.Fields(after)
		if ok && len(f) >= 5 && len(g) >= 1 && g[0] == "cgroup2" {
			return unescapeMount(f[4]), unescapeMount(f[3])
		}
	}
	return "", ""
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unifiedPath finds the cgroup v2 line ("0::/path") of /proc/self/cgroup.
func unifiedPath(cgroup []byte) (string, bool) {
	for _, line := range strings.Split(string(cgroup), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok && strings.HasPrefix(p, "/") {
			return p, true
		}
	}
	return "", false
}

// probeCgroup checks that the agent may create a cgroup below dir, move a
// process into it and kill it there.
func probeCgroup(dir string) error {
	test := filepath.Join(dir, fmt.Sprintf("%sprobe-%d", cgroupPrefix, os.Getpid()))
	if err := os.Mkdir(test, 0o755); err != nil {
		return fmt.Errorf("cannot create a cgroup below %s: %w", dir, err)
	}
	defer os.Remove(test)
	for _, f := range []string{"cgroup.procs", "cgroup.kill"} {
		if err := unix.Access(filepath.Join(test, f), unix.W_OK); err != nil {
			return fmt.Errorf("%s: %w (cgroup.kill needs Linux 5.14)", filepath.Join(test, f), err)
		}
	}
	return nil
}

// sweepCgroups stops what agents that died left behind: the processes in
// cgroups named for an agent process that no longer exists.
func sweepCgroups(dir string, log *slog.Logger) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), cgroupPrefix)
		pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
		if !ok || !e.IsDir() || err != nil || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		b := &cgroupBox{dir: filepath.Join(dir, e.Name()), log: log}
		if procs := b.members(); len(procs) > 0 {
			log.Warn("stopping processes an agent that died left behind", "cgroup", b.dir, "pids", procs)
		}
		b.killAll()
		b.close()
	}
}

// cgroupBox is a cgroup of the tool's own.
type cgroupBox struct {
	dir string
	log *slog.Logger
}

func (b *cgroupBox) start(cmd *exec.Cmd) error {
	if err := os.Mkdir(b.dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup: %w", err)
	}
	fd, err := unix.Open(b.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(b.dir)
		return fmt.Errorf("open cgroup: %w", err)
	}
	defer unix.Close(fd)
	// clone3 puts the process in the cgroup as it is created: there is no
	// moment at which it, or a child it starts at once, is outside.
	cmd.SysProcAttr.UseCgroupFD = true
	cmd.SysProcAttr.CgroupFD = fd
	if err := cmd.Start(); err != nil {
		os.Remove(b.dir)
		return err
	}
	return nil
}

// members returns the pids in the cgroup.
func (b *cgroupBox) members() []int {
	raw, err := os.ReadFile(filepath.Join(b.dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(raw)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func (b *cgroupBox) signal(sig syscall.Signal) {
	for _, pid := range b.members() {
		syscall.Kill(pid, sig)
	}
}

// populated reads cgroup.events: whether a live process is left.
func (b *cgroupBox) populated() bool {
	raw, err := os.ReadFile(filepath.Join(b.dir, "cgroup.events"))
	if err != nil {
		return false // gone
	}
	return strings.Contains(string(raw), "populated 1")
}

func (b *cgroupBox) killAll() bool {
	if err := os.WriteFile(filepath.Join(b.dir, "cgroup.kill"), []byte("1"), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.log.Error("cgroup.kill failed; killing each process", "cgroup", b.dir, "err", err)
	}
	for deadline := time.Now().Add(killWait); b.populated(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
		b.signal(syscall.SIGKILL)
	}
	return true
}

func (b *cgroupBox) close() {
	// The kernel removes the last processes a moment after they die.
	for i := 0; i < 100; i++ {
		if err := os.Remove(b.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.log.Warn("cannot remove the tool's cgroup", "cgroup", b.dir)
}

func (b *cgroupBox) kind() string { return ContainCgroup }

// treeBox holds every process below the agent: the agent is a child
// subreaper, so that a process that leaves the tool's group or session,
// or whose parent exits (a double fork), becomes the agent's child
// instead of init's. It reaps those orphans. Only one run of the tool is
// below the agent at a time.
type treeBox struct{ pid int }

// reaper reaps the orphans that come to the agent as a subreaper: every
// zombie child except the tools os/exec waits for itself.
var reaper struct {
	once sync.Once
	err  error
	mu   sync.Mutex
	own  map[int]bool
}

func (b *treeBox) start(cmd *exec.Cmd) error {
	reaper.once.Do(func() {
		if reaper.err = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); reaper.err != nil {
			return
		}
		reaper.own = map[int]bool{}
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGCHLD)
		go func() {
			t := time.NewTicker(time.Second)
			for {
				select {
				case <-ch:
				case <-t.C:
				}
				reapOrphans()
			}
		}()
	})
	if reaper.err != nil {
		return fmt.Errorf("become a child subreaper: %w", reaper.err)
	}
	// Under the lock, the reaper cannot take the new child for an orphan
	// before it is known.
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	b.pid = cmd.Process.Pid
	reaper.own[b.pid] = true
	return nil
}

func reapOrphans() {
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	table, err := proc.List()
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, p := range table {
		if p.PPID == self && p.Zombie() && !reaper.own[p.PID] {
			var ws unix.WaitStatus
			unix.Wait4(p.PID, &ws, unix.WNOHANG, nil)
		}
	}
}

// members returns the live processes below the agent.
func (b *treeBox) members() []int {
	table, err := proc.List()
	if err != nil {
		return nil
	}
	var pids []int
	for _, p := range proc.Descendants(table, os.Getpid()) {
		pids = append(pids, p.PID)
	}
	return pids
}

func (b *treeBox) signal(sig syscall.Signal) {
	for _, pid := range b.members() {
		syscall.Kill(pid, sig)
	}
}

func (b *treeBox) killAll() bool {
	for deadline := time.Now().Add(killWait); ; time.Sleep(5 * time.Millisecond) {
		pids := b.members()
		if len(pids) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func (b *treeBox) close() {
	reaper.mu.Lock()
	delete(reaper.own, b.pid)
	reaper.mu.Unlock()
}

func (b *treeBox) kind() string { return ContainSubreaper }

// fallbackBox is the box when a cgroup cannot hold the tool after all.
func fallbackBox() box { return &treeBox{} }
