package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// Per-request deadlines: a request whose SQL cannot finish answers TIMEOUT
// when its deadline passes, and its statement is gone from the database;
// a client that goes away stops its work the same way. The deadline's
// middleware on its own, with no app, is tested in internal/middleware.

// stalledRoutes are the routes under the deadline, each made to read leases.
func stalledRoutes(e *apptest.Env) map[string]func(ctx context.Context, token string) <-chan apptest.Answer {
	q, _ := json.Marshal(map[string]string{"query": `{ leases(first: 1) { totalCount edges { node { id } } } }`})
	return map[string]func(ctx context.Context, token string) <-chan apptest.Answer{
		"graphql": func(ctx context.Context, token string) <-chan apptest.Answer {
			return apptest.Send(ctx, http.MethodPost, e.Srv.URL+"/graphql", token, string(q))
		},
		"leases": func(ctx context.Context, token string) <-chan apptest.Answer {
			return apptest.Send(ctx, http.MethodGet, e.Srv.URL+"/leases?limit=1", token, "")
		},
	}
}

// TestRequestDeadline: with a 1 s deadline, a query whose SELECT waits on
// a lock answers 503 TIMEOUT, its statement is cancelled (gone from
// pg_stat_activity while the lock is still held), and the server then
// serves the same query.
func TestRequestDeadline(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithRequestTimeout(time.Second), func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Alpha")
		for name, do := range stalledRoutes(e) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			s := apptest.StallLeases(t, e)
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
		if strings.Contains(e.Logs.String(), "INTERNAL") || strings.Contains(e.Logs.String(), "level=ERROR") {
			t.Fatalf("a timeout was logged as an error:\n%s", e.Logs)
		}
	})
}

// TestRequestCancelledByClient: a client that gives up stops the server's
// work long before the deadline (one minute here): the statement leaves
// pg_stat_activity while the lock is still held, the request ends (logged
// 499), and the server is free.
func TestRequestCancelledByClient(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithRequestTimeout(time.Minute), func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Alpha")
		for name, do := range stalledRoutes(e) {
			// Far below the deadline: only the client's leaving can end the statement in time.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			s := apptest.StallLeases(t, e)
			before := strings.Count(e.Logs.String(), "status=499")
			reqCtx, giveUp := context.WithCancel(ctx)
			res := do(reqCtx, token)
			s.WaitBlocked(ctx)
			giveUp()
			if a := apptest.Await(ctx, t, res); !errors.Is(a.Err, context.Canceled) {
				t.Fatalf("%s: the client was answered: HTTP %d %s %v", name, a.Status, a.Body, a.Err)
			}
			s.WaitGone(ctx)
			apptest.Eventually(ctx, t, name+" to end with the client (logged 499)", func() bool {
				return strings.Count(e.Logs.String(), "status=499") > before
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
	apptest.EachDBSetup(t, apptest.WithRequestTimeout(time.Second, apptest.WithSmartMove(smartmovetest.Options{})), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Alpha")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")
		c, m := apptest.DialWS(t, e.Srv.URL, map[string]any{"Authorization": "Bearer " + token})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}
		c.Subscribe("sub", app.ID)
		if st := c.NextStatus(); st != "PENDING" {
			t.Fatalf("first update %s", st)
		}

		s := apptest.StallLeases(t, e)
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
