package httpapi

import "github.com/oversight-dev/oversight/internal/ratelimit"

// RateLimit bounds how fast one caller may send requests: Rate a second on
// average, in bursts of up to Burst. The zero value means the default; a
// negative Rate means no limit.
type RateLimit = ratelimit.Limit

// Default rate limits, per replica: generous for people and scripts, and
// for a deployment that asks before each operation, but a bound on a
// runaway client or a stolen credential.
var (
	DefaultTokenLimit      = RateLimit{Rate: 50, Burst: 100}
	DefaultDeploymentLimit = RateLimit{Rate: 200, Burst: 400}
)
