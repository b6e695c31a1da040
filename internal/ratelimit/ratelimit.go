// Package ratelimit holds the one rate limiter of the API and the console:
// a token bucket per caller (an API token, a deployment, or a client
// address kept only as an HMAC), in memory, forgetting callers idle long
// enough to be full again.
package ratelimit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/oversight-dev/oversight"
)

// RateLimit bounds how fast one caller may send requests: Rate a second on
// average, in bursts of up to Burst. The zero value means the default; a
// negative Rate means no limit.
type Limit struct {
	Rate  float64
	Burst int
}

// Complaints is the default limit of the complaints' public routes, per
// client address and replica, in the API and the console alike: a person
// writes a few, a script many.
var Complaints = Limit{Rate: 0.1, Burst: 10}

// OrDefault returns l, or d when l is the zero value; a missing burst is
// twice the rate.
func (l Limit) OrDefault(d Limit) Limit {
	if l.Rate == 0 {
		return d
	}
	if l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(2*l.Rate)))
	}
	return l
}

// Limiters holds one token bucket per caller (a token id or a deployment
// id). Buckets idle long enough to be full again are forgotten, so that
// the map holds only the callers of the last minutes.
type Limiters struct {
	limit Limit
	what  string // "token" or "deployment", for the message

	mu    sync.Mutex
	m     map[string]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns the limiters of callers of one kind, what ("token",
// "deployment", "address"), which the refusal names.
func New(l Limit, what string) *Limiters {
	return &Limiters{limit: l, what: what, m: map[string]*bucket{}}
}

// sweepEvery is how often idle buckets are forgotten.
const sweepEvery = time.Minute

// Allow takes one request of caller from its bucket, or returns an
// ERATELIMIT error after setting Retry-After on w: the whole seconds until
// the bucket has a request again.
func (ls *Limiters) Allow(w http.ResponseWriter, caller string) error {
	if ls == nil || ls.limit.Rate < 0 {
		return nil
	}
	now := time.Now()
	ls.mu.Lock()
	b := ls.m[caller]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(ls.limit.Rate), ls.limit.Burst)}
		ls.m[caller] = b
	}
	b.seen = now
	if now.Sub(ls.swept) > sweepEvery {
		// A bucket refills completely in Burst/Rate; one idle for longer
		// is the same as a new one.
		idle := time.Duration(float64(ls.limit.Burst)/ls.limit.Rate*float64(time.Second)) + sweepEvery
		for k, x := range ls.m {
			if now.Sub(x.seen) > idle {
				delete(ls.m, k)
			}
		}
		ls.swept = now
	}
	r := b.lim.ReserveN(now, 1)
	ls.mu.Unlock()
	delay := r.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	r.CancelAt(now)
	secs := int(math.Ceil(delay.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return oversight.Errorf(oversight.ERATELIMIT, "too many requests from this %s: at most %g a second on average, in bursts of %d; retry in %d s",
		ls.what, ls.limit.Rate, ls.limit.Burst, secs)
}

// Addresses turns client addresses into the keys of their buckets: an
// HMAC of the address under a key of the process, so that a limiter of
// anonymous callers holds no address either.
type Addresses struct {
	key     [32]byte
	trusted []netip.Prefix
}

// NewAddresses returns Addresses with a fresh random key. Requests from
// the trusted proxies are counted against the client the proxies name in
// X-Forwarded-For (see Client); with none, against the peer's address.
func NewAddresses(trusted ...netip.Prefix) *Addresses {
	a := &Addresses{trusted: trusted}
	rand.Read(a.key[:])
	return a
}

// Key returns the bucket key of r's client address.
func (a *Addresses) Key(r *http.Request) string {
	m := hmac.New(sha256.New, a.key[:])
	m.Write([]byte(a.Client(r)))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Client returns the address of r's client. Behind a reverse proxy every
// request comes from the proxy, and one bucket would hold every client: a
// request from a trusted proxy is the client's its X-Forwarded-For names,
// read from the right, the nearest address that is not itself a trusted
// proxy. The header is the client's word wherever no trusted proxy wrote
// it, so it is never read for a request from elsewhere, and a value that
// does not parse stops the reading at the last address known.
func (a *Addresses) Client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !a.isTrusted(peer) {
		return host
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for k := len(parts) - 1; k >= 0; k-- {
			addr, err := netip.ParseAddr(strings.TrimSpace(parts[k]))
			if err != nil {
				return peer.String()
			}
			addr = addr.Unmap()
			if !a.isTrusted(addr) {
				return addr.String()
			}
			peer = addr
		}
	}
	return peer.String()
}

func (a *Addresses) isTrusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range a.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads proxies' addresses, each a CIDR prefix (10.0.0.0/8)
// or one address (10.0.0.7), as oversight.ParsePrefix reads them, for
// NewAddresses; the error names the first that does not parse.
func ParsePrefixes(ss []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		p, ok := oversight.ParsePrefix(s)
		if !ok {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix (10.0.0.0/8)", s)
		}
		out = append(out, p)
	}
	return out, nil
}
