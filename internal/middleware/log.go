package middleware

import (
	"log/slog"
	"net/http"
	"time"
)

// LogRequests logs one line per request. It logs the path without the
// query string: some routes carry tokens in their parameters (and a token
// a client put in the path by mistake is cut by observe's handler).
func LogRequests(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := NewRecorder(w)
			next.ServeHTTP(rec, r)
			log.InfoContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
				"status", rec.Status(), "duration", time.Since(start).Round(time.Microsecond).String())
		})
	}
}
