// Command report measures the transparency report on a log of a year with
// 1,000,000 decisions: how fast the server answers it once it has counted
// the log (it counts each entry once, as it comes), how long it takes to
// count the whole log at start, and how long "oversight report" takes to
// read the 1,000,000 entries through the tiles, verify them against the
// checkpoint and recompute the report offline.
//
// The database is filled as a server's is (bench/internal/fill): a world
// of agencies of four countries licensed through the service, then the
// decisions asked for through service.Authorize by their deployments from
// concurrent callers, one in ten denied; so the stored state matches the
// log and the server's integrity check at start passes. It is then served
// by "oversight serve" in a process of its own. With -dir the database is
// kept and reused: filling a million decisions takes several minutes, a
// second run skips it.
//
//	go build -o /tmp/oversight ./cmd/oversight
//	go run ./bench/report -oversight /tmp/oversight -decisions 1000000 -dir /tmp/report-bench
//
// or bench/report/report.sh, which does that and keeps the output in
// bench/out/report.txt.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/oversight-dev/oversight/bench/internal/cputime"
	"github.com/oversight-dev/oversight/bench/internal/fill"
	"github.com/oversight-dev/oversight/bench/internal/latency"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/internal/serveproc"
	"github.com/oversight-dev/oversight/report"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
)

var (
	binary    = flag.String("oversight", "oversight", "the oversight binary")
	decisions = flag.Int("decisions", 1_000_000, "decisions in the log")
	requests  = flag.Int("requests", 100, "report requests to time (at least 20)")
	dirFlag   = flag.String("dir", "", "directory for the database and keys, kept and reused (default: a temporary one, removed)")
	callers   = flag.Int("callers", 64, "concurrent callers filling the log")
	runs      = flag.Int("runs", 1, "times to run oversight report")
	before    = flag.String("before", "", "another oversight binary (an earlier version) to run oversight report with too, alternating with -oversight, against the same server")
	profile   = flag.String("cpuprofile", "", "have oversight report write a CPU profile to this file (OVERSIGHT_CPUPROFILE)")
	srvprof   = flag.String("serverprofile", "", "have the server write a CPU profile of its whole run to this file")
)

// countries are the licensed agencies': the report has a row for each.
var countries = []string{"FR", "DE", "KE", "BR"}

func main() {
	flag.Parse()
	log.SetFlags(0)
	if err := run(); err != nil {
		log.Fatalf("bench/report: %v", err)
	}
}

