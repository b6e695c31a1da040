// Package client is a typed Go client of Oversight's HTTP API. The command
// line, the enforcement agent and the tests use it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// Client calls one Oversight server. Its fields may be changed before the
// first call.
type Client struct {
	// BaseURL is the server, such as http://127.0.0.1:8080.
	BaseURL string
	// Token is the bearer token; empty for the public endpoints.
	Token string
	// HTTP is the client used; nil means one with a 30-second timeout.
	HTTP *http.Client
	// UserAgent identifies the caller in the server's logs.
	UserAgent string
}

// New returns a client of the server at baseURL acting with token.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, UserAgent: "oversight-client"}
}

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// Error is a non-2xx answer. It unwraps to the *oversight.Error the server
// reported, so that oversight.ErrorCode works on it.
type Error struct {
	Method, Path string
	Status       int
	Problem      oversight.Problem
}

func (e *Error) Error() string { return e.Unwrap().Error() }

// Unwrap returns the domain error the problem document describes.
func (e *Error) Unwrap() error {
	return &oversight.Error{Code: e.Problem.Code(), Message: e.Problem.Detail, Fields: e.Problem.Errors, State: e.Problem.CurrentState}
}

// NetError is a request that got no HTTP answer: the connection was
// refused, the host is unknown, the time ran out, or what answered does
// not speak HTTP.
type NetError struct {
	Server       string // the client's BaseURL
	Method, Path string
	Err          error
}

func (e *NetError) Error() string {
	return fmt.Sprintf("%s %s%s: %v", e.Method, e.Server, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *NetError) Unwrap() error { return e.Err }

// Do sends a request with in (if not nil) as its JSON body and decodes a
// JSON answer into out (if not nil). It is exported for endpoints that have
// no method of their own yet.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.send(ctx, method, path, "application/json", body, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if w, ok := out.(io.Writer); ok {
		_, err := io.Copy(w, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// send sends a request and returns the response if its status is 2xx, the
// decoded *Error otherwise.
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err // it would repeat the method and URL
		}
		return nil, &NetError{Server: c.BaseURL, Method: method, Path: path, Err: err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	e := &Error{Method: method, Path: path, Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(b, &e.Problem) != nil || e.Problem.Detail == "" {
		e.Problem.Detail = fmt.Sprintf("%s %s: %s", method, path, resp.Status)
		if t := strings.TrimSpace(string(b)); t != "" && len(t) < 200 {
			e.Problem.Detail += ": " + t
		}
	}
	if e.Problem.Status == 0 {
		e.Problem.Status = resp.StatusCode // not a problem document: a proxy's answer, say
	}
	return nil, e
}

// IsNotFound reports whether err is a 404.
func IsNotFound(err error) bool { return oversight.ErrorCode(err) == oversight.ENOTFOUND }

// query builds a query string from pairs of names and values, leaving out
// empty values.
func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// pagePairs returns the query parameters of a page.
func pagePairs(o oversight.Page) []string {
	l := ""
	if o.Limit > 0 {
		l = fmt.Sprint(o.Limit)
	}
	return []string{"limit", l, "after", o.After}
}
