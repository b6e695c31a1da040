package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"sync"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reqsign"
)

// LeaseKey returns the public key that verifies the server's leases
// (GET /v1/lease/key; no token needed). Fetching it is trusting the
// connection: pin it where that matters.
func (c *Client) LeaseKey(ctx context.Context) (ed25519.PublicKey, error) {
	var out oversight.LeaseKey
	if err := c.Do(ctx, "GET", "/v1/lease/key", nil, &out); err != nil {
		return nil, err
	}
	if out.Algorithm != "v4.public" {
		return nil, fmt.Errorf("lease key: algorithm %q, want v4.public", out.Algorithm)
	}
	key, err := oversight.ParsePublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("lease key: %w", err)
	}
	return key, nil
}

// Deployment calls the server as one deployment: every request is signed
// with the deployment's Ed25519 key (package reqsign) instead of carrying a
// bearer token. Its fields may be changed before the first call.
type Deployment struct {
	// ID is the deployment's id (dep_…).
	ID string
	// Key is the deployment's private key.
	Key ed25519.PrivateKey
	// Now is the clock requests are signed with; nil means time.Now.
	Now func() time.Time
	// Stream is the HTTP client of event streams, which stay open; nil
	// means one without an overall timeout, sharing the transport of the
	// Client's HTTP.
	Stream *http.Client

	c Client
}

// AsDeployment returns a client that acts as deployment id with key.
func (c *Client) AsDeployment(id string, key ed25519.PrivateKey) *Deployment {
	d := &Deployment{ID: id, Key: key, c: *c}
	d.c.Token = "" // a deployment signs; it holds no token
	return d
}

func (d *Deployment) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// signed returns the signature headers of a request.
func (d *Deployment) signed(method, path string, body []byte) (http.Header, error) {
	req, err := http.NewRequest(method, d.c.BaseURL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	reqsign.Sign(req, d.ID, d.Key, body, d.now())
	return req.Header, nil
}

// do sends a signed request with a JSON body (nil for none) and decodes
// the answer into out.
func (d *Deployment) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	var r io.Reader
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		r = bytes.NewReader(body)
	}
	h, err := d.signed(method, path, body)
	if err != nil {
		return err
	}
	resp, err := d.c.send(ctx, method, path, "application/json", r, h)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Lease asks for a fresh operating lease (POST /v1/deployments/{id}/lease).
// Verify the token before relying on it (package lease).
func (d *Deployment) Lease(ctx context.Context) (*oversight.Lease, error) {
	var out oversight.Lease
	return &out, d.do(ctx, "POST", "/v1/deployments/"+url.PathEscape(d.ID)+"/lease", nil, &out)
}

// Countersign asks the regulator to countersign a safeguards report of a
// run this deployment served (POST /v1/deployments/{id}/countersign); it
// returns the report with the countersignature.
func (d *Deployment) Countersign(ctx context.Context, r *oversight.SafeguardReport) (*oversight.SafeguardReport, error) {
	var out oversight.SafeguardReport
	return &out, d.do(ctx, "POST", "/v1/deployments/"+url.PathEscape(d.ID)+"/countersign", r, &out)
}

// Authorize asks for the decision on an operation request (POST
// /v1/authorize). The request names the deployment; DeploymentID is set
// if empty.
func (d *Deployment) Authorize(ctx context.Context, r *oversight.OperationRequest) (*oversight.Decision, error) {
	if r.DeploymentID == "" {
		r.DeploymentID = d.ID
	}
	var out oversight.Decision
	return &out, d.do(ctx, "POST", "/v1/authorize", r, &out)
}

// Event is one server-sent event.
type Event struct {
	// ID is the event's id, or the last id seen before it if it has none
	// (as a browser's EventSource reports it): what to pass as
	// lastEventID when reconnecting.
	ID   string
	Type string // oversight.PushLease, PushRestrict, PushShutdown
	Data []byte
}

// ErrIdle ends an event stream on which nothing, not even a heartbeat,
// arrived for the idle time given to Events: the connection is presumed
// dead.
var ErrIdle = errors.New("event stream idle: no heartbeat from the server")

// EventStream reads a deployment's server-sent events.
type EventStream struct {
	body   io.ReadCloser
	next   func() (sse.Event, error, bool)
	stop   func()
	cancel context.CancelFunc
	idle   *idleReader
}

// Events opens the deployment's event stream (GET
// /v1/deployments/{id}/events), resuming after lastEventID if not empty.
// If no byte arrives for idle (heartbeats included), Next fails with
// ErrIdle; 0 means no limit.
func (d *Deployment) Events(ctx context.Context, lastEventID string, idle time.Duration) (*EventStream, error) {
	path := "/v1/deployments/" + url.PathEscape(d.ID) + "/events"
	h, err := d.signed("GET", path, nil)
	if err != nil {
		return nil, err
	}
	h.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		h.Set("Last-Event-ID", lastEventID)
	}
	sc := d.c
	sc.HTTP = d.Stream
	if sc.HTTP == nil {
		sc.HTTP = &http.Client{Transport: d.c.httpClient().Transport}
	}
	ctx, cancel := context.WithCancel(ctx)
	resp, err := sc.send(ctx, "GET", path, "", nil, h)
	if err != nil {
		cancel()
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("GET %s: answer is %q, not an event stream", path, ct)
	}
	s := &EventStream{body: resp.Body, cancel: cancel}
	var r io.Reader = resp.Body
	if idle > 0 {
		s.idle = newIdleReader(resp.Body, idle, cancel)
		r = s.idle
	}
	s.next, s.stop = iter.Pull2(iter.Seq2[sse.Event, error](sse.Read(r, nil)))
	return s, nil
}

// Next returns the next event. It fails with io.EOF when the server ends
// the stream, ErrIdle when the connection went quiet, and the context's
// error when it ends.
func (s *EventStream) Next() (Event, error) {
	ev, err, ok := s.next()
	if (err != nil || !ok) && s.idle != nil && s.idle.expired() {
		return Event{}, ErrIdle
	}
	if !ok {
		return Event{}, io.EOF
	}
	if err != nil {
		return Event{}, err
	}
	return Event{ID: ev.LastEventID, Type: ev.Type, Data: []byte(ev.Data)}, nil
}

// Close ends the stream.
func (s *EventStream) Close() error {
	s.cancel()
	s.stop()
	if s.idle != nil {
		s.idle.t.Stop()
	}
	return s.body.Close()
}

// idleReader cancels a stream that has been silent for too long.
type idleReader struct {
	r       io.Reader
	d       time.Duration
	t       *time.Timer
	mu      sync.Mutex
	tripped bool
}

func newIdleReader(r io.Reader, d time.Duration, cancel context.CancelFunc) *idleReader {
	ir := &idleReader{r: r, d: d}
	ir.t = time.AfterFunc(d, func() {
		ir.mu.Lock()
		ir.tripped = true
		ir.mu.Unlock()
		cancel()
	})
	return ir
}

func (ir *idleReader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	if n > 0 {
		ir.t.Reset(ir.d)
	}
	return n, err
}

func (ir *idleReader) expired() bool {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	return ir.tripped
}
