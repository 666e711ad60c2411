package guard_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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

func gqlBody(query string) []byte {
	b, _ := json.Marshal(map[string]any{"query": query})
	return b
}

func TestRateLimitPerToken(t *testing.T) {
	// One request per 100 s after a burst of 3: nothing refills during the test.
	apptest.EachDBSetup(t, apptest.WithLimits(config.RateLimits{TokenRate: 0.01, TokenBurst: 3, AuthFailures: 100}), func(t *testing.T, e *apptest.Env) {
		_, a := e.NewClient("Alpha")
		_, b := e.NewClient("Beta")
		for i := range 3 {
			if r := e.Call("POST", "/graphql", a, "", gqlBody(apptest.ClientsQuery)); r.Status != http.StatusOK {
				t.Fatalf("request %d of the burst: HTTP %d %s", i+1, r.Status, r.Body)
			}
		}
		before := e.Queries.N.Load()
		apptest.AssertLimited(t, "/graphql after the burst", e.Call("POST", "/graphql", a, "", gqlBody(apptest.ClientsQuery)), 100)
		apptest.AssertLimited(t, "/leases after the burst", e.Call("GET", "/leases", a, "", nil), 100)
		// The budget is the token's, wherever it comes from.
		apptest.AssertLimited(t, "/graphql from another address", e.Call("POST", "/graphql", a, "198.51.100.20", gqlBody(apptest.ClientsQuery)), 100)
		if n := e.Queries.N.Load() - before; n != 0 {
			t.Fatalf("refused requests ran %d SQL statements", n)
		}
		var body struct {
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		r := e.Call("POST", "/graphql", a, "", gqlBody(apptest.ClientsQuery))
		if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Errors) != 1 ||
			body.Errors[0].Extensions["retryAfter"] != float64(mustAtoi(t, r.RetryAfter)) || !strings.Contains(body.Errors[0].Message, "retry after") {
			t.Fatalf("GraphQL body of a refusal: %s", r.Body)
		}

		// Another token is unaffected.
		for i := range 3 {
			if r := e.Call("POST", "/graphql", b, "", gqlBody(apptest.ClientsQuery)); r.Status != http.StatusOK {
				t.Fatalf("the other token's request %d: HTTP %d %s", i+1, r.Status, r.Body)
			}
		}
		if r := e.Call("GET", "/leases", b, "", nil); r.Status != http.StatusTooManyRequests {
			// Its own budget of 3 is spent now: it is limited on its own account.
			t.Fatalf("the other token's 4th request: HTTP %d %s", r.Status, r.Body)
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
	apptest.EachDBSetup(t, apptest.WithLimits(config.RateLimits{TokenRate: 1000, TokenBurst: 1000, AuthFailures: 5}), func(t *testing.T, e *apptest.Env) {
		const attacker, other = "203.0.113.66", "198.51.100.7"
		_, good := e.NewClient("Alpha")
		_, fresh := e.NewClient("Beta")
		// The good token was used from the attacker's address (a shared NAT)
		// before the attack.
		if r := e.Call("POST", "/graphql", good, attacker, gqlBody(apptest.ClientsQuery)); r.Status != http.StatusOK {
			t.Fatalf("before the attack: HTTP %d %s", r.Status, r.Body)
		}
		bad := func(i int) string { return fmt.Sprintf("lg_%032d", i) }
		for i := range 5 {
			if r := e.Call("POST", "/graphql", bad(i), attacker, gqlBody(apptest.ClientsQuery)); r.Status != http.StatusUnauthorized || r.ErrorCode() != "UNAUTHENTICATED" {
				t.Fatalf("bad token %d within the budget: HTTP %d %s", i, r.Status, r.Body)
			}
		}

		before := e.Queries.N.Load()
		for i := 5; i < 55; i++ {
			apptest.AssertLimited(t, "/graphql with a bad token", e.Call("POST", "/graphql", bad(i), attacker, gqlBody(apptest.ClientsQuery)), 12)
		}
		apptest.AssertLimited(t, "/leases with a bad token", e.Call("GET", "/leases", bad(100), attacker, nil), 12)
		reg := e.Call("GET", "/prospects/registration?auth_token="+bad(101)+"&property_tag=P&full_name=A+B&mobile_phone=5125550134", "", attacker, nil)
		if s, err := strconv.Atoi(reg.RetryAfter); reg.Status != http.StatusTooManyRequests || err != nil || s < 1 ||
			!bytes.Contains(reg.Body, []byte("incomplete")) || !bytes.Contains(reg.Body, []byte("Too many attempts")) {
			t.Fatalf("registration page: HTTP %d, Retry-After %q, %s", reg.Status, reg.RetryAfter, reg.Body)
		}
		pb := e.Call("POST", "/webhooks/smartmove/somekey", "", attacker, []byte(`{}`))
		apptest.AssertLimited(t, "postback", pb, 12)
		if _, m := apptest.DialSocket(t, e, http.Header{"X-Forwarded-For": {attacker}}, map[string]any{"authToken": bad(102)}); m.Type != "closed" || string(m.Payload) != strconv.Itoa(handler.CloseTooManyRequests) {
			t.Fatalf("websocket init with a bad token from a blocked address: %s %s, want closed %d", m.Type, m.Payload, handler.CloseTooManyRequests)
		}
		// A token first seen during the attack waits too: from a blocked
		// address, a secret cannot be told from a guess without asking the
		// database (the trade-off docs/api.md states).
		apptest.AssertLimited(t, "a fresh good token from the blocked address", e.Call("POST", "/graphql", fresh, attacker, gqlBody(apptest.ClientsQuery)), 12)
		if n := e.Queries.N.Load() - before; n != 0 {
			t.Fatalf("requests from a blocked address ran %d SQL statements", n)
		}

		// A token this instance saw succeed keeps working from that address,
		// and every token works from other addresses.
		if r := e.Call("POST", "/graphql", good, attacker, gqlBody(apptest.ClientsQuery)); r.Status != http.StatusOK {
			t.Fatalf("a known good token from the blocked address: HTTP %d %s", r.Status, r.Body)
		}
		if r := e.Call("POST", "/graphql", fresh, other, gqlBody(apptest.ClientsQuery)); r.Status != http.StatusOK {
			t.Fatalf("a good token from another address: HTTP %d %s", r.Status, r.Body)
		}
		if r := e.Call("GET", "/leases", good, other, nil); r.Status != http.StatusOK {
			t.Fatalf("/leases from another address: HTTP %d %s", r.Status, r.Body)
		}
		// The other address has its own budget: a bad token there is a 401.
		if r := e.Call("POST", "/graphql", bad(200), other, gqlBody(apptest.ClientsQuery)); r.Status != http.StatusUnauthorized {
			t.Fatalf("a bad token from another address: HTTP %d %s", r.Status, r.Body)
		}
	})
}

func TestRateLimitPostbackCredentials(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLimits(config.RateLimits{AuthFailures: 3}), func(t *testing.T, e *apptest.Env) {
		const attacker = "2001:db8:7:7::1"
		for i := range 3 {
			if r := e.Call("POST", "/webhooks/smartmove/k"+strconv.Itoa(i), "", attacker, []byte(`{}`)); r.Status != http.StatusUnauthorized {
				t.Fatalf("postback %d: HTTP %d %s", i, r.Status, r.Body)
			}
		}
		before := e.Queries.N.Load()
		// Another address of the same /64 shares the budget.
		apptest.AssertLimited(t, "postback over the budget", e.Call("POST", "/webhooks/smartmove/k9", "", "2001:db8:7:7:ffff::2", []byte(`{}`)), 20)
		if n := e.Queries.N.Load() - before; n != 0 {
			t.Fatalf("a refused postback ran %d SQL statements", n)
		}
		if r := e.Call("POST", "/webhooks/smartmove/k9", "", "2001:db8:7:8::1", []byte(`{}`)); r.Status != http.StatusUnauthorized {
			t.Fatalf("another /64: HTTP %d %s", r.Status, r.Body)
		}
	})
}

func TestRateLimitWebsocket(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLimits(config.RateLimits{TokenRate: 0.01, TokenBurst: 3, AuthFailures: 100}), func(t *testing.T, e *apptest.Env) {
		_, a := e.NewClient("Alpha")
		_, b := e.NewClient("Beta")
		// connection_init spends one request, each operation one more.
		c, m := apptest.DialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + a})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}
		for i := range 2 {
			if r := c.Op(strconv.Itoa(i), apptest.ClientsQuery); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Alpha") {
				t.Fatalf("operation %d: %+v %s", i, r.Errors, r.Data)
			}
		}
		before := e.Queries.N.Load()
		r := c.Op("9", apptest.ClientsQuery)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" || r.Errors[0].Extensions["retryAfter"] == nil || string(r.Data) != "" && string(r.Data) != "null" {
			t.Fatalf("operation over the limit: %+v %s", r.Errors, r.Data)
		}
		if n := e.Queries.N.Load() - before; n != 0 {
			t.Fatalf("a refused operation ran %d SQL statements", n)
		}
		// The socket stays open for when the budget is back; another
		// token's socket is unaffected.
		d, m := apptest.DialSocket(t, e, http.Header{"Authorization": {"Bearer " + b}}, map[string]any{})
		if m.Type != "connection_ack" {
			t.Fatalf("B's connection: %s %s", m.Type, m.Payload)
		}
		if r := d.Op("1", apptest.ClientsQuery); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Beta") {
			t.Fatalf("B's operation: %+v %s", r.Errors, r.Data)
		}
		// A's socket is spent, and so is A over HTTP: one budget per token.
		apptest.AssertLimited(t, "A over HTTP", e.Call("POST", "/graphql", a, "", gqlBody(apptest.ClientsQuery)), 100)
	})
}

