package tlog

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// InclusionProof is the JSON document of an inclusion proof, as served at
// /v1/log/proof/inclusion?index=N&tree_size=M. Hashes are base64; an empty
// proof (a tree of one leaf) is [], not null.
type InclusionProof struct {
	Index    int64  `json:"index"`
	TreeSize int64  `json:"tree_size"`
	Hashes   []Hash `json:"hashes"`
}

// ConsistencyProof is the JSON document of a consistency proof, as served
// at /v1/log/proof/consistency?old=A&new=B.
type ConsistencyProof struct {
	Old    int64  `json:"old"`
	New    int64  `json:"new"`
	Hashes []Hash `json:"hashes"`
}

// VerifyInclusion checks that entry is the leaf at index in the tree of
// checkpoint c, by the RFC 6962 inclusion proof. Errors name the entry, the
// tree and both roots; a proof that does not verify wraps ErrInvalidProof.
func VerifyInclusion(c Checkpoint, index int64, entry []byte, p []Hash) error {
	if index < 0 || index >= c.Size {
		return fmt.Errorf("verify inclusion: entry %d is outside the checkpoint's tree of size %d", index, c.Size)
	}
	leaf := LeafHash(entry)
	root, err := proof.RootFromInclusionProof(rfc6962.DefaultHasher, uint64(index), uint64(c.Size), leaf[:], hashes(p))
	if err != nil {
		// The only failure left is a proof of the wrong length.
		return fmt.Errorf("verify inclusion of entry %d in tree of size %d: %w: %v", index, c.Size, ErrInvalidProof, err)
	}
	if !bytes.Equal(root, c.Root[:]) {
		return fmt.Errorf("verify inclusion of entry %d (leaf hash %s) in tree of size %d: %w: it gives root %s, the checkpoint's root is %s",
			index, leaf, c.Size, ErrInvalidProof, Hash(root), c.Root)
	}
	return nil
}

// VerifyConsistency checks that the tree of checkpoint newer extends the
// tree of checkpoint older, by the RFC 6962 consistency proof p. Both
// checkpoints must be of the same log, and older no larger than newer.
// Two roots for one size, or a proof that does not lead to both roots,
// wrap ErrInconsistent and say which root failed; a proof of the wrong
// length wraps ErrInvalidProof.
func VerifyConsistency(older, newer Checkpoint, p []Hash) error {
	switch {
	case older.Origin != newer.Origin:
		return fmt.Errorf("verify consistency: checkpoints of different logs %q and %q", older.Origin, newer.Origin)
	case older.Size < 0 || older.Size > newer.Size:
		return fmt.Errorf("verify consistency: old size %d is larger than new size %d", older.Size, newer.Size)
	case older.Size == newer.Size:
		if older.Root != newer.Root {
			return fmt.Errorf("verify consistency: %w: two roots for size %d: %s and %s (the log forked)", ErrInconsistent, older.Size, older.Root, newer.Root)
		}
		if len(p) != 0 {
			return fmt.Errorf("verify consistency: %w: equal sizes need an empty proof, got %d hashes", ErrInvalidProof, len(p))
		}
		return nil
	case older.Size == 0:
		if older.Root != EmptyRoot {
			return fmt.Errorf("verify consistency: old checkpoint of size 0 has root %s, not the empty tree's %s", older.Root, EmptyRoot)
		}
		if len(p) != 0 {
			return fmt.Errorf("verify consistency: %w: from the empty tree the proof is empty, got %d hashes", ErrInvalidProof, len(p))
		}
		return nil
	}
	err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(older.Size), uint64(newer.Size), hashes(p), older.Root[:], newer.Root[:])
	if err == nil {
		return nil
	}
	var mismatch proof.RootMismatchError
	if errors.As(err, &mismatch) {
		which, want := "old", older
		if bytes.Equal(mismatch.ExpectedRoot, newer.Root[:]) && !bytes.Equal(mismatch.ExpectedRoot, older.Root[:]) {
			which, want = "new", newer
		}
		return fmt.Errorf("verify consistency from size %d to %d: %w: the proof gives %s root %s, the checkpoint of size %d has %s",
			older.Size, newer.Size, ErrInconsistent, which, Hash(mismatch.CalculatedRoot), want.Size, want.Root)
	}
	return fmt.Errorf("verify consistency from size %d to %d: %w: %v", older.Size, newer.Size, ErrInvalidProof, err)
}
