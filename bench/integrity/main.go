// Command integrity measures the check a server runs at start and on a
// schedule (service.CheckIntegrity, issue 12 point 3): every audit-log
// entry hashed again against the log's tree, every licence and deployment,
// and every operation against its operation.decided entry.
//
// It builds a world (servicetest) in a database of its own, fills the log
// with decisions (-entries in all, one in ten a deny) through
// service.Authorize from concurrent callers, then opens the database again
// as a restarted server does and times the full check, then adds -more
// decisions and times the scheduled check, which reads only those. With
// -dir the database is kept and reused: a second run skips the filling.
//
// Run it from the repository's root:
//
//	go run ./bench/integrity -entries 1000000 -dir /tmp/integrity-bench
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/oversight-dev/oversight/bench/internal/cputime"
	"github.com/oversight-dev/oversight/bench/internal/fill"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
)

var (
	entries = flag.Int64("entries", 1_000_000, "log entries to check (filled with decisions)")
	more    = flag.Int("more", 10_000, "decisions added before the scheduled check")
	dirFlag = flag.String("dir", "", "directory for the database, kept and reused (default: a temporary one, removed)")
	callers = flag.Int("callers", 64, "concurrent callers filling the log")
	cpuprof = flag.String("cpuprofile", "", "write a CPU profile of the check at start to this file")
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
	quiet := slog.New(slog.DiscardHandler)

	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	svc, err := service.New(ctx, st, service.Options{Logger: quiet})
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

	// A restarted server: a new store and service, the whole log checked.
	st, err = store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err = service.New(ctx, st, service.Options{Logger: quiet})
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
	fmt.Printf("check at start: %d entries in %s (%.0f entries/s), %s of CPU (%.1f µs an entry), %d mismatches; heap %d MB after, %d MB allocated\n",
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
	return nil
}
