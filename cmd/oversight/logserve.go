package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/oversight-dev/oversight/keydir"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/tlog"
)

// startLog starts the store's checkpoint signer with the log key skey and
// the last checkpoint kept beside it in the keys directory, and returns the
// verifier key. A database that does not extend what the key signed is
// refused.
func startLog(ctx context.Context, st *store.Store, keys *keydir.Dir, skey string, logger *slog.Logger) (string, error) {
	witness, err := keys.Checkpoint()
	if err != nil {
		return "", fmt.Errorf("audit log: %w", err)
	}
	err = st.StartLog(ctx, store.LogConfig{SignerKey: skey, Witness: witness, Publish: keys.SaveCheckpoint, Logger: logger})
	if errors.Is(err, store.ErrLogFork) {
		return "", fmt.Errorf("%w\n(database %s, keys directory %s; to begin a new log on purpose, use a new keys directory: "+
			"verifiers that pinned the old key will see a new log)", err, st.Redacted(), keys.Path())
	}
	if err != nil {
		return "", fmt.Errorf("%w\n(database %s, keys directory %s)", err, st.Redacted(), keys.Path())
	}
	return tlog.VerifierKey(skey)
}
