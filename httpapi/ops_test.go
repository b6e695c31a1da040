package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/httpapi"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
)

func TestOperationsEndpoints(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		path, want string
	}{
		{"/healthz", "ok"},
		{"/readyz", "ready"},
		{"/metrics", "oversight_http_requests_total"},
	} {
		code, b := e.call("", "GET", c.path, nil)
		if code != 200 || !strings.Contains(string(b), c.want) {
			t.Errorf("GET %s: %d %.200s, want 200 with %q", c.path, code, b, c.want)
		}
	}
}

// lockedBuffer is a log sink safe for concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// No token, good or bad, and no query string reaches the logs, even at
// debug level and on errors.
func TestSecretsNotLogged(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := storetest.Open(t, "sqlite")
	svc, err := service.New(t.Context(), st, service.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Logger: logger}))
	defer srv.Close()
	_, secret, err := svc.CreateUserWithToken(context.Background(), service.Operator, &oversight.User{Role: oversight.RoleDefense, Name: "d"}, &oversight.TokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, tokens: map[string]string{"good": secret, "bad": "ovt_thisisnotavalidtokenatall"}}
	e.call("good", "GET", "/v1/vendors?after=secret-cursor-value", nil)
	e.call("good", "POST", "/v1/vendors", `{"name": "x", "country": "IL", "junk": 1}`)
	e.call("bad", "GET", "/v1/licenses", nil)
	e.call("good", "GET", "/v1/licenses/lic_missing", nil)
	out := logs.String()
	if out == "" {
		t.Fatal("nothing logged; the test would prove nothing")
	}
	for _, s := range []string{secret, "ovt_thisisnotavalidtokenatall", "secret-cursor-value", "Bearer"} {
		if strings.Contains(out, s) {
			t.Errorf("logs contain %q:\n%s", s, out)
		}
	}
}
