// Command authorize measures POST /v1/authorize end to end: the real HTTP
// handler on a real TCP listener, over the embedded SQLite store
// (the WAL fsynced before each answer: every decision, with its operation row and its
// audit-log leaf, is committed to disk before its answer), driven by
// concurrent clients that each sign every request with a deployment's
// Ed25519 key, as the agent does.
//
// It builds a world of its own in a temporary database (a vendor, an
// export-ready product, an agency with a signed IL-2021 declaration, an
// active export licence with a quota high enough never to bind, and a
// deployment), warms up, then runs the clients for -duration and prints
// decisions per second and the latency the clients saw (p50, p90, p99,
// p99.9, max). The clients run in the same process as the server, on the
// same cores: their signing, JSON and HTTP work is counted against the
// machine, not the server.
//
// Run it from the repository's root:
//
//	go run ./bench/authorize
//	go run ./bench/authorize -clients 32 -duration 20s -cpuprofile /tmp/authorize.pprof
//
// or bench/authorize/run.sh, which prints the machine and its load first
// (32 clients, 20 seconds).
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/bench/internal/cputime"
	"github.com/oversight-dev/oversight/bench/internal/latency"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/reqsign"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/service/servicetest"
	"github.com/oversight-dev/oversight/store"
)

var (
	clients    = flag.Int("clients", 32, "concurrent signed clients")
	duration   = flag.Duration("duration", 10*time.Second, "how long to measure")
	warmup     = flag.Duration("warmup", 2*time.Second, "how long to run before measuring")
	dirFlag    = flag.String("dir", "", "directory for the database (default: a temporary one)")
	cpuprofile = flag.String("cpuprofile", "", "write a CPU profile of the measured run (server and clients) to this file")
	withRules  = flag.Bool("rules", false, "run the misuse rules over the decisions as serve does (service.RuleMonitor, 1 s interval), to compare with and without")
	protected  = flag.Int("protected", 0, "hashes to put on the protected-persons register first (none of them a target of the run)")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	if err := run(); err != nil {
		log.Fatalf("bench/authorize: %v", err)
	}
}

func run() error {
	ctx := context.Background()
	dir := *dirFlag
	if dir == "" {
		d, err := os.MkdirTemp("", "oversight-bench-authorize-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	st, err := store.Open(ctx, filepath.Join(dir, "oversight.db"), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	logger := slog.New(slog.DiscardHandler)
	pepper := make([]byte, 32)
	rand.Read(pepper)
	svc, err := service.New(ctx, st, service.Options{Logger: logger, SitePepper: pepper})
	if err != nil {
		return err
	}
	dep, key, err := setUp(ctx, svc)
	if err != nil {
		return fmt.Errorf("set up: %w", err)
	}
	if *protected > 0 {
		start := time.Now()
		if err := fillRegister(ctx, svc, *protected); err != nil {
			return fmt.Errorf("fill the register: %w", err)
		}
		fmt.Printf("protected-persons register: %d hashes loaded in %s\n", *protected, time.Since(start).Round(time.Millisecond))
	}

	// The rules run as serve runs them, every second behind the store's
	// cursor, in a goroutine locked to its thread, so that their own CPU
	// time is measured apart from the decisions' (not counted: the step's
	// one write, the cursor, in the committer, and the garbage collector's
	// share of their allocations, which the total per decision includes).
	var rulesCPU atomic.Int64
	if *withRules {
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		mon := svc.NewRuleMonitor(service.MonitorOptions{})
		go func() {
			runtime.LockOSThread()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				c := cputime.Thread()
				if _, err := mon.CatchUp(rctx); err != nil && rctx.Err() == nil {
					log.Printf("rules: %v", err)
				}
				rulesCPU.Add(int64(cputime.Thread() - c))
				select {
				case <-rctx.Done():
					return
				case <-t.C:
				}
			}
		}()
		fmt.Println("misuse rules: on (every second, behind the store's cursor)")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: httpapi.New(svc, httpapi.Options{Logger: logger, DeploymentLimit: httpapi.RateLimit{Rate: -1}}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/v1/authorize"

	fmt.Printf("POST /v1/authorize: %d signed clients, SQLite, every decision fsynced before its answer, in %s, GOMAXPROCS=%d (clients share the machine)\n",
		*clients, dir, runtime.GOMAXPROCS(0))

	var (
		measuring atomic.Bool
		stop      atomic.Bool
		wg        sync.WaitGroup
		mu        sync.Mutex
		lat       []time.Duration
		verdicts  = map[oversight.Verdict]int{}
		failures  = map[string]int{}
	)
	transport := &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}
	hc := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	for c := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				mine  []time.Duration
				count = map[oversight.Verdict]int{}
				fails = map[string]int{}
				tmpl  = newBodyTemplate(dep.ID, pepper)
			)
			for i := 0; !stop.Load(); i++ {
				body := tmpl.body(fmt.Sprintf("+33 6 %02d %06d", c, i))
				start := time.Now()
				v, err := authorize(hc, url, dep.ID, key, body)
				d := time.Since(start)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					fails[err.Error()]++
					continue
				}
				mine = append(mine, d)
				count[v]++
			}
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, mine...)
			for v, n := range count {
				verdicts[v] += n
			}
			for e, n := range fails {
				failures[e] += n
			}
		}()
	}
	time.Sleep(*warmup)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpu0, rules0 := cputime.Process(), rulesCPU.Load()
	measuring.Store(true)
	began := time.Now()
	time.Sleep(*duration)
	measuring.Store(false)
	elapsed := time.Since(began)
	cpu, rules := cputime.Process()-cpu0, time.Duration(rulesCPU.Load()-rules0)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	stop.Store(true)
	wg.Wait()

	slices.Sort(lat)
	pct := func(p float64) time.Duration { return latency.Percentile(lat, p*100) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Printf("decisions: %d in %s: %.0f decisions/s (permit %d, deny %d)\n",
		len(lat), elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(), verdicts[oversight.Permit], verdicts[oversight.Deny])
	fmt.Printf("latency:   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", ms(pct(.50)), ms(pct(.90)), ms(pct(.99)), ms(pct(.999)), ms(pct(1)))
	if n := len(lat); n > 0 {
		// CPU time does not depend on what else the machine runs: it
		// says what the decisions cost, clients included.
		per := cpu / time.Duration(n)
		fmt.Printf("cpu:       %.0f µs per decision (server and clients), %.2f cores busy; %d cores would do %.0f decisions/s\n",
			float64(per)/1e3, cpu.Seconds()/elapsed.Seconds(), runtime.NumCPU(), float64(runtime.NumCPU())*float64(time.Second)/float64(per))
		if *withRules {
			fmt.Printf("rules:     %.1f µs of CPU per decision in the rules' own thread, %.1f%% of the total\n",
				float64(rules)/float64(n)/1e3, 100*float64(rules)/float64(cpu))
		}
	}
	for e, n := range failures {
		fmt.Printf("errors:    %d × %s\n", n, e)
	}
	if len(failures) > 0 {
		return errors.New("some requests failed")
	}
	return nil
}

