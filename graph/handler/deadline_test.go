package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/middleware"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// Per-request deadlines: a request whose SQL cannot finish answers TIMEOUT
// when its deadline passes, and its statement is gone from the database;
// a client that goes away stops its work the same way.

// stalledRoutes are the routes under the deadline, each made to read leases.
func stalledRoutes(e *env) map[string]func(ctx context.Context, token string) <-chan apptest.Answer {
	q, _ := json.Marshal(map[string]string{"query": `{ leases(first: 1) { totalCount edges { node { id } } } }`})
	return map[string]func(ctx context.Context, token string) <-chan apptest.Answer{
		"graphql": func(ctx context.Context, token string) <-chan apptest.Answer {
			return apptest.Send(ctx, http.MethodPost, e.srv.URL+"/graphql", token, string(q))
		},
		"leases": func(ctx context.Context, token string) <-chan apptest.Answer {
			return apptest.Send(ctx, http.MethodGet, e.srv.URL+"/leases?limit=1", token, "")
		},
	}
}

// TestRequestDeadline: with a 1 s deadline, a query whose SELECT waits on
// a lock answers 503 TIMEOUT, its statement is cancelled (gone from
// pg_stat_activity while the lock is still held), and the server then
// serves the same query.
func TestRequestDeadline(t *testing.T) {
	forEachDBSetup(t, apptest.WithRequestTimeout(time.Second), func(t *testing.T, e *env) {
		_, token := e.newClient("Alpha")
		for name, do := range stalledRoutes(e) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			s := apptest.StallLeases(t, e.Env)
			res := do(ctx, token)
			s.WaitBlocked(ctx)
			a := apptest.Await(ctx, t, res)
			if a.Err != nil || a.Status != http.StatusServiceUnavailable || a.ErrorCode() != apperr.CodeTimeout {
				t.Fatalf("%s: HTTP %d %s (%v), want 503 %s", name, a.Status, a.Body, a.Err, apperr.CodeTimeout)
			}
			if !bytes.Contains(a.Body, []byte("1s deadline")) {
				t.Fatalf("%s: the message does not name the deadline: %s", name, a.Body)
			}
			s.WaitGone(ctx)
			s.Release()
			if a := apptest.Await(ctx, t, do(ctx, token)); a.Status != http.StatusOK || a.ErrorCode() != "" {
				t.Fatalf("%s after the stall: HTTP %d %s", name, a.Status, a.Body)
			}
			cancel()
		}
		if strings.Contains(e.logs.String(), "INTERNAL") || strings.Contains(e.logs.String(), "level=ERROR") {
			t.Fatalf("a timeout was logged as an error:\n%s", e.logs)
		}
	})
}

// TestRequestCancelledByClient: a client that gives up stops the server's
// work long before the deadline (one minute here): the statement leaves
// pg_stat_activity while the lock is still held, the request ends (logged
// 499), and the server is free.
func TestRequestCancelledByClient(t *testing.T) {
	forEachDBSetup(t, apptest.WithRequestTimeout(time.Minute), func(t *testing.T, e *env) {
		_, token := e.newClient("Alpha")
		for name, do := range stalledRoutes(e) {
			// Far below the deadline: only the client's leaving can end the statement in time.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			s := apptest.StallLeases(t, e.Env)
			before := strings.Count(e.logs.String(), "status=499")
			reqCtx, giveUp := context.WithCancel(ctx)
			res := do(reqCtx, token)
			s.WaitBlocked(ctx)
			giveUp()
			if a := apptest.Await(ctx, t, res); !errors.Is(a.Err, context.Canceled) {
				t.Fatalf("%s: the client was answered: HTTP %d %s %v", name, a.Status, a.Body, a.Err)
			}
			s.WaitGone(ctx)
			apptest.Eventually(ctx, t, name+" to end with the client (logged 499)", func() bool {
				return strings.Count(e.logs.String(), "status=499") > before
			})
			s.Release()
			if a := apptest.Await(ctx, t, do(ctx, token)); a.Status != http.StatusOK {
				t.Fatalf("%s after the stall: HTTP %d %s", name, a.Status, a.Body)
			}
			cancel()
		}
	})
}

// TestWebsocketOperationDeadline: over a websocket, a query gets the
// deadline (TIMEOUT) while a subscription opened before it on the same
// socket outlives that deadline and still delivers.
func TestWebsocketOperationDeadline(t *testing.T) {
	forEachDBSetup(t, apptest.WithRequestTimeout(time.Second, apptest.WithSmartMove(smartmovetest.Options{})), func(t *testing.T, e *env) {
		sm := apptest.SmartMove(t, e.Env)
		_, token := e.ScreeningClient("Alpha")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")
		c, m := apptest.DialWS(t, e.srv.URL, map[string]any{"Authorization": "Bearer " + token})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}
		c.Subscribe("sub", app.ID)
		if st := c.NextStatus(); st != "PENDING" {
			t.Fatalf("first update %s", st)
		}

		s := apptest.StallLeases(t, e.Env)
		p, _ := json.Marshal(map[string]any{"query": `{ leases(first: 1) { totalCount } }`})
		c.Send(apptest.WSMessage{ID: "q", Type: "subscribe", Payload: p})
		m = c.Read()
		if m.ID != "q" || m.Type != "next" || !strings.Contains(string(m.Payload), `"code":"TIMEOUT"`) {
			t.Fatalf("query over the socket: %s %s %s", m.ID, m.Type, m.Payload)
		}
		if m = c.Read(); m.ID != "q" || m.Type != "complete" {
			t.Fatalf("after the timeout: %s %s %s", m.ID, m.Type, m.Payload)
		}
		s.WaitGone(c.Ctx)
		s.Release()

		// The subscription began before the query and so has lived past
		// the deadline: it must still deliver.
		if err := sm.Sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		c.WaitStatus("READY", "PENDING", "IN_PROGRESS", "READY")
	})
}

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
	graphQLTimedOut := func(w http.ResponseWriter, e *apperr.Error) { handler.WriteError(w, http.StatusServiceUnavailable, e) }
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
