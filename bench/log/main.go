// Command log measures the audit log on the embedded SQLite store
// (the WAL fsynced before any append is acknowledged, so that every
// acknowledged append is on disk):
//
//   - durable appends with N concurrent writers, each one Update that
//     records one small event, as the API's handlers do: leaves/s and the
//     p50/p99 latency of Update, which returns after the group commit;
//   - the SHA-256 rate on this machine, the physical limit of hashing
//     leaves;
//   - inclusion and consistency proofs at 1,000,000 leaves, from the tiles
//     in SQLite, with the tile cache cold and warm;
//   - checkpoint signing: the Ed25519 note alone, and a whole signing round
//     (root and consistency proof from the tiles, signature, the note made
//     durable).
//
// Run it from the repository's root:
//
//	go run ./bench/log
//	go run ./bench/log -writers 64,256 -appends 200000 -proof-leaves 1000000
//
// The database lives in a temporary directory (-dir to choose the disk)
// and is removed at the end.
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oversight-dev/oversight/bench/internal/latency"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/tlog"
	"github.com/oversight-dev/oversight/tlog/memlog"
)

var (
	writersFlag = flag.String("writers", "16,64,256,1024", "numbers of concurrent writers to measure, comma-separated")
	appends     = flag.Int("appends", 100000, "durable appends per writer count")
	proofLeaves = flag.Int64("proof-leaves", 1000000, "size of the log for the proof timings (0: skip)")
	dirFlag     = flag.String("dir", "", "directory for the databases (default: a temporary one)")
)

// payload is a small event, about the size of an operation decision.
var payload = struct {
	Decision  string   `json:"decision"`
	License   string   `json:"license_id"`
	Operation string   `json:"operation"`
	Reasons   []string `json:"reasons"`
}{"permit", "lic_01jexamplelicence000000", "locate", []string{"within scope"}}

