package classify

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/privacy"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/smartmove"
)

// Every kind of error a route can hold, and the answer each one gets.
func TestClassify(t *testing.T) {
	live := context.Background()
	cut, cancelCut := context.WithTimeout(WithDeadline(live, 3*time.Second), -time.Second)
	defer cancelCut()
	left, leave := context.WithCancel(live)
	leave()
	wrapped := func(err error) error { return fmt.Errorf("loading the lease: %w", err) }
	for _, c := range []struct {
		name    string
		ctx     context.Context
		err     error
		code    string
		status  int
		message string // a part of it; "" to not check
		field   []string
		retry   any // extensions.retryable, nil when absent
	}{
		{"apperr kept", live, apperr.BadInput("input.phone", "not a phone"), apperr.CodeBadInput, 400, "not a phone", []string{"input", "phone"}, nil},
		{"apperr wrapped", live, wrapped(apperr.Forbidden("no")), apperr.CodeForbidden, 403, "no", nil, nil},
		{"apperr beats the deadline", cut, apperr.NotFound("lease"), apperr.CodeNotFound, 404, "lease not found", nil, nil},
		{"invalid input bytes", live, apperr.CheckText("status", "a\x00b"), apperr.CodeBadInput, 400, "NUL", []string{"status"}, nil},
		{"bytes PostgreSQL refuses", live, wrapped(&pq.Error{Code: "22021", Message: `invalid byte sequence for encoding "UTF8": 0xff`}), apperr.CodeBadInput, 400, "not valid UTF-8", nil, nil},
		{"NUL PostgreSQL refuses", live, &pq.Error{Code: "22P05", Message: "unsupported Unicode escape sequence"}, apperr.CodeBadInput, 400, "NUL", nil, nil},
		{"rate limited", live, apperr.RateLimited("slow down", 3), apperr.CodeRateLimited, 429, "slow down", nil, nil},
		{"ent not found", live, wrapped(&ent.NotFoundError{}), apperr.CodeNotFound, 404, "not found", nil, nil},
		{"privacy denial", live, wrapped(privacy.Denyf("viewer belongs to no client")), apperr.CodeNotFound, 404, "not found", nil, nil},
		{"ent validator", live, wrapped(&ent.ValidationError{Name: "first_name"}), apperr.CodeBadInput, 400, "first_name is not valid", []string{"first_name"}, nil},
		{"constraint", live, wrapped(&ent.ConstraintError{}), apperr.CodeConflict, 409, "conflicts", nil, nil},
		{"deadline", cut, errors.New("pq: canceling statement due to user request"), apperr.CodeTimeout, 503, "within its 3s deadline", nil, nil},
		{"deadline error without a context deadline", live, wrapped(context.DeadlineExceeded), apperr.CodeTimeout, 503, "deadline", nil, nil},
		{"statement timeout", live, &pq.Error{Code: "57014", Message: "canceling statement due to statement timeout"}, apperr.CodeTimeout, 503, "deadline", nil, nil},
		{"client left", left, errors.New("sql: statement interrupted"), apperr.CodeCancelled, apperr.StatusClientClosed, "cancelled", nil, nil},
		{"database unreachable", live, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, apperr.CodeUnavailable, 503, "unavailable", nil, nil},
		{"bad connection", live, wrapped(driver.ErrBadConn), apperr.CodeUnavailable, 503, "unavailable", nil, nil},
		{"smartmove 5xx", live, &smartmove.APIError{Endpoint: "x", Status: 502, Message: "upstream said 4111111111111111"}, apperr.CodePartner, 502, "SmartMove failed; retry later", nil, true},
		{"smartmove refusal", live, &smartmove.APIError{Endpoint: "x", Status: 400}, apperr.CodePartner, 502, "SmartMove refused", nil, false},
		{"smartmove validation", live, &smartmove.ValidationError{Field: "Applicants", Reason: "empty"}, apperr.CodePartner, 502, "SmartMove refused", nil, false},
		{"smartmove unreachable", live, &smartmove.TransportError{Endpoint: "x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, apperr.CodePartner, 502, "SmartMove failed; retry later", nil, true},
		{"propexo 503", live, wrapped(&propexo.APIError{StatusCode: 503}), apperr.CodePartner, 502, "Propexo failed; retry later", nil, true},
		{"propexo validation", live, &propexo.ValidationError{Fields: []propexo.FieldError{{Field: "city", Message: "too long"}}}, apperr.CodePartner, 502, "Propexo refused", nil, false},
		{"anything else", live, errors.New(`pq: relation "leases" does not exist`), apperr.CodeInternal, 500, "internal error", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, internal := Classify(c.ctx, c.err)
			if e.Code != c.code || e.HTTPStatus() != c.status || !strings.Contains(e.Message, c.message) || !slices.Equal(e.Field, c.field) {
				t.Fatalf("got %s %d %q field %v; want %s %d %q field %v", e.Code, e.HTTPStatus(), e.Message, e.Field, c.code, c.status, c.message, c.field)
			}
			if internal != (c.code == apperr.CodeInternal) {
				t.Fatalf("internal = %v for %s", internal, e.Code)
			}
			if got := e.Extensions["retryable"]; got != c.retry {
				t.Fatalf("retryable = %v, want %v", got, c.retry)
			}
			if strings.Contains(e.Message, "4111") || strings.Contains(e.Message, "leases") {
				t.Fatalf("the answer quotes what only the log may hold: %q", e.Message)
			}
		})
	}
	if e, internal := Classify(live, nil); e != nil || internal {
		t.Fatalf("nil error classified as %v", e)
	}
}

// Respond logs an internal error once, with card-like numbers masked, and
// logs nothing for an error that is the caller's.
func TestRespondLogsInternalOnce(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	e := Respond(context.Background(), log, "request failed", errors.New("pq: value 4111 1111 1111 1111 too long"), "path", "/leases")
	if e.Code != apperr.CodeInternal || e.HTTPStatus() != http.StatusInternalServerError {
		t.Fatalf("got %+v", e)
	}
	out := buf.String()
	if strings.Count(out, "request failed") != 1 || strings.Contains(out, "4111 1111") || !strings.Contains(out, "path=/leases") {
		t.Fatalf("log: %s", out)
	}
	buf.Reset()
	if e := Respond(context.Background(), log, "request failed", apperr.BadInput("limit", "too big")); e.Code != apperr.CodeBadInput || buf.Len() != 0 {
		t.Fatalf("got %+v, log %q", e, buf.String())
	}
}