// A token holds at most LEASEGRAPH_WS_PER_TOKEN sockets at once: each one
// costs a goroutine and a re-check per interval. One more is closed with
// 4429; another token is unaffected; closing one makes room again.
func TestRateLimitSocketsPerToken(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLimits(config.RateLimits{AuthFailures: 100, SocketsPerToken: 2}), func(t *testing.T, e *apptest.Env) {
		_, a := e.NewClient("Alpha")
		_, b := e.NewClient("Beta")
		var open []*apptest.WSClient
		for i := range 2 {
			c, m := apptest.DialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + a})
			if m.Type != "connection_ack" {
				t.Fatalf("socket %d: %s %s", i, m.Type, m.Payload)
			}
			open = append(open, c)
		}
		if _, m := apptest.DialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + a}); m.Type != "closed" || string(m.Payload) != strconv.Itoa(handler.CloseTooManyRequests) {
			t.Fatalf("a third socket: %s %s, want closed %d", m.Type, m.Payload, handler.CloseTooManyRequests)
		}
		if _, m := apptest.DialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + b}); m.Type != "connection_ack" {
			t.Fatalf("another token's socket: %s %s", m.Type, m.Payload)
		}
		open[0].Conn.Close(websocket.StatusNormalClosure, "")
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, m := apptest.DialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + a})
			if m.Type == "connection_ack" {
				break
			}
			c.Conn.Close(websocket.StatusNormalClosure, "")
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
	apptest.EachDBSetup(t, apptest.WithLimits(config.RateLimits{AuthFailures: 3}), func(t *testing.T, e *apptest.Env) {
		const attacker = "2001:db8:9:9::1"
		path := "/webhooks/twilio/status?delivery=1"
		for i := range 3 {
			if r := e.Call("POST", path, "", attacker, []byte("MessageSid=SM1&MessageStatus=delivered")); r.Status != http.StatusForbidden {
				t.Fatalf("callback %d: HTTP %d %s", i, r.Status, r.Body)
			}
		}
		before := e.Queries.N.Load()
		apptest.AssertLimited(t, "callback over the budget", e.Call("POST", path, "", attacker, []byte("MessageSid=SM1")), 20)
		if n := e.Queries.N.Load() - before; n != 0 {
			t.Fatalf("a refused callback ran %d SQL statements", n)
		}
	})
}

