package propexo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinels for errors.Is. An *APIError matches the one for its status.
var (
	ErrInvalidRequest    = errors.New("propexo: invalid request") // local validation, or HTTP 400
	ErrUnauthorized      = errors.New("propexo: unauthorized")    // 401: wrong or missing token
	ErrForbidden         = errors.New("propexo: forbidden")       // 403
	ErrNotFound          = errors.New("propexo: not found")       // 404 (Propexo documents 400 for an unknown job)
	ErrConflict          = errors.New("propexo: conflict")        // 409
	ErrRetryRefused      = errors.New("propexo: retry-write answered success: false; nothing was queued")
	ErrRateLimited       = errors.New("propexo: rate limited")       // 429, or the client holding back
	ErrServer            = errors.New("propexo: server error")       // 5xx
	ErrTimeout           = errors.New("propexo: timeout")            // no answer in time
	ErrMalformedResponse = errors.New("propexo: malformed response") // an answer the client cannot read
)

// Issue is one validation problem reported by Propexo in
// error.details.details.issues[] (docs/partners/propexo.md#errors).
type Issue struct {
	Code    string `json:"code"`
	Path    Path   `json:"path"`
	Message string `json:"message"`
}

// Path is an issue's location, e.g. ["address_1"]. Propexo's validator
// sends an array of keys and indexes; a plain dotted string is accepted too.
type Path []string

// String joins the path with dots: "address_1", "pets.0".
func (p Path) String() string { return strings.Join(p, ".") }

// UnmarshalJSON accepts ["a", 0] and "a.0".
func (p *Path) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*p = nil
		if s != "" {
			*p = strings.Split(s, ".")
		}
		return nil
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return err
	}
	out := make(Path, len(parts))
	for i, raw := range parts {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			out[i] = string(bytes.TrimSpace(raw)) // a number index
		}
	}
	*p = out
	return nil
}

// APIError is a non-2xx answer from Propexo.
type APIError struct {
	StatusCode int
	Code       string // error.code, "" when the body was not Propexo's shape
	Message    string // error.message, with the token scrubbed
	Issues     []Issue
	// RetryAfter is how long to wait before the next request, set on 429
	// from Retry-After (or the rate window when the header is missing).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "propexo: HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	for _, is := range e.Issues {
		fmt.Fprintf(&b, "; %s: %s", is.Path, is.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Is maps the status to its sentinel.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	case ErrTimeout:
		return e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusGatewayTimeout
	}
	return false
}

// RateLimitError is the client declining to send because the rate limit
// would make it wait longer than allowed (Config.MaxWait or the context's
// deadline). Nothing was sent.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("propexo: rate limited: not sending, retry after %s", e.RetryAfter)
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// RequestError is a request that got no usable HTTP answer: a network
// failure, a timeout, or a body that could not be read.
type RequestError struct {
	Method, Path string
	StatusCode   int // the status when a body was unreadable, else 0
	Err          error
	timeout      bool
}

func (e *RequestError) Error() string {
	s := "propexo: " + e.Method + " " + e.Path + ": "
	if e.StatusCode != 0 {
		s += fmt.Sprintf("HTTP %d: ", e.StatusCode)
	}
	// The sentinels carry the package prefix already.
	return s + strings.TrimPrefix(e.Err.Error(), "propexo: ")
}

func (e *RequestError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTimeout) true for timeouts of any origin.
func (e *RequestError) Is(target error) bool { return target == ErrTimeout && e.timeout }

// Retryable reports whether sending the same request later may succeed:
// 429, 5xx, 408, timeouts, network failures and unreadable answers. A caller
// cancelling its own context is not retryable, nor is any 4xx.
func Retryable(err error) bool {
	var apiErr *APIError
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrRateLimited), errors.Is(err, ErrServer), errors.Is(err, ErrTimeout):
		return true
	case errors.As(err, &apiErr):
		return false
	case errors.Is(err, context.Canceled):
		return false
	}
	var reqErr *RequestError
	return errors.As(err, &reqErr)
}

// MaybeApplied reports whether a failed write may nevertheless have been
// accepted by Propexo: the request may have arrived and only the answer got
// lost (5xx, timeout, network failure, unreadable 2xx body). Retrying such a
// create blindly can create the prospect twice.
func MaybeApplied(err error) bool {
	var apiErr *APIError
	var reqErr *RequestError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusRequestTimeout
	case errors.As(err, &reqErr):
		return !errors.Is(reqErr.Err, errNotSent)
	}
	return false
}

// errNotSent marks a RequestError raised before the request left (a bad
// URL, a caller context already done).
var errNotSent = errors.New("request not sent")

// RetryAfter says whether err is Propexo's rate limit (a 429, or the
// client holding a request back: ErrRateLimited) and how long to wait
// before the next request. Such an error is a wait, not a failure: the
// same request goes through once it has passed. A limit that names no wait
// (Retry-After: 0) is waited a second, never retried at once.
func RetryAfter(err error) (time.Duration, bool) {
	if !errors.Is(err, ErrRateLimited) {
		return 0, false
	}
	var d time.Duration
	var apiErr *APIError
	var rl *RateLimitError
	switch {
	case errors.As(err, &rl):
		d = rl.RetryAfter
	case errors.As(err, &apiErr):
		d = apiErr.RetryAfter
	}
	if d <= 0 {
		d = time.Second
	}
	return d, true
}
