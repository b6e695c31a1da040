package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/demo"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/internal/ratelimit"
	"github.com/oversight-dev/oversight/keydir"
	"github.com/oversight-dev/oversight/keyfile"
	"github.com/oversight-dev/oversight/monitor"
	"github.com/oversight-dev/oversight/reportsign"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/web"
	"github.com/oversight-dev/oversight/witness"
)

// Where the server keeps its files unless told otherwise.
const (
	// dataDir holds the default database and keys directory, and the
	// demo's.
	dataDir = "data"
	// defaultDB is the embedded database used when --db is not given.
	defaultDB = dataDir + "/oversight.db"
	// defaultKeys is the keys directory used when --keys is not given.
	defaultKeys = dataDir + "/keys"
	// demoDB is the database "serve --demo" starts afresh each time.
	demoDB = dataDir + "/" + demo.DB
)

// ServeCmd runs the server.
type ServeCmd struct {
	Addr            string        `default:"127.0.0.1:8080" help:"Address to listen on (host:port; port 0 picks a free one)."`
	DB              string        `env:"OVERSIGHT_DB" help:"SQLite file or postgres:// URL (default ${default_db}; with --demo, ${demo_db}, recreated at each start)."`
	Keys            string        `env:"OVERSIGHT_KEYS" help:"Directory of the server's secrets: log and lease signing keys, site pepper (default data/keys; with --demo, data/demo-keys, recreated). Replicas sharing a database share it."`
	Demo            bool          `help:"Load a fictional demo data set and print one token per role."`
	Template        []string      `type:"existingfile" help:"Add a declaration template from a JSON file (repeatable)."`
	LogOrigin       string        `name:"log-origin" env:"OVERSIGHT_LOG_ORIGIN" help:"Origin naming the audit log in its checkpoints, for a new log key (default oversight.example/audit-log); it cannot change afterwards."`
	Witness         []string      `placeholder:"URL+KEY" env:"OVERSIGHT_WITNESSES" help:"A witness that cosigns the log's checkpoints (repeatable): its URL, '+', its verifier key (oversight witness serve prints both)."`
	LeaseTTL        time.Duration `name:"lease-ttl" default:"60s" help:"Lifetime of the operating leases deployments run on: a revoked licence stops a tool cut off from the server within it."`
	PermitLifetime  time.Duration `name:"permit-lifetime" default:"1h" help:"How long a permitted operation stays valid (and counts toward its licence's quota)."`
	LogLevel        string        `default:"info" enum:"debug,info,warn,error" help:"Log level: ${enum}."`
	LogFormat       string        `default:"text" enum:"text,json" help:"Log format: ${enum}."`
	MaxBody         int64         `default:"1048576" help:"Largest request body accepted, in bytes."`
	MetricsAddr     string        `name:"metrics-addr" help:"Serve GET /metrics on this address (host:port) instead of the API's, to keep it off the network the API faces."`
	TokenRate       float64       `name:"token-rate" default:"50" help:"Requests a second one API token may make on average on this replica, in bursts of twice as many; beyond, 429 with Retry-After (--token-rate=-1: no limit)."`
	DeploymentRate  float64       `name:"deployment-rate" default:"200" help:"Requests a second one deployment may make on average on this replica, in bursts of twice as many (--deployment-rate=-1: no limit)."`
	ShutdownTimeout time.Duration `default:"15s" help:"How long to wait for requests in flight on SIGTERM."`
	TrustedProxy    []string      `name:"trusted-proxy" placeholder:"CIDR" env:"OVERSIGHT_TRUSTED_PROXIES" help:"A reverse proxy in front of this server (an address or a CIDR prefix, repeatable): the public complaint forms' per-address limit counts the client its X-Forwarded-For names, not the proxy. Never a network clients can send from."`
	Origin          string        `env:"OVERSIGHT_ORIGIN" help:"Public origin of the web console, such as https://oversight.example: passkeys are bound to its host name (default http://localhost:PORT on a loopback address)."`
	IdleTimeout     time.Duration `name:"idle-timeout" default:"30m" help:"A console session unused for this long ends."`
	Rules           string        `type:"existingfile" env:"OVERSIGHT_RULES" help:"JSON file of the misuse rules' thresholds and windows, over the defaults (docs/design/MONITORING.md)."`
	MonitorInterval time.Duration `name:"monitor-interval" default:"1s" help:"How often the misuse rules read the new decisions."`
	// IntegrityInterval: the check at start reads the log from the keys
	// directory's verified checkpoint (the whole log without one); later
	// ones only what it grew, and every licence and deployment.
	IntegrityInterval time.Duration `name:"integrity-interval" default:"1m" help:"How often the stored state is checked against the audit log, after the check at start: new entries rehashed against the log's tree, every licence and deployment against its latest entry. A mismatch refuses the licence's leases and decisions and makes /readyz fail."`
}