func run() error {
	if *requests < 20 {
		return fmt.Errorf("-requests: at least 20, for a p99 that means something")
	}
	if strings.Contains(*binary, "/") {
		abs, err := filepath.Abs(*binary)
		if err != nil {
			return err
		}
		*binary = abs
	}
	dir := *dirFlag
	if dir == "" {
		d, err := os.MkdirTemp("", "bench-report-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	db := filepath.Join(dir, "oversight.db")
	if err := fillLog(db, *decisions); err != nil {
		return err
	}

	// The server checks the whole database against the log before it
	// serves: minutes at a million entries on a loaded machine.
	if *srvprof != "" {
		os.Setenv("OVERSIGHT_CPUPROFILE", *srvprof)
	}
	t0 := time.Now()
	srv, err := serveproc.StartWithin(15*time.Minute, *binary, dir, "--db", db, "--keys", filepath.Join(dir, "keys"), "--addr", "127.0.0.1:0", "--log-level", "warn")
	if err != nil {
		return err
	}
	os.Unsetenv("OVERSIGHT_CPUPROFILE")
	defer srv.Kill()
	fmt.Printf("server started (integrity check of the whole database included) in %s; load %s\n", time.Since(t0).Round(time.Millisecond), cputime.LoadAvg())
	ctx := context.Background()
	cl := client.New(srv.URL, "")
	cl.HTTP = &http.Client{Timeout: 10 * time.Minute} // the first request waits for the whole log's count
	year := time.Now().UTC().Format("2006")
	from, to := year+"-01-01", year+"-12-31"

	// The server counts the whole log once, from its start; until it is
	// done a request waits (and may time out on a loaded machine: then ask
	// again).
	var r *report.Report
	for {
		if r, err = cl.TransparencyReport(ctx, from, to); err == nil {
			break
		}
		if time.Since(t0) > 20*time.Minute {
			return err
		}
	}
	fmt.Printf("first report, the log counted from the start: %s after the start (checkpoint of %d entries); load %s\n",
		time.Since(t0).Round(time.Millisecond), r.Checkpoint.Size, cputime.LoadAvg())
	var decided int64
	for _, row := range r.Rows {
		decided += row.Decided
	}
	if decided < int64(*decisions) {
		return fmt.Errorf("the report counts %d decisions, the log has at least %d", decided, *decisions)
	}

	var ds []time.Duration
	for range *requests {
		t := time.Now()
		if _, err := cl.TransparencyReport(ctx, from, to); err != nil {
			return err
		}
		ds = append(ds, time.Since(t))
	}
	ds = latency.Sorted(ds)
	fmt.Printf("report of the year %s (%d decisions), %d requests over HTTP: p50 %s, p99 %s, max %s; load %s\n", year, decided, *requests,
		latency.Percentile(ds, 50).Round(10*time.Microsecond), latency.Percentile(ds, 99).Round(10*time.Microsecond), ds[len(ds)-1].Round(10*time.Microsecond),
		cputime.LoadAvg())

	for range *runs {
		if *before != "" {
			fmt.Printf("with %s:\n", *before)
			if err := recompute(*before, srv, from, to, r.Checkpoint.Size); err != nil {
				return err
			}
			fmt.Printf("with %s:\n", *binary)
		}
		if err := recompute(*binary, srv, from, to, r.Checkpoint.Size); err != nil {
			return err
		}
	}
	// A server stopped by SIGTERM writes its profile out.
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	srv.Cmd.Wait()
	return nil
}

// recompute runs oversight report against the server, and says how long
// it took and how much CPU it and the server used.
func recompute(bin string, srv *serveproc.Server, from, to string, size int64) error {
	cmd := exec.Command(bin, "report", "--log", srv.URL, "--key", srv.LogKey, "--from", from, "--to", to)
	cmd.Stderr = os.Stderr
	if *profile != "" {
		cmd.Env = append(os.Environ(), "OVERSIGHT_CPUPROFILE="+*profile)
	}
	load := cputime.LoadAvg()
	server := cputime.Pid(srv.Cmd.Process.Pid)
	t0 := time.Now()
	out, err := cmd.Output()
	elapsed := time.Since(t0)
	server = cputime.Pid(srv.Cmd.Process.Pid) - server
	if err != nil {
		return fmt.Errorf("oversight report: %v\n%s", err, out)
	}
	fmt.Print(string(out))
	ps := cmd.ProcessState
	fmt.Printf("offline recomputation, oversight report (read %d entries through the tiles, verify, recompute, compare): %s wall; CPU %s in the client (%s user, %s system), %s in the server meanwhile; load before %s, after %s\n",
		size, elapsed.Round(10*time.Millisecond), (ps.UserTime() + ps.SystemTime()).Round(10*time.Millisecond),
		ps.UserTime().Round(10*time.Millisecond), ps.SystemTime().Round(10*time.Millisecond), server.Round(10*time.Millisecond), load, cputime.LoadAvg())
	return nil
}

// fillLog fills the database db with the world and n decisions, or, if it
// already holds some, with those it lacks.
func fillLog(db string, n int) error {
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := service.New(ctx, st, service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	deps, err := fill.Deployments(ctx, svc, countries...)
	if err != nil {
		return err
	}
	state, err := st.StoredState(ctx)
	if err != nil {
		return err
	}
	have := int(state.Operations) // one operation a decision
	if have >= n {
		fmt.Printf("the database holds %d decisions already (log of %d entries); load %s\n", have, st.LogHead().Size, cputime.LoadAvg())
		return nil
	}
	t0 := time.Now()
	if err := fill.Decide(ctx, svc, deps, n-have, *callers); err != nil {
		return err
	}
	fmt.Printf("filled the log with %d decisions through service.Authorize in %s (log of %d entries); load %s\n",
		n-have, time.Since(t0).Round(time.Second), st.LogHead().Size, cputime.LoadAvg())
	return nil
}
