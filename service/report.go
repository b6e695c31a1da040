package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/report"
	"github.com/oversight-dev/oversight/store"
)

// reportBatch is how many entries the report reads from the database at
// a time while it catches up with the log.
const reportBatch = 10_000

// transparency keeps the transparency report's counts, up to the latest
// checkpoint the service served: each entry is read and counted once, as
// it is appended, never per request.
type transparency struct {
	mu sync.Mutex
	b  *report.Builder
}

// TransparencyReport returns the public transparency report of the days
// from to to (both included; zero for the log's first or last day), as of
// the latest checkpoint, which it names: computed from that checkpoint's
// entries alone, as anyone can recompute it from the log (oversight
// report). It reads only the entries appended since the last call.
func (l *AuditLog) TransparencyReport(ctx context.Context, from, to time.Time) (*report.Report, error) {
	s := l.s
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return nil, oversight.Invalid("invalid to", "to", "must be on or after from (%s)", from.Format(report.DateLayout))
	}
	t := &s.report
	t.mu.Lock()
	defer t.mu.Unlock()
	sc, err := s.countReport(ctx)
	if err != nil {
		return nil, err
	}
	return t.b.Report(report.Checkpoint{Origin: sc.Origin, Size: sc.Size, Root: sc.Root.String()}, from, to)
}

// RunReport keeps the transparency report's counts up with the log until
// ctx ends, so that a request finds at most a second of entries to count.
func (l *AuditLog) RunReport(ctx context.Context) {
	s := l.s
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastErr string
	for {
		s.report.mu.Lock()
		_, err := s.countReport(ctx)
		s.report.mu.Unlock()
		if err != nil && ctx.Err() == nil && err.Error() != lastErr {
			s.log.Error("transparency report", "err", err)
			lastErr = err.Error()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// countReport counts the entries up to the latest checkpoint and returns it.
// s.report.mu is held.
func (l *AuditLog) countReport(ctx context.Context) (*store.SignedCheckpoint, error) {
	s := l.s
	t := &s.report
	sc, err := s.LogCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	if t.b == nil {
		t.b = report.NewBuilder()
	}
	if t.b.Size() > sc.Size {
		// Another replica's checkpoint, or one older than what was counted.
		return nil, fmt.Errorf("transparency report: %d entries counted, the checkpoint has %d", t.b.Size(), sc.Size)
	}
	for t.b.Size() < sc.Size {
		start := t.b.Size()
		end := min(sc.Size, start+reportBatch)
		var entries [][]byte
		if err := s.view(ctx, func(tx *store.Tx) (err error) { entries, err = tx.Entries(start, end); return err }); err != nil {
			return nil, fmt.Errorf("transparency report: %w", err)
		}
		if int64(len(entries)) != end-start {
			return nil, fmt.Errorf("transparency report: %d of the entries [%d, %d) are stored", len(entries), start, end)
		}
		for i, e := range entries {
			if err := t.b.Add(start+int64(i), e); err != nil {
				return nil, fmt.Errorf("transparency report: %w", err)
			}
		}
	}
	return sc, nil
}