func main() {
	flag.Parse()
	log.SetFlags(0)
	dir := *dirFlag
	if dir == "" {
		d, err := os.MkdirTemp("", "oversight-bench-log-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	fmt.Printf("audit log benchmark: %s/%s, %d CPUs, GOMAXPROCS %d, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("database: SQLite (WAL fsynced before each acknowledgement) in %s\n\n", dir)
	hashRate()
	fmt.Println()
	for _, f := range strings.Split(*writersFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			log.Fatalf("-writers: bad number %q", f)
		}
		appendRate(filepath.Join(dir, fmt.Sprintf("appends-%d.db", n)), n, *appends)
	}
	fmt.Println()
	signing(filepath.Join(dir, "signing.db"))
	if *proofLeaves > 0 {
		fmt.Println()
		proofs(filepath.Join(dir, "proofs.db"), *proofLeaves)
	}
}

// hashRate measures SHA-256 over 300-byte leaves (an event's canonical
// JSON) and over the 65-byte inputs of interior nodes.
func hashRate() {
	leaf := make([]byte, 301)
	const n = 1000000
	start := time.Now()
	for i := range n {
		leaf[1] = byte(i)
		sha256.Sum256(leaf)
	}
	d := time.Since(start)
	fmt.Printf("SHA-256, one core: %.0f leaf hashes/s (300-byte leaves, %.0f MB/s)", n/d.Seconds(), n*301/d.Seconds()/1e6)
	var l, r tlog.Hash
	start = time.Now()
	for i := range n {
		l[0] = byte(i)
		r = tlog.NodeHash(l, r)
	}
	d2 := time.Since(start)
	fmt.Printf(", %.0f node hashes/s\n", n/d2.Seconds())
	// An append hashes its leaf and, amortised, one interior node.
	fmt.Printf("physical limit of one writer: %.0f leaves/s (one leaf hash and one node hash per append)\n", 1/(d.Seconds()/n+d2.Seconds()/n))
}

func openStore(path string) *store.Store {
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	return s
}

// appendRate runs total durable appends from writers goroutines.
func appendRate(path string, writers, total int) {
	s := openStore(path)
	defer s.Close()
	ctx := context.Background()
	lat := make([][]time.Duration, writers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := total / writers
			if w < total%writers {
				n++
			}
			lat[w] = make([]time.Duration, 0, n)
			for range n {
				t0 := time.Now()
				err := s.Update(ctx, func(tx *store.Tx) error {
					_, err := tx.Record("operation.decided", "dep_bench", "op_bench", time.Now(), payload)
					return err
				})
				if err != nil {
					log.Fatal(err)
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if h := s.LogHead(); h.Size != int64(total) {
		log.Fatalf("log has %d leaves after %d appends", h.Size, total)
	}
	fmt.Printf("durable appends, %4d writers: %7.0f leaves/s  (%d in %.2fs; Update latency p50 %v, p99 %v)\n",
		writers, float64(total)/d.Seconds(), total, d.Seconds(), pct(all, 50), pct(all, 99))
}

func pct(sorted []time.Duration, p int) time.Duration {
	return latency.Percentile(sorted, float64(p)).Round(time.Microsecond)
}

// signing measures the Ed25519 note signature of a checkpoint alone, and a
// whole signing round of the store.
func signing(path string) {
	skey, _, err := tlog.GenerateKey("oversight.example/audit-log")
	if err != nil {
		log.Fatal(err)
	}
	// The signature alone, each over a new size with its consistency proof.
	m := memlog.New()
	const n = 2000
	for i := range n {
		m.Append(fmt.Appendf(nil, `{"index":%d}`, i))
	}
	p := tlog.NewProver(m, 0)
	signer, err := tlog.NewSigner(skey, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	var total time.Duration
	last := int64(0)
	for size := int64(1); size <= n; size++ {
		root, _ := p.RootHash(ctx, size)
		proof, _ := p.ConsistencyProof(ctx, last, size)
		t0 := time.Now()
		if _, err := signer.Sign(tlog.Checkpoint{Size: size, Root: root}, proof); err != nil {
			log.Fatal(err)
		}
		total += time.Since(t0)
		last = size
	}
	fmt.Printf("checkpoint signature (tlog.Signer.Sign: consistency check and Ed25519 note): %v each\n", (total / n).Round(100*time.Nanosecond))

	// A whole round in the store: appends, then the next checkpoint.
	s := openStore(path)
	defer s.Close()
	if err := s.StartLog(ctx, store.LogConfig{SignerKey: skey, Interval: time.Hour}); err != nil {
		log.Fatal(err)
	}
	const rounds = 200
	var roundTotal time.Duration
	for range rounds {
		err := s.Update(ctx, func(tx *store.Tx) error {
			for range 10 {
				if _, err := tx.Record("operation.decided", "dep_bench", "op_bench", time.Now(), payload); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
		t0 := time.Now()
		if _, err := s.SignCheckpoint(ctx); err != nil {
			log.Fatal(err)
		}
		roundTotal += time.Since(t0)
	}
	fmt.Printf("signing round (size read, root and proof from SQLite tiles, signature, note made durable): %v each, off the append path\n",
		(roundTotal / rounds).Round(time.Microsecond))
}

// proofs builds a log of size leaves in large batches and times proofs.
func proofs(path string, size int64) {
	s := openStore(path)
	ctx := context.Background()
	start := time.Now()
	const batch = 20000
	for done := int64(0); done < size; {
		n := min(batch, size-done)
		err := s.Update(ctx, func(tx *store.Tx) error {
			for range n {
				if _, err := tx.Record("operation.decided", "dep_bench", "op_bench", time.Now(), payload); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
		done += n
	}
	fmt.Printf("built a log of %d leaves in %.1fs (batches of %d appends)\n", size, time.Since(start).Seconds(), batch)
	s.Close()

	// A fresh store: its tile cache is empty.
	s = openStore(path)
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	idx := make([]int64, n)
	for i := range idx {
		idx[i] = rng.Int64N(size)
	}
	timeProofs := func(what string, idx []int64, f func(i int64) error) {
		lat := make([]time.Duration, len(idx))
		for k, i := range idx {
			t0 := time.Now()
			if err := f(i); err != nil {
				log.Fatal(err)
			}
			lat[k] = time.Since(t0)
		}
		slices.Sort(lat)
		fmt.Printf("  %-58s p50 %8v  p99 %8v\n", what, pct(lat, 50), pct(lat, 99))
	}
	fmt.Printf("proofs at %d leaves, %d random leaves, from the SQLite tiles:\n", size, n)
	first := true
	var cold time.Duration
	timeProofs("inclusion, tile cache cold for each leaf's level-0 tile", idx, func(i int64) error {
		t0 := time.Now()
		_, err := s.InclusionProof(ctx, i, size)
		if first {
			cold, first = time.Since(t0), false
		}
		return err
	})
	// The default cache holds 1,024 tiles: 500 leaves' tiles stay in it.
	warm := idx[:500]
	for _, i := range warm {
		s.InclusionProof(ctx, i, size)
	}
	timeProofs("inclusion, 500 leaves proved before (tile cache warm)", warm, func(i int64) error {
		_, err := s.InclusionProof(ctx, i, size)
		return err
	})
	timeProofs("consistency from a random size to the full tree", idx, func(i int64) error {
		_, err := s.ConsistencyProof(ctx, i+1, size)
		return err
	})
	fmt.Printf("  first proof after opening the store (every tile read from SQLite): %v\n", cold.Round(time.Microsecond))
}
