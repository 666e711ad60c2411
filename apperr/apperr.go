// Package apperr is the error vocabulary shared by every route: a code that
// clients branch on, a message for people, and the input field at fault.
// GraphQL turns it into extensions.code and extensions.field; HTTP routes
// into a 4xx status and {"error": {"code", "message"}}.
package apperr

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// Codes, as they appear in extensions.code and in HTTP error bodies.
const (
	CodeBadInput        = "BAD_USER_INPUT"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeInternal        = "INTERNAL_SERVER_ERROR"
	// CodePartner: a partner (SmartMove, Propexo) failed or refused the
	// call; extensions say whether a retry may help.
	CodePartner = "PARTNER_ERROR"
	// CodeRateLimited: the caller's request budget (per token, or failed
	// authentications per address) is spent; extensions.retryAfter says
	// after how many seconds to try again.
	CodeRateLimited = "RATE_LIMITED"
	// CodeTimeout: the request was cut by its deadline (HTTP 503: the
	// server, not the request, is at fault, and a retry may succeed).
	CodeTimeout = "TIMEOUT"
	// CodeUnavailable: the database did not answer (HTTP 503).
	CodeUnavailable = "UNAVAILABLE"
	// CodeCancelled: the client went away before the answer. Nobody reads
	// it, but it keeps such requests out of the error log.
	CodeCancelled = "CANCELLED"
)

// StatusClientClosed is the status of a request whose client went away
// before the answer (nginx's convention; nobody receives it).
const StatusClientClosed = 499

// Error is an error a caller can act on.
type Error struct {
	Code    string
	Message string
	// Field is the path of the input at fault, e.g. ["moving", "from"].
	Field []string
	// Extensions are extra machine-readable details (e.g. partnerStatus,
	// retryable) added to a GraphQL error's extensions beside code.
	Extensions map[string]any
}

func (e *Error) Error() string {
	if len(e.Field) > 0 {
		return strings.Join(e.Field, ".") + ": " + e.Message
	}
	return e.Message
}

// HTTPStatus is the status an HTTP route answers with for the error.
func (e *Error) HTTPStatus() int {
	switch e.Code {
	case CodeBadInput:
		return http.StatusBadRequest
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeConflict:
		return http.StatusConflict
	case CodePartner:
		return http.StatusBadGateway
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeTimeout, CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeCancelled:
		return StatusClientClosed
	}
	return http.StatusInternalServerError
}

// BadInput reports invalid input at the field path (dot-separated).
func BadInput(field, format string, args ...any) *Error {
	var path []string
	if field != "" {
		path = strings.Split(field, ".")
	}
	return &Error{Code: CodeBadInput, Message: fmt.Sprintf(format, args...), Field: path}
}

// NotFound reports a row that does not exist or is not the caller's: the two
// are never told apart.
func NotFound(what string) *Error {
	return &Error{Code: CodeNotFound, Message: what + " not found"}
}

// Forbidden reports an action the caller's token may not take.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

// Unauthenticated reports a missing, unknown or revoked token.
func Unauthenticated(msg string) *Error {
	return &Error{Code: CodeUnauthenticated, Message: msg}
}

// RateLimited reports a spent request budget; retryAfter is in whole seconds.
func RateLimited(msg string, retryAfter int) *Error {
	return &Error{Code: CodeRateLimited, Message: msg, Extensions: map[string]any{"retryAfter": retryAfter}}
}

// RetryAfter is the seconds a RATE_LIMITED error asks the caller to wait.
func (e *Error) RetryAfter() (int, bool) {
	n, ok := e.Extensions["retryAfter"].(int)
	return n, ok
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// PostgreSQL refuses a NUL byte and invalid UTF-8 in text (and SQLite would
// store them, to break every reader later), so every route refuses them
// with CheckText before a value reaches a query.

// TextProblem says what is wrong with s as text, or "" when nothing is.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "holds a NUL byte"
	}
	return ""
}

// CheckText returns a BAD_USER_INPUT error naming field (dot-separated)
// when s is not text a database can store.
func CheckText(field, s string) *Error {
	if p := TextProblem(s); p != "" {
		return BadInput(field, "%s %s", fieldName(field), p)
	}
	return nil
}

// CheckTextPath is CheckText for a field given as a path.
func CheckTextPath(path []string, s string) *Error {
	if p := TextProblem(s); p != "" {
		return &Error{Code: CodeBadInput, Message: fieldName(strings.Join(path, ".")) + " " + p, Field: slices.Clone(path)}
	}
	return nil
}

// CheckJSONText checks a JSON document as received: valid UTF-8, no NUL
// byte and no \u0000 escape (which decodes to one).
func CheckJSONText(field string, data []byte) *Error {
	switch {
	case !utf8.Valid(data):
		return BadInput(field, "%s is not valid UTF-8", fieldName(field))
	case bytes.IndexByte(data, 0) >= 0:
		return BadInput(field, "%s holds a NUL byte", fieldName(field))
	case bytes.Contains(bytes.ToLower(data), []byte(`\u0000`)):
		return BadInput(field, "%s holds a NUL character (\\u0000)", fieldName(field))
	}
	return nil
}

func fieldName(field string) string {
	if field == "" {
		return "the value"
	}
	return field
}
