package handler_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// The transaction rule for mutations (graph/handler/transactions.go), over
// HTTP and the websocket: an operation's mutations commit together or not at
// all; a partner mutation (marked @partner in the schema: the screening ones)
// must be alone in its operation, and any other mix is refused before a
// resolver or a SQL statement runs.

const twoBans = `mutation($first: String!, $second: String!) {
	a: addBan(input: {email: $first, reason: "t"}) { id email }
	b: addBan(input: {email: $second, reason: "t"}) { id email } }`

// bans counts the ban rows, whoever owns them.
func bans(e *apptest.Env) int {
	e.T.Helper()
	n, err := e.Client.Ban.Query().Count(e.Sys())
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}

// screeningRows counts screening applications and their idempotency records.
func screeningRows(e *apptest.Env) int {
	e.T.Helper()
	a, err := e.Client.ScreeningApplication.Query().Count(e.Sys())
	if err != nil {
		e.T.Fatal(err)
	}
	r, err := e.Client.ScreeningRequest.Query().Count(e.Sys())
	if err != nil {
		e.T.Fatal(err)
	}
	return a + r
}

func TestMutationsShareOneTransaction(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("A")
		var out struct{ A, B struct{ ID, Email string } }
		e.MustGQL(token, twoBans, map[string]any{"first": "one@example.com", "second": "two@example.com"}, &out)
		if out.A.Email != "one@example.com" || out.B.Email != "two@example.com" || bans(e) != 2 {
			t.Fatalf("both: %+v, %d rows", out, bans(e))
		}

		// The second fails after the first wrote its row: neither is kept,
		// and no data describes the rolled-back row.
		r := e.GQL(token, twoBans, map[string]any{"first": "three@example.com", "second": "not an email"})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || string(r.Data) != "" && string(r.Data) != "null" {
			t.Fatalf("second failing: %s %+v", r.Data, r.Errors)
		}
		if n := bans(e); n != 2 {
			t.Fatalf("%d bans after a failed operation, want the 2 from before", n)
		}
		// The same through fragments, with a field the operation skips.
		r = e.GQL(token, `mutation($skip: Boolean!) { ...F ... on Mutation { c: addBan(input: {email: "bad"}) @skip(if: $skip) { id } } }
			fragment F on Mutation { a: addBan(input: {email: "four@example.com"}) { id } }`, map[string]any{"skip": false})
		if len(r.Errors) != 1 || bans(e) != 2 {
			t.Fatalf("through fragments: %+v, %d rows", r.Errors, bans(e))
		}
		e.MustGQL(token, `mutation($skip: Boolean!) { ...F ... on Mutation { c: addBan(input: {email: "bad"}) @skip(if: $skip) { id } } }
			fragment F on Mutation { a: addBan(input: {email: "four@example.com"}) { id } }`, map[string]any{"skip": true}, nil)
		if n := bans(e); n != 3 {
			t.Fatalf("%d bans, want 3", n)
		}
		e.NoInternalErrors()
	})
}

// TestPartnerMutationMustBeAlone: a screening mutation with any other field
// is refused up front, and nothing is written or ordered; alone (directly
// or through a fragment) it runs.
func TestPartnerMutationMustBeAlone(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		auth := e.AuthStatements(token)
		const order = `createScreeningApplication(idempotencyKey: $key, input: $input) { application { id } }`
		vars := map[string]any{"key": "k1", "input": apptest.LinkInput("lisa@example.com")}
		for name, q := range map[string]string{
			"with a plain mutation, before": `mutation($key: String!, $input: CreateScreeningApplicationInput!) { addBan(input: {email: "x@example.com"}) { id } ` + order + ` }`,
			"with a plain mutation, after":  `mutation($key: String!, $input: CreateScreeningApplicationInput!) { ` + order + ` addBan(input: {email: "x@example.com"}) { id } }`,
			"with another screening mutation": `mutation($key: String!, $input: CreateScreeningApplicationInput!, $id: ID!) { ` + order + `
				refreshScreeningApplication(idempotencyKey: "r", id: $id) { id } }`,
			"twice, aliased": `mutation($key: String!, $input: CreateScreeningApplicationInput!) { a: ` + order + ` b: ` + order + ` }`,
			"inside a fragment": `mutation($key: String!, $input: CreateScreeningApplicationInput!) { addBan(input: {email: "x@example.com"}) { id } ...F }
				fragment F on Mutation { ` + order + ` }`,
		} {
			v := vars
			if strings.Contains(q, "$id") {
				v = map[string]any{"key": "k1", "input": apptest.LinkInput("lisa@example.com"), "id": "1"}
			}
			before := e.Queries.N.Load()
			r := e.GQL(token, q, v)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "must be the only field") {
				t.Fatalf("%s: HTTP %d %s %+v", name, r.Status, r.Data, r.Errors)
			}
			if n := e.Queries.N.Load() - before; n != auth {
				t.Errorf("%s: %d statements, authenticating alone costs %d", name, n, auth)
			}
		}
		if n := bans(e) + screeningRows(e); n != 0 || len(sm.Sim.Calls()) != 0 {
			t.Fatalf("refused operations wrote %d rows and made %d SmartMove calls", n, len(sm.Sim.Calls()))
		}

		// Alone, and with the other field skipped, it runs; through a
		// fragment too (it must not run inside a GraphQL transaction).
		e.MustGQL(token, `mutation($key: String!, $input: CreateScreeningApplicationInput!, $ban: Boolean!) {
			addBan(input: {email: "x@example.com"}) @include(if: $ban) { id } `+order+` }`,
			map[string]any{"key": "k1", "input": apptest.LinkInput("lisa@example.com"), "ban": false}, nil)
		var out struct {
			CreateScreeningApplication struct{ Application struct{ ID string } }
		}
		e.MustGQL(token, `mutation($key: String!, $input: CreateScreeningApplicationInput!) { __typename ...F }
			fragment F on Mutation { `+order+` }`, map[string]any{"key": "k2", "input": apptest.LinkInput("bart@example.com")}, &out)
		if out.CreateScreeningApplication.Application.ID == "" || bans(e) != 0 {
			t.Fatalf("through a fragment: %+v, %d bans", out, bans(e))
		}
		if n, err := e.Client.ScreeningApplication.Query().Count(e.Sys()); err != nil || n != 2 {
			t.Fatalf("%d applications (%v), want 2", n, err)
		}
		e.NoInternalErrors()
	})
}

