package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/apptest"
)

// Rate limits through the real routes: a budget per token, and a budget of
// failed authentications per client address that is refused before the
// database is asked.

// withLimits sets the app's rate limits. The test server's peer is
// 127.0.0.1, trusted as a proxy so that X-Forwarded-For plays the client
// address.
func withLimits(l config.RateLimits) envSetup {
	l.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	return func(t *testing.T, s *apptest.Settings) {
		s.Config.Limits = l // a copy per app: the SQLite and PostgreSQL runs share this setup
	}
}

// answer is an HTTP answer as a client sees it.
type answer struct {
	status     int
	retryAfter string
	header     http.Header
	body       []byte
	// err is the client's own error (no answer at all).
	err error
}

// code is the error code of a JSON error body, in either shape: the HTTP
// routes' {"error": {...}} or GraphQL's {"errors": [{"extensions": ...}]}.
func (a answer) code() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
		Errors []gqlError `json:"errors"`
	}
	_ = json.Unmarshal(a.body, &b)
	if len(b.Errors) > 0 {
		return b.Errors[0].Code()
	}
	return b.Error.Code
}

// call sends a request from the client address addr ("" for the peer's).
func (e *env) call(method, path, token, addr string, body []byte) answer {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), header: res.Header, body: b}
}

const clientsQuery = `{ clients { edges { node { id name } } } }`

func gqlBody(query string) []byte {
	b, _ := json.Marshal(map[string]any{"query": query})
	return b
}

