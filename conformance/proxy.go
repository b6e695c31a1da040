package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/oversight-dev/oversight"
)

// proxy stands between the agent and the regulator. It records every
// authorisation the agent forwards, with the regulator's answer, and can
// cut the agent off: then it drops every request and every open event
// stream, as a network that fails would.
type proxy struct {
	rp  *httputil.ReverseProxy
	srv *http.Server
	url string

	mu     sync.Mutex
	cut    bool
	gen    context.Context // cancelled when cut: ends the requests in flight
	cancel context.CancelFunc
	seen   []authSeen
	ttl    time.Duration // the longest lease lifetime the regulator gave
}

// authSeen is one authorisation request that reached the proxy.
type authSeen struct {
	at        time.Time
	operation oversight.Operation
	idHash    string
	country   string
	// status is the regulator's HTTP status; 0 when the agent was cut
	// off and got no answer.
	status   int
	decision oversight.Decision
}

// permitted reports whether the regulator permitted it.
func (a *authSeen) permitted() bool {
	return a.status == http.StatusOK && a.decision.Decision == oversight.Permit
}

// cites reports whether a deny gave code among its reasons.
func (a *authSeen) cites(code string) bool {
	for _, r := range a.decision.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

// describe says what the regulator answered.
func (a *authSeen) describe() string {
	switch {
	case a.status == 0:
		return "no answer (cut off)"
	case a.status != http.StatusOK:
		return fmt.Sprintf("HTTP %d", a.status)
	}
	s := string(a.decision.Decision)
	for i, r := range a.decision.Reasons {
		if i == 0 {
			s += " citing "
		} else {
			s += ", "
		}
		s += r.Code
	}
	return s
}

func startProxy(target string) (*proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("regulator URL: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{rp: httputil.NewSingleHostReverseProxy(u), url: "http://" + ln.Addr().String()}
	p.rp.ErrorLog = discardLog()
	p.gen, p.cancel = context.WithCancel(context.Background())
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog()}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *proxy) close() {
	p.cancel()
	p.srv.Close()
}

// setCut cuts the agent off, or lets it through again.
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		p.cancel()
		p.gen, p.cancel = context.WithCancel(context.Background())
	}
}

// leaseTTL returns the longest lease lifetime the regulator gave.
func (p *proxy) leaseTTL() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ttl
}

// since returns the authorisations seen from t on.
func (p *proxy) since(t time.Time) []authSeen {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []authSeen
	for _, a := range p.seen {
		if !a.at.Before(t) {
			out = append(out, a)
		}
	}
	return out
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	cut, gen := p.cut, p.gen
	p.mu.Unlock()
	var seen *authSeen
	if r.Method == http.MethodPost && r.URL.Path == "/v1/authorize" {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var req oversight.OperationRequest
		json.Unmarshal(body, &req)
		seen = &authSeen{at: time.Now(), operation: req.Operation, idHash: req.Target.IDHash, country: req.Target.CountryCode}
	}
	if cut {
		if seen != nil {
			p.record(*seen)
		}
		panic(http.ErrAbortHandler) // the connection drops, no answer
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(gen, cancel)()
	r = r.WithContext(ctx)
	if seen == nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/lease") {
		rec := &recorder{ResponseWriter: w}
		p.rp.ServeHTTP(rec, r)
		var l oversight.Lease
		if rec.status == http.StatusOK && json.Unmarshal(rec.body.Bytes(), &l) == nil {
			p.mu.Lock()
			p.ttl = max(p.ttl, l.ExpiresAt.Sub(l.IssuedAt))
			p.mu.Unlock()
		}
		return
	}
	if seen == nil {
		p.rp.ServeHTTP(w, r)
		return
	}
	rec := &recorder{ResponseWriter: w}
	p.rp.ServeHTTP(rec, r)
	seen.status = rec.status
	if rec.status == http.StatusOK {
		json.Unmarshal(rec.body.Bytes(), &seen.decision)
	}
	p.record(*seen)
}

func (p *proxy) record(a authSeen) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, a)
}

// recorder keeps a copy of what it writes.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// discardLog is a log.Logger for the standard library's servers, whose
// complaints about dropped connections are the kit's own doing.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
