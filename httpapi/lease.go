package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
)

// Heartbeats keep an event stream's connection busy, so that proxies do not
// close it and the agent notices a dead one: a comment line at least this
// often, and more often with short leases (a quarter of the lifetime).
const maxHeartbeat = 15 * time.Second

// eventWriteTimeout bounds each write to an event stream: a deployment
// that stops reading is cut off rather than holding the handler forever.
const eventWriteTimeout = 10 * time.Second

// routesLease registers the enforcement endpoints: the lease key, leases
// and the event stream of deployments.
func (s *Server) routesLease() {
	s.handlePublic("GET", "/v1/lease/key", s.handleLeaseKey)
	s.handleSigned("POST", "/v1/deployments/{id}/lease", s.handleIssueLease)
	s.handleSigned("GET", "/v1/deployments/{id}/events", s.handleWatchDeployment)
}

// handleLeaseKey serves GET /v1/lease/key.
func (s *Server) handleLeaseKey(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	return writeJSON(w, http.StatusOK, s.svc.LeaseKey())
}

// handleIssueLease serves POST /v1/deployments/{id}/lease.
func (s *Server) handleIssueLease(w http.ResponseWriter, r *http.Request, d *oversight.Deployment, sig *oversight.SignedRequest, body []byte) error {
	if err := sameDeployment(r, d); err != nil {
		return err
	}
	if len(body) != 0 && string(body) != "{}" {
		return oversight.Invalid("invalid lease request", "body", "must be empty or {}")
	}
	l, err := s.svc.IssueLease(r.Context(), sig)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, l)
}

// handleWatchDeployment serves GET /v1/deployments/{id}/events.
func (s *Server) handleWatchDeployment(w http.ResponseWriter, r *http.Request, d *oversight.Deployment, sig *oversight.SignedRequest, body []byte) error {
	if err := sameDeployment(r, d); err != nil {
		return err
	}
	last := int64(-1)
	if h := r.Header.Get("Last-Event-ID"); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 0 {
			return oversight.Invalid("invalid request", "Last-Event-ID", "must be the id of an event of this stream: a whole number")
		}
		last = n
	}
	watch, err := s.svc.WatchDeployment(r.Context(), sig, last)
	if err != nil {
		return err
	}
	defer watch.Close()
	return s.stream(w, r, watch)
}

// sameDeployment refuses a deployment acting for another one.
func sameDeployment(r *http.Request, d *oversight.Deployment) error {
	if id := r.PathValue("id"); id != d.ID {
		return oversight.Errorf(oversight.EFORBIDDEN, "deployment %s signed this request; it cannot act for %s", d.ID, id)
	}
	return nil
}

// stream writes a watch's events as server-sent events until the client
// goes away, the server shuts down or the watch ends, with a heartbeat
// comment in between.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, watch *service.Watch) error {
	sess, err := sse.Upgrade(w, r)
	if err != nil {
		return err
	}
	// The stream outlives the server's read and write timeouts, which are
	// meant for ordinary requests; each write gets its own deadline.
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var mu sync.Mutex // the heartbeat and the events write in turn
	send := func(m *sse.Message) error {
		mu.Lock()
		defer mu.Unlock()
		rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		if err := sess.Send(m); err != nil {
			return err
		}
		return sess.Flush()
	}
	// Open the stream at once, so that the client knows it is connected
	// before the first event, and tell it how soon to reconnect.
	hello := &sse.Message{Retry: time.Second}
	hello.AppendComment("oversight enforcement events")
	if err := send(hello); err != nil {
		return nil // the client is gone; nothing to tell it
	}
	beat := min(maxHeartbeat, s.svc.LeaseTTL()/4)
	beating := make(chan struct{})
	// The writer must not be touched once the handler has returned: wait
	// for the heartbeat to stop first.
	defer func() { cancel(); <-beating }()
	go func() {
		defer close(beating)
		t := time.NewTicker(beat)
		defer t.Stop()
		ping := &sse.Message{}
		ping.AppendComment("ping")
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if send(ping) != nil {
					cancel()
					return
				}
			}
		}
	}()
	for {
		ev, err := watch.Next(ctx)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, service.ErrFellBehind) {
				s.log.Warn("event stream ended", "err", err)
			}
			return nil // headers are sent: a problem document cannot follow
		}
		m := &sse.Message{Type: sse.Type(ev.Type)}
		if ev.ID > 0 {
			m.ID = sse.ID(strconv.FormatInt(ev.ID, 10))
		}
		b, err := json.Marshal(ev.Data)
		if err != nil {
			return err
		}
		m.AppendData(string(b))
		if err := send(m); err != nil {
			return nil
		}
	}
}
