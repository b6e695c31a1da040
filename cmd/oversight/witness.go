package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/oversight-dev/oversight/witness"
)

// WitnessCmd runs a witness of audit logs.
type WitnessCmd struct {
	Serve WitnessServeCmd `cmd:"" help:"Run a witness: cosign the checkpoints of the logs it follows, never two that disagree."`
	Key   WitnessKeyCmd   `cmd:"" help:"Print the witness's verifier key, creating the witness on first use."`
}

// Help is shown by "oversight witness --help".
func (c *WitnessCmd) Help() string {
	return `A witness is what makes the audit log trustworthy to people who do not trust the
regulator: it remembers the latest checkpoint of each log it follows and cosigns a new
one only if the log proves it extends that one (C2SP tlog-witness, tlog-cosignature).
A log that showed one history to some readers and another to others would need a
witness to cosign both; it never does. Readers then require cosignatures by witnesses
they trust: oversight log verify --witness KEY --min-witnesses N.

Anyone independent of the regulator can run one (an NGO, a newspaper, a parliament):

  oversight witness serve --dir data/witness --name witness.ngo.example/w1 \
      --log "$(oversight log key --server https://oversight.example)" --addr 0.0.0.0:8090

It prints its verifier key; the regulator adds the witness to its server with
  oversight serve --witness https://witness.ngo.example:8090+<that key>`
}

// witnessFlags locate a witness's key and state.
type witnessFlags struct {
	Dir  string `default:"data/witness" env:"OVERSIGHT_WITNESS_DIR" help:"Directory of the witness's key (witness.key) and state (witness.db); created if missing."`
	Name string `env:"OVERSIGHT_WITNESS_NAME" help:"The witness's name in its cosignatures, a schema-less URL such as witness.ngo.example/w1; required at the first start, fixed afterwards."`
}

// WitnessServeCmd runs the witness's HTTP server.
type WitnessServeCmd struct {
	witnessFlags
	Addr            string        `default:"127.0.0.1:8090" help:"Address to listen on (host:port; port 0 picks a free one)."`
	Log             []string      `required:"" placeholder:"KEY" env:"OVERSIGHT_WITNESS_LOGS" help:"The verifier key of a log to follow (repeatable): oversight log key prints it."`
	LogLevel        string        `default:"info" enum:"debug,info,warn,error" help:"Log level: ${enum}."`
	LogFormat       string        `default:"text" enum:"text,json" help:"Log format: ${enum}."`
	ShutdownTimeout time.Duration `default:"15s" help:"How long to wait for requests in flight on SIGTERM."`
}

// Help is shown by "oversight witness serve --help".
func (c *WitnessServeCmd) Help() string {
	return `Serves POST /add-checkpoint (C2SP tlog-witness) for the logs given with --log, and
GET / with the witness's key and the latest checkpoint it cosigned for each log. A
checkpoint that does not extend the last one cosigned is refused and kept in the
database as evidence.

Examples:
  oversight witness serve --name witness.ngo.example/w1 --log "$(oversight log key --keys data/keys)"
  oversight witness serve --dir /var/lib/witness --addr 0.0.0.0:8090 --log oversight.example/audit-log+…`
}

// Run serves until ctx ends.
func (c *WitnessServeCmd) Run(ctx context.Context, env *Env) error {
	logger := newLogger(env, c.LogLevel, c.LogFormat)
	w, err := witness.Open(ctx, witness.Config{Dir: c.Dir, Name: c.Name, Logs: c.Log, Logger: logger})
	if err != nil {
		return err
	}
	defer w.Close()
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := newHTTPServer(ctx, w.Handler(), logger)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	logger.Info("witness serving", "addr", base, "name", w.Name())
	fmt.Fprintf(env.Stdout, "Oversight witness %s listening on %s\n", w.Name(), base)
	for _, l := range c.Log {
		fmt.Fprintf(env.Stdout, "Following the log %s\n", l)
	}
	fmt.Fprintf(env.Stdout, "The log's server adds it with: --witness %s+%s\n", base, w.VerifierKey())
	fmt.Fprintf(env.Stdout, "Witness verifier key: %s\n", w.VerifierKey())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// WitnessKeyCmd prints the witness's verifier key.
type WitnessKeyCmd struct {
	witnessFlags
}

// Help is shown by "oversight witness key --help".
func (c *WitnessKeyCmd) Help() string {
	return `Prints the witness's verifier key (name+hash+key, a C2SP cosignature/v1 key) alone on
one line: what readers pass to oversight log verify --witness, and what the regulator
puts after the URL in serve --witness URL+KEY. The first use creates the witness's key.

Examples:
  oversight witness key --dir data/witness --name witness.ngo.example/w1
  oversight witness key --dir data/witness`
}

// Run prints the key.
func (c *WitnessKeyCmd) Run(ctx context.Context, env *Env) error {
	w, err := witness.Open(ctx, witness.Config{Dir: c.Dir, Name: c.Name, Logs: nil, Logger: newLogger(env, "warn", "text")})
	if err != nil {
		return err
	}
	defer w.Close()
	_, err = fmt.Fprintln(env.Stdout, w.VerifierKey())
	return err
}
