package apptest

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A graphql-transport-ws client over a real websocket to /graphql, as a
// browser's GraphQL client speaks it: subscriptions, and queries and
// mutations sent over the socket.

// WSClient is one graphql-transport-ws connection. Its reads and writes
// last as long as Ctx; a failure fails T.
type WSClient struct {
	T    *testing.T
	Conn *websocket.Conn
	Ctx  context.Context
}

// WSMessage is one message of the protocol, either way.
type WSMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// DialWS opens a graphql-transport-ws connection to srvURL (any server of
// the app: the test's, or another instance's) and sends connection_init
// with the payload; it returns the first answer (a refusal is "closed"
// with the close code). The connection's reads last 20 s.
func DialWS(t *testing.T, srvURL string, payload any) (*WSClient, WSMessage) {
	t.Helper()
	return dialWSWith(t, srvURL, nil, payload)
}

// DialSocket is DialWS to the test's server with the HTTP headers of the
// upgrade request (X-Forwarded-For, Authorization): what is decided
// before connection_init.
func DialSocket(t *testing.T, e *Env, header http.Header, payload any) (*WSClient, WSMessage) {
	t.Helper()
	return dialWSWith(t, e.Srv.URL, header, payload)
}

// dialWSWith is DialWS with the HTTP headers of the upgrade request.
func dialWSWith(t *testing.T, srvURL string, header http.Header, payload any) (*WSClient, WSMessage) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return DialWSContext(ctx, t, srvURL, header, payload)
}

// DialWSContext is DialSocket to srvURL whose reads last as long as ctx,
// for a test that outlives DialWS's 20 s (instances killed and re-elected).
func DialWSContext(ctx context.Context, t *testing.T, srvURL string, header http.Header, payload any) (*WSClient, WSMessage) {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srvURL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	c := &WSClient{T: t, Conn: conn, Ctx: ctx}
	p, _ := json.Marshal(payload)
	c.Send(WSMessage{Type: "connection_init", Payload: p})
	return c, c.Read()
}

// Send writes one message.
func (c *WSClient) Send(m WSMessage) {
	c.T.Helper()
	b, _ := json.Marshal(m)
	if err := c.Conn.Write(c.Ctx, websocket.MessageText, b); err != nil {
		c.T.Fatal(err)
	}
}

// Read returns the next message that is not a keep-alive (answering
// pings); a closed connection reads as a "closed" message whose payload is
// the close code when the server sent one.
func (c *WSClient) Read() WSMessage {
	c.T.Helper()
	for {
		_, b, err := c.Conn.Read(c.Ctx)
		if err != nil {
			// Closed: the close code is the answer when the server sent one.
			if code := websocket.CloseStatus(err); code != -1 {
				return WSMessage{Type: "closed", Payload: json.RawMessage(strconv.Itoa(int(code)))}
			}
			return WSMessage{Type: "closed", Payload: json.RawMessage(`"` + strings.ReplaceAll(err.Error(), `"`, `'`) + `"`)}
		}
		var m WSMessage
		if err := json.Unmarshal(b, &m); err != nil {
			c.T.Fatalf("not JSON: %s", b)
		}
		switch m.Type {
		case "ping":
			c.Send(WSMessage{Type: "pong"})
		case "pong", "ka":
		default:
			return m
		}
	}
}

// Subscribe subscribes, as operation id, to screeningApplicationUpdated
// for the application appID: the subscription the API offers.
func (c *WSClient) Subscribe(id, appID string) {
	c.T.Helper()
	p, _ := json.Marshal(map[string]any{
		"query":     `subscription($id: ID!) { screeningApplicationUpdated(id: $id) { id status orderStatus smartmoveApplicationID } }`,
		"variables": map[string]any{"id": appID},
	})
	c.Send(WSMessage{ID: id, Type: "subscribe", Payload: p})
}

// NextStatus reads the next update of a Subscribe and returns its status.
func (c *WSClient) NextStatus() string {
	c.T.Helper()
	m := c.Read()
	if m.Type != "next" {
		c.T.Fatalf("want next, got %s %s", m.Type, m.Payload)
	}
	var p struct {
		Data struct {
			ScreeningApplicationUpdated struct{ Status string }
		}
		Errors []GQLError
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		c.T.Fatalf("next: %s", m.Payload)
	}
	return p.Data.ScreeningApplicationUpdated.Status
}

// WaitStatus reads updates until the status is want, checking that the
// statuses seen never move backwards in order; it returns them.
func (c *WSClient) WaitStatus(want string, order ...string) []string {
	c.T.Helper()
	var seen []string
	last := -1
	for {
		st := c.NextStatus()
		seen = append(seen, st)
		i := strings.Index(strings.Join(order, ","), st)
		if i < last {
			c.T.Fatalf("status moved backwards: %v", seen)
		}
		last = i
		if st == want {
			return seen
		}
	}
}

// Op runs one query or mutation over the socket, as operation id, and
// returns its result (a refusal's errors included).
func (c *WSClient) Op(id, query string) GQLResponse {
	c.T.Helper()
	p, _ := json.Marshal(map[string]any{"query": query})
	c.Send(WSMessage{ID: id, Type: "subscribe", Payload: p})
	m := c.Read()
	var out GQLResponse
	switch m.Type {
	case "next":
		if err := json.Unmarshal(m.Payload, &out); err != nil {
			c.T.Fatalf("next: %s", m.Payload)
		}
		if done := c.Read(); done.Type != "complete" || done.ID != id {
			c.T.Fatalf("after the result: %s %s", done.Type, done.Payload)
		}
	case "error":
		if err := json.Unmarshal(m.Payload, &out.Errors); err != nil {
			c.T.Fatalf("error: %s", m.Payload)
		}
	default:
		c.T.Fatalf("operation %s: %s %s", id, m.Type, m.Payload)
	}
	return out
}

// CloseStatus reads until the server closes the socket and returns the
// close code (-1 when the connection ended without one, e.g. the test's
// deadline).
func (c *WSClient) CloseStatus() websocket.StatusCode {
	c.T.Helper()
	for {
		if _, _, err := c.Conn.Read(c.Ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}
