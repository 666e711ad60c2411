// Package observe is what an operator sees of a request: its request id
// and the log lines that carry it, redacted in one place.
package observe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// Header carries the request id both ways: a proxy's id is kept, so one id
// follows a request across services, and every answer names its own.
const Header = "X-Request-Id"

// maxIDLength bounds an id a caller sends: it lands on every log line of
// the request, so a long one would bloat them.
const maxIDLength = 64

type idKey struct{}

// RequestID gives every request an id: the caller's X-Request-Id when it is
// safe to log (at most 64 characters of letters, digits, '-', '_', '.',
// ':'), else a new random one. The id is set on the response header before
// any handler runs, so every answer, error or not, carries it.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if !validID(id) {
			id = newID()
		}
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
	})
}

// WithRequestID returns ctx carrying the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// RequestIDFrom returns the request id in ctx, or "" outside a request.
func RequestIDFrom(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(idKey{}).(string)
	return id
}

// validID accepts only characters that cannot forge a log line or a
// header (no spaces, quotes, control characters).
func validID(id string) bool {
	if id == "" || len(id) > maxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
