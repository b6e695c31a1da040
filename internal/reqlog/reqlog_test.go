package reqlog_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight/internal/reqlog"
)

func TestHandler(t *testing.T) {
	for _, tt := range []struct {
		name   string
		write  func(http.ResponseWriter)
		status int
		level  string
	}{
		{"implicit 200", func(w http.ResponseWriter) { w.Write([]byte("ok")) }, 200, "DEBUG"},
		{"nothing written", func(http.ResponseWriter) {}, 200, "DEBUG"},
		{"bad input", func(w http.ResponseWriter) { w.WriteHeader(400) }, 400, "INFO"},
		{"failure", func(w http.ResponseWriter) { w.WriteHeader(503); w.WriteHeader(200) }, 503, "ERROR"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			var observed int
			h := reqlog.Handler(log, "http", "GET /v1/x/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tt.write(w)
			}), func(r *http.Request, status int, d time.Duration) { observed = status })
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/x/secret-id?token=secret", nil))
			if observed != tt.status {
				t.Errorf("observed status %d, want %d", observed, tt.status)
			}
			line := buf.String()
			if !strings.Contains(line, "level="+tt.level) || !strings.Contains(line, "status="+strconv.Itoa(tt.status)) {
				t.Errorf("log line %q: want level %s and status %d", line, tt.level, tt.status)
			}
			if strings.Contains(line, "secret") {
				t.Errorf("log line %q carries the path or the query", line)
			}
		})
	}
}

// The recorder lets a handler flush server-sent events and reach the
// underlying writer.
func TestRecorderFlushes(t *testing.T) {
	rr := httptest.NewRecorder()
	rec := &reqlog.Recorder{ResponseWriter: rr}
	if err := http.NewResponseController(rec).Flush(); err != nil {
		t.Fatal(err)
	}
	if !rr.Flushed {
		t.Error("not flushed")
	}
}
