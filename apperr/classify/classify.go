// Package classify is the one place an error becomes an answer: every route
// (GraphQL's presenter, /leases, the SmartMove postback, authentication, the
// websocket) asks Classify for the code, message, field and HTTP status of
// whatever error it holds, and logs the internal ones through Respond or
// LogInternal, once and redacted.
//
// It is a package of its own, not part of apperr, because it must know
// ent's error types (not found, privacy denials, validators, constraints)
// and the PostgreSQL driver's: apperr stays stdlib-only so that any package,
// ent/schema included, may import it without an import cycle through ent.
package classify

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/cards"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/privacy"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/smartmove"
)

// internalError is what the caller sees of an error that is not theirs to
// read: driver messages name tables and quote SQL.
func internalError() *apperr.Error {
	return &apperr.Error{Code: apperr.CodeInternal, Message: "internal error"}
}

// Classify returns the error a route answers err with: Code, Message and
// Field as GraphQL and HTTP bodies carry them, HTTPStatus() for HTTP. In
// order of precedence:
//
//   - the request's deadline, its client leaving, a database that does not
//     answer: TIMEOUT, CANCELLED, UNAVAILABLE (503), unless an *apperr.Error
//     in the chain already says what happened;
//   - an *apperr.Error: itself;
//   - text PostgreSQL refuses (invalid UTF-8, a NUL) that no route's
//     apperr.CheckText caught: BAD_USER_INPUT;
//   - ent's not-found and a privacy denial: NOT_FOUND (404), the same
//     answer, since not existing and not being the caller's must look alike;
//   - an ent validator's refusal: BAD_USER_INPUT naming the field;
//   - a unique or foreign-key constraint: CONFLICT (409);
//   - a partner client's error that no service translated: PARTNER_ERROR
//     (502), without the partner's words (they may quote what was sent);
//   - anything else: INTERNAL_SERVER_ERROR (500) "internal error", with
//     internal true: the caller must log err (LogInternal), once.
//
// Bad input bytes are refused where input enters, as *apperr.Error
// (apperr.CheckText), so they normally arrive here as BAD_USER_INPUT already.
func Classify(ctx context.Context, err error) (e *apperr.Error, internal bool) {
	if err == nil {
		return nil, false
	}
	if ae, ok := apperr.As(err); ok {
		return ae, false
	}
	if ue := unavailable(ctx, err); ue != nil {
		return ue, false
	}
	var (
		ve    *ent.ValidationError
		pqErr *pq.Error
	)
	switch {
	case errors.As(err, &pqErr) && (pqErr.Code == "22021" || pqErr.Code == "22P05"):
		// PostgreSQL refused a text value's bytes (character_not_in_repertoire,
		// untranslatable_character): input that slipped past apperr.CheckText
		// is still the caller's fault, not ours.
		return &apperr.Error{Code: apperr.CodeBadInput, Message: "a value is not valid UTF-8 text or holds a NUL byte"}, false
	case ent.IsNotFound(err), errors.Is(err, privacy.Deny):
		return &apperr.Error{Code: apperr.CodeNotFound, Message: "not found"}, false
	case errors.As(err, &ve):
		return &apperr.Error{Code: apperr.CodeBadInput, Message: fmt.Sprintf("%s is not valid", ve.Name), Field: []string{ve.Name}}, false
	case ent.IsConstraintError(err):
		return &apperr.Error{Code: apperr.CodeConflict, Message: "conflicts with an existing row"}, false
	}
	if pe := partner(err); pe != nil {
		return pe, false
	}
	return internalError(), true
}

// LogInternal logs an error that Classify called internal, with card-like
// numbers masked (a driver error may quote a value that was sent).
func LogInternal(ctx context.Context, log *slog.Logger, msg string, err error, attrs ...any) {
	log.ErrorContext(ctx, msg, append([]any{"error", cards.RedactNumbers(err.Error())}, attrs...)...)
}

// Respond classifies err and logs it when it is internal: what an HTTP
// route calls before writing the answer.
func Respond(ctx context.Context, log *slog.Logger, msg string, err error, attrs ...any) *apperr.Error {
	e, internal := Classify(ctx, err)
	if internal {
		LogInternal(ctx, log, msg, err, attrs...)
	}
	return e
}

