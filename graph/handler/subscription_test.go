package handler_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// The screeningApplicationUpdated subscription over graphql-transport-ws.

func TestScreeningSubscription(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Alpha")
		_, bToken := e.ScreeningClient("Beta")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")

		// Authentication happens at connection_init.
		for _, c := range []struct {
			name    string
			payload any
		}{
			{"no token", map[string]any{}},
			{"unknown token", map[string]any{"Authorization": "Bearer lg_" + strings.Repeat("a", 32)}},
			{"not bearer", map[string]any{"Authorization": token}},
		} {
			_, m := apptest.DialWS(t, e.Srv.URL, c.payload)
			if m.Type == "connection_ack" {
				t.Fatalf("%s: connection accepted", c.name)
			}
		}
		// Another client's application is not found, and nothing is streamed.
		b, m := apptest.DialWS(t, e.Srv.URL, map[string]any{"authToken": bToken})
		if m.Type != "connection_ack" {
			t.Fatalf("B's connection: %s %s", m.Type, m.Payload)
		}
		b.Subscribe("1", app.ID)
		if m := b.Read(); (m.Type != "error" && m.Type != "next") || !strings.Contains(string(m.Payload), `"code":"NOT_FOUND"`) ||
			strings.Contains(string(m.Payload), `"status"`) {
			t.Fatalf("B subscribing to A's application: %s %s", m.Type, m.Payload)
		}

		c, m := apptest.DialWS(t, e.Srv.URL, map[string]any{"Authorization": "Bearer " + token})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}
		c.Subscribe("1", app.ID)
		if st := c.NextStatus(); st != "PENDING" {
			t.Fatalf("first update %s, want the current state", st)
		}
		order := []string{"PENDING", "IN_PROGRESS", "READY"}
		if err := sm.Sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		seen := c.WaitStatus("READY", order...)
		if seen[0] != "IN_PROGRESS" {
			t.Fatalf("updates %v", seen)
		}
		c.Send(apptest.WSMessage{ID: "1", Type: "complete"})
		deadline := time.Now().Add(5 * time.Second)
		for sm.Svc.Broker.Subscribers() != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := sm.Svc.Broker.Subscribers(); n != 0 {
			t.Fatalf("%d subscriptions left after complete", n)
		}
	})
}

// TestScreeningSubscriptionAcrossInstances: on PostgreSQL, a postback
// received by one server instance reaches a subscriber of another.
func TestScreeningSubscriptionAcrossInstances(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		if e.Dialect != "postgres" {
			t.Skip("one process serves SQLite: notices are in-process (TestScreeningSubscription)")
		}
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Alpha")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")

		second := secondInstance(e, t)
		c, m := apptest.DialWS(t, second.URL, map[string]any{"Authorization": "Bearer " + token})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}
		c.Subscribe("1", app.ID)
		if st := c.NextStatus(); st != "PENDING" {
			t.Fatalf("first update %s", st)
		}
		// Postbacks go to the first instance (the application's URL).
		if err := sm.Sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		c.WaitStatus("READY", "PENDING", "IN_PROGRESS", "READY")
		for _, d := range sm.Sim.Deliveries() {
			if !strings.HasPrefix(d.URL, e.Srv.URL) {
				t.Fatalf("a postback went to %s, not the first instance", d.URL)
			}
		}
	})
}

// secondInstance starts another server process's worth of app on the same
// database (apptest's Another): its own broker, LISTEN connection and
// workers, served on a server of its own.
func secondInstance(e *apptest.Env, t *testing.T) *httptest.Server {
	t.Helper()
	a := e.Another(t, nil)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv
}
