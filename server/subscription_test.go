package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// The screeningApplicationUpdated subscription over graphql-transport-ws.

type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialWS opens a graphql-transport-ws connection to srvURL and sends
// connection_init with the payload; it returns the first answer.
func dialWS(t *testing.T, srvURL string, payload any) (*wsClient, wsMessage) {
	t.Helper()
	return dialWSWith(t, srvURL, nil, payload)
}

// dialWSWith is dialWS with the HTTP headers of the upgrade request.
func dialWSWith(t *testing.T, srvURL string, header http.Header, payload any) (*wsClient, wsMessage) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srvURL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	c := &wsClient{t: t, conn: conn, ctx: ctx}
	p, _ := json.Marshal(payload)
	c.send(wsMessage{Type: "connection_init", Payload: p})
	return c, c.read()
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	b, _ := json.Marshal(m)
	if err := c.conn.Write(c.ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next message that is not a keep-alive.
func (c *wsClient) read() wsMessage {
	c.t.Helper()
	for {
		_, b, err := c.conn.Read(c.ctx)
		if err != nil {
			// Closed: the close code is the answer when the server sent one.
			if code := websocket.CloseStatus(err); code != -1 {
				return wsMessage{Type: "closed", Payload: json.RawMessage(strconv.Itoa(int(code)))}
			}
			return wsMessage{Type: "closed", Payload: json.RawMessage(`"` + strings.ReplaceAll(err.Error(), `"`, `'`) + `"`)}
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			c.t.Fatalf("not JSON: %s", b)
		}
		switch m.Type {
		case "ping":
			c.send(wsMessage{Type: "pong"})
		case "pong", "ka":
		default:
			return m
		}
	}
}

func (c *wsClient) subscribe(id, appID string) {
	c.t.Helper()
	p, _ := json.Marshal(map[string]any{
		"query":     `subscription($id: ID!) { screeningApplicationUpdated(id: $id) { id status orderStatus smartmoveApplicationID } }`,
		"variables": map[string]any{"id": appID},
	})
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: p})
}

// nextStatus reads the next update and returns its status.
func (c *wsClient) nextStatus() string {
	c.t.Helper()
	m := c.read()
	if m.Type != "next" {
		c.t.Fatalf("want next, got %s %s", m.Type, m.Payload)
	}
	var p struct {
		Data struct {
			ScreeningApplicationUpdated struct{ Status string }
		}
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		c.t.Fatalf("next: %s", m.Payload)
	}
	return p.Data.ScreeningApplicationUpdated.Status
}

// waitStatuses reads updates until the status is want, checking that the
// statuses seen never move backwards.
func (c *wsClient) waitStatus(want string, order ...string) []string {
	c.t.Helper()
	var seen []string
	last := -1
	for {
		st := c.nextStatus()
		seen = append(seen, st)
		i := strings.Index(strings.Join(order, ","), st)
		if i < last {
			c.t.Fatalf("status moved backwards: %v", seen)
		}
		last = i
		if st == want {
			return seen
		}
	}
}

func TestScreeningSubscription(t *testing.T) {
	forEachDBSetup(t, withSmartMove(smartmovetest.Options{}), func(t *testing.T, e *env) {
		sm := smartMove(t, e)
		_, token := e.screeningClient("Alpha")
		_, bToken := e.screeningClient("Beta")
		app := e.createEmbedded(token, "k", true, "lisa@example.com")

		// Authentication happens at connection_init.
		for _, c := range []struct {
			name    string
			payload any
		}{
			{"no token", map[string]any{}},
			{"unknown token", map[string]any{"Authorization": "Bearer lg_" + strings.Repeat("a", 32)}},
			{"not bearer", map[string]any{"Authorization": token}},
		} {
			_, m := dialWS(t, e.srv.URL, c.payload)
			if m.Type == "connection_ack" {
				t.Fatalf("%s: connection accepted", c.name)
			}
		}
		// Another client's application is not found, and nothing is streamed.
		b, m := dialWS(t, e.srv.URL, map[string]any{"authToken": bToken})
		if m.Type != "connection_ack" {
			t.Fatalf("B's connection: %s %s", m.Type, m.Payload)
		}
		b.subscribe("1", app.ID)
		if m := b.read(); (m.Type != "error" && m.Type != "next") || !strings.Contains(string(m.Payload), `"code":"NOT_FOUND"`) ||
			strings.Contains(string(m.Payload), `"status"`) {
			t.Fatalf("B subscribing to A's application: %s %s", m.Type, m.Payload)
		}

		c, m := dialWS(t, e.srv.URL, map[string]any{"Authorization": "Bearer " + token})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}
		c.subscribe("1", app.ID)
		if st := c.nextStatus(); st != "PENDING" {
			t.Fatalf("first update %s, want the current state", st)
		}
		order := []string{"PENDING", "IN_PROGRESS", "READY"}
		if err := sm.sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		seen := c.waitStatus("READY", order...)
		if seen[0] != "IN_PROGRESS" {
			t.Fatalf("updates %v", seen)
		}
		c.send(wsMessage{ID: "1", Type: "complete"})
		deadline := time.Now().Add(5 * time.Second)
		for sm.svc.Broker.Subscribers() != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := sm.svc.Broker.Subscribers(); n != 0 {
			t.Fatalf("%d subscriptions left after complete", n)
		}
	})
}

// TestScreeningSubscriptionAcrossInstances: on PostgreSQL, a postback
// received by one server instance reaches a subscriber of another.
func TestScreeningSubscriptionAcrossInstances(t *testing.T) {
	forEachDBSetup(t, withSmartMove(smartmovetest.Options{}), func(t *testing.T, e *env) {
		if e.dialect != "postgres" {
			t.Skip("one process serves SQLite: notices are in-process (TestScreeningSubscription)")
		}
		sm := smartMove(t, e)
		_, token := e.screeningClient("Alpha")
		app := e.createEmbedded(token, "k", true, "lisa@example.com")

		second := e.secondInstance(t, sm)
		c, m := dialWS(t, second.URL, map[string]any{"Authorization": "Bearer " + token})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}
		c.subscribe("1", app.ID)
		if st := c.nextStatus(); st != "PENDING" {
			t.Fatalf("first update %s", st)
		}
		// Postbacks go to the first instance (the application's URL).
		if err := sm.sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		c.waitStatus("READY", "PENDING", "IN_PROGRESS", "READY")
		for _, d := range sm.sim.Deliveries() {
			if !strings.HasPrefix(d.URL, e.srv.URL) {
				t.Fatalf("a postback went to %s, not the first instance", d.URL)
			}
		}
	})
}

// secondInstance starts another server process's worth of app on the same
// database schema: its own ent client, broker and LISTEN connection.
func (e *env) secondInstance(t *testing.T, sm *smartmoveEnv) *httptest.Server {
	t.Helper()
	var schema string
	if err := e.rawDB().DB().QueryRowContext(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(testPostgresBase(), "?") {
		sep = "&"
	}
	drv, err := database.Driver(testPostgresBase() + sep + "search_path=" + schema)
	if err != nil {
		t.Fatal(err)
	}
	client := migratedClient(t, drv, drv)
	a := &app{client: client, log: slog.New(slog.NewTextHandler(e.logs, nil))}
	var db *sql.DB = drv.DB()
	newTestScreening(t, a, db, drv.Dialect(), sm.simURL)
	srv := httptest.NewServer(mustRoutes(t, a))
	t.Cleanup(srv.Close)
	return srv
}
