package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/oversight-dev/oversight/keydir"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/tlog"
	"github.com/oversight-dev/oversight/witness"
)

// startLog starts the store's checkpoint signer with the log key skey and
// the last checkpoint kept beside it in the keys directory, submitting each
// checkpoint to the witnesses, and returns the verifier key. A database
// that does not extend what the key signed is refused.
func startLog(ctx context.Context, st *store.Store, keys *keydir.Dir, skey string, witnesses []witness.Peer, logger *slog.Logger) (string, error) {
	kept, err := keys.Checkpoint()
	if err != nil {
		return "", fmt.Errorf("audit log: %w", err)
	}
	cfg := store.LogConfig{SignerKey: skey, Kept: kept, Publish: keys.SaveCheckpoint, Logger: logger}
	if len(witnesses) > 0 {
		cfg.Cosign = witness.NewCosigner(witnesses, st.ConsistencyProof, logger).Cosign
	}
	err = st.StartLog(ctx, cfg)
	if errors.Is(err, store.ErrLogFork) {
		return "", fmt.Errorf("%w\n(database %s, keys directory %s; to begin a new log on purpose, use a new keys directory: "+
			"verifiers that pinned the old key will see a new log)", err, st.Redacted(), keys.Path())
	}
	if err != nil {
		return "", fmt.Errorf("%w\n(database %s, keys directory %s)", err, st.Redacted(), keys.Path())
	}
	return tlog.VerifierKey(skey)
}
