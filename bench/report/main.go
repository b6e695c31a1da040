// Command report measures the transparency report on a log of a year with
// 1,000,000 decisions: how fast the server answers it once it has counted
// the log (it counts each entry once, as it comes), how long it takes to
// count the whole log at start, and how long "oversight report" takes to
// read the 1,000,000 entries through the tiles, verify them against the
// checkpoint and recompute the report offline.
//
// The log is written straight into a SQLite database (licences of eight
// countries, then the decisions, a third denied, in transactions of 10,000
// events), then served by "oversight serve" in a process of its own.
//
//	go build -o /tmp/oversight ./cmd/oversight
//	go run ./bench/report -oversight /tmp/oversight -decisions 1000000
//
// or bench/report/report.sh, which does that and keeps the output in
// bench/out/report.txt.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/bench/internal/latency"
	"github.com/oversight-dev/oversight/client"
	"github.com/oversight-dev/oversight/internal/serveproc"
	"github.com/oversight-dev/oversight/report"
	"github.com/oversight-dev/oversight/store"
)

var (
	binary    = flag.String("oversight", "oversight", "the oversight binary")
	decisions = flag.Int("decisions", 1_000_000, "decisions in the log")
	requests  = flag.Int("requests", 100, "report requests to time (at least 20)")
	keep      = flag.Bool("keep", false, "keep the working directory")
)

var countries = []string{"FR", "DE", "KE", "BR", "IN", "MX", "PL", "GH"}

func main() {
	flag.Parse()
	log.SetFlags(0)
	if *requests < 20 {
		log.Fatal("-requests: at least 20, for a p99 that means something")
	}
	if strings.Contains(*binary, "/") {
		abs, err := filepath.Abs(*binary)
		if err != nil {
			log.Fatal(err)
		}
		*binary = abs
	}
	dir, err := os.MkdirTemp("", "bench-report-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	db := filepath.Join(dir, "oversight.db")
	t0 := time.Now()
	if err := writeLog(db, *decisions); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote a log of %d decisions and %d licence events in %s\n", *decisions, 2*len(countries), time.Since(t0).Round(time.Millisecond))

	srv, err := serveproc.Start(*binary, dir, "--db", db, "--keys", filepath.Join(dir, "keys"), "--addr", "127.0.0.1:0", "--log-level", "warn")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Kill()
	// log.Fatal skips deferred calls: stop the server first.
	fatal := func(v ...any) { srv.Kill(); log.Fatal(v...) }
	ctx := context.Background()
	cl := client.New(srv.URL, "")
	cl.HTTP = &http.Client{Timeout: 10 * time.Minute} // the first request waits for the whole log's count
	year := time.Now().UTC().Format("2006")
	from, to := year+"-01-01", year+"-12-31"

	// The server counts the whole log once, from its start; until it is
	// done a request waits (and may time out on a loaded machine: then ask
	// again).
	t0 = time.Now()
	var r *report.Report
	for {
		if r, err = cl.TransparencyReport(ctx, from, to); err == nil {
			break
		}
		if time.Since(t0) > 20*time.Minute {
			fatal(err)
		}
	}
	fmt.Printf("first report, the log counted from the start: %s (checkpoint of %d entries)\n", time.Since(t0).Round(time.Millisecond), r.Checkpoint.Size)
	var decided int64
	for _, row := range r.Rows {
		decided += row.Decided
	}
	if decided != int64(*decisions) {
		srv.Kill()
		log.Fatalf("the report counts %d decisions, the log has %d", decided, *decisions)
	}

	var ds []time.Duration
	for range *requests {
		t := time.Now()
		if _, err := cl.TransparencyReport(ctx, from, to); err != nil {
			fatal(err)
		}
		ds = append(ds, time.Since(t))
	}
	ds = latency.Sorted(ds)
	fmt.Printf("report of the year %s (%d decisions), %d requests over HTTP: p50 %s, p99 %s, max %s\n", year, decided, *requests,
		latency.Percentile(ds, 50).Round(10*time.Microsecond), latency.Percentile(ds, 99).Round(10*time.Microsecond), ds[len(ds)-1].Round(10*time.Microsecond))

	cmd := exec.Command(*binary, "report", "--log", srv.URL, "--key", srv.LogKey, "--from", from, "--to", to)
	cmd.Stderr = os.Stderr
	t0 = time.Now()
	out, err := cmd.Output()
	elapsed := time.Since(t0)
	if err != nil {
		srv.Kill()
		log.Fatalf("oversight report: %v\n%s", err, out)
	}
	fmt.Print(string(out))
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	fmt.Printf("offline recomputation, oversight report (read %d entries through the tiles, verify, recompute, compare): %s, %s of CPU in the client\n",
		r.Checkpoint.Size, elapsed.Round(10*time.Millisecond), cpu.Round(10*time.Millisecond))
}

// writeLog writes licences and n decisions into a new database, as the
// service records them, in transactions of 10,000 events.
func writeLog(db string, n int) error {
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.Update(ctx, func(tx *store.Tx) error {
		for _, c := range countries {
			id := "lic_" + strings.ToLower(c)
			if _, err := tx.Record(oversight.EventLicenseApplied, "vendor:usr_bench", id, time.Now(), map[string]string{"country": c, "status": "applied"}); err != nil {
				return err
			}
			if _, err := tx.Record(oversight.EventLicenseStatus, "system", id, time.Now(), map[string]string{"from": "applied", "to": "active"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	codes := [][]string{{"IL2021-1"}, {"IL2021-4", "IL2021-7"}, {"SCOPE-PROTECTED"}}
	for done := 0; done < n; {
		batch := min(10_000, n-done)
		err := st.Update(ctx, func(tx *store.Tx) error {
			for i := done; i < done+batch; i++ {
				d := oversight.OperationDecided{OperationID: fmt.Sprintf("op_%d", i), LicenseID: "lic_" + strings.ToLower(countries[i%len(countries)]),
					DeploymentID: "dep_bench", Operation: "intercept", Category: "serious_crime", Decision: oversight.Permit,
					Codes: []string{"IL2021-3"}, PolicyVersion: 1, Commitment: strings.Repeat("0", 64)}
				if i%3 == 0 {
					d.Decision, d.Codes = oversight.Deny, codes[i/3%len(codes)]
				}
				if _, err := tx.Record(oversight.EventOperationDecided, "dep_bench", d.OperationID, time.Now(), d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += batch
	}
	return nil
}
