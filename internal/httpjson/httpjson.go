// Package httpjson writes the HTTP routes' JSON answers: a value, or an
// error as {"error": {"code", "message"}} (GraphQL answers in its own shape).
// Every route that is not GraphQL (/leases, the postback, /healthz, the body
// limit, the registration page's failures) uses it, so the shape is one.
package httpjson

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/internal/observe"
)

// Write answers status with v in JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error answers {"error": {"code", "message", "requestId"}}: the request
// id (middleware.RequestID has set it on the response already) is what a
// caller quotes to support, who find the request's log lines by it.
func Error(w http.ResponseWriter, e *apperr.Error, status int) {
	body := map[string]string{"code": e.Code, "message": e.Message}
	if id := w.Header().Get(observe.Header); id != "" {
		body["requestId"] = id
	}
	Write(w, status, map[string]any{"error": body})
}

// Fail answers err as apperr/classify decides for every route; errors that
// are not the caller's are logged and answered 500 without detail.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := classify.Respond(r.Context(), log, "request failed", err, "path", r.URL.Path)
	Error(w, e, e.HTTPStatus())
}

// Denied answers a refusal by authentication (401) or a rate limit (429)
// with its headers (DenyHeaders).
func Denied(w http.ResponseWriter, e *apperr.Error) {
	DenyHeaders(w, e)
	Error(w, e, e.HTTPStatus())
}

// DenyHeaders adds WWW-Authenticate to a 401 and Retry-After to a 429.
func DenyHeaders(w http.ResponseWriter, e *apperr.Error) {
	if e.Code == apperr.CodeUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="leasegraph"`)
	}
	SetRetryAfter(w, e)
}

// SetRetryAfter adds Retry-After for a RATE_LIMITED error.
func SetRetryAfter(w http.ResponseWriter, e *apperr.Error) {
	if s, ok := e.RetryAfter(); ok {
		w.Header().Set("Retry-After", strconv.Itoa(s))
	}
}
