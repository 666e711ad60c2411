package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/internal/middleware"
	"github.com/leasegraph/leasegraph/internal/observe"
	"github.com/leasegraph/leasegraph/viewer"
)

// echoLen answers the length of the body it read.
var echoLen = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusTeapot)
		return
	}
	_, _ = io.WriteString(w, http.StatusText(http.StatusOK)+":"+itoa(len(b)))
})

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var out struct{ Error struct{ Code string } }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("not a JSON error: %s", body)
	}
	return out.Error.Code
}

// TestLimitBody: a declared length over the cap is refused before the
// handler runs; a chunked body is cut at the cap as it is read.
func TestLimitBody(t *testing.T) {
	h := middleware.LimitBody(echoLen)
	req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("small"))
	req.ContentLength = middleware.MaxBodyBytes + 1
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || errorCode(t, rec.Body.Bytes()) != "PAYLOAD_TOO_LARGE" {
		t.Fatalf("declared over the cap: %d %s", rec.Code, rec.Body)
	}
	chunked := httptest.NewRequest(http.MethodPost, "/x", io.LimitReader(zeros{}, middleware.MaxBodyBytes+10))
	chunked.ContentLength = -1
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, chunked)
	if rec.Code != http.StatusTeapot {
		t.Fatalf("a chunked body over the cap was read whole: %d", rec.Code)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestBodyAfterAuthentication: ConsumeBody reads at most PreAuthBody before
// authentication; ReadRest reads the rest only for a write token.
func TestBodyAfterAuthentication(t *testing.T) {
	big := bytes.Repeat([]byte("a"), middleware.PreAuthBody+100)
	as := func(scope viewer.Scope) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), &viewer.Viewer{ClientID: 1, Scopes: []viewer.Scope{scope}})))
			})
		}
	}
	for _, c := range []struct {
		scope viewer.Scope
		body  []byte
		want  int
	}{
		{viewer.ScopeRead, []byte("small"), http.StatusOK},
		{viewer.ScopeRead, big, http.StatusRequestEntityTooLarge},
		{viewer.ScopeWrite, big, http.StatusOK},
	} {
		h := middleware.ConsumeBody(as(c.scope)(middleware.ReadRest(echoLen)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(c.body)))
		if rec.Code != c.want {
			t.Fatalf("%s token, %d bytes: HTTP %d, want %d (%s)", c.scope, len(c.body), rec.Code, c.want, rec.Body)
		}
		if c.want == http.StatusOK && rec.Body.String() != "OK:"+itoa(len(c.body)) {
			t.Fatalf("%s token: the handler read %s of %d bytes", c.scope, rec.Body, len(c.body))
		}
	}
}

// TestLogRequests: one line per request with the status the handler
// answered, and the path without its query string.
func TestLogRequests(t *testing.T) {
	var logs bytes.Buffer
	h := middleware.LogRequests(slog.New(slog.NewTextHandler(&logs, nil)))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/leases?token=secret", nil))
	line := logs.String()
	if !strings.Contains(line, "status=404") || !strings.Contains(line, "path=/leases") || strings.Contains(line, "secret") {
		t.Fatalf("log line %q", line)
	}
}

// TestSecurityHeaders: API answers are never cached; every answer is
// nosniff.
func TestSecurityHeaders(t *testing.T) {
	for path, cache := range map[string]string{"/graphql": "no-store", "/leases": "no-store", "/": ""} {
		rec := httptest.NewRecorder()
		middleware.SecurityHeaders(echoLen).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Header().Get("Cache-Control") != cache || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: %v", path, rec.Header())
		}
	}
	// A GET query with a token: the caller's own cache may keep it.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/graphql?query=%7B__typename%7D", nil)
	req.Header.Set("Authorization", "Bearer t")
	middleware.SecurityHeaders(echoLen).ServeHTTP(rec, req)
	if rec.Header().Get("Cache-Control") != "private, no-cache" || rec.Header().Get("Vary") != "Authorization" {
		t.Fatalf("GET /graphql with a token: %v", rec.Header())
	}
}

// TestDeadlineAnswersOnTime: a handler that cannot stop is answered with
// the route's timeout on time; one that finishes is answered as it wrote.
func TestDeadlineAnswersOnTime(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release })
	rec := httptest.NewRecorder()
	start := time.Now()
	middleware.Deadline(20*time.Millisecond, middleware.HTTPTimedOut, middleware.DeadlineHooks{})(stuck).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/leases", nil))
	if rec.Code != http.StatusServiceUnavailable || errorCode(t, rec.Body.Bytes()) != apperr.CodeTimeout {
		t.Fatalf("stuck handler: %d %s", rec.Code, rec.Body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("answered after %s", d)
	}
	rec = httptest.NewRecorder()
	middleware.Deadline(time.Minute, middleware.HTTPTimedOut, middleware.DeadlineHooks{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Context().Deadline(); !ok {
			t.Error("the handler's context has no deadline")
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "made")
	})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/leases", nil).WithContext(context.Background()))
	if rec.Code != http.StatusCreated || rec.Body.String() != "made" {
		t.Fatalf("finished handler: %d %s", rec.Code, rec.Body)
	}
}

// TestRecorder: the status a handler set, 200 when it set none, and the
// writer beneath for http.ResponseController.
func TestRecorder(t *testing.T) {
	rec := httptest.NewRecorder()
	r := middleware.NewRecorder(rec)
	if r.Status() != http.StatusOK {
		t.Fatalf("default %d", r.Status())
	}
	r.WriteHeader(http.StatusAccepted)
	if r.Status() != http.StatusAccepted || rec.Code != http.StatusAccepted {
		t.Fatalf("recorded %d, sent %d", r.Status(), rec.Code)
	}
	if err := http.NewResponseController(r).Flush(); err != nil {
		t.Fatalf("flush through the recorder: %v", err)
	}
}

// TestRequestID: a caller's id that is safe to log is kept, anything else
// (too long, spaces or quotes that could forge a log line) is replaced; the
// answer names the id and the handler's context carries it.
func TestRequestID(t *testing.T) {
	for sent, kept := range map[string]bool{"abc-123_x.y:z": true, "": false, strings.Repeat("a", 65): false, `a"b`: false, "a b": false} {
		var inCtx string
		h := middleware.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inCtx = observe.RequestIDFrom(r.Context()) }))
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if sent != "" {
			req.Header.Set(observe.Header, sent)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get(observe.Header)
		if got == "" || got != inCtx || (got == sent) != kept {
			t.Fatalf("sent %q: answered %q, context %q", sent, got, inCtx)
		}
	}
}