// assertLimited checks a 429 with a whole-seconds Retry-After within max
// and the RATE_LIMITED code in the route's body.
func assertLimited(t *testing.T, what string, a answer, max int) {
	t.Helper()
	s, err := strconv.Atoi(a.retryAfter)
	if a.status != http.StatusTooManyRequests || err != nil || s < 1 || s > max || a.code() != "RATE_LIMITED" {
		t.Fatalf("%s: HTTP %d, Retry-After %q, body %s; want 429, 1..%d s, RATE_LIMITED", what, a.status, a.retryAfter, a.body, max)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	// One request per 100 s after a burst of 3: nothing refills during the test.
	forEachDBSetup(t, withLimits(config.RateLimits{TokenRate: 0.01, TokenBurst: 3, AuthFailures: 100}), func(t *testing.T, e *env) {
		_, a := e.newClient("Alpha")
		_, b := e.newClient("Beta")
		for i := range 3 {
			if r := e.call("POST", "/graphql", a, "", gqlBody(clientsQuery)); r.status != http.StatusOK {
				t.Fatalf("request %d of the burst: HTTP %d %s", i+1, r.status, r.body)
			}
		}
		before := e.queries.n.Load()
		assertLimited(t, "/graphql after the burst", e.call("POST", "/graphql", a, "", gqlBody(clientsQuery)), 100)
		assertLimited(t, "/leases after the burst", e.call("GET", "/leases", a, "", nil), 100)
		// The budget is the token's, wherever it comes from.
		assertLimited(t, "/graphql from another address", e.call("POST", "/graphql", a, "198.51.100.20", gqlBody(clientsQuery)), 100)
		if n := e.queries.n.Load() - before; n != 0 {
			t.Fatalf("refused requests ran %d SQL statements", n)
		}
		var body struct {
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		r := e.call("POST", "/graphql", a, "", gqlBody(clientsQuery))
		if err := json.Unmarshal(r.body, &body); err != nil || len(body.Errors) != 1 ||
			body.Errors[0].Extensions["retryAfter"] != float64(mustAtoi(t, r.retryAfter)) || !strings.Contains(body.Errors[0].Message, "retry after") {
			t.Fatalf("GraphQL body of a refusal: %s", r.body)
		}

		// Another token is unaffected.
		for i := range 3 {
			if r := e.call("POST", "/graphql", b, "", gqlBody(clientsQuery)); r.status != http.StatusOK {
				t.Fatalf("the other token's request %d: HTTP %d %s", i+1, r.status, r.body)
			}
		}
		if r := e.call("GET", "/leases", b, "", nil); r.status != http.StatusTooManyRequests {
			// Its own budget of 3 is spent now: it is limited on its own account.
			t.Fatalf("the other token's 4th request: HTTP %d %s", r.status, r.body)
		}
	})
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

func TestRateLimitFailedAuth(t *testing.T) {
	// 5 failures a minute per address; the token budget is out of the way.
	forEachDBSetup(t, withLimits(config.RateLimits{TokenRate: 1000, TokenBurst: 1000, AuthFailures: 5}), func(t *testing.T, e *env) {
		const attacker, other = "203.0.113.66", "198.51.100.7"
		_, good := e.newClient("Alpha")
		_, fresh := e.newClient("Beta")
		// The good token was used from the attacker's address (a shared NAT)
		// before the attack.
		if r := e.call("POST", "/graphql", good, attacker, gqlBody(clientsQuery)); r.status != http.StatusOK {
			t.Fatalf("before the attack: HTTP %d %s", r.status, r.body)
		}
		bad := func(i int) string { return fmt.Sprintf("lg_%032d", i) }
		for i := range 5 {
			if r := e.call("POST", "/graphql", bad(i), attacker, gqlBody(clientsQuery)); r.status != http.StatusUnauthorized || r.code() != "UNAUTHENTICATED" {
				t.Fatalf("bad token %d within the budget: HTTP %d %s", i, r.status, r.body)
			}
		}

		before := e.queries.n.Load()
		for i := 5; i < 55; i++ {
			assertLimited(t, "/graphql with a bad token", e.call("POST", "/graphql", bad(i), attacker, gqlBody(clientsQuery)), 12)
		}
		assertLimited(t, "/leases with a bad token", e.call("GET", "/leases", bad(100), attacker, nil), 12)
		reg := e.call("GET", "/prospects/registration?auth_token="+bad(101)+"&property_tag=P&full_name=A+B&mobile_phone=5125550134", "", attacker, nil)
		if s, err := strconv.Atoi(reg.retryAfter); reg.status != http.StatusTooManyRequests || err != nil || s < 1 ||
			!bytes.Contains(reg.body, []byte("incomplete")) || !bytes.Contains(reg.body, []byte("Too many attempts")) {
			t.Fatalf("registration page: HTTP %d, Retry-After %q, %s", reg.status, reg.retryAfter, reg.body)
		}
		pb := e.call("POST", "/webhooks/smartmove/somekey", "", attacker, []byte(`{}`))
		assertLimited(t, "postback", pb, 12)
		if _, m := dialSocket(t, e, http.Header{"X-Forwarded-For": {attacker}}, map[string]any{"authToken": bad(102)}); m.Type != "closed" || string(m.Payload) != strconv.Itoa(handler.CloseTooManyRequests) {
			t.Fatalf("websocket init with a bad token from a blocked address: %s %s, want closed %d", m.Type, m.Payload, handler.CloseTooManyRequests)
		}
		// A token first seen during the attack waits too: from a blocked
		// address, a secret cannot be told from a guess without asking the
		// database (the trade-off docs/api.md states).
		assertLimited(t, "a fresh good token from the blocked address", e.call("POST", "/graphql", fresh, attacker, gqlBody(clientsQuery)), 12)
		if n := e.queries.n.Load() - before; n != 0 {
			t.Fatalf("requests from a blocked address ran %d SQL statements", n)
		}

		// A token this instance saw succeed keeps working from that address,
		// and every token works from other addresses.
		if r := e.call("POST", "/graphql", good, attacker, gqlBody(clientsQuery)); r.status != http.StatusOK {
			t.Fatalf("a known good token from the blocked address: HTTP %d %s", r.status, r.body)
		}
		if r := e.call("POST", "/graphql", fresh, other, gqlBody(clientsQuery)); r.status != http.StatusOK {
			t.Fatalf("a good token from another address: HTTP %d %s", r.status, r.body)
		}
		if r := e.call("GET", "/leases", good, other, nil); r.status != http.StatusOK {
			t.Fatalf("/leases from another address: HTTP %d %s", r.status, r.body)
		}
		// The other address has its own budget: a bad token there is a 401.
		if r := e.call("POST", "/graphql", bad(200), other, gqlBody(clientsQuery)); r.status != http.StatusUnauthorized {
			t.Fatalf("a bad token from another address: HTTP %d %s", r.status, r.body)
		}
	})
}

func TestRateLimitPostbackCredentials(t *testing.T) {
	forEachDBSetup(t, withLimits(config.RateLimits{AuthFailures: 3}), func(t *testing.T, e *env) {
		const attacker = "2001:db8:7:7::1"
		for i := range 3 {
			if r := e.call("POST", "/webhooks/smartmove/k"+strconv.Itoa(i), "", attacker, []byte(`{}`)); r.status != http.StatusUnauthorized {
				t.Fatalf("postback %d: HTTP %d %s", i, r.status, r.body)
			}
		}
		before := e.queries.n.Load()
		// Another address of the same /64 shares the budget.
		assertLimited(t, "postback over the budget", e.call("POST", "/webhooks/smartmove/k9", "", "2001:db8:7:7:ffff::2", []byte(`{}`)), 20)
		if n := e.queries.n.Load() - before; n != 0 {
			t.Fatalf("a refused postback ran %d SQL statements", n)
		}
		if r := e.call("POST", "/webhooks/smartmove/k9", "", "2001:db8:7:8::1", []byte(`{}`)); r.status != http.StatusUnauthorized {
			t.Fatalf("another /64: HTTP %d %s", r.status, r.body)
		}
	})
}

func TestRateLimitWebsocket(t *testing.T) {
	forEachDBSetup(t, withLimits(config.RateLimits{TokenRate: 0.01, TokenBurst: 3, AuthFailures: 100}), func(t *testing.T, e *env) {
		_, a := e.newClient("Alpha")
		_, b := e.newClient("Beta")
		// connection_init spends one request, each operation one more.
		c, m := dialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + a})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}
		for i := range 2 {
			if r := c.op(strconv.Itoa(i), clientsQuery); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Alpha") {
				t.Fatalf("operation %d: %+v %s", i, r.Errors, r.Data)
			}
		}
		before := e.queries.n.Load()
		r := c.op("9", clientsQuery)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" || r.Errors[0].Extensions["retryAfter"] == nil || string(r.Data) != "" && string(r.Data) != "null" {
			t.Fatalf("operation over the limit: %+v %s", r.Errors, r.Data)
		}
		if n := e.queries.n.Load() - before; n != 0 {
			t.Fatalf("a refused operation ran %d SQL statements", n)
		}
		// The socket stays open for when the budget is back; another
		// token's socket is unaffected.
		d, m := dialSocket(t, e, http.Header{"Authorization": {"Bearer " + b}}, map[string]any{})
		if m.Type != "connection_ack" {
			t.Fatalf("B's connection: %s %s", m.Type, m.Payload)
		}
		if r := d.op("1", clientsQuery); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Beta") {
			t.Fatalf("B's operation: %+v %s", r.Errors, r.Data)
		}
		// A's socket is spent, and so is A over HTTP: one budget per token.
		assertLimited(t, "A over HTTP", e.call("POST", "/graphql", a, "", gqlBody(clientsQuery)), 100)
	})
}