// bodyTemplate makes operation requests that IL-2021 permits, each
// against the target whose raw identifier it is given, hashed with the
// site pepper as the agent does. It encodes the request once and writes
// each target's hash into a copy, so that the clients, which share the
// machine with the server, spend little on it.
type bodyTemplate struct {
	pepper []byte
	json   []byte
	at     int // offset of the hash in json
}

// placeholder stands for the target hash in the template.
var placeholder = strings.Repeat("0", 64)

func newBodyTemplate(dep string, pepper []byte) *bodyTemplate {
	years := 10
	b, _ := json.Marshal(&oversight.OperationRequest{
		DeploymentID: dep, Operation: oversight.OpIntercept,
		Target: oversight.Target{IDHash: placeholder, CountryCode: "+33"},
		LegalBasis: oversight.LegalBasis{Category: oversight.CategorySeriousCrime, Offense: "armed robbery",
			Statute: "Code pénal art. 311-8", MaxSentenceYears: &years},
		CaseRef: "BRB-2026-0412", WarrantRef: "JLD-2026-118", Justification: "logistics of a planned robbery",
	})
	return &bodyTemplate{pepper: pepper, json: b, at: bytes.Index(b, []byte(placeholder))}
}

func (t *bodyTemplate) body(id string) []byte {
	m := hmac.New(sha256.New, t.pepper)
	m.Write([]byte(id))
	b := bytes.Clone(t.json)
	hex.Encode(b[t.at:t.at+64], m.Sum(nil))
	return b
}

// authorize sends one signed request and returns the decision.
func authorize(hc *http.Client, url, dep string, key ed25519.PrivateKey, body []byte) (oversight.Verdict, error) {
	req, err := reqsign.NewRequest("POST", url, body, dep, key, time.Now())
	if err != nil {
		return "", err
	}
	res, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", res.Status, bytes.TrimSpace(b))
	}
	// The decision comes first in the answer; decode the rest only when
	// it is not a plain permit or deny.
	for _, v := range []oversight.Verdict{oversight.Permit, oversight.Deny} {
		if bytes.HasPrefix(b, []byte(`{"decision":"`+string(v)+`"`)) {
			return v, nil
		}
	}
	var d oversight.Decision
	if err := json.Unmarshal(b, &d); err != nil {
		return "", err
	}
	return d.Decision, nil
}

// setUp builds the licensed world through the service (servicetest), as
// officials, the vendor and the agency would through the API, with a quota
// the run cannot reach, and returns the deployment and its key.
func setUp(ctx context.Context, svc *service.Service) (*oversight.Deployment, ed25519.PrivateKey, error) {
	scope := servicetest.Scope(1_000_000)
	w, err := servicetest.NewWorld(ctx, svc, servicetest.Options{Agency: "Bench Directorate", Scope: &scope})
	if err != nil {
		return nil, nil, err
	}
	return w.Deployment, w.DeploymentKey, nil
}

// fillRegister puts n random hashes on the protected-persons register, as
// the foreign ministry imports lists.
func fillRegister(ctx context.Context, svc *service.Service, n int) error {
	tok, _, err := svc.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: oversight.RoleForeignAffairs, Name: "Bench register keeper"}, &oversight.TokenRequest{})
	if err != nil {
		return err
	}
	var list bytes.Buffer
	var h [32]byte
	for done := 0; done < n; {
		list.Reset()
		for i := 0; i < 10000 && done < n; i, done = i+1, done+1 {
			rand.Read(h[:])
			list.WriteString(hex.EncodeToString(h[:]))
			list.WriteByte('\n')
		}
		if _, err := svc.ImportProtected(ctx, &tok.Principal, oversight.ProtectedJournalist, list.Bytes()); err != nil {
			return err
		}
	}
	return nil
}
