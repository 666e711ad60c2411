package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/leasegraph/leasegraph/internal/observe"
)

// maxIDLength bounds an id a caller sends: it lands on every log line of
// the request, so a long one would bloat them.
const maxIDLength = 64

// RequestID gives every request an id: the caller's X-Request-Id when it is
// safe to log (at most 64 characters of letters, digits, '-', '_', '.',
// ':'), else a new random one. The id is set on the response header before
// any handler runs, so every answer, error or not, carries it.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(observe.Header)
		if !validID(id) {
			id = newID()
		}
		w.Header().Set(observe.Header, id)
		next.ServeHTTP(w, r.WithContext(observe.WithRequestID(r.Context(), id)))
	})
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
