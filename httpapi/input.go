package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/oversight-dev/oversight"
)

// params holds the names of a route's path wildcards, so that every
// request's path parameters and query are checked before its handler runs.
type params []string

// wildcards returns the names of the wildcards of a ServeMux pattern, such
// as "id" in /v1/vendors/{id} and "path" in /log/{path...}.
func wildcards(pattern string) params {
	var out params
	for rest := pattern; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, strings.TrimSuffix(rest[i+1:i+j], "..."))
		rest = rest[i+j+1:]
	}
}

// check refuses, with a 400 naming the parameter, a path parameter or a
// query parameter that is not text (oversight.TextProblem) and a query
// string that does not parse: whatever a handler reads from the URL is
// then valid UTF-8 without NUL, on every route, before any database sees
// it. (Go's own URL parser skips a malformed query pair without a word; a
// filter the caller meant would then be dropped.)
func (ps params) check(r *http.Request) error {
	for _, name := range ps {
		if msg := oversight.TextProblem(r.PathValue(name)); msg != "" {
			return oversight.Invalid("invalid path", name, "%s", msg)
		}
	}
	return checkQuery(r.URL.RawQuery)
}

// checkQuery parses a raw query string strictly, pair by pair.
func checkQuery(raw string) error {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return oversight.Invalid("invalid query", "query", "parameters are separated by &, not ;")
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return oversight.Invalid("invalid query", "query", "malformed parameter name %q: %v", k, unwrapURLError(err))
		}
		if msg := oversight.TextProblem(key); msg != "" {
			return oversight.Invalid("invalid query", "query", "a parameter name %s", msg)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return oversight.Invalid("invalid query", key, "malformed value: %v", unwrapURLError(err))
		}
		if msg := oversight.TextProblem(val); msg != "" {
			return oversight.Invalid("invalid query", key, "%s", msg)
		}
	}
	return nil
}

func unwrapURLError(err error) error {
	if e, ok := err.(*url.Error); ok {
		return e.Err
	}
	return err
}

// Listener wraps ln so that the requests Go's HTTP server refuses before
// any handler sees them (a malformed request line, such as an invalid
// %-escape or a control character in the path, or a malformed header) are
// answered with a problem document, like every other error of the API,
// instead of net/http's plain-text "400 Bad Request". Serve the API on it.
func Listener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

// problemConn rewrites net/http's own error responses on their way out.
// net/http writes each of them in a single Write, straight to the
// connection, when it gives up on a request and closes the connection:
//
//	HTTP/1.1 400 Bad Request[: text]\r\n
//	Content-Type: text/plain; charset=utf-8\r\n
//	Connection: close\r\n\r\n
//	400 Bad Request[: text]
//
// Any other response carries a Date header after its status line, so this
// exact form is never one of the API's own.
type problemConn struct{ net.Conn }

// goErrorHeaders are the headers net/http writes with its own errors.
const goErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *problemConn) Write(b []byte) (int, error) {
	if out, ok := rewriteBadRequest(b); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// CloseWrite lets net/http half-close the connection after an error, as
// it does on a bare TCP connection.
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// rewriteBadRequest returns the problem-document form of b if b is one of
// net/http's own 400 responses.
func rewriteBadRequest(b []byte) ([]byte, bool) {
	const prefix = "HTTP/1.1 400 Bad Request"
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return nil, false
	}
	status, body, ok := bytes.Cut(b[len("HTTP/1.1 "):], []byte(goErrorHeaders))
	if !ok || !bytes.Equal(status, body) {
		return nil, false
	}
	detail := "malformed request: the request line or a header is not valid HTTP (an invalid %-escape, a space or a control character in the path, a bad header)"
	if _, text, ok := bytes.Cut(body, []byte(": ")); ok {
		detail = "malformed request: " + string(text)
	}
	p := oversight.NewProblem(oversight.Errorf(oversight.EINVALID, "%s", detail))
	doc, err := json.Marshal(p)
	if err != nil {
		return nil, false
	}
	out := fmt.Appendf(nil, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n", len(doc))
	return append(out, doc...), true
}
