package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	sse "github.com/tmaxmax/go-sse"
)

// Live regions: a part of a page (a deployment's lease, the feed of
// decisions) that the server renders again and sends over server-sent
// events when it changes; console.js puts each event's HTML in place. The
// region is rendered from the database each time, so that what it shows
// is what the record says, on whichever replica the change was made.

const (
	// liveEvery is how often a live region is rendered again when nothing
	// told this replica of a change: lease renewals, decisions and changes
	// made on other replicas show within it.
	liveEvery = 2 * time.Second
	// liveFor bounds one stream; the browser's EventSource reconnects in
	// liveRetry, through the session check again, so that a stream never
	// outlives its session by more than this.
	liveFor   = 5 * time.Minute
	liveRetry = 2 * time.Second
	// liveBeat is how long a stream may stay silent before a comment keeps
	// proxies from closing it.
	liveBeat = 30 * time.Second
	// liveWriteTimeout bounds each write, the server's own write timeout
	// being meant for ordinary requests.
	liveWriteTimeout = 10 * time.Second
)

// changes wakes every live region at once when the service reports a
// licence change (a suspension, a revocation, an approval): closing the
// current channel is the broadcast.
type changes struct {
	mu sync.Mutex
	ch chan struct{}
}

func newChanges() *changes { return &changes{ch: make(chan struct{})} }

// wait returns a channel closed at the next change.
func (c *changes) wait() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch
}

// notify wakes the waiters; it never blocks, as service.Subscribe asks.
func (c *changes) notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.ch)
	c.ch = make(chan struct{})
}

// live streams a live region: render returns its HTML, which is sent at
// once and then each time it differs from what was sent last, checked at
// every licence change and every liveEvery. An error before the first
// event is the request's error (an error page, which the EventSource
// takes as the end); after it, the stream ends and the browser reconnects.
func (s *Server) live(w http.ResponseWriter, r *request, render func(ctx context.Context) ([]byte, error)) error {
	ctx, cancel := context.WithTimeout(r.Context(), liveFor)
	defer cancel()
	first, err := render(ctx)
	if err != nil {
		return err
	}
	sess, err := sse.Upgrade(w, r.Request)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	send := func(m *sse.Message) bool {
		rc.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
		return sess.Send(m) == nil && sess.Flush() == nil
	}
	m := &sse.Message{Retry: liveRetry}
	m.AppendData(string(first))
	if !send(m) {
		return nil
	}
	last, sent := first, time.Now()
	tick := time.NewTicker(liveEvery)
	defer tick.Stop()
	for {
		wake := s.changes.wait()
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick.C:
		}
		b, err := render(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("console: live region", "path", r.URL.Path, "err", err)
			}
			return nil
		}
		switch {
		case !bytes.Equal(b, last):
			m := &sse.Message{}
			m.AppendData(string(b))
			if !send(m) {
				return nil
			}
			last, sent = b, time.Now()
		case time.Since(sent) >= liveBeat:
			m := &sse.Message{}
			m.AppendComment("unchanged")
			if !send(m) {
				return nil
			}
			sent = time.Now()
		}
	}
}

// fragment renders one block of a page's template set: the part of the
// page a live region replaces.
func (s *Server) fragment(name, block string, pg *page) ([]byte, error) {
	t, ok := s.views.pages[name]
	if !ok {
		return nil, errors.New("web: no template " + name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, block, pg); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