// dialSocket opens a graphql-transport-ws connection with the HTTP headers
// and sends connection_init with the payload; it returns the first answer
// (a refusal: "closed" with the close code).
func dialSocket(t *testing.T, e *env, header http.Header, payload any) (*wsClient, wsMessage) {
	t.Helper()
	return dialWSWith(t, e.srv.URL, header, payload)
}

// op runs one query or mutation over the socket and returns its result.
func (c *wsClient) op(id, query string) gqlResponse {
	c.t.Helper()
	p, _ := json.Marshal(map[string]any{"query": query})
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: p})
	m := c.read()
	var out gqlResponse
	switch m.Type {
	case "next":
		if err := json.Unmarshal(m.Payload, &out); err != nil {
			c.t.Fatalf("next: %s", m.Payload)
		}
		if done := c.read(); done.Type != "complete" || done.ID != id {
			c.t.Fatalf("after the result: %s %s", done.Type, done.Payload)
		}
	case "error":
		if err := json.Unmarshal(m.Payload, &out.Errors); err != nil {
			c.t.Fatalf("error: %s", m.Payload)
		}
	default:
		c.t.Fatalf("operation %s: %s %s", id, m.Type, m.Payload)
	}
	return out
}

// closeStatus reads until the server closes the socket and returns the
// close code (-1 when the connection ended without one, e.g. the test's
// deadline).
func (c *wsClient) closeStatus() websocket.StatusCode {
	c.t.Helper()
	for {
		if _, _, err := c.conn.Read(c.ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

// A token holds at most LEASEGRAPH_WS_PER_TOKEN sockets at once: each one
// costs a goroutine and a re-check per interval. One more is closed with
// 4429; another token is unaffected; closing one makes room again.
func TestRateLimitSocketsPerToken(t *testing.T) {
	forEachDBSetup(t, withLimits(config.RateLimits{AuthFailures: 100, SocketsPerToken: 2}), func(t *testing.T, e *env) {
		_, a := e.newClient("Alpha")
		_, b := e.newClient("Beta")
		var open []*wsClient
		for i := range 2 {
			c, m := dialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + a})
			if m.Type != "connection_ack" {
				t.Fatalf("socket %d: %s %s", i, m.Type, m.Payload)
			}
			open = append(open, c)
		}
		if _, m := dialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + a}); m.Type != "closed" || string(m.Payload) != strconv.Itoa(handler.CloseTooManyRequests) {
			t.Fatalf("a third socket: %s %s, want closed %d", m.Type, m.Payload, handler.CloseTooManyRequests)
		}
		if _, m := dialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + b}); m.Type != "connection_ack" {
			t.Fatalf("another token's socket: %s %s", m.Type, m.Payload)
		}
		open[0].conn.Close(websocket.StatusNormalClosure, "")
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, m := dialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + a})
			if m.Type == "connection_ack" {
				break
			}
			c.conn.Close(websocket.StatusNormalClosure, "")
			if time.Now().After(deadline) {
				t.Fatalf("no room after a socket closed: %s %s", m.Type, m.Payload)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// A wrong Twilio signature spends the address's failed-authentication
// budget like any other secret.
func TestRateLimitTwilioSignatures(t *testing.T) {
	forEachDBSetup(t, withLimits(config.RateLimits{AuthFailures: 3}), func(t *testing.T, e *env) {
		const attacker = "2001:db8:9:9::1"
		path := "/webhooks/twilio/status?delivery=1"
		for i := range 3 {
			if r := e.call("POST", path, "", attacker, []byte("MessageSid=SM1&MessageStatus=delivered")); r.status != http.StatusForbidden {
				t.Fatalf("callback %d: HTTP %d %s", i, r.status, r.body)
			}
		}
		before := e.queries.n.Load()
		assertLimited(t, "callback over the budget", e.call("POST", path, "", attacker, []byte("MessageSid=SM1")), 20)
		if n := e.queries.n.Load() - before; n != 0 {
			t.Fatalf("a refused callback ran %d SQL statements", n)
		}
	})
}
