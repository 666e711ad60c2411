package handler_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/viewer"
)

// exchange is one request to /graphql as a client sends it, and what it
// must get back.
type exchange struct {
	name        string
	method      string
	contentType string // "-": none
	accept      string
	token       string // "-": none; "": the test's read-write token
	query       string // GET: the URL's query string
	body        string
	status      int
	media       string // the answer's Content-Type, charset included
	code        string // the first error's code; "" for none
	data        bool   // whether the answer has a data entry
	allow       string // the Allow header of a 405
}

const (
	graphQLResponse = "application/graphql-response+json; charset=utf-8"
	plainJSON       = "application/json; charset=utf-8"
	draftAccept     = "application/graphql-response+json, application/json;q=0.9"
)

// The rules of the GraphQL-over-HTTP draft, one request each, through the
// whole app (authentication and the request deadline included): the media
// type the Accept header asks for, every status of the draft's list, and
// no data entry in an answer to a request that failed before execution.
func TestGraphQLOverHTTP(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		id, token := e.NewClient("Acme")
		reader := e.Token(id, viewer.ScopeRead)
		get := func(q string) string { return "query=" + url.QueryEscape(q) }
		for _, c := range []exchange{
			// Media types.
			{name: "asks for the draft's type", accept: draftAccept, body: `{"query":"{ __typename }"}`, status: 200, media: graphQLResponse, data: true},
			{name: "only the draft's type", accept: "application/graphql-response+json", body: `{"query":"{ __typename }"}`, status: 200, media: graphQLResponse, data: true},
			{name: "a legacy client", accept: "application/json", body: `{"query":"{ __typename }"}`, status: 200, media: plainJSON, data: true},
			{name: "no Accept", body: `{"query":"{ __typename }"}`, status: 200, media: plainJSON, data: true},
			{name: "any type", accept: "*/*", body: `{"query":"{ __typename }"}`, status: 200, media: plainJSON, data: true},
			{name: "JSON ranked higher", accept: "application/graphql-response+json;q=0.5, application/json", body: `{"query":"{ __typename }"}`, status: 200, media: plainJSON, data: true},
			{name: "neither type", accept: "text/html", body: `{"query":"{ __typename }"}`, status: 406, media: plainJSON, code: "NOT_ACCEPTABLE"},
			{name: "refused with q=0", accept: "application/json;q=0, application/graphql-response+json;q=0", body: `{"query":"{ __typename }"}`, status: 406, media: plainJSON, code: "NOT_ACCEPTABLE"},
			// The request itself.
			{name: "a body that is not JSON", accept: draftAccept, body: `NONSENSE`, status: 400, media: graphQLResponse, code: "BAD_USER_INPUT"},
			{name: "cut JSON", accept: draftAccept, body: `{"query":`, status: 400, media: graphQLResponse, code: "BAD_USER_INPUT"},
			{name: "a misspelt parameter", accept: draftAccept, body: `{"qeury":"{ __typename }"}`, status: 422, media: graphQLResponse, code: "BAD_USER_INPUT"},
			{name: "variables not a map", accept: draftAccept, body: `{"query":"query Q($i: Int!) { __typename }","variables":[7]}`, status: 422, media: graphQLResponse, code: "BAD_USER_INPUT"},
			{name: "a JSON array", accept: draftAccept, body: `[{"query":"{ __typename }"}]`, status: 422, media: graphQLResponse, code: "BAD_USER_INPUT"},
			{name: "operationName not a string", accept: draftAccept, body: `{"query":"{ __typename }","operationName":7}`, status: 422, media: graphQLResponse, code: "BAD_USER_INPUT"},
			{name: "nulls are absent parameters", accept: draftAccept, body: `{"query":"{ __typename }","operationName":null,"variables":null,"extensions":null}`, status: 200, media: graphQLResponse, data: true},
			{name: "a document that does not parse", accept: draftAccept, body: `{"query":"{"}`, status: 400, media: graphQLResponse, code: "GRAPHQL_PARSE_FAILED"},
			{name: "a document that does not validate", accept: draftAccept, body: `{"query":"{ nothingHere }"}`, status: 422, media: graphQLResponse, code: "GRAPHQL_VALIDATION_FAILED"},
			{name: "variables that do not coerce", accept: draftAccept, body: `{"query":"query Q($n: Int) { leases(first: $n) { totalCount } }","variables":{"n":"many"}}`, status: 422, media: graphQLResponse, code: "BAD_USER_INPUT"},
			{name: "no operation named", accept: draftAccept, body: `{"query":"query A { __typename } query B { __typename }"}`, status: 422, media: graphQLResponse, code: "GRAPHQL_VALIDATION_FAILED"},
			{name: "over a cost limit", accept: draftAccept, body: `{"query":"{ ` + strings.Repeat("a: __typename ", 120) + `}"}`, status: 422, media: graphQLResponse, code: "QUERY_TOO_LARGE"},
			{name: "a legacy client's request error", accept: "application/json", body: `{"query":"{"}`, status: 400, media: graphQLResponse, code: "GRAPHQL_PARSE_FAILED"},
			// Execution.
			{name: "a field error beside data", accept: draftAccept, body: `{"query":"{ __typename leases(first: 501) { totalCount } }"}`, status: 294, media: graphQLResponse, code: "BAD_USER_INPUT", data: true},
			{name: "a legacy client's partial success", accept: "application/json", body: `{"query":"{ __typename leases(first: 501) { totalCount } }"}`, status: 294, media: plainJSON, code: "BAD_USER_INPUT", data: true},
			{name: "a mutation that fails and is rolled back", accept: draftAccept, body: `{"query":"mutation { updateClientPartnerReferences(id: \"` + apptest.Itoa(id) + `\", input: {smartmoveReference: \"r\"}) { smartmoveReference } }"}`, status: 294, media: graphQLResponse, code: "FORBIDDEN", data: true},
			{name: "a mutation with a read token", token: reader, accept: draftAccept, body: `{"query":"mutation { createProperty(input: {tag: \"P\", name: \"N\"}) { id } }"}`, status: 403, media: graphQLResponse, code: "FORBIDDEN"},
			{name: "a subscription over HTTP", accept: draftAccept, body: `{"query":"subscription { screeningApplicationUpdated(id: \"1\") { id } }"}`, status: 400, media: graphQLResponse, code: "BAD_USER_INPUT"},
			// Methods and bodies.
			{name: "GET", method: "GET", accept: draftAccept, query: get("{ __typename }"), status: 200, media: graphQLResponse, data: true},
			{name: "GET with variables", method: "GET", accept: draftAccept, query: get("query Q($n: Int) { leases(first: $n) { totalCount } }") + "&variables=" + url.QueryEscape(`{"n":1}`) + "&operationName=Q", status: 200, media: graphQLResponse, data: true},
			{name: "GET with empty parameters", method: "GET", accept: draftAccept, query: get("{ __typename }") + "&variables=&operationName=&extensions=", status: 200, media: graphQLResponse, data: true},
			{name: "GET without a query", method: "GET", accept: draftAccept, status: 422, media: graphQLResponse, code: "BAD_USER_INPUT"},
			{name: "GET with variables not JSON", method: "GET", accept: draftAccept, query: get("{ __typename }") + "&variables=%7B", status: 400, media: graphQLResponse, code: "BAD_USER_INPUT"},
			{name: "GET a mutation", method: "GET", accept: draftAccept, query: get(`mutation { createProperty(input: {tag: "P", name: "N"}) { id } }`), status: 405, media: graphQLResponse, code: "METHOD_NOT_ALLOWED", allow: "POST"},
			{name: "PUT", method: "PUT", accept: draftAccept, body: `{"query":"{ __typename }"}`, status: 405, media: graphQLResponse, code: "METHOD_NOT_ALLOWED", allow: "GET, POST, OPTIONS"},
			{name: "no Content-Type", contentType: "-", accept: draftAccept, body: `{"query":"{ __typename }"}`, status: 415, media: graphQLResponse, code: "UNSUPPORTED_MEDIA_TYPE"},
			{name: "a form", contentType: "application/x-www-form-urlencoded", accept: draftAccept, body: `query=%7B__typename%7D`, status: 415, media: graphQLResponse, code: "UNSUPPORTED_MEDIA_TYPE"},
			{name: "JSON in Latin-1", contentType: "application/json; charset=iso-8859-1", accept: draftAccept, body: `{"query":"{ __typename }"}`, status: 415, media: graphQLResponse, code: "UNSUPPORTED_MEDIA_TYPE"},
			{name: "JSON in UTF-8", contentType: "application/json; charset=UTF-8", accept: draftAccept, body: `{"query":"{ __typename }"}`, status: 200, media: graphQLResponse, data: true},
			// Refused before GraphQL: a GraphQL response all the same.
			{name: "no token", token: "-", accept: draftAccept, body: `{"query":"{ __typename }"}`, status: 401, media: graphQLResponse, code: "UNAUTHENTICATED"},
			{name: "no token, a legacy client", token: "-", accept: "application/json", body: `{"query":"{ __typename }"}`, status: 401, media: graphQLResponse, code: "UNAUTHENTICATED"},
		} {
			if c.token == "" {
				c.token = token
			}
			a := send(t, e, c)
			if a.Status != c.status || a.Header.Get("Content-Type") != c.media || a.Header.Get("Allow") != c.allow {
				t.Errorf("%s: HTTP %d, Content-Type %q, Allow %q; want %d, %q, %q\n%s", c.name, a.Status, a.Header.Get("Content-Type"), a.Header.Get("Allow"), c.status, c.media, c.allow, a.Body)
				continue
			}
			var body map[string]json.RawMessage
			if err := json.Unmarshal(a.Body, &body); err != nil {
				t.Errorf("%s: not JSON: %s", c.name, a.Body)
				continue
			}
			if _, has := body["data"]; has != c.data || a.ErrorCode() != c.code {
				t.Errorf("%s: data entry %v, code %q; want %v, %q\n%s", c.name, has, a.ErrorCode(), c.data, c.code, a.Body)
			}
		}
	})
}

