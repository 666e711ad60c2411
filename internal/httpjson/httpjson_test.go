package httpjson_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/internal/observe"
)

// errorBody decodes the one error shape every non-GraphQL route answers.
type errorBody struct {
	Error map[string]string `json:"error"`
}

func decode(t *testing.T, w *httptest.ResponseRecorder) errorBody {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var b errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	return b
}

// Write is the value answer: the status given, JSON, the value encoded.
func TestWrite(t *testing.T) {
	w := httptest.NewRecorder()
	httpjson.Write(w, http.StatusCreated, map[string]int{"count": 3})
	if w.Code != http.StatusCreated {
		t.Errorf("status = %d, want 201", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if got := strings.TrimSpace(w.Body.String()); got != `{"count":3}` {
		t.Errorf("body = %q", got)
	}
}

// The request id (set on the response by middleware.RequestID) is what a
// caller quotes to support; without one the key is left out, not "".
func TestErrorShape(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set(observe.Header, "req-42")
	httpjson.Error(w, apperr.NotFound("lease"), http.StatusNotFound)
	if w.Code != http.StatusNotFound {
		t.Errorf("status = %d, want 404", w.Code)
	}
	want := map[string]string{"code": apperr.CodeNotFound, "message": "lease not found", "requestId": "req-42"}
	if got := decode(t, w).Error; !maps.Equal(got, want) {
		t.Errorf("error = %v, want %v", got, want)
	}

	w = httptest.NewRecorder()
	httpjson.Error(w, apperr.NotFound("lease"), http.StatusNotFound)
	if _, ok := decode(t, w).Error["requestId"]; ok {
		t.Error("requestId present without a request id header")
	}
}

// Denied adds the header each refusal needs: a 401 says how to
// authenticate, a 429 when to come back; neither leaks into the other.
func TestDenied(t *testing.T) {
	for _, c := range []struct {
		name       string
		e          *apperr.Error
		status     int
		authHeader string
		retryAfter string
	}{
		{"unauthenticated", apperr.Unauthenticated("send a token"), 401, `Bearer realm="leasegraph"`, ""},
		{"rate limited", apperr.RateLimited("too many requests", 17), 429, "", "17"},
		{"forbidden", apperr.Forbidden("read-only token"), 403, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			httpjson.Denied(w, c.e)
			if w.Code != c.status {
				t.Errorf("status = %d, want %d", w.Code, c.status)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != c.authHeader {
				t.Errorf("WWW-Authenticate = %q, want %q", got, c.authHeader)
			}
			if got := w.Header().Get("Retry-After"); got != c.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, c.retryAfter)
			}
			if b := decode(t, w); b.Error["code"] != c.e.Code || b.Error["message"] != c.e.Message {
				t.Errorf("error = %v", b.Error)
			}
		})
	}
}

// Fail answers as apperr/classify decides: a caller's error with its own
// code and status, a client gone as 499, and anything else as a bare 500
// whose detail goes to the log, never to the caller.
func TestFail(t *testing.T) {
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name    string
		ctx     context.Context
		err     error
		status  int
		code    string
		message string
		logged  bool
	}{
		{"wrapped apperr", context.Background(), fmt.Errorf("loading: %w", apperr.BadInput("limit", "limit is too large")),
			400, apperr.CodeBadInput, "limit is too large", false},
		{"client gone", gone, context.Canceled, apperr.StatusClientClosed, apperr.CodeCancelled, "", false},
		{"internal", context.Background(), errors.New(`pq: relation "secret_table" does not exist`),
			500, apperr.CodeInternal, "internal error", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			r := httptest.NewRequestWithContext(c.ctx, http.MethodGet, "/leases", nil)
			w := httptest.NewRecorder()
			httpjson.Fail(w, r, log, c.err)
			if w.Code != c.status {
				t.Errorf("status = %d, want %d", w.Code, c.status)
			}
			b := decode(t, w)
			if b.Error["code"] != c.code || (c.message != "" && b.Error["message"] != c.message) {
				t.Errorf("error = %v, want code %s message %q", b.Error, c.code, c.message)
			}
			if strings.Contains(w.Body.String(), "secret_table") {
				t.Errorf("the answer leaks the internal error: %s", w.Body)
			}
			switch {
			case c.logged && !(strings.Contains(logs.String(), "secret_table") && strings.Contains(logs.String(), "path=/leases")):
				t.Errorf("the internal error and path are not logged: %q", logs.String())
			case !c.logged && logs.Len() > 0:
				t.Errorf("a caller's error was logged: %q", logs.String())
			}
		})
	}
}