// TestRateLimitIsVisible: every answer to a token tells its budget, on
// /graphql, /leases and the registration page alike, in the IETF draft's fields and GitHub's
// headers, and a GraphQL answer repeats it in extensions.cost with the
// operation's cost and the limit; the 429 after the burst still tells it
// (nothing left, and when it is whole again).
func TestRateLimitIsVisible(t *testing.T) {
	// One request per 100 s after a burst of 4: nothing refills during the
	// test, so each request sees the budget fall by one.
	apptest.EachDBSetup(t, apptest.WithLimits(config.RateLimits{TokenRate: 0.01, TokenBurst: 4, AuthFailures: 100}), func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Alpha")
		check := func(what string, r apptest.Answer, remaining int) {
			t.Helper()
			h := r.Header
			reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
			wait := reset - time.Now().Unix()
			if h.Get("RateLimit-Policy") != `"token";q=4;w=400` || h.Get("X-RateLimit-Limit") != "4" ||
				h.Get("X-RateLimit-Remaining") != strconv.Itoa(remaining) ||
				!strings.HasPrefix(h.Get("RateLimit"), fmt.Sprintf(`"token";r=%d;t=`, remaining)) || err != nil || wait < 90 || wait > 401 {
				t.Fatalf("%s: HTTP %d, headers %v", what, r.Status, h)
			}
		}
		first := e.Call("POST", "/graphql", token, "", gqlBody(apptest.ClientsQuery))
		check("the first query", first, 3)
		var body struct {
			Extensions struct {
				Cost struct {
					RequestedQueryCost, ActualQueryCost, MaximumCost int
					ThrottleStatus                                   struct {
						MaximumAvailable, CurrentlyAvailable int
						RestoreRate                          float64
					}
				}
			}
		}
		if err := json.Unmarshal(first.Body, &body); err != nil {
			t.Fatal(err)
		}
		c := body.Extensions.Cost
		// The clients query answers clients, edges, node, id and name once
		// each (the token's one client), the connection 100 in all.
		if c.RequestedQueryCost <= 0 || c.ActualQueryCost != 104 || c.MaximumCost != 250000 || c.ThrottleStatus.MaximumAvailable != 4 ||
			c.ThrottleStatus.CurrentlyAvailable != 3 || c.ThrottleStatus.RestoreRate != 0.01 {
			t.Fatalf("extensions.cost: %s", first.Body)
		}
		check("/leases", e.Call("GET", "/leases", token, "", nil), 2)
		check("the registration page", e.Call("GET", "/prospects/registration?auth_token="+token+"&property_tag=P&full_name=A+B&mobile_phone=5125550100", "", "", nil), 1)
		check("the third", e.Call("POST", "/graphql", token, "", gqlBody(apptest.ClientsQuery)), 0)
		refused := e.Call("POST", "/graphql", token, "", gqlBody(apptest.ClientsQuery))
		if refused.Status != http.StatusTooManyRequests {
			t.Fatalf("after the burst: HTTP %d", refused.Status)
		}
		check("the 429", refused, 0)
		// An unknown token has no budget to tell.
		if r := e.Call("POST", "/graphql", "lg_not_a_token", "", gqlBody(apptest.ClientsQuery)); r.Header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("an unknown token was told a budget: %v", r.Header)
		}
	})
}
