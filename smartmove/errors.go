package smartmove

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Sentinels for errors.Is. An *APIError matches the one for its status; a
// *TransportError matches ErrTimeout when it timed out.
var (
	ErrBadRequest        = errors.New("smartmove: bad request")
	ErrUnauthorized      = errors.New("smartmove: unauthorized")
	ErrForbidden         = errors.New("smartmove: forbidden")
	ErrNotFound          = errors.New("smartmove: not found")
	ErrRateLimited       = errors.New("smartmove: rate limited")
	ErrServer            = errors.New("smartmove: server error")
	ErrTimeout           = errors.New("smartmove: timeout")
	ErrMalformedResponse = errors.New("smartmove: malformed response")
	// ErrInvalid matches every *ValidationError.
	ErrInvalid = errors.New("smartmove: invalid request")
)

// APIError is a non-2xx answer from SmartMove.
type APIError struct {
	Endpoint string // e.g. "application/details"
	Status   int    // HTTP status
	// Message is the partner's {"Message": ...}, or the start of a body that
	// was not in that shape. The client scrubs the API key out of it.
	Message string
	// RetryAfter is the parsed Retry-After header (429, 503), zero if absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("smartmove: %s: HTTP %d", e.Endpoint, e.Status)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Unwrap gives the sentinel for the status, so errors.Is(err, ErrNotFound)
// works without a type assertion.
func (e *APIError) Unwrap() error {
	switch {
	case e.Status == http.StatusBadRequest:
		return ErrBadRequest
	case e.Status == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.Status == http.StatusForbidden:
		return ErrForbidden
	case e.Status == http.StatusNotFound:
		return ErrNotFound
	case e.Status == http.StatusTooManyRequests:
		return ErrRateLimited
	case e.Status >= 500:
		return ErrServer
	}
	return nil
}

// Temporary reports whether the same request may succeed later: 429 and 5xx.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// TransportError is a request that got no HTTP answer: a timeout, a refused
// connection, a canceled context.
type TransportError struct {
	Endpoint string
	Err      error
}

func (e *TransportError) Error() string { return "smartmove: " + e.Endpoint + ": " + e.Err.Error() }

func (e *TransportError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTimeout) true for every kind of timeout.
func (e *TransportError) Is(target error) bool { return target == ErrTimeout && e.Timeout() }

// Timeout reports whether the request ran out of time (client timeout,
// context deadline or network timeout).
func (e *TransportError) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// Temporary is true unless the caller canceled: a timeout or a broken
// connection may succeed on another try.
func (e *TransportError) Temporary() bool { return !errors.Is(e.Err, context.Canceled) || e.Timeout() }

// Retryable reports whether err is a failure that another attempt may cure:
// 429, 5xx, timeouts and connection failures. Validation errors, 4xx and
// malformed responses are not. For a create, "retryable" does not mean
// "did not happen": retry it only behind an idempotency record.
func Retryable(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// parseRetryAfter reads delta-seconds or an HTTP date; zero when absent or
// unparsable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
