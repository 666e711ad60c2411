package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/viewer"
)

// The test harness: every suite runs once on SQLite and once on PostgreSQL,
// each test against its own empty database, through the real HTTP handler.

// env is one test's server and database.
type env struct {
	t       testing.TB
	dialect string
	client  *ent.Client
	srv     *httptest.Server
	queries *queries
	logs    *syncBuffer
}

// queries is what the suites read of the database: e.queries.n counts the
// statements the app sent (dbtest's counter), e.queries.Driver is the
// database under the counting.
type queries struct {
	Driver dialect.Driver
	n      *atomic.Int64
}

// forEachDB runs fn on SQLite and on PostgreSQL (dbtest.EachURL). An
// unreachable PostgreSQL fails the test; only a developer may opt out
// locally, never CI.
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	forEachDBSetup(t, nil, fn)
}

// envSetup configures the app before it serves: it may start workers on the
// test's database (stopping them with t.Cleanup).
type envSetup func(t *testing.T, a *app, db *sql.DB, dialect string)

// forEachDBSetup is forEachDB with an app setup.
func forEachDBSetup(t *testing.T, setup envSetup, fn func(t *testing.T, e *env)) {
	t.Helper()
	dbtest.EachURL(t, func(t *testing.T, url string) { fn(t, newEnv(t, url, setup)) })
}

// mustRoutes is the app's routes, or the test's end when they cannot be
// built (the leases fast path refusing the schema).
func mustRoutes(t testing.TB, a *app) http.Handler {
	t.Helper()
	h, err := a.routes()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// postgresSchema creates a schema of its own for the test and returns a URL
// whose connections use it.
func postgresSchema(t testing.TB) string { return dbtest.PostgresURL(t) }

// newEnv opens url as the server does (its pool and timeouts), migrates it
// through dbtest and serves the app on it.
func newEnv(t testing.TB, url string, setup envSetup) *env {
	t.Helper()
	drv, err := database.Driver(url)
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.New(t, drv)
	logs := &syncBuffer{}
	a := &app{client: db.Client, db: drv.DB(), dialect: drv.Dialect(), log: slog.New(slog.NewTextHandler(logs, nil))}
	if setup != nil {
		setup(t.(*testing.T), a, drv.DB(), drv.Dialect()) // setups are for tests, not benchmarks
	}
	if a.tenancy == nil {
		// Long enough that a token stays cached for a whole test: suites
		// count statements against "authentication alone", which an entry
		// expiring mid-test would change (a revocation through the app
		// still drops it at once).
		a.tenancy = &tenancy.Service{DB: a.client, CacheTTL: time.Hour}
	}
	srv := httptest.NewServer(mustRoutes(t, a))
	t.Cleanup(srv.Close)
	return &env{
		t: t, dialect: drv.Dialect(), client: db.Client, srv: srv, logs: logs,
		queries: &queries{Driver: drv, n: db.Statements},
	}
}

// migratedClient applies the migrations to drv's database, as the server
// does at start-up, and returns a client that talks through via (drv itself
// or a wrapper of it).
func migratedClient(t testing.TB, drv *entsql.Driver, via dialect.Driver) *ent.Client {
	t.Helper()
	dbtest.Migrate(t, drv)
	client := ent.NewClient(ent.Driver(via))
	t.Cleanup(func() { client.Close() })
	return client
}

// sys is a context acting as the system, for arranging test data.
func (e *env) sys() context.Context { return dbtest.System() }

// newClient creates a client and a token for it with the given scopes
// (read and write by default).
func (e *env) newClient(name string, scopes ...viewer.Scope) (int, string) {
	e.t.Helper()
	id := dbtest.NewClient(e.t, e.client, name)
	return id, e.token(id, scopes...)
}

// token creates a token for the client (0: a platform admin token).
func (e *env) token(clientID int, scopes ...viewer.Scope) string {
	e.t.Helper()
	secret, _ := dbtest.Token(e.t, e.client, clientID, scopes...)
	return secret
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the error's extensions.code.
func (g gqlError) Code() string { s, _ := g.Extensions["code"].(string); return s }

// gqlResponse is a GraphQL answer as a client sees it.
type gqlResponse struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// gql posts a GraphQL request with the token (none if empty).
func (e *env) gql(token, query string, vars map[string]any) gqlResponse {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	status, raw := e.postGraphQL(token, bytes.NewReader(body))
	out := gqlResponse{Status: status}
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("response is not JSON (HTTP %d): %s", status, raw)
	}
	return out
}

// postGraphQL posts body, as it is, to /graphql with the token (none if
// empty) and returns the answer's status and body.
func (e *env) postGraphQL(token string, body io.Reader) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", body)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// mustGQL posts a request that must succeed and decodes its data into out.
func (e *env) mustGQL(token, query string, vars map[string]any, out any) {
	e.t.Helper()
	r := e.gql(token, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		e.t.Fatalf("HTTP %d, errors: %+v", r.Status, r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			e.t.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
}

// syncBuffer collects the server's log lines; handlers write concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// columnsHolding reads every row of the table and returns "table.column" for
// each value that contains one of the secrets, and how many rows it read:
// proof that a card number or a password was never stored, in any column.
func columnsHolding(t testing.TB, db *sql.DB, table string, secrets ...string) (hits []string, rows int) {
	t.Helper()
	rs, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		rows++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			str := fmt.Sprint(v)
			if b, ok := v.([]byte); ok {
				str = string(b)
			}
			for _, sec := range secrets {
				if v != nil && strings.Contains(str, sec) {
					hits = append(hits, table+"."+cols[i])
				}
			}
		}
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return hits, rows
}

// withAuthCacheTTL sets the authentication cache's lifetime (the harness
// default is an hour).
func withAuthCacheTTL(d time.Duration) envSetup {
	return func(t *testing.T, a *app, db *sql.DB, dialect string) {
		a.tenancy = &tenancy.Service{DB: a.client, CacheTTL: d}
	}
}

// stopJobsWithin stops a test's job queue as a server's shutdown would,
// within d.
func stopJobsWithin(stop func(context.Context), d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	stop(ctx)
}
