package tlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"sync"
	"testing"
)

// entry300 is a leaf of about the size of one event's canonical JSON.
var entry300 = bytes.Repeat([]byte("x"), 300)

// BenchmarkSHA256 is the physical limit: one SHA-256 of a 300-byte leaf.
func BenchmarkSHA256(b *testing.B) {
	b.SetBytes(int64(len(entry300)))
	for b.Loop() {
		sha256.Sum256(entry300)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

func BenchmarkLeafHash(b *testing.B) {
	b.SetBytes(int64(len(entry300)))
	for b.Loop() {
		LeafHash(entry300)
	}
}

// BenchmarkAppend measures the tree and tile bookkeeping alone: appends of
// precomputed leaf hashes in batches of 256, with Tiles and Commit.
func BenchmarkAppend(b *testing.B) {
	tree := NewTree()
	leaf := LeafHash(entry300)
	for b.Loop() {
		batch := tree.Begin()
		for range 256 {
			batch.Append(leaf)
		}
		batch.Tiles()
		batch.Commit()
	}
	b.ReportMetric(float64(b.N)*256/b.Elapsed().Seconds(), "leaves/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/256, "ns/leaf")
}

// BenchmarkAppendEntry is what the store does per event in memory: hash a
// 300-byte entry, append it under its own savepoint, in batches of 256.
func BenchmarkAppendEntry(b *testing.B) {
	tree := NewTree()
	for b.Loop() {
		batch := tree.Begin()
		for range 256 {
			batch.Savepoint()
			if _, err := batch.AppendEntry(entry300); err != nil {
				b.Fatal(err)
			}
		}
		batch.Tiles()
		batch.Commit()
	}
	b.ReportMetric(float64(b.N)*256/b.Elapsed().Seconds(), "leaves/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/256, "ns/leaf")
}

func BenchmarkSavepointRollback(b *testing.B) {
	tree := NewTree()
	batch := tree.Begin()
	for i := range int64(1_000_003) {
		batch.Append(LeafHash(entry(i)))
	}
	leaf := LeafHash(entry300)
	for b.Loop() {
		sp := batch.Savepoint()
		batch.Append(leaf)
		batch.RollbackTo(sp)
	}
}

const bigSize = 1_000_000

var bigLog = sync.OnceValues(func() (*Tree, *memTiles) {
	tree := NewTree()
	store := newMemTiles()
	for tree.Size() < bigSize {
		b := tree.Begin()
		for b.Size() < bigSize && b.Size()-b.Start() < 10000 {
			b.Append(LeafHash(entry(b.Size())))
		}
		store.upsert(b.Tiles())
		b.Commit()
	}
	return tree, store
})

// benchProofs runs proof(i) for random indexes and reports tile reads per
// proof.
func benchProofs(b *testing.B, cache int, proof func(p *Prover, r *rand.Rand) error) {
	_, store := bigLog()
	p := NewProver(store, cache)
	r := rand.New(rand.NewPCG(1, 1))
	reads := store.reads
	for b.Loop() {
		if err := proof(p, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(store.reads-reads)/float64(b.N), "tiles/op")
}

// BenchmarkInclusionProof: proofs in the tree of 1,000,000 leaves, of
// random leaves with the default cache (which holds a quarter of the
// level-0 tiles) and with none (every tile read and hashed), and of leaves
// among the last 100,000, whose tiles the default cache holds.
func BenchmarkInclusionProof(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name   string
		cache  int
		recent bool
	}{{"1M/cached", 0, false}, {"1M/uncached", -1, false}, {"1M/recent", 0, true}} {
		b.Run(bc.name, func(b *testing.B) {
			benchProofs(b, bc.cache, func(p *Prover, r *rand.Rand) error {
				i := r.Int64N(bigSize)
				if bc.recent {
					i = bigSize - 1 - r.Int64N(100_000)
				}
				_, err := p.InclusionProof(ctx, i, bigSize)
				return err
			})
		})
	}
}

// BenchmarkConsistencyProof: from a random older size to 1,000,000.
func BenchmarkConsistencyProof(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		cache int
	}{{"1M/cached", 0}, {"1M/uncached", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			benchProofs(b, bc.cache, func(p *Prover, r *rand.Rand) error {
				_, err := p.ConsistencyProof(ctx, 1+r.Int64N(bigSize-1), bigSize)
				return err
			})
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	_, store := bigLog()
	for b.Loop() {
		if _, err := Load(ctx, store, bigSize); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign signs a checkpoint of the 1M tree after one of 999,000,
// including the check of the consistency proof between them.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	skey, _ := testKey(b)
	tree, store := bigLog()
	p := NewProver(store, 0)
	oldRoot, err := p.RootHash(ctx, 999_000)
	if err != nil {
		b.Fatal(err)
	}
	proof, err := p.ConsistencyProof(ctx, 999_000, bigSize)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSigner(skey, nil)
	if err != nil {
		b.Fatal(err)
	}
	old := Checkpoint{Origin: s.Origin(), Size: 999_000, Root: oldRoot}
	c := Checkpoint{Size: bigSize, Root: tree.Root()}
	for b.Loop() {
		s.last, s.lastNote = old, nil // as if just restarted after signing old
		if _, err := s.Sign(c, proof); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCheckpoint(b *testing.B) {
	skey, vkey := testKey(b)
	s, _ := NewSigner(skey, nil)
	msg, err := s.Sign(Checkpoint{Size: 1, Root: LeafHash(entry300)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := VerifyCheckpoint(msg, vkey); err != nil {
			b.Fatal(err)
		}
	}
}
