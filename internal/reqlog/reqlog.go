// Package reqlog logs HTTP requests by their route, for the API and the
// console alike: the route pattern, the method, the status and the duration,
// never the query string, the form or a header, so that no token, target or
// applicant's name reaches the logs.
package reqlog

import (
	"log/slog"
	"net/http"
	"time"
)

// Handler wraps h so that each request is logged under msg once it is
// answered: at Error for a 5xx, at Info for a 4xx, at Debug otherwise.
// observe, if not nil, is told the request, the status and the duration
// too (for metrics).
func Handler(log *slog.Logger, msg, route string, h http.Handler, observe func(r *http.Request, status int, d time.Duration)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &Recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		status := rec.Status
		if status == 0 {
			status = http.StatusOK
		}
		d := time.Since(start)
		if observe != nil {
			observe(r, status, d)
		}
		level := slog.LevelDebug
		switch {
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelInfo
		}
		log.Log(r.Context(), level, msg, "method", r.Method, "route", route, "status", status, "duration", d)
	})
}

// Recorder is a ResponseWriter that records the status a handler wrote.
type Recorder struct {
	http.ResponseWriter
	// Status is the status written, 0 until the handler writes.
	Status int
}

// WriteHeader records code and passes it on.
func (w *Recorder) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and passes b on.
func (w *Recorder) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets server-sent events through the wrapper.
func (w *Recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *Recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