// Help is shown by "oversight serve --help".
func (c *ServeCmd) Help() string {
	return `The default database is an embedded SQLite file; pass --db postgres://… to share one
PostgreSQL database between several replicas. Migrations run at start-up.

Examples:
  oversight serve --demo
  oversight serve --addr 0.0.0.0:8080 --db /var/lib/oversight/oversight.db
  oversight serve --db postgres://oversight@db.internal:5432/oversight`
}

// Run starts the server and blocks until ctx ends (SIGINT or SIGTERM), then
// shuts down gracefully.
func (c *ServeCmd) Run(ctx context.Context, env *Env) error {
	if c.PermitLifetime <= 0 || c.LeaseTTL <= 0 || c.MaxBody <= 0 || c.IntegrityInterval <= 0 {
		return &exitError{code: exitUsage, msg: "--permit-lifetime, --lease-ttl, --max-body and --integrity-interval must be positive"}
	}
	if c.TokenRate == 0 || c.DeploymentRate == 0 {
		return &exitError{code: exitUsage, msg: "--token-rate and --deployment-rate must not be 0: a positive rate, or negative for no limit"}
	}
	proxies, err := ratelimit.ParsePrefixes(c.TrustedProxy)
	if err != nil {
		return &exitError{code: exitUsage, msg: "--trusted-proxy: " + err.Error()}
	}
	logger := newLogger(env, c.LogLevel, c.LogFormat)
	var templates []*oversight.DeclarationTemplate
	for _, path := range c.Template {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		t, err := oversight.ParseTemplate(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		templates = append(templates, t)
	}

	var witnesses []witness.Peer
	for _, w := range c.Witness {
		p, err := witness.ParsePeer(w)
		if err != nil {
			return &exitError{code: exitUsage, msg: "--witness: " + err.Error()}
		}
		witnesses = append(witnesses, p)
	}
	// Bind first: a second server on the same address fails here, before
	// it touches a file.
	ln, err := net.Listen("tcp", c.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen: %w (is another oversight serve running? --addr picks another address)", err)
	} else if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close() // on an early return; after Serve, a no-op
	base := "http://" + ln.Addr().String()

	dsn, keysPath := c.DB, c.Keys
	if c.Demo && dsn == "" {
		// The demo starts from nothing, but never under a running demo.
		release, err := demo.Claim(dataDir)
		if errors.Is(err, demo.ErrRunning) {
			return &exitError{code: exitError1, msg: fmt.Sprintf("another \"oversight serve --demo\" is running in this directory "+
				"(it holds %s): stop it first, or start this one from another directory", filepath.Join(dataDir, demo.LockFile))}
		}
		if err != nil {
			return err
		}
		defer release()
		dsn = demoDB
		if keysPath == "" {
			keysPath = filepath.Join(dataDir, demo.Keys)
		}
	}
	if dsn == "" {
		dsn = defaultDB
	}
	if keysPath == "" {
		keysPath = defaultKeys
	}
	keys, err := keydir.Open(keysPath)
	if err != nil {
		return err
	}
	secrets, err := keys.Load(keydir.Options{LogOrigin: c.LogOrigin, DefaultLogOrigin: store.DefaultLogOrigin})
	if err != nil {
		return err
	}
	for _, f := range secrets.Created {
		logger.Info("keys directory: created a secret", "file", f)
	}

	rules := monitor.Defaults()
	if c.Rules != "" {
		b, err := os.ReadFile(c.Rules)
		if err != nil {
			return err
		}
		if rules, err = monitor.Parse(b); err != nil {
			return fmt.Errorf("--rules %s: %w", c.Rules, err)
		}
	}

	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	logKey, err := startLog(ctx, st, keys, secrets.LogKey, witnesses, logger)
	if err != nil {
		return err
	}
	svc, err := service.New(ctx, st, service.Options{Logger: logger, Templates: templates, SitePepper: secrets.SitePepper,
		LeaseKey: secrets.LeaseKey, LeaseTTL: c.LeaseTTL, ScreeningKey: secrets.ScreeningKey, PermitLifetime: c.PermitLifetime, Rules: &rules,
		Checkpoints: keys, IntegrityKey: secrets.IntegrityKey})
	if err != nil {
		return err
	}
	api := httpapi.New(svc, httpapi.Options{Logger: logger, MaxBody: c.MaxBody, SeparateMetrics: c.MetricsAddr != "",
		TokenLimit: httpapi.RateLimit{Rate: c.TokenRate}, DeploymentLimit: httpapi.RateLimit{Rate: c.DeploymentRate},
		TrustedProxies: proxies})
	origin := c.consoleOrigin(ln.Addr().(*net.TCPAddr))
	opts := web.Options{Origin: origin, Logger: logger, Demo: c.Demo, IdleTimeout: c.IdleTimeout, TrustedProxies: proxies}
	var (
		tokens []demo.Token
		links  []demo.Link
	)
	if c.Demo {
		if tokens, err = demo.Load(ctx, svc, logger); err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		if links, err = demo.SignInLinks(ctx, svc, origin, tokens); err != nil {
			return fmt.Errorf("demo sign-in links: %w", err)
		}
		// The console's demo page signs in any demo person, and a vendor
		// may attach a fixture safeguards report: the demo can be tried
		// in one browser, without the command line.
		for _, t := range tokens {
			opts.DemoPeople = append(opts.DemoPeople, web.DemoPerson{Who: t.Who, UserID: t.UserID})
		}
		opts.DemoSignIn = func(ctx context.Context, userID string) (string, error) { return demo.SignInLink(ctx, svc, userID) }
		opts.DemoReport = func(productID string) *oversight.SafeguardReport { return reportsign.Fixture(productID) }
	}
	console, err := web.New(svc, opts)
	if err != nil {
		return err
	}

	// Nothing is served before the stored state is checked against the
	// log: a licence edited behind the server's back gets no lease. From
	// the keys directory's verified checkpoint, only the entries after it
	// are read now, and RunIntegrityChecks reads those before it.
	began := time.Now()
	rep, err := svc.CheckIntegrity(ctx)
	if err != nil {
		return err
	}
	logger.Info("stored state checked against the audit log", "entries", rep.Checked, "read", rep.Read,
		"from_checkpoint", rep.FromCheckpoint, "mismatches", len(rep.New), "tainted_licenses", len(rep.Tainted),
		"took", time.Since(began).Round(time.Millisecond))

	srv := newHTTPServer(ctx, console.WithAPI(api), logger)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(httpapi.Listener(ln)) }()
	var (
		metricsSrv *http.Server
		metricsURL string
	)
	if c.MetricsAddr != "" {
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			srv.Close()
			return fmt.Errorf("listen for metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", api.MetricsHandler())
		metricsSrv = newHTTPServer(ctx, mux, logger)
		go func() { errc <- metricsSrv.Serve(mln) }()
		metricsURL = "http://" + mln.Addr().String() + "/metrics"
	}

	logger.Info("oversight serving", "addr", base, "db", st.Redacted(), "dialect", st.Dialect())
	fmt.Fprintf(env.Stdout, "Oversight listening on %s (database: %s)\n", base, st.Redacted())
	if metricsURL != "" {
		fmt.Fprintf(env.Stdout, "Metrics on %s\n", metricsURL)
	}
	fmt.Fprintf(env.Stdout, "Lease key (agents pin it with --lease-key): %s\n", svc.LeaseKey().PublicKey)
	for _, w := range witnesses {
		fmt.Fprintf(env.Stdout, "Witness: %s at %s\n", w.Verifier.Name(), w.URL)
	}
	fmt.Fprintf(env.Stdout, "Audit log verifier key: %s\n", logKey)
	fmt.Fprintf(env.Stdout, "Console: %s\n", origin)
	fmt.Fprintf(env.Stdout, "Public pages, no sign-in: %s/transparency (the report) and %s/transparency/log (the audit log)\n", origin, origin)
	if c.Demo {
		if err := printDemo(env, base, origin, svc.LeaseKey().PublicKey, tokens, links); err != nil {
			return err
		}
	} else if admins, err := svc.Users(ctx, service.Operator, oversight.RoleAdmin, oversight.Page{Limit: 1}); err == nil && len(admins.Items) == 0 {
		// A new installation: nobody can call the API yet.
		fmt.Fprintf(env.Stdout, "\nNo admin yet. Make the first, with an API token, on this machine as the server's operator:\n"+
			"  oversight user create --db %s --role admin --name \"Your Name\" --with-token\n"+
			"Other users are made the same way (oversight user create --help); README.md, \"Running it for real\", says more.\n",
			shellQuote(st.Redacted()))
	}

	jobs := startJobs(ctx, svc, logger, c.IdleTimeout)
	// The misuse rules read the decisions behind the store's cursor: every
	// replica runs them, the one holding the cursor's lease reads.
	rulesDone := make(chan struct{})
	go func() {
		defer close(rulesDone)
		svc.NewRuleMonitor(service.MonitorOptions{Interval: c.MonitorInterval}).Run(ctx)
	}()
	go svc.RunFanout(ctx) // replicas on one PostgreSQL relay enforcement pushes
	go svc.RunReport(ctx) // the transparency report counts entries as they come
	go svc.RunIntegrityChecks(ctx, c.IntegrityInterval)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if metricsSrv != nil {
		metricsSrv.Shutdown(sctx)
	}
	jobs.Wait()
	<-rulesDone
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// newHTTPServer returns the HTTP server of serve and witness serve, with
// timeouts that bound slow clients; its requests' contexts end with ctx.
func newHTTPServer(ctx context.Context, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // long streams lift it per request
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
}

// consoleOrigin is the console's public origin: --origin, or the listening
// address with localhost for a loopback one, since a passkey cannot be
// bound to an IP address.
func (c *ServeCmd) consoleOrigin(addr *net.TCPAddr) string {
	if c.Origin != "" {
		return strings.TrimSuffix(c.Origin, "/")
	}
	if addr.IP.IsLoopback() || addr.IP.IsUnspecified() {
		return fmt.Sprintf("http://localhost:%d", addr.Port)
	}
	return "http://" + addr.String()
}

func newLogger(env *Env, level, format string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(env.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(env.Stderr, opts))
}

// jobGroup waits for background jobs.
type jobGroup struct{ done chan struct{} }

func (g *jobGroup) Wait() { <-g.done }

// startJobs runs periodic work until ctx ends: expiring licences past
// their validity, and forgetting the nonces of signed requests too old to
// be replayed.
func startJobs(ctx context.Context, svc *service.Service, logger *slog.Logger, idle time.Duration) *jobGroup {
	g := &jobGroup{done: make(chan struct{})}
	go func() {
		defer close(g.done)
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			if n, err := svc.ExpireLicenses(ctx); err != nil && ctx.Err() == nil {
				logger.Error("expire licences", "err", err)
			} else if n > 0 {
				logger.Info("licences expired", "count", n)
			}
			if _, err := svc.PruneNonces(ctx); err != nil && ctx.Err() == nil {
				logger.Error("prune request nonces", "err", err)
			}
			if _, err := svc.PruneSessions(ctx, idle); err != nil && ctx.Err() == nil {
				logger.Error("prune idle console sessions", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return g
}

func printDemo(env *Env, base, origin, leaseKey string, tokens []demo.Token, links []demo.Link) error {
	exports := demo.Exports(base, leaseKey, tokens)
	file := filepath.Join(dataDir, demo.TokensFile)
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("write demo tokens: %w", err)
	}
	if err := keyfile.Replace(file, []byte(exports)); err != nil {
		return fmt.Errorf("write demo tokens: %w", err)
	}
	w := env.Stdout
	fmt.Fprintf(w, "\nDemo data loaded: 3 vendors, 6 products, 10 agencies in 8 countries, licences in every state,\nand three sites' uses of them decided (mostly permitted, some denied).\n")
	fmt.Fprintf(w, "Tokens, one per role (also in %s; in another shell: source %s):\n\n", file, file)
	for _, line := range strings.Split(strings.TrimSpace(exports), "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
	fmt.Fprintf(w, "\nThen, for example: OVERSIGHT_TOKEN=$DEFENSE oversight license list\n")
	if len(links) > 0 {
		fmt.Fprintf(w, "\nThe console: open one of these one-time sign-in links in a browser (each works once, for 24 hours):\n\n")
		for _, l := range links {
			fmt.Fprintf(w, "  %-36s %s\n", l.Who, l.URL)
		}
		fmt.Fprintf(w, "\nor %s/demo, which signs in any of them, as often as you like.\n\n", origin)
	}
	fmt.Fprintf(w, "OpenAPI document: %s/v1/openapi.json\n", base)
	return nil
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
