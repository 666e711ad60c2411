package main

import (
	"context"
	"io"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/viewer"
)

// The suites here run on internal/apptest, the harness every route's
// suite shares: these names keep the package's tests short.

// env is one test's server and database (apptest.Env).
type env struct {
	*apptest.Env
	t       testing.TB
	dialect string
	client  *ent.Client
	srv     *httptest.Server
	queries *queries
	logs    *apptest.SyncBuffer
}

// queries: e.queries.n counts the statements the app sent, e.queries.Driver
// is the database under the counting.
type queries struct {
	Driver dialect.Driver
	n      *atomic.Int64
}

// forEachDB runs fn on SQLite and on PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	forEachDBSetup(t, nil, fn)
}

// envSetup configures the app before it is built.
type envSetup = apptest.Setup

// forEachDBSetup is forEachDB with an app setup.
func forEachDBSetup(t *testing.T, setup envSetup, fn func(t *testing.T, e *env)) {
	t.Helper()
	dbtest.EachURL(t, func(t *testing.T, url string) { fn(t, newEnv(t, url, setup)) })
}

// postgresSchema creates a schema of its own for the test and returns a URL
// whose connections use it.
func postgresSchema(t testing.TB) string { return dbtest.PostgresURL(t) }

// newEnv serves the app on url's database (apptest.New).
func newEnv(t testing.TB, url string, setup envSetup) *env { return wrap(apptest.New(t, url, setup)) }

func wrap(a *apptest.Env) *env {
	return &env{Env: a, t: a.T, dialect: a.Dialect, client: a.Client, srv: a.Srv, logs: a.Logs,
		queries: &queries{Driver: a.Queries.Driver, n: a.Queries.N}}
}

// sys is a context acting as the system, for arranging test data.
func (e *env) sys() context.Context { return dbtest.System() }

// newClient creates a client and a token for it with the given scopes
// (read and write by default).
func (e *env) newClient(name string, scopes ...viewer.Scope) (int, string) {
	e.t.Helper()
	return e.NewClient(name, scopes...)
}

// token creates a token for the client (0: a platform admin token).
func (e *env) token(clientID int, scopes ...viewer.Scope) string {
	e.t.Helper()
	return e.Token(clientID, scopes...)
}

type gqlError = apptest.GQLError
type gqlResponse = apptest.GQLResponse

// gql posts a GraphQL request with the token (none if empty).
func (e *env) gql(token, query string, vars map[string]any) gqlResponse {
	e.t.Helper()
	return e.GQL(token, query, vars)
}

// postGraphQL posts body, as it is, to /graphql.
func (e *env) postGraphQL(token string, body io.Reader) (int, []byte) {
	e.t.Helper()
	return e.PostGraphQL(token, body)
}

// mustGQL posts a request that must succeed and decodes its data into out.
func (e *env) mustGQL(token, query string, vars map[string]any, out any) {
	e.t.Helper()
	e.MustGQL(token, query, vars, out)
}

type syncBuffer = apptest.SyncBuffer