// operation sends one operation over the websocket c and returns the
// messages it got for it, up to its complete (or error).
func operation(c *apptest.WSClient, id, query string, vars map[string]any) []apptest.WSMessage {
	c.T.Helper()
	p, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	c.Send(apptest.WSMessage{ID: id, Type: "subscribe", Payload: p})
	var got []apptest.WSMessage
	for {
		m := c.Read()
		got = append(got, m)
		switch m.Type {
		case "complete", "error", "closed": // each ends the operation
			return got
		}
	}
}

// nextPayload decodes an operation's single next message.
func nextPayload(t *testing.T, msgs []apptest.WSMessage) (data json.RawMessage, errs []apptest.GQLError) {
	t.Helper()
	if len(msgs) != 2 || msgs[0].Type != "next" || msgs[1].Type != "complete" {
		var s []string
		for _, m := range msgs {
			s = append(s, m.Type+" "+string(m.Payload))
		}
		t.Fatalf("want next then complete, got %v", s)
	}
	var p struct {
		Data   json.RawMessage
		Errors []apptest.GQLError
	}
	if err := json.Unmarshal(msgs[0].Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Data, p.Errors
}

func TestMutationsOverWebsocket(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		c, m := apptest.DialWS(t, e.Srv.URL, map[string]any{"Authorization": "Bearer " + token})
		if m.Type != "connection_ack" {
			t.Fatalf("connection: %s %s", m.Type, m.Payload)
		}

		// One mutation: its data, then complete; the row once.
		data, errs := nextPayload(t, operation(c, "1", `mutation { addBan(input: {email: "one@example.com"}) { email } }`, nil))
		if len(errs) != 0 || !strings.Contains(string(data), "one@example.com") || bans(e) != 1 {
			t.Fatalf("one mutation: %s %+v, %d rows", data, errs, bans(e))
		}
		// Two: both.
		data, errs = nextPayload(t, operation(c, "2", twoBans, map[string]any{"first": "two@example.com", "second": "three@example.com"}))
		if len(errs) != 0 || !strings.Contains(string(data), "three@example.com") || bans(e) != 3 {
			t.Fatalf("two mutations: %s %+v, %d rows", data, errs, bans(e))
		}
		// A failing one, and one failing after another wrote: nothing.
		for _, v := range []map[string]any{{"first": "bad", "second": "four@example.com"}, {"first": "four@example.com", "second": "bad"}} {
			data, errs = nextPayload(t, operation(c, "3", twoBans, v))
			if len(errs) != 1 || errs[0].Code() != "BAD_USER_INPUT" || string(data) != "" && string(data) != "null" || bans(e) != 3 {
				t.Fatalf("failing %v: %s %+v, %d rows", v, data, errs, bans(e))
			}
		}
		// A screening mutation alone works; with another it is refused.
		const order = `createScreeningApplication(idempotencyKey: $key, input: $input) { application { id } }`
		data, errs = nextPayload(t, operation(c, "4", `mutation($key: String!, $input: CreateScreeningApplicationInput!) { `+order+` }`,
			map[string]any{"key": "ws-1", "input": apptest.LinkInput("lisa@example.com")}))
		if len(errs) != 0 || !strings.Contains(string(data), `"id"`) {
			t.Fatalf("screening mutation: %s %+v", data, errs)
		}
		calls := len(sm.Sim.Calls())
		rows := screeningRows(e)
		data, errs = nextPayload(t, operation(c, "5", `mutation($key: String!, $input: CreateScreeningApplicationInput!) { `+order+` addBan(input: {email: "five@example.com"}) { id } }`,
			map[string]any{"key": "ws-2", "input": apptest.LinkInput("lisa@example.com")}))
		if len(errs) != 1 || errs[0].Code() != "BAD_USER_INPUT" || len(sm.Sim.Calls()) != calls || screeningRows(e) != rows || bans(e) != 3 {
			t.Fatalf("mixed: %s %+v", data, errs)
		}
		// The connection is still fine for the next operation.
		data, errs = nextPayload(t, operation(c, "6", `{ bans { totalCount } }`, nil))
		if len(errs) != 0 || !strings.Contains(string(data), `"totalCount":3`) {
			t.Fatalf("query after: %s %+v", data, errs)
		}
		e.NoInternalErrors()
	})
}
