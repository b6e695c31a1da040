package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/oversight-dev/oversight/tlog"
)

// A Peer is a witness as a log is configured with it: the URL it answers
// add-checkpoint at (its submission prefix) and its verifier key.
type Peer struct {
	URL      string
	Key      string
	Verifier note.Verifier
}

// ParsePeer parses "URL+KEY", the form of serve --witness: the witness's
// http(s) URL, a '+', and its verifier key (name+hash+key).
func ParsePeer(s string) (Peer, error) {
	s = strings.TrimSpace(s)
	// The key's name has no '+', so the URL ends at the '+' after which a
	// whole key parses; try each '+' from the left, in case the URL has one.
	var lastErr error
	for i := strings.IndexByte(s, '+'); i >= 0; {
		u, key := s[:i], s[i+1:]
		if strings.Count(key, "+") < 2 {
			break
		}
		v, err := tlog.NewWitnessVerifier(key)
		if err == nil {
			pu, err := url.Parse(u)
			if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				return Peer{}, fmt.Errorf("witness %.100q: %q is not an http(s) URL", s, u)
			}
			return Peer{URL: strings.TrimSuffix(u, "/"), Key: key, Verifier: v}, nil
		}
		lastErr = err
		j := strings.IndexByte(s[i+1:], '+')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if lastErr == nil {
		lastErr = errors.New("no verifier key after the URL")
	}
	return Peer{}, fmt.Errorf("witness %.100q: want URL+KEY (the witness's URL, '+', its verifier key name+hash+key): %w", s, lastErr)
}

// ProofFunc returns the consistency proof between two sizes of the log.
type ProofFunc func(ctx context.Context, oldSize, newSize int64) ([]tlog.Hash, error)

// DefaultTimeout bounds one witness's answer to one checkpoint.
const DefaultTimeout = 5 * time.Second

// A Cosigner gets the log's checkpoints cosigned by its witnesses. It
// remembers, per witness, the size of the last checkpoint it cosigned, to
// prove consistency from there, and learns it from the witness's 409
// answer when it does not know. It is safe for concurrent use.
type Cosigner struct {
	peers   []*peer
	proof   ProofFunc
	client  *http.Client
	timeout time.Duration
	logger  *slog.Logger
}

type peer struct {
	Peer
	mu      sync.Mutex // one submission at a time per witness
	known   int64      // the size the witness last cosigned, as far as known
	lastErr string     // the last failure logged, to log each once
}

// NewCosigner returns a Cosigner for the witnesses peers; proof gives the
// log's consistency proofs. logger (nil: slog.Default()) hears of each
// witness that starts or stops cosigning.
func NewCosigner(peers []Peer, proof ProofFunc, logger *slog.Logger) *Cosigner {
	if logger == nil {
		logger = slog.Default()
	}
	c := &Cosigner{proof: proof, client: &http.Client{}, timeout: DefaultTimeout, logger: logger}
	for _, p := range peers {
		c.peers = append(c.peers, &peer{Peer: p})
	}
	return c
}

// Verifiers returns the witnesses' verifiers, in the order configured.
func (c *Cosigner) Verifiers() []note.Verifier {
	out := make([]note.Verifier, len(c.peers))
	for i, p := range c.peers {
		out[i] = p.Verifier
	}
	return out
}

// Cosign submits the signed checkpoint note msg to every witness that has
// not cosigned it yet, at once, and returns msg with the cosignatures that
// came back. The note returned is always usable; the error, if any, says
// which witnesses did not cosign, so that the caller can try again later.
func (c *Cosigner) Cosign(ctx context.Context, msg []byte) ([]byte, error) {
	text, _, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		return msg, errors.New("cosign: not a signed note")
	}
	cp, err := tlog.ParseCheckpoint(string(text) + "\n")
	if err != nil {
		return msg, fmt.Errorf("cosign: %w", err)
	}
	sigs := make([][]byte, len(c.peers))
	errs := make([]error, len(c.peers))
	var wg sync.WaitGroup
	for i, p := range c.peers {
		if have, _ := tlog.Cosignatures(msg, []note.Verifier{p.Verifier}); len(have) > 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sigs[i], errs[i] = c.submit(ctx, p, cp, msg)
		}()
	}
	wg.Wait()
	out := msg
	for i, p := range c.peers {
		if errs[i] == nil && sigs[i] != nil {
			if more, err := tlog.AddCosignatures(out, sigs[i]); err != nil {
				errs[i] = err
			} else {
				out = more
			}
		}
		p.mu.Lock()
		switch e := errs[i]; {
		case e != nil && e.Error() != p.lastErr:
			c.logger.Warn("audit log: a witness did not cosign", "witness", p.Verifier.Name(), "url", p.URL, "size", cp.Size, "err", e)
			p.lastErr = e.Error()
		case e == nil && sigs[i] != nil && p.lastErr != "":
			c.logger.Info("audit log: the witness cosigns again", "witness", p.Verifier.Name(), "size", cp.Size)
			p.lastErr = ""
		}
		p.mu.Unlock()
	}
	return out, errors.Join(errs...)
}

// submit gets one witness's cosignature of cp: it proves consistency from
// the size the witness last cosigned, learning that size from a 409.
func (c *Cosigner) submit(ctx context.Context, p *peer, cp tlog.Checkpoint, msg []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	old := p.known
	for range 3 {
		if old > cp.Size {
			return nil, fmt.Errorf("witness %s has cosigned a tree of size %d, larger than this checkpoint's %d: "+
				"this log is behind what it showed before, or it forked", p.Verifier.Name(), old, cp.Size)
		}
		req := tlog.AddCheckpoint{OldSize: old, Note: msg}
		if old > 0 && old < cp.Size {
			proof, err := c.proof(ctx, old, cp.Size)
			if err != nil {
				return nil, fmt.Errorf("witness %s: consistency proof from %d to %d: %w", p.Verifier.Name(), old, cp.Size, err)
			}
			req.Proof = proof
		}
		status, body, err := c.post(ctx, p.URL+"/add-checkpoint", req.Marshal())
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", p.Verifier.Name(), err)
		}
		switch status {
		case http.StatusOK:
			got, err := tlog.AddCosignatures(msg, body)
			if err != nil {
				return nil, fmt.Errorf("witness %s: answer: %w", p.Verifier.Name(), err)
			}
			if have, _ := tlog.Cosignatures(got, []note.Verifier{p.Verifier}); len(have) == 0 {
				return nil, fmt.Errorf("witness %s answered without a cosignature that verifies with its key", p.Verifier.Name())
			}
			p.known = cp.Size
			return body, nil
		case http.StatusConflict:
			known, err := strconv.ParseInt(strings.TrimSuffix(string(body), "\n"), 10, 64)
			if err != nil || known < 0 {
				return nil, fmt.Errorf("witness %s: 409 without a tree size: %.80q", p.Verifier.Name(), body)
			}
			if known == old {
				// Same size, another root: the witness saw another tree.
				return nil, fmt.Errorf("witness %s refused the checkpoint of size %d: it has cosigned another tree of size %d: the log forked",
					p.Verifier.Name(), cp.Size, known)
			}
			old = known
			p.known = known
		default:
			return nil, fmt.Errorf("witness %s refused the checkpoint of size %d: %d %s", p.Verifier.Name(), cp.Size, status, bytes.TrimSpace(body))
		}
	}
	return nil, fmt.Errorf("witness %s: its tree size kept changing", p.Verifier.Name())
}

// post sends an add-checkpoint body and returns the status and up to 64
// KiB of the answer.
func (c *Cosigner) post(ctx context.Context, u string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("User-Agent", "oversight-log")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxRequest))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}
