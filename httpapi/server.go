// Package httpapi serves Oversight's HTTP API: JSON handlers over package
// service, bearer-token authentication, RFC 9457 problem documents, request
// limits, metrics, and the OpenAPI document of the whole API.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/internal/ratelimit"
	"github.com/oversight-dev/oversight/internal/reqlog"
	"github.com/oversight-dev/oversight/service"
)

// Options configure a Server. The zero value is sensible.
type Options struct {
	// MaxBody bounds a request body in bytes; larger bodies get 413. 0 means
	// 1 MiB.
	MaxBody int64
	// Logger receives one line per request; nil means slog.Default().
	Logger *slog.Logger
	// TokenLimit bounds the requests of one API token and DeploymentLimit
	// those of one deployment, on this replica; beyond them a request is
	// refused with 429 and Retry-After. Zero means DefaultTokenLimit and
	// DefaultDeploymentLimit.
	TokenLimit, DeploymentLimit RateLimit
	// ComplaintLimit bounds the requests of one client address to the
	// complaints' public routes; zero means DefaultComplaintLimit.
	ComplaintLimit RateLimit
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client a per-address limit counts (ratelimit.Addresses.Client).
	TrustedProxies []netip.Prefix
	// BatchTimeout bounds a whole screening batch; 0 means
	// DefaultBatchTimeout.
	BatchTimeout time.Duration
	// SeparateMetrics leaves GET /metrics out of the API, for serving
	// MetricsHandler on a listener of its own (serve --metrics-addr).
	SeparateMetrics bool
}

// Server is the HTTP API.
type Server struct {
	svc     *service.Service
	log     *slog.Logger
	maxBody int64
	mux     *http.ServeMux
	routes  []Route
	reg     *prometheus.Registry
	metrics *metrics
	ready   func(context.Context) error

	tokenLimits, deploymentLimits *ratelimit.Limiters
	complaintLimits               *ratelimit.Limiters
	addresses                     *ratelimit.Addresses
	batchTimeout                  time.Duration
	separateMetrics               bool
}

// Route is one endpoint: its method and path pattern as net/http writes
// them, and whether it needs a bearer token.
type Route struct {
	Method  string
	Pattern string
	Public  bool
	// Signed routes are for deployments, which sign their requests
	// (package reqsign) instead of holding a token.
	Signed bool
}

// New returns the API over svc.
func New(svc *service.Service, opts Options) *Server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{svc: svc, log: opts.Logger, maxBody: opts.MaxBody, mux: http.NewServeMux(), reg: prometheus.NewRegistry()}
	s.batchTimeout = opts.BatchTimeout
	if s.batchTimeout <= 0 {
		s.batchTimeout = DefaultBatchTimeout
	}
	s.separateMetrics = opts.SeparateMetrics
	s.tokenLimits = ratelimit.New(opts.TokenLimit.OrDefault(DefaultTokenLimit), "token")
	s.deploymentLimits = ratelimit.New(opts.DeploymentLimit.OrDefault(DefaultDeploymentLimit), "deployment")
	s.complaintLimits = ratelimit.New(opts.ComplaintLimit.OrDefault(DefaultComplaintLimit), "address")
	s.addresses = ratelimit.NewAddresses(opts.TrustedProxies...)
	s.metrics = newMetrics(s.reg)
	registerIntegrity(s.reg, svc)
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.ready = svc.Ready
	s.routesOps()
	s.routesRegistry()
	s.routesLicenses()
	s.routesActions()
	s.routesDeployments()
	s.routesLog()
	s.routesReports()
	s.routesLease()
	s.routesAuthorize()
	s.routesProtected()
	s.routesCases()
	s.routesEvidence()
	s.routesComplaints()
	s.routesScreening()
	s.routesSafeguards()
	return s
}

// Routes lists every endpoint the server serves.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Mux returns the request router, for tests that map a request to its
// route pattern.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// MetricsHandler serves the Prometheus metrics, for a listener of its own
// when Options.SeparateMetrics keeps them off the API's.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
}

// Registry returns the Prometheus registry, for other components' metrics.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// ServeHTTP makes Server an http.Handler. Requests that match no route get
// a problem document too: 405 with Allow when the path exists under other
// methods, 404 otherwise.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	var allowed []string
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.problem(w, r, oversight.Errorf(oversight.EMETHOD, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allowed, " or ")))
		return
	}
	s.problem(w, r, oversight.Errorf(oversight.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
}

// handlerFunc is an authenticated handler: it gets the caller and returns
// an error that becomes a problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error

// handle registers an authenticated route.
func (s *Server) handle(method, pattern string, h handlerFunc) {
	s.handleLimit(method, pattern, s.maxBody, h)
}

// handleLimit registers an authenticated route whose body may be up to
// maxBody bytes instead of the server's limit.
func (s *Server) handleLimit(method, pattern string, maxBody int64, h handlerFunc) {
	s.route(method, pattern, false, maxBody, func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if err := s.tokenLimits.Allow(w, p.TokenID); err != nil {
			return err
		}
		return h(w, r, p)
	})
}

