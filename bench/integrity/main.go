// Command integrity measures the check a server runs at start and on a
// schedule (service.CheckIntegrity, issue 12 point 3): every audit-log
// entry hashed again against the log's tree, every licence and deployment,
// and every operation against its operation.decided entry; and how soon a
// restarted server serves.
//
// It builds a world (servicetest) in a database of its own, fills the log
// with decisions (-entries in all, one in ten a deny) through
// service.Authorize from concurrent callers, then opens the database again
// as a restarted server does and times the full check, which records a
// verified checkpoint in the keys directory; then adds -more decisions and
// times the scheduled check, which reads only those; then adds -more
// again and times a restart's check, which resumes from the last verified
// checkpoint, and the check of the entries before it that a server runs
// in the background (service.CheckCheckpointed). With -dir the database
// is kept and reused: a second run skips the filling.
//
// With -oversight (a binary of cmd/oversight), it then starts "oversight
// serve" on the database -restarts times and times each start to the
// first 200 of GET /readyz: a server resumes from the checkpoint the
// previous one recorded (-fresh: the first start has none). -check=false
// skips the in-process checks, to time an earlier binary's starts alone. integrity.sh builds the binary and
// runs both.
//
// Run it from the repository's root:
//
//	go run ./bench/integrity -entries 1000000 -dir /tmp/integrity-bench
//	bench/integrity/integrity.sh -entries 1000000 -dir /tmp/integrity-bench
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/oversight-dev/oversight/bench/internal/cputime"
	"github.com/oversight-dev/oversight/bench/internal/fill"
	"github.com/oversight-dev/oversight/internal/serveproc"
	"github.com/oversight-dev/oversight/keydir"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
)

var (
	entries  = flag.Int64("entries", 1_000_000, "log entries to check (filled with decisions)")
	more     = flag.Int("more", 10_000, "decisions added before the scheduled check, and again before the restart's check")
	dirFlag  = flag.String("dir", "", "directory for the database and keys, kept and reused (default: a temporary one, removed)")
	callers  = flag.Int("callers", 64, "concurrent callers filling the log")
	cpuprof  = flag.String("cpuprofile", "", "write a CPU profile of the check at start to this file")
	check    = flag.Bool("check", true, "time the checks in this process")
	binary   = flag.String("oversight", "", "an oversight binary whose \"serve\" starts are timed to the first 200 of /readyz (none: no starts)")
	restarts = flag.Int("restarts", 2, "starts of -oversight serve to time, one after the other")
	fresh    = flag.Bool("fresh", false, "remove the keys directory's verified checkpoint before the first start of -oversight serve, so that it checks the whole log")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	if err := run(); err != nil {
		log.Fatalf("bench/integrity: %v", err)
	}
}

