// Command tool is a small product that keeps every safeguard, for vendors
// to read and for the safeguards kit to be tried on: it runs under
// "oversight agent", asks the agent before each operation, and goes ahead
// only on a permit; it stops, with its worker, on SIGTERM. It is also its
// own kit driver. It uses nothing but the standard library: the agent's
// local endpoint is the whole interface a product needs.
//
//	tool serve [--socket PATH]          the product, under the agent
//	tool do OPERATION TYPE IDENTIFIER   the driver: one operation, exit 0 if
//	                                    the product went ahead, 1 if it refused
//
// Both meet on a unix socket: --socket, or $TOOL_SOCKET, or tool.sock in
// the kit's directory ($OVERSIGHT_KIT_DIR). The driver reads the case
// (legal basis, references) from $OVERSIGHT_KIT_CASE, as the kit gives it.
// Try it with the kit (docs/vendors.md):
//
//	go build -o bin/tool ./examples/tool
//	oversight safeguards test --product prd_… --driver 'bin/tool do' -- bin/tool serve
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "do":
		os.Exit(do(os.Args[2:]))
	case "worker":
		err = worker()
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tool:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tool serve [--socket PATH] | tool do OPERATION TYPE IDENTIFIER")
	os.Exit(2)
}

// socketPath is where the product listens for the driver.
func socketPath(flagValue string) string {
	switch {
	case flagValue != "":
		return flagValue
	case os.Getenv("TOOL_SOCKET") != "":
		return os.Getenv("TOOL_SOCKET")
	case os.Getenv("OVERSIGHT_KIT_DIR") != "":
		return filepath.Join(os.Getenv("OVERSIGHT_KIT_DIR"), "tool.sock")
	}
	return filepath.Join(os.TempDir(), "example-tool.sock")
}

// request is what the driver asks the product for.
type request struct {
	Operation string          `json:"operation"`
	Target    target          `json:"target"`
	Case      json.RawMessage `json:"case"`
}

type target struct {
	Type       string `json:"type"`
	Identifier string `json:"identifier"`
}

// answer is what the product tells the driver.
type answer struct {
	WentAhead   bool   `json:"went_ahead"`
	Why         string `json:"why,omitempty"`
	OperationID string `json:"operation_id,omitempty"`
}

// decision is the part of the agent's answer the product acts on.
type decision struct {
	Decision    string `json:"decision"`
	OperationID string `json:"operation_id"`
	Reasons     []struct {
		Code string `json:"code"`
	} `json:"reasons"`
}

// serve runs the product: a worker beside it, and the operations the
// driver asks for, each authorised first.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	sock := fs.String("socket", "", "unix socket to listen on for the driver")
	fs.Parse(args)
	agentSocket := os.Getenv("OVERSIGHT_AGENT_SOCKET")
	if agentSocket == "" {
		return errors.New("OVERSIGHT_AGENT_SOCKET is not set: run the tool under oversight agent")
	}

	// SIGTERM from the agent stops everything this product started.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)

	w, err := startWorker()
	if err != nil {
		return err
	}
	path := socketPath(*sock)
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	agent := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", agentSocket)
		}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /operate", func(rw http.ResponseWriter, r *http.Request) {
		var req request
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		d, err := authorize(r.Context(), agent, &req)
		if err != nil || d.Decision != "permit" {
			// Anything but a permit (a deny, an error, no answer): do not proceed.
			why := "denied"
			if err != nil {
				why = err.Error()
			}
			writeAnswer(rw, answer{WentAhead: false, Why: why, OperationID: d.OperationID})
			return
		}
		fmt.Printf("tool: performing %s on a %s target (authorised: %s)\n", req.Operation, req.Target.Type, d.OperationID)
		writeAnswer(rw, answer{WentAhead: true, OperationID: d.OperationID})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Printf("tool: serving on %s, worker %d\n", path, w.Process.Pid)

	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	srv.Shutdown(ctx)
	w.Process.Signal(syscall.SIGTERM)
	w.Wait()
	fmt.Println("tool: stopped")
	return nil
}

// startWorker starts the product's worker, a child in its process group.
func startWorker() (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "worker")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd, cmd.Start()
}

// worker stands for the product's background work; SIGTERM ends it.
func worker() error {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}

// authorize asks the agent for this operation on this target, with the
// case the operator gave.
func authorize(ctx context.Context, agent *http.Client, req *request) (decision, error) {
	var c map[string]any
	if len(req.Case) > 0 {
		if err := json.Unmarshal(req.Case, &c); err != nil {
			return decision{}, fmt.Errorf("case: %w", err)
		}
	}
	body := map[string]any{"operation": req.Operation, "target": req.Target}
	for k, v := range c {
		body[k] = v // legal_basis, case_ref, warrant_ref, justification
	}
	b, _ := json.Marshal(body)
	resp, err := agent.Post("http://agent/v1/authorize", "application/json", bytes.NewReader(b))
	if err != nil {
		return decision{}, fmt.Errorf("the agent cannot be reached: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return decision{}, fmt.Errorf("the agent answered %s: %s", resp.Status, bytes.TrimSpace(raw))
	}
	var d decision
	if err := json.Unmarshal(raw, &d); err != nil {
		return decision{}, fmt.Errorf("the agent's answer: %w", err)
	}
	return d, nil
}

func writeAnswer(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a)
}

// do is the driver: it asks the product for one operation and exits 0 if
// the product went ahead, 1 if it refused, 2 if it could not ask.
func do(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tool do OPERATION TYPE IDENTIFIER")
		return 2
	}
	req := request{Operation: args[0], Target: target{Type: args[1], Identifier: args[2]}, Case: json.RawMessage(os.Getenv("OVERSIGHT_KIT_CASE"))}
	if len(req.Case) == 0 {
		req.Case = nil
	}
	b, _ := json.Marshal(req)
	path := socketPath("")
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}}}
	resp, err := c.Post("http://tool/operate", "application/json", bytes.NewReader(b))
	if err != nil {
		fmt.Fprintln(os.Stderr, "tool do: the product cannot be reached:", err)
		return 2
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "tool do: the product answered %s\n", resp.Status)
		return 2
	}
	if a.WentAhead {
		fmt.Printf("went ahead (%s)\n", a.OperationID)
		return 0
	}
	fmt.Printf("refused: %s\n", a.Why)
	return 1
}
