package service

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/oversight-dev/oversight/tlog"
)

// A CheckpointKeeper keeps the integrity check's verified checkpoint out
// of the database, where someone who can edit the database cannot replace
// it: the server's keys directory (*keydir.Dir) is one.
type CheckpointKeeper interface {
	// IntegrityCheckpoint returns the last checkpoint saved, nil if none.
	IntegrityCheckpoint() ([]byte, error)
	// SaveIntegrityCheckpoint replaces it, whole or not at all.
	SaveIntegrityCheckpoint([]byte) error
}

// checkpointVersion names the form of a verified checkpoint and what
// loggedState.read takes from the entries: a checkpoint of another version
// is refused (and the whole log checked), so that a server whose reading
// of the log changed never resumes from a state read the old way.
const checkpointVersion = 2 // 2: each licence's permits and latest decision

// checkpointMACLabel separates the checkpoint's MAC from any other use of
// the key.
const checkpointMACLabel = "oversight integrity checkpoint\n"

// checkpointRecord is a verified checkpoint: the log's size and root when
// a check had read every entry up to it and found each to be the log's,
// and the state those entries give. Every fact in it is about the
// append-only log, so an old checkpoint stays true: a replayed one costs
// only a longer check at start.
type checkpointRecord struct {
	Version int          `json:"version"`
	Size    int64        `json:"size"`
	Root    tlog.Hash    `json:"root"`
	State   *loggedState `json:"state"`
}

// sealedCheckpoint is a checkpoint as kept: its JSON, and the MAC of
// exactly those bytes.
type sealedCheckpoint struct {
	Record json.RawMessage `json:"record"`
	MAC    []byte          `json:"mac"`
}

// errCheckpoint is wrapped by every refusal of a verified checkpoint.
var errCheckpoint = errors.New("not a valid verified checkpoint")

func checkpointMAC(key, record []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(checkpointMACLabel))
	m.Write(record)
	return m.Sum(nil)
}

// sealCheckpoint returns rec in the form a CheckpointKeeper keeps, under a
// MAC with key.
func sealCheckpoint(key []byte, rec *checkpointRecord) ([]byte, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode the integrity checkpoint: %w", err)
	}
	return json.Marshal(sealedCheckpoint{Record: b, MAC: checkpointMAC(key, b)})
}

// openCheckpoint returns the checkpoint sealed in b if its MAC under key
// is right and it is of this version.
func openCheckpoint(key, b []byte) (*checkpointRecord, error) {
	var sc sealedCheckpoint
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, fmt.Errorf("%w: %v", errCheckpoint, err)
	}
	if !hmac.Equal(sc.MAC, checkpointMAC(key, sc.Record)) {
		return nil, fmt.Errorf("%w: its MAC is wrong (forged, edited, or made with another integrity key)", errCheckpoint)
	}
	var rec checkpointRecord
	if err := json.Unmarshal(sc.Record, &rec); err != nil {
		return nil, fmt.Errorf("%w: %v", errCheckpoint, err)
	}
	if rec.Version != checkpointVersion {
		return nil, fmt.Errorf("%w: version %d, this server reads %d", errCheckpoint, rec.Version, checkpointVersion)
	}
	if rec.Size < 0 || rec.State == nil || rec.State.Licenses == nil || rec.State.Deployments == nil {
		return nil, fmt.Errorf("%w: incomplete", errCheckpoint)
	}
	for _, l := range rec.State.Licenses {
		if l == nil {
			return nil, fmt.Errorf("%w: incomplete", errCheckpoint)
		}
	}
	for _, d := range rec.State.Deployments {
		if d == nil {
			return nil, fmt.Errorf("%w: incomplete", errCheckpoint)
		}
	}
	return &rec, nil
}

// diff lists where got, the state the entries before a checkpoint of size
// gave when read again, is not ls, the state the checkpoint records; each
// taints the licence concerned.
func (ls *loggedState) diff(got *loggedState, size int64) []IntegrityMismatch {
	want := ls
	var out []IntegrityMismatch
	detail := fmt.Sprintf("the verified checkpoint of size %d records another state than the log's entries give", size)
	for _, id := range slices.Sorted(maps.Keys(joinKeys(want.Licenses, got.Licenses))) {
		w, g := want.Licenses[id], got.Licenses[id]
		if w == nil || g == nil || !w.equal(g) {
			out = append(out, IntegrityMismatch{Kind: "checkpoint", ID: id, LicenseID: id, Detail: detail})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(joinKeys(want.Deployments, got.Deployments))) {
		w, g := want.Deployments[id], got.Deployments[id]
		if w != nil && g != nil && *w == *g {
			continue
		}
		for _, d := range []*loggedDeployment{w, g} {
			if d != nil {
				out = append(out, IntegrityMismatch{Kind: "checkpoint", ID: id, LicenseID: d.LicenseID, Detail: detail})
			}
		}
	}
	if want.Operations != got.Operations {
		out = append(out, IntegrityMismatch{Kind: "checkpoint", ID: "operations", Detail: fmt.Sprintf(
			"the verified checkpoint of size %d records %d decisions, the log's entries %d", size, want.Operations, got.Operations)})
	}
	return out
}

// joinKeys returns a set of the keys of a and b.
func joinKeys[V any](a, b map[string]V) map[string]bool {
	out := make(map[string]bool, len(a))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
