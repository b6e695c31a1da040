package tlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestVerifyInclusionErrors(t *testing.T) {
	ctx := context.Background()
	tree, store, _ := buildLog(t, 100)
	p := NewProver(store, 0)
	c := Checkpoint{Origin: testOrigin, Size: tree.Size(), Root: tree.Root()}
	pr, err := p.InclusionProof(ctx, 42, c.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyInclusion(c, 42, entry(42), pr); err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(entry(42)), "tester", "someone", 1))
	bent := append([]Hash(nil), pr...)
	bent[2][0] ^= 1
	for _, tt := range []struct {
		name  string
		c     Checkpoint
		index int64
		entry []byte
		proof []Hash
		is    error
		says  string
	}{
		{"edited entry", c, 42, tampered, pr, ErrInvalidProof, "gives root"},
		{"wrong index", c, 43, entry(42), pr, ErrInvalidProof, "entry 43"},
		{"altered proof", c, 42, entry(42), bent, ErrInvalidProof, "the checkpoint's root is " + c.Root.String()},
		{"short proof", c, 42, entry(42), pr[1:], ErrInvalidProof, "wrong proof size"},
		{"beyond the tree", c, 100, entry(100), pr, nil, "outside the checkpoint's tree of size 100"},
		{"other root", Checkpoint{Size: 100, Root: EmptyRoot}, 42, entry(42), pr, ErrInvalidProof, "gives root " + c.Root.String()},
	} {
		err := VerifyInclusion(tt.c, tt.index, tt.entry, tt.proof)
		if err == nil {
			t.Errorf("%s: verified", tt.name)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: %v does not wrap %v", tt.name, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.says)
		}
	}
}

func TestVerifyConsistencyErrors(t *testing.T) {
	ctx := context.Background()
	_, store, _ := buildLog(t, 1000)
	p := NewProver(store, 0)
	cp := func(n int64) Checkpoint {
		r, err := p.RootHash(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return Checkpoint{Origin: testOrigin, Size: n, Root: r}
	}
	old, cur := cp(600), cp(1000)
	pr, err := p.ConsistencyProof(ctx, 600, 1000)
	if err != nil {
		t.Fatal(err)
	}
	forkedOld := old
	forkedOld.Root = cp(599).Root
	forkedCur := cur
	forkedCur.Root = cp(999).Root
	otherLog := cur
	otherLog.Origin = "other.example/log"
	for _, tt := range []struct {
		name     string
		old, cur Checkpoint
		proof    []Hash
		is       error
		says     string
	}{
		{"old root rewritten", forkedOld, cur, pr, ErrInconsistent, "gives old root " + old.Root.String()},
		{"new root rewritten", old, forkedCur, pr, ErrInconsistent, "gives new root " + cur.Root.String()},
		{"same size, two roots", cur, forkedCur, nil, ErrInconsistent, "two roots for size 1000"},
		{"short proof", old, cur, pr[1:], ErrInvalidProof, "wrong proof size"},
		{"swapped", cur, old, pr, nil, "larger than new size"},
		{"other log", old, otherLog, pr, nil, "different logs"},
		{"equal with proof", cur, cur, pr, ErrInvalidProof, "empty proof"},
		{"from empty with proof", cp(0), cur, pr, ErrInvalidProof, "proof is empty"},
	} {
		err := VerifyConsistency(tt.old, tt.cur, tt.proof)
		if err == nil {
			t.Errorf("%s: verified", tt.name)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: %v does not wrap %v", tt.name, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.says)
		}
	}
	for _, tt := range []struct{ a, b Checkpoint }{{cur, cur}, {cp(0), cur}, {cp(0), cp(0)}} {
		if err := VerifyConsistency(tt.a, tt.b, nil); err != nil {
			t.Errorf("%d → %d: %v", tt.a.Size, tt.b.Size, err)
		}
	}
}

// TestRootsGolden pins the roots of the test log at tile boundaries, each
// also checked against x/mod, so a change of hashing or layout shows.
func TestRootsGolden(t *testing.T) {
	tree := NewTree()
	ref := new(refLog)
	var out strings.Builder
	b := tree.Begin()
	for _, size := range []int64{1, 2, 3, 255, 256, 257, 1000, 65535, 65536, 65537} {
		for b.Size() < size {
			e := entry(b.Size())
			b.AppendEntry(e)
			ref.append(e)
		}
		if got, want := tree.Root(), ref.root(t, size); got != want {
			t.Fatalf("size %d: root %s, x/mod %s", size, got, want)
		}
		fmt.Fprintf(&out, "%d %s\n", size, tree.Root())
	}
	b.Commit()
	golden(t, "roots.golden", []byte(out.String()))
}