// handlePublic registers a route that needs no token.
func (s *Server) handlePublic(method, pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.route(method, pattern, true, s.maxBody, h)
}

func (s *Server) route(method, pattern string, public bool, maxBody int64, h func(w http.ResponseWriter, r *http.Request) error) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Public: public})
	ps := wildcards(pattern)
	s.mux.Handle(method+" "+pattern, s.instrument(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		err := ps.check(r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.problem(w, r, err)
		}
	}))
}

// authenticate returns the principal of the request's bearer token.
func (s *Server) authenticate(r *http.Request) (*oversight.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "missing Authorization: Bearer <token>")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, oversight.Errorf(oversight.EUNAUTHORIZED, "the Authorization header must be Bearer <token>")
	}
	return s.svc.Authenticate(r.Context(), strings.TrimSpace(token))
}

// decode reads a JSON request body strictly into v.
func decode(r *http.Request, v any) error {
	if err := oversight.CheckContentType(r.Header.Get("Content-Type"), "application/json"); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return oversight.DecodeJSON(body, v)
}

// readBody reads the whole body, turning an overlong one into ETOOLARGE.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, oversight.Errorf(oversight.ETOOLARGE, "request body exceeds %d bytes", mbe.Limit)
	}
	if err != nil {
		return nil, oversight.Errorf(oversight.EINVALID, "read request body: %v", err)
	}
	return body, nil
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// page reads the limit and after query parameters.
func page(r *http.Request) (oversight.Page, error) {
	var p oversight.Page
	q := r.URL.Query()
	p.After = q.Get("after")
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return p, oversight.Invalid("invalid query", "limit", "must be a whole number from 1 to 1000")
		}
		p.Limit = n
	}
	if len(p.After) > 100 {
		return p, oversight.Invalid("invalid query", "after", "not a cursor returned by this API")
	}
	return p, nil
}

// metrics are the API's Prometheus series.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oversight_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "oversight_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// registerIntegrity exports the integrity check's counts: the mismatches
// between the stored state and the audit log found since start (any is an
// alert), and how far the log has been checked.
func registerIntegrity(reg *prometheus.Registry, svc *service.Service) {
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "oversight_integrity_mismatches_total",
		Help: "Disagreements between the stored state and the audit log found since start (edited entries, tiles, licences, deployments, operations).",
	}, func() float64 { return float64(svc.IntegrityMismatches()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "oversight_integrity_checked_entries",
		Help: "Audit log entries hashed again and checked against the log's tree since start.",
	}, func() float64 { return float64(svc.IntegrityChecked()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "oversight_integrity_pending_entries",
		Help: "Audit log entries before the verified checkpoint the check at start resumed from, until the background check has hashed them all again (then 0; 0 without a checkpoint).",
	}, func() float64 { return float64(svc.IntegrityPending()) }))
}

// instrument logs and measures every request. It logs the route pattern,
// never the query string or headers, so that no token or target reaches
// the logs.
func (s *Server) instrument(route string, h http.HandlerFunc) http.Handler {
	return reqlog.Handler(s.log, "http", route, h, func(r *http.Request, status int, d time.Duration) {
		s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
		s.metrics.latency.WithLabelValues(route, r.Method).Observe(d.Seconds())
	})
}

// routesOps registers health, readiness, metrics and the OpenAPI document.
func (s *Server) routesOps() {
	s.handlePublic("GET", "/healthz", s.handleHealthz)
	s.handlePublic("GET", "/readyz", s.handleReadyz)
	if !s.separateMetrics {
		metricsHandler := s.MetricsHandler()
		s.handlePublic("GET", "/metrics", func(w http.ResponseWriter, r *http.Request) error {
			metricsHandler.ServeHTTP(w, r)
			return nil
		})
	}
	s.handlePublic("GET", "/v1/openapi.json", s.handleOpenAPI)
}

// handleHealthz serves GET /healthz.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := io.WriteString(w, "ok\n")
	return err
}

// handleReadyz serves GET /readyz.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := s.ready(ctx)
	if oversight.ErrorCode(err) == oversight.EINTEGRITY {
		// Not ready, and why: the mismatches are logged where found.
		return oversight.Errorf(oversight.EUNAVAILABLE, "%s", oversight.ErrorMessage(err))
	}
	if err != nil {
		s.log.Warn("not ready", "err", err)
		return oversight.Errorf(oversight.EUNAVAILABLE, "database not reachable")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = io.WriteString(w, "ready\n")
	return err
}

// handleOpenAPI serves GET /v1/openapi.json.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	doc, err := OpenAPI()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err = w.Write(doc)
	return err
}
