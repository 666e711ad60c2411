// Package observe is what an operator sees of a request: its request id
// (set by internal/middleware's RequestID, carried in the context) and the
// log lines that carry it, redacted in one place.
package observe

import "context"

// Header carries the request id both ways: a proxy's id is kept, so one id
// follows a request across services, and every answer names its own.
const Header = "X-Request-Id"

type idKey struct{}

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
