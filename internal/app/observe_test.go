package app_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/viewer"
)

var generatedID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// TestRequestIDEchoedInErrorsAndLogs: the caller's X-Request-Id comes back
// in the header, in a GraphQL error's extensions, in a REST error's body,
// and on the request's log line; an unsafe or missing one is replaced.
func TestRequestIDEchoedInErrorsAndLogs(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, tok := e.NewClient("Acme", viewer.ScopeRead)

		req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/graphql",
			strings.NewReader(`{"query":"{ node(id: \"4294967296999\") { id } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Request-Id", "trace-42.a:b_c")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out apptest.GQLResponse
		_ = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if got := res.Header.Get("X-Request-Id"); got != "trace-42.a:b_c" {
			t.Fatalf("X-Request-Id = %q", got)
		}
		if len(out.Errors) == 0 || out.Errors[0].Extensions["requestId"] != "trace-42.a:b_c" {
			t.Fatalf("GraphQL errors without the request id: %+v", out.Errors)
		}
		if !strings.Contains(e.Logs.String(), "request_id=trace-42.a:b_c") {
			t.Fatalf("no log line carries the request id:\n%s", e.Logs.String())
		}

		// Refused by an operation interceptor (a read-only token's mutation).
		ro := e.GQL(tok, `mutation { retryIntegrationJob(id: "1") { id } }`, nil)
		if len(ro.Errors) != 1 || ro.Errors[0].Code() != "FORBIDDEN" || !generatedID.MatchString(fmt.Sprint(ro.Errors[0].Extensions["requestId"])) {
			t.Fatalf("read-only mutation without a request id: %+v", ro)
		}

		// Refused before GraphQL runs (401): the same extension.
		r401 := e.GQL("", "{ __typename }", nil)
		if r401.Status != http.StatusUnauthorized || len(r401.Errors) != 1 || !generatedID.MatchString(r401.Errors[0].Extensions["requestId"].(string)) {
			t.Fatalf("401 without a generated request id: %+v", r401)
		}

		for _, sent := range []string{"", "has space", "quote\"d", strings.Repeat("x", 65)} {
			res, body := e.GetWith("/leases", map[string]string{"X-Request-Id": sent})
			id := res.Header.Get("X-Request-Id")
			if res.StatusCode != http.StatusUnauthorized || !generatedID.MatchString(id) {
				t.Fatalf("sent %q: HTTP %d, X-Request-Id %q", sent, res.StatusCode, id)
			}
			var rest struct {
				Error struct{ Code, RequestID string } `json:"error"`
			}
			if err := json.Unmarshal(body, &rest); err != nil || rest.Error.Code != "UNAUTHENTICATED" || rest.Error.RequestID != id {
				t.Fatalf("sent %q: REST error %s does not carry %q", sent, body, id)
			}
		}
	})
}

// TestReadyz: ready while the database answers, its migrations are applied
// and the job workers (none here) run; 503 naming the failed check
// otherwise.
func TestReadyz(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		type answer struct {
			Status string
			Checks map[string]string
			Error  struct{ Code, Message string }
		}
		ready := func() (int, answer) {
			res, body := e.GetWith("/readyz", nil)
			var a answer
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatalf("not JSON (HTTP %d): %s", res.StatusCode, body)
			}
			return res.StatusCode, a
		}
		if code, a := ready(); code != http.StatusOK || a.Status != "ok" || a.Checks["database"] != "ok" || a.Checks["migrations"] != "ok" || a.Checks["workers"] != "ok" {
			t.Fatalf("fresh database: HTTP %d %+v", code, a)
		}

		// The newest migration "not applied": the binary is ahead of the schema.
		var res sql.Result
		if err := e.Queries.Driver.Exec(t.Context(), "DELETE FROM schema_revisions WHERE version = (SELECT MAX(version) FROM schema_revisions)", []any{}, &res); err != nil {
			t.Fatal(err)
		}
		if code, a := ready(); code != http.StatusServiceUnavailable || a.Checks["migrations"] != "failed" || a.Checks["database"] != "ok" ||
			a.Error.Code != "UNAVAILABLE" || !strings.Contains(a.Error.Message, "migrations") {
			t.Fatalf("pending migration: HTTP %d %+v", code, a)
		}

		// The database gone.
		if err := e.Client.Close(); err != nil {
			t.Fatal(err)
		}
		if code, a := ready(); code != http.StatusServiceUnavailable || a.Checks["database"] != "failed" || !strings.Contains(a.Error.Message, "database") {
			t.Fatalf("database closed: HTTP %d %+v", code, a)
		}
	})
}

// TestReadyzWorkersDown: a process that should work Propexo deliveries but
// whose workers do not run is not ready, though its database is.
func TestReadyzWorkersDown(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{}, true), func(t *testing.T, e *apptest.Env) {
		res, body := e.GetWith("/readyz", nil)
		var a struct {
			Checks map[string]string
			Error  struct{ Code, Message string }
		}
		_ = json.Unmarshal(body, &a)
		if res.StatusCode != http.StatusServiceUnavailable || a.Checks["workers"] != "failed" || a.Checks["database"] != "ok" ||
			a.Error.Message != "not ready: workers" {
			t.Fatalf("HTTP %d %s", res.StatusCode, body)
		}
	})
}
