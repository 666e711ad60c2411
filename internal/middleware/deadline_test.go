package middleware_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/middleware"
)

// The request deadline's buffered answer (middleware.Deadline) on its own,
// behind an httptest server or recorder: no app, no database.

// TestDeadlineWinsWhenBothFinish: a handler that stops at the deadline and
// answers its own TIMEOUT with status 200 (as GraphQL does) can finish
// before middleware.Deadline's goroutine is scheduled (CI saw it once under load).
// The route's 503 must still be the answer, not the handler's 200.
func TestDeadlineWinsWhenBothFinish(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		e, _ := classify.Classify(r.Context(), r.Context().Err())
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": e.Message, "extensions": map[string]any{"code": e.Code}}}})
	})
	// The handler finishes before the deadline's goroutine looks.
	hooks := middleware.DeadlineHooks{Reached: func(done <-chan struct{}) { <-done }}
	// /graphql's timeout answer (internal/app's graphQLTimedOut).
	graphQLTimedOut := func(w http.ResponseWriter, r *http.Request, e *apperr.Error) {
		handler.WriteError(w, r, http.StatusServiceUnavailable, e)
	}
	rec := httptest.NewRecorder()
	middleware.Deadline(10*time.Millisecond, graphQLTimedOut, hooks)(inner).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), apperr.CodeTimeout) {
		t.Fatalf("HTTP %d %s, want 503 %s", rec.Code, rec.Body, apperr.CodeTimeout)
	}
}

// TestBufferedAnswersStayTheirOwn: answers are held in buffers reused
// between requests (internal/bufpool). Many requests at once, each with its own
// length and byte, must each get exactly its own answer, never a byte of
// another's or of a longer answer the buffer held before.
func TestBufferedAnswersStayTheirOwn(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		c := r.URL.Query().Get("c")
		for written := 0; written < n; written += 1000 { // in writes of up to 1000 bytes, as encoders do
			_, _ = io.WriteString(w, strings.Repeat(c, min(1000, n-written)))
		}
	})
	srv := httptest.NewServer(middleware.Deadline(time.Minute, middleware.HTTPTimedOut, middleware.DeadlineHooks{})(inner))
	defer srv.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := []int{0, 1, 999, 47_000, 300_000, 12_345}[i%6] + i
			c := string(rune('a' + i%26))
			res, err := srv.Client().Get(srv.URL + "/?n=" + strconv.Itoa(n) + "&c=" + c)
			if err != nil {
				errs <- err
				return
			}
			defer func() { _ = res.Body.Close() }()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				errs <- err
				return
			}
			if want := strings.Repeat(c, n); string(body) != want {
				errs <- fmt.Errorf("request %d: %d bytes, want %d of %q; other bytes: %q", i, len(body), n, c, strings.Trim(string(body), c))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