// deadlineKey carries the request's deadline, for the TIMEOUT message, and
// whether an error was classified as that deadline's doing.
type deadlineKey struct{}

type deadline struct {
	d   time.Duration
	hit atomic.Bool
}

// WithDeadline marks ctx as running under a request deadline of d: the
// HTTP middleware and the websocket's per-operation deadline set it, and
// the GraphQL operation middleware reads it to not add a second one.
func WithDeadline(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, deadlineKey{}, &deadline{d: d})
}

// Deadline returns the request deadline WithDeadline recorded in ctx.
func Deadline(ctx context.Context) (time.Duration, bool) {
	dl, ok := ctx.Value(deadlineKey{}).(*deadline)
	if !ok {
		return 0, false
	}
	return dl.d, true
}

// DeadlineHit reports whether an error under ctx's request deadline was
// classified as TIMEOUT. The HTTP deadline middleware asks it when the
// handler and the deadline finish together: a GraphQL answer says TIMEOUT
// with status 200, and the route's own 503 must win over it.
func DeadlineHit(ctx context.Context) bool {
	dl, ok := ctx.Value(deadlineKey{}).(*deadline)
	return ok && dl.hit.Load()
}

// Timeout is the answer to a request cut by its deadline d.
func Timeout(d time.Duration) *apperr.Error {
	return &apperr.Error{Code: apperr.CodeTimeout, Message: fmt.Sprintf("the request did not finish within its %s deadline", d)}
}

// unavailable recognises the request's deadline, its client leaving and a
// database that does not answer. Drivers report a cancelled statement in
// their own words (lib/pq: query_canceled), so the context's own state
// decides as much as err does.
func unavailable(ctx context.Context, err error) *apperr.Error {
	var (
		pqErr  *pq.Error
		netErr net.Error
	)
	statementTimeout := errors.As(err, &pqErr) && pqErr.Code == "57014" && strings.Contains(pqErr.Message, "statement timeout")
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded), statementTimeout:
		if dl, ok := ctx.Value(deadlineKey{}).(*deadline); ok {
			dl.hit.Store(true)
			return Timeout(dl.d)
		}
		return &apperr.Error{Code: apperr.CodeTimeout, Message: "the request did not finish within its deadline"}
	case errors.Is(err, context.Canceled), errors.Is(ctx.Err(), context.Canceled):
		return &apperr.Error{Code: apperr.CodeCancelled, Message: "the client cancelled the request"}
	case (errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn)) && partner(err) == nil:
		// The connect timeout, a refused or reset connection. A partner's
		// transport error is a net.Error too, but the partner failed, not
		// our database: partner() answers it.
		return &apperr.Error{Code: apperr.CodeUnavailable, Message: "the database is unavailable; try again later"}
	}
	return nil
}

// partner recognises the SmartMove and Propexo clients' errors. Services
// translate the ones a caller can act on (screening names the input at
// fault); one that reaches a route untranslated still says whose failure it
// was and whether a retry may help, never what the partner said.
func partner(err error) *apperr.Error {
	var (
		name      string
		retryable bool
	)
	switch {
	case isPartner(err, smartmove.ErrInvalid, smartmove.ErrMalformedResponse) || asAny[*smartmove.APIError](err) || asAny[*smartmove.TransportError](err):
		name, retryable = "SmartMove", smartmove.Retryable(err)
	case isPartner(err, propexo.ErrInvalidRequest, propexo.ErrMalformedResponse) || asAny[*propexo.APIError](err) ||
		asAny[*propexo.RequestError](err) || asAny[*propexo.RateLimitError](err):
		name, retryable = "Propexo", propexo.Retryable(err)
	default:
		return nil
	}
	msg := name + " refused the request"
	if retryable {
		msg = name + " failed; retry later"
	}
	return &apperr.Error{Code: apperr.CodePartner, Message: msg, Extensions: map[string]any{"retryable": retryable}}
}

func isPartner(err error, sentinels ...error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func asAny[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}
