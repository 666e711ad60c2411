package apperr_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/leasegraph/leasegraph/apperr"
)

// HTTP routes answer with HTTPStatus: each code has its own status, and a
// code the switch does not know must not leak as a 2xx or 4xx.
func TestHTTPStatus(t *testing.T) {
	for _, c := range []struct {
		code string
		want int
	}{
		{apperr.CodeBadInput, http.StatusBadRequest},
		{apperr.CodeUnauthenticated, http.StatusUnauthorized},
		{apperr.CodeForbidden, http.StatusForbidden},
		{apperr.CodeNotFound, http.StatusNotFound},
		{apperr.CodeConflict, http.StatusConflict},
		{apperr.CodePartner, http.StatusBadGateway},
		{apperr.CodeRateLimited, http.StatusTooManyRequests},
		{apperr.CodeTimeout, http.StatusServiceUnavailable},
		{apperr.CodeUnavailable, http.StatusServiceUnavailable},
		{apperr.CodeCancelled, apperr.StatusClientClosed},
		{apperr.CodeInternal, http.StatusInternalServerError},
		{"SOMETHING_NEW", http.StatusInternalServerError},
		{"", http.StatusInternalServerError},
	} {
		if got := (&apperr.Error{Code: c.code}).HTTPStatus(); got != c.want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", c.code, got, c.want)
		}
	}
	if apperr.StatusClientClosed != 499 {
		t.Errorf("StatusClientClosed = %d, want nginx's 499", apperr.StatusClientClosed)
	}
}

// GraphQL's extensions.field is the path split at dots; an empty field
// names no input (nil, not [""]), and Error() prefixes the path only then.
func TestBadInput(t *testing.T) {
	e := apperr.BadInput("moving.from", "must be before %s", "moving.to")
	if e.Code != apperr.CodeBadInput || e.Message != "must be before moving.to" {
		t.Errorf("BadInput = %q %q", e.Code, e.Message)
	}
	if !slices.Equal(e.Field, []string{"moving", "from"}) {
		t.Errorf("Field = %q, want [moving from]", e.Field)
	}
	if got := e.Error(); got != "moving.from: must be before moving.to" {
		t.Errorf("Error() = %q", got)
	}

	whole := apperr.BadInput("", "the body is not JSON")
	if whole.Field != nil {
		t.Errorf("BadInput(\"\") Field = %q, want nil", whole.Field)
	}
	if got := whole.Error(); got != "the body is not JSON" {
		t.Errorf("Error() without a field = %q", got)
	}
}

// Each constructor sets the code its callers' status depends on.
func TestConstructors(t *testing.T) {
	for _, c := range []struct {
		e       *apperr.Error
		code    string
		message string
		status  int
	}{
		{apperr.Unauthenticated("the token is revoked"), apperr.CodeUnauthenticated, "the token is revoked", 401},
		{apperr.Forbidden("needs %s", "write"), apperr.CodeForbidden, "needs write", 403},
		{apperr.NotFound("lease"), apperr.CodeNotFound, "lease not found", 404},
		{apperr.RateLimited("slow down", 30), apperr.CodeRateLimited, "slow down", 429},
	} {
		if c.e.Code != c.code || c.e.Message != c.message || c.e.HTTPStatus() != c.status {
			t.Errorf("got %q %q %d, want %q %q %d", c.e.Code, c.e.Message, c.e.HTTPStatus(), c.code, c.message, c.status)
		}
	}
}

// Retry-After comes from RetryAfter: present only on a rate limit.
func TestRetryAfter(t *testing.T) {
	if n, ok := apperr.RateLimited("slow down", 30).RetryAfter(); !ok || n != 30 {
		t.Errorf("RateLimited(30).RetryAfter() = %d, %v", n, ok)
	}
	if n, ok := apperr.Unauthenticated("no").RetryAfter(); ok {
		t.Errorf("Unauthenticated.RetryAfter() = %d, true; want none", n)
	}
}

// Services wrap errors with context; routes must still find the *Error.
func TestAsWrapped(t *testing.T) {
	e := apperr.NotFound("lease")
	wrapped := fmt.Errorf("loading: %w", fmt.Errorf("query: %w", e))
	if got, ok := apperr.As(wrapped); !ok || got != e {
		t.Errorf("As(wrapped) = %v, %v; want the original", got, ok)
	}
	if got, ok := apperr.As(errors.Join(errors.New("other"), e)); !ok || got != e {
		t.Errorf("As(joined) = %v, %v; want the original", got, ok)
	}
	if !errors.Is(wrapped, e) {
		t.Error("errors.Is(wrapped, e) = false")
	}
	for _, err := range []error{nil, errors.New("plain"), fmt.Errorf("wrapped: %w", errors.New("plain"))} {
		if got, ok := apperr.As(err); ok || got != nil {
			t.Errorf("As(%v) = %v, %v; want nil, false", err, got, ok)
		}
	}
}

// PostgreSQL refuses NUL and invalid UTF-8: the checks must catch both and
// name the field, and let ordinary text (accents included) through.
func TestCheckText(t *testing.T) {
	for _, c := range []struct {
		s       string
		message string // "" when the text is fine
	}{
		{"Zoë, 3B", ""},
		{"", ""},
		{"a\x00b", "name holds a NUL byte"},
		{"a\xffb", "name is not valid UTF-8"},
	} {
		e := apperr.CheckText("name", c.s)
		switch {
		case c.message == "" && e != nil:
			t.Errorf("CheckText(%q) = %v, want nil", c.s, e)
		case c.message != "" && (e == nil || e.Code != apperr.CodeBadInput || e.Message != c.message || !slices.Equal(e.Field, []string{"name"})):
			t.Errorf("CheckText(%q) = %+v, want BAD_USER_INPUT %q on [name]", c.s, e, c.message)
		}
	}
	if e := apperr.CheckText("", "\x00"); e == nil || e.Message != "the value holds a NUL byte" {
		t.Errorf("CheckText without a field = %+v", e)
	}
}

// CheckTextPath keeps its own copy of the path: callers reuse the slice
// while walking nested input.
func TestCheckTextPath(t *testing.T) {
	path := []string{"input", "notes"}
	e := apperr.CheckTextPath(path, "\x00")
	if e == nil || e.Message != "input.notes holds a NUL byte" {
		t.Fatalf("CheckTextPath = %+v", e)
	}
	path[1] = "changed"
	if !slices.Equal(e.Field, []string{"input", "notes"}) {
		t.Errorf("Field = %q after the caller changed its slice", e.Field)
	}
	if e := apperr.CheckTextPath(path, "fine"); e != nil {
		t.Errorf("CheckTextPath(fine) = %v", e)
	}
}

// A JSON body may hide a NUL as the \u0000 escape, which decodes to one.
func TestCheckJSONText(t *testing.T) {
	for _, c := range []struct {
		data string
		bad  bool
	}{
		{`{"a":"é \u00e9"}`, false},
		{`{"a":"\u0000"}`, true},
		{"{\"a\":\"\x00\"}", true},
		{"{\"a\":\"\xff\"}", true},
	} {
		e := apperr.CheckJSONText("body", []byte(c.data))
		if (e != nil) != c.bad || (e != nil && (e.Code != apperr.CodeBadInput || !slices.Equal(e.Field, []string{"body"}))) {
			t.Errorf("CheckJSONText(%q) = %+v, want bad=%v", c.data, e, c.bad)
		}
	}
}
