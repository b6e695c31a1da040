package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/oversight-dev/oversight"
)

// RateLimit bounds how fast one caller may send requests: Rate a second on
// average, in bursts of up to Burst. The zero value means the default; a
// negative Rate means no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Default rate limits, per replica: generous for people and scripts, and
// for a deployment that asks before each operation, but a bound on a
// runaway client or a stolen credential.
var (
	DefaultTokenLimit      = RateLimit{Rate: 50, Burst: 100}
	DefaultDeploymentLimit = RateLimit{Rate: 200, Burst: 400}
)

func (l RateLimit) orDefault(d RateLimit) RateLimit {
	if l.Rate == 0 {
		return d
	}
	if l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(2*l.Rate)))
	}
	return l
}

// limiters holds one token bucket per caller (a token id or a deployment
// id). Buckets idle long enough to be full again are forgotten, so that
// the map holds only the callers of the last minutes.
type limiters struct {
	limit RateLimit
	what  string // "token" or "deployment", for the message

	mu    sync.Mutex
	m     map[string]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(l RateLimit, what string) *limiters {
	return &limiters{limit: l, what: what, m: map[string]*bucket{}}
}

// sweepEvery is how often idle buckets are forgotten.
const sweepEvery = time.Minute

// allow takes one request of caller from its bucket, or returns an
// ERATELIMIT error after setting Retry-After on w: the whole seconds until
// the bucket has a request again.
func (ls *limiters) allow(w http.ResponseWriter, caller string) error {
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