// send makes the exchange's request and reads the answer.
func send(t *testing.T, e *apptest.Env, c exchange) apptest.Answer {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader = http.NoBody
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	target := e.Srv.URL + "/graphql"
	if c.query != "" {
		target += "?" + c.query
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.contentType == "-":
	case c.contentType != "":
		req.Header.Set("Content-Type", c.contentType)
	case method != http.MethodGet:
		req.Header.Set("Content-Type", "application/json")
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	if c.token != "-" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return apptest.Answer{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// The leases page the fast path answers goes out under the same rules: the
// draft's media type when asked, and extensions.cost's actualQueryCost
// counting what it answered (each value once, the connection 100), the
// figure gqlgen's executor gives for the same page (graph/fastpath's
// differential tests compare the whole answers, extensions included). A
// request error on the same query has no data entry.
func TestFastPathOverHTTP(t *testing.T) {
	var served atomic.Int64
	setup := func(t *testing.T, s *apptest.Settings) { s.Options.FastPathServed = func() { served.Add(1) } }
	apptest.EachDBSetup(t, setup, func(t *testing.T, e *apptest.Env) {
		id, token := e.NewClient("Acme")
		p := e.NewProperty(id, "P-1", "Pine")
		day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		for i := range 3 {
			l := e.NewLease(p, fmt.Sprintf("L%d", i), "Approved", day.AddDate(-1, 0, i), apptest.MoveIn(day.AddDate(0, 0, i)))
			for j := range i {
				e.NewTenant(l, fmt.Sprintf("T%d-%d", i, j), "Sam \"Q\": x", "Lee", fmt.Sprintf("t%d%d@example.com", i, j))
			}
		}
		const page = `query($n: Int) { leases(first: $n) { totalCount edges { cursor node { id sourceID status moveInDate
			unitAddress { street zip } tenants { id firstName lastName email } } } } }`
		for _, accept := range []string{draftAccept, "application/json"} {
			before := served.Load()
			body, _ := json.Marshal(map[string]any{"query": page, "variables": map[string]any{"n": 10}})
			a := send(t, e, exchange{accept: accept, token: token, body: string(body)})
			if served.Load() == before {
				t.Fatal("the fast path did not answer the page")
			}
			want := plainJSON
			if accept == draftAccept {
				want = graphQLResponse
			}
			if a.Status != http.StatusOK || a.Header.Get("Content-Type") != want {
				t.Fatalf("Accept %s: HTTP %d %s: %s", accept, a.Status, a.Header.Get("Content-Type"), a.Body)
			}
			var got struct {
				Data       any
				Extensions struct {
					Cost struct{ RequestedQueryCost, ActualQueryCost int }
				}
			}
			if err := json.Unmarshal(a.Body, &got); err != nil {
				t.Fatal(err)
			}
			// The values answered, counted on the decoded answer (the
			// server counts the bytes), and the connection's 99 more.
			if values := countKeys(got.Data); got.Extensions.Cost.ActualQueryCost != values+99 || values < 3*9 {
				t.Fatalf("actualQueryCost %d for %d values answered: %s", got.Extensions.Cost.ActualQueryCost, values, a.Body)
			}
			if got.Extensions.Cost.RequestedQueryCost <= got.Extensions.Cost.ActualQueryCost {
				t.Fatalf("a page of 3 rows asked as 10 costs more than requested: %s", a.Body)
			}
		}
		body, _ := json.Marshal(map[string]any{"query": page, "variables": map[string]any{"n": "ten"}})
		a := send(t, e, exchange{accept: draftAccept, token: token, body: string(body)})
		if a.Status != http.StatusUnprocessableEntity || bytes.Contains(a.Body, []byte(`"data"`)) || a.ErrorCode() != "BAD_USER_INPUT" {
			t.Fatalf("a page with a bad variable: HTTP %d %s", a.Status, a.Body)
		}
	})
}

// countKeys counts the keys of every object in a decoded JSON value.
func countKeys(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			n += 1 + countKeys(x)
		}
	case []any:
		for _, x := range v {
			n += countKeys(x)
		}
	}
	return n
}

// TestOperationNameMessages: a document of several operations sent
// without operationName, or with a name it does not hold, is told which
// names it holds (gqlgen's own message was "operation  not found").
func TestOperationNameMessages(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Acme")
		const doc = `query A { __typename } query B { __typename }`
		for name, want := range map[string]string{
			"":  `the document holds 2 operations: name the one to run in operationName ("A", "B")`,
			"C": `no operation named "C" in the document (it holds "A", "B")`,
		} {
			body, _ := json.Marshal(map[string]string{"query": doc, "operationName": name})
			status, out := e.PostGraphQL(token, bytes.NewReader(body))
			var r struct {
				Errors []struct{ Message string }
			}
			if err := json.Unmarshal(out, &r); err != nil || status != http.StatusUnprocessableEntity || len(r.Errors) != 1 || r.Errors[0].Message != want {
				t.Errorf("operationName %q: HTTP %d %s, want the message %q", name, status, out, want)
			}
		}
	})
}
