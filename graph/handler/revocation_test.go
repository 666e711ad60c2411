package handler_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent/apitoken"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
	"github.com/leasegraph/leasegraph/viewer"
)

// A token revoked while its websocket is open: the next operation is
// refused and nothing runs, and the server closes the socket (4401), also
// when the client sends nothing.

// revoke revokes the token through the API, with an admin token of its client.
func revoke(e *apptest.Env, clientID int, secret string) {
	e.T.Helper()
	t, err := e.Client.APIToken.Query().Where(apitoken.Prefix(secret[:11])).Only(e.Sys())
	if err != nil {
		e.T.Fatal(err)
	}
	admin := e.Token(clientID, viewer.ScopeAdmin)
	e.MustGQL(admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id revokedAt } }`, map[string]any{"id": t.ID}, nil)
}

func TestRevokedTokenSocketRefusesNextOperation(t *testing.T) {
	// The default re-check interval (30 s) never fires here: the refusal
	// comes from the check at the start of the operation.
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		aID, a := e.NewClient("Alpha")
		bID, b := e.NewClient("Beta")
		ca, m := apptest.DialSocket(t, e, nil, map[string]any{"authToken": a})
		if m.Type != "connection_ack" {
			t.Fatalf("A's connection: %s %s", m.Type, m.Payload)
		}
		// B's socket is authenticated by its upgrade request's header.
		cb, m := apptest.DialSocket(t, e, http.Header{"Authorization": {"Bearer " + b}}, map[string]any{})
		if m.Type != "connection_ack" {
			t.Fatalf("B's connection: %s %s", m.Type, m.Payload)
		}
		if r := ca.Op("1", apptest.ClientsQuery); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Alpha") {
			t.Fatalf("before revocation: %+v %s", r.Errors, r.Data)
		}

		revoke(e, aID, a)
		r := ca.Op("2", `mutation { updateClientCrmOrigins(id: "`+apptest.Itoa(aID)+`", origins: ["https://evil.example"]) { crmOrigins } }`)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || strings.Contains(string(r.Data), "evil") {
			t.Fatalf("a mutation after revocation: %+v %s", r.Errors, r.Data)
		}
		c, err := e.Client.Company.Get(e.Sys(), aID)
		if err != nil || len(c.CrmOrigins) != 0 {
			t.Fatalf("the refused mutation wrote: %v %v", c.CrmOrigins, err)
		}
		if st := ca.CloseStatus(); st != handler.CloseUnauthorized {
			t.Fatalf("A's socket closed with %d, want %d", st, handler.CloseUnauthorized)
		}
		if r := cb.Op("1", apptest.ClientsQuery); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Beta") {
			t.Fatalf("another token's socket: %+v %s", r.Errors, r.Data)
		}
		// A header-authenticated socket is re-checked the same way.
		revoke(e, bID, b)
		if r := cb.Op("2", apptest.ClientsQuery); len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || strings.Contains(string(r.Data), "Beta") {
			t.Fatalf("B after revocation: %+v %s", r.Errors, r.Data)
		}
	})
}

func TestRevokedTokenSocketClosedByRecheck(t *testing.T) {
	recheck := func(t *testing.T, s *apptest.Settings) { s.Config.Limits.SocketRecheck = 50 * time.Millisecond }
	apptest.EachDBSetup(t, recheck, func(t *testing.T, e *apptest.Env) {
		aID, a := e.NewClient("Alpha")
		_, b := e.NewClient("Beta")
		ca, m := apptest.DialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + a})
		if m.Type != "connection_ack" {
			t.Fatalf("A's connection: %s %s", m.Type, m.Payload)
		}
		cb, m := apptest.DialSocket(t, e, nil, map[string]any{"Authorization": "Bearer " + b})
		if m.Type != "connection_ack" {
			t.Fatalf("B's connection: %s %s", m.Type, m.Payload)
		}
		// Several re-checks pass while the token stands.
		time.Sleep(200 * time.Millisecond)
		if r := ca.Op("1", apptest.ClientsQuery); len(r.Errors) > 0 {
			t.Fatalf("before revocation: %+v", r.Errors)
		}
		revoke(e, aID, a)
		// The client sends nothing: the server closes the socket by itself.
		if st := ca.CloseStatus(); st != handler.CloseUnauthorized {
			t.Fatalf("A's socket closed with %d, want %d", st, handler.CloseUnauthorized)
		}
		if r := cb.Op("1", apptest.ClientsQuery); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Beta") {
			t.Fatalf("another token's socket: %+v %s", r.Errors, r.Data)
		}
	})
}

func TestRevokedTokenSubscriptionStops(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		aID, token := e.ScreeningClient("Alpha")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")
		c, m := apptest.DialSocket(t, e, nil, map[string]any{"authToken": token})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}
		c.Subscribe("1", app.ID)
		if st := c.NextStatus(); st != "PENDING" {
			t.Fatalf("first update %s", st)
		}
		revoke(e, aID, token)
		if err := sm.Sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		// The next event is not delivered to the revoked token.
		m = c.Read()
		if (m.Type != "next" && m.Type != "error") || !strings.Contains(string(m.Payload), `"code":"UNAUTHENTICATED"`) ||
			strings.Contains(string(m.Payload), "IN_PROGRESS") || strings.Contains(string(m.Payload), "READY") {
			t.Fatalf("event after revocation: %s %s", m.Type, m.Payload)
		}
		if st := c.CloseStatus(); st != handler.CloseUnauthorized {
			t.Fatalf("socket closed with %d, want %d", st, handler.CloseUnauthorized)
		}
	})
}