func run() error {
	ctx := context.Background()
	dir := *dirFlag
	if dir == "" {
		d, err := os.MkdirTemp("", "oversight-integrity-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	dsn := filepath.Join(dir, "oversight.db")
	fmt.Printf("%d CPUs; load average %s\n", runtime.NumCPU(), cputime.LoadAvg())
	if *check {
		if err := checks(ctx, dir, dsn); err != nil {
			return err
		}
	}
	if *binary != "" {
		// serve runs in dir: a relative path would name another file.
		bin, err := filepath.Abs(*binary)
		if err != nil {
			return err
		}
		*binary = bin
		if *fresh {
			if err := os.Remove(filepath.Join(dir, "keys", keydir.IntegrityCheckpointFile)); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		for i := range *restarts {
			if err := serve(dir, dsn, i+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// checks times the checks in this process: the whole log, a scheduled
// check, a restart's from the verified checkpoint and the one of the
// entries before it.
func checks(ctx context.Context, dir, dsn string) error {
	quiet := slog.New(slog.DiscardHandler)
	keys, err := keydir.Open(filepath.Join(dir, "keys"))
	if err != nil {
		return err
	}
	secrets, err := keys.Load(keydir.Options{DefaultLogOrigin: store.DefaultLogOrigin})
	if err != nil {
		return err
	}
	opts := service.Options{Logger: quiet, Checkpoints: keys, IntegrityKey: secrets.IntegrityKey}

	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	svc, err := service.New(ctx, st, opts)
	if err != nil {
		return err
	}
	deps, err := fill.Deployments(ctx, svc)
	if err != nil {
		return err
	}
	if n := st.LogHead().Size; n < *entries {
		began := time.Now()
		if err := fill.Decide(ctx, svc, deps, int(*entries-n), *callers); err != nil {
			return err
		}
		fmt.Printf("filled the log to %d entries in %s\n", st.LogHead().Size, time.Since(began).Round(time.Second))
	}
	st.Close()
	// The first check reads the whole log: no checkpoint.
	if err := os.Remove(filepath.Join(keys.Path(), keydir.IntegrityCheckpointFile)); err != nil && !os.IsNotExist(err) {
		return err
	}

	// A restarted server: a new store and service, the whole log checked.
	st, err = store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	svc, err = service.New(ctx, st, opts)
	if err != nil {
		return err
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
	}
	began, cpu := time.Now(), cputime.Process()
	rep, err := svc.CheckIntegrity(ctx)
	if err != nil {
		return err
	}
	took, cpu := time.Since(began), cputime.Process()-cpu
	pprof.StopCPUProfile()
	runtime.ReadMemStats(&m1)
	fmt.Printf("check at start, no checkpoint: %d entries in %s (%.0f entries/s), %s of CPU (%.1f µs an entry), %d mismatches; heap %d MB after, %d MB allocated\n",
		rep.Checked, took.Round(time.Millisecond), float64(rep.Checked)/took.Seconds(), cpu.Round(time.Millisecond),
		float64(cpu.Microseconds())/float64(rep.Checked), len(rep.New), m1.HeapAlloc>>20, (m1.TotalAlloc-m0.TotalAlloc)>>20)

	deps, err = fill.Deployments(ctx, svc)
	if err != nil {
		return err
	}
	if err := fill.Decide(ctx, svc, deps, *more, *callers); err != nil {
		return err
	}
	began = time.Now()
	rep, err = svc.CheckIntegrity(ctx)
	if err != nil {
		return err
	}
	took = time.Since(began)
	fmt.Printf("scheduled check: %d new entries in %s, %d mismatches\n", rep.Read, took.Round(time.Millisecond), len(rep.New))
	began = time.Now()
	if rep, err = svc.CheckIntegrity(ctx); err != nil {
		return err
	}
	fmt.Printf("scheduled check, nothing new: %s, %d mismatches\n", time.Since(began).Round(time.Millisecond), len(rep.New))

	// Decisions after the last checkpoint, then a restart: the check
	// resumes from the checkpoint, and checks the entries before it after.
	if err := fill.Decide(ctx, svc, deps, *more, *callers); err != nil {
		return err
	}
	st.Close()
	st, err = store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if svc, err = service.New(ctx, st, opts); err != nil {
		return err
	}
	began, cpu = time.Now(), cputime.Process()
	if rep, err = svc.CheckIntegrity(ctx); err != nil {
		return err
	}
	took, cpu = time.Since(began), cputime.Process()-cpu
	fmt.Printf("check at start from the verified checkpoint of size %d: %d entries after it read in %s, %s of CPU, %d mismatches\n",
		rep.FromCheckpoint, rep.Read, took.Round(time.Millisecond), cpu.Round(time.Millisecond), len(rep.New))
	began, cpu = time.Now(), cputime.Process()
	if rep, err = svc.CheckCheckpointed(ctx); err != nil {
		return err
	}
	took, cpu = time.Since(began), cputime.Process()-cpu
	fmt.Printf("then, in the background, the %d entries before it: %s, %s of CPU, %d mismatches\n",
		rep.Read, took.Round(time.Millisecond), cpu.Round(time.Millisecond), len(rep.New))
	return nil
}

// earlierDone is the line a server logs when it has checked the entries
// before the checkpoint it resumed from.
var (
	earlierDone = "entries before the verified integrity checkpoint checked"
	checkedLine = regexp.MustCompile(`msg="stored state checked against the audit log"[^\n]*`)
)

// serve starts -oversight serve on the database and times it to the first
// 200 of /readyz, then, if it resumed from a checkpoint, until it has
// checked the entries before it, and stops it.
func serve(dir, dsn string, n int) error {
	load := cputime.LoadAvg()
	began := time.Now()
	srv, err := serveproc.StartWithin(15*time.Minute, *binary, dir, "--db", dsn, "--keys", filepath.Join(dir, "keys"),
		"--addr", "127.0.0.1:0", "--log-level", "info")
	if err != nil {
		return err
	}
	defer srv.Kill()
	for {
		resp, err := http.Get(srv.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(began) > 15*time.Minute {
			return fmt.Errorf("start %d: /readyz not 200 after %s: %v", n, time.Since(began), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ready := time.Since(began)
	fmt.Printf("serve start %d: /readyz 200 after %s (load before %s)\n  %s\n", n, ready.Round(time.Millisecond), load,
		checkedLine.FindString(srv.Stderr.String()))
	if strings.Contains(srv.Stderr.String(), "from_checkpoint=") && !strings.Contains(srv.Stderr.String(), "from_checkpoint=0 ") {
		for !strings.Contains(srv.Stderr.String(), earlierDone) {
			if time.Since(began) > 15*time.Minute {
				return fmt.Errorf("start %d: the entries before the checkpoint not checked after %s", n, time.Since(began))
			}
			time.Sleep(100 * time.Millisecond)
		}
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		fmt.Printf("  entries before the checkpoint checked in the background %s after the start, /readyz then %d\n",
			time.Since(began).Round(time.Second), resp.StatusCode)
	}
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	return srv.Cmd.Wait()
}
