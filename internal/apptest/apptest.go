// Package apptest is the HTTP test harness: it builds the application with
// internal/app, the code the server runs, on a fresh database of each
// dialect (internal/dbtest: SQLite, then PostgreSQL), serves it over real
// HTTP, and gives a test a client's-eye view of it (GraphQL over HTTP,
// tokens, the server's log). Every route's suite, wherever it lives, uses
// it, and shares its helpers by topic: requests and answers (http.go),
// arranged data and the queries that read it back (data.go), the
// graphql-transport-ws client (ws.go), the partners' simulators wired
// into the app (smartmove.go, propexo.go, twilio.go), the registration
// page (registration.go), a real browser (browser.go), the database under
// the app (db.go) and the server as a process (process.go).
package apptest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/app"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/internal/readpool"
	"github.com/leasegraph/leasegraph/viewer"
)

// Settings are what a test's setup may change before the app is built:
// the configuration (config.Defaults() with the harness's changes, below)
// and the knobs only tests turn. SQL and Dialect are the test's database,
// for a setup that arranges data or starts something of its own on it.
type Settings struct {
	Config  config.Config
	Options app.Options
	SQL     *sql.DB
	Dialect string
	// URL is the database's URL; PublicURL the test server's, known before
	// it serves (the address partners call back).
	URL, PublicURL string
	// Ready run once the app serves, with its Env.
	Ready []func(e *Env)
	// handles are what setups started for the test (a partner's
	// simulator), by kind: the test reaches them through its Env
	// (SmartMove, Propexo, LeaseSync, TwilioSim).
	handles map[any]any
}

// attach keeps h, what a setup started, for the test to reach through its
// Env (handle).
func (s *Settings) attach(key, h any) {
	if s.handles == nil {
		s.handles = map[any]any{}
	}
	s.handles[key] = h
}

// handle is what the setup named by setup attached under key; the test
// fails if that setup did not run.
func handle[H any](t testing.TB, e *Env, key any, setup string) H {
	t.Helper()
	h, ok := e.Settings.handles[key].(H)
	if !ok {
		t.Fatalf("no simulator: use apptest.EachDBSetup(t, apptest.%s(...), ...)", setup)
	}
	return h
}

// Setup changes the settings before the app is built; it may start
// simulators (stopping them with t.Cleanup).
type Setup func(t *testing.T, s *Settings)

// Env is one test's server and database.
type Env struct {
	T       testing.TB
	Dialect string
	// Client is the test's ent client; its statements are counted.
	Client *ent.Client
	// SQL is the database under the client.
	SQL *sql.DB
	// URL is the database's.
	URL string
	Srv *httptest.Server
	App *app.App
	// Queries counts the statements the app sent (dbtest's counter).
	Queries *Queries
	Logs    *SyncBuffer
	// Settings are those the app was built with.
	Settings *Settings
}

// Queries is what the suites read of the database: N counts the statements
// the app sent, Driver is the database under the counting, and Reads, on
// SQLite, the read-only connections the app's SELECTs use.
type Queries struct {
	Driver dialect.Driver
	N      *atomic.Int64
	Reads  *sql.DB
}

// EachDB runs fn on SQLite and on PostgreSQL (dbtest.EachURL). An
// unreachable PostgreSQL fails the test; only a developer may opt out
// locally, never CI.
func EachDB(t *testing.T, fn func(t *testing.T, e *Env)) {
	t.Helper()
	EachDBSetup(t, nil, fn)
}

// EachDBSetup is EachDB with a setup.
func EachDBSetup(t *testing.T, setup Setup, fn func(t *testing.T, e *Env)) {
	t.Helper()
	dbtest.EachURL(t, func(t *testing.T, url string) { fn(t, New(t, url, setup)) })
}

// Defaults are the settings every test starts from: the server's
// defaults, with no rate limit (suites send bursts; the limits have their
// own tests) and an authentication cache long enough that a token stays
// cached for a whole test (suites count statements against
// "authentication alone", which an entry expiring mid-test would change;
// a revocation through the app still drops it at once).
func Defaults(url string) config.Config {
	cfg := config.Defaults()
	cfg.DatabaseURL = url
	def := cfg.Limits
	cfg.Limits = config.RateLimits{MaxKeys: def.MaxKeys, SocketRecheck: def.SocketRecheck}
	cfg.AuthCacheTTL = time.Hour
	return cfg
}

// New opens url as the server does (its pool and timeouts), migrates it
// through dbtest, builds the app with setup's settings and serves it.
func New(t testing.TB, url string, setup Setup) *Env {
	t.Helper()
	var set func(*Settings)
	if setup != nil {
		set = func(s *Settings) { setup(t.(*testing.T), s) } // setups are for tests, not benchmarks
	}
	return NewWith(t, url, set)
}

// NewWith is New with the settings changed by set, which needs no
// *testing.T: for benchmarks, which Setups cannot serve.
func NewWith(t testing.TB, url string, set func(s *Settings)) *Env {
	t.Helper()
	drv, err := database.Driver(url)
	if err != nil {
		t.Fatal(err)
	}
	// As the server opens it: on SQLite, SELECTs outside a transaction on
	// read-only connections of their own.
	forEnt, err := database.WithReaders(url, drv)
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.NewWith(t, drv, forEnt)
	srv := httptest.NewUnstartedServer(nil)
	public := "http://" + srv.Listener.Addr().String()
	s := &Settings{Config: Defaults(url), SQL: drv.DB(), Dialect: drv.Dialect(), URL: url, PublicURL: public}
	s.Config.Screening.PublicURL = public
	if set != nil {
		set(s)
	}
	logs := &SyncBuffer{}
	a, err := app.New(context.Background(), s.Config, db.Client, drv, slog.New(slog.NewTextHandler(logs, nil)), s.Options)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { stopWithin(a, 10*time.Second) })
	if err := a.Start(context.Background()); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	e := &Env{T: t, Dialect: drv.Dialect(), Client: db.Client, SQL: drv.DB(), URL: url, Srv: srv, App: a, Logs: logs, Settings: s,
		Queries: &Queries{Driver: drv, N: db.Statements}}
	if split, ok := forEnt.(*readpool.Split); ok {
		e.Queries.Reads = split.Reads.DB()
	}
	for _, f := range s.Ready {
		f(e)
	}
	return e
}

// Another builds and starts a second application on e's database with
// the settings setup changes (from e's): another process of the same
// deployment, or the same one restarted. It serves nothing (its Handler
// can); the test's cleanup stops it.
func (e *Env) Another(t *testing.T, setup Setup) *app.App {
	t.Helper()
	a := e.Build(t, setup)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

// Build is Another without starting: nothing works jobs.
func (e *Env) Build(t *testing.T, setup Setup) *app.App {
	t.Helper()
	s := *e.Settings
	s.Ready = nil
	s.handles = maps.Clone(s.handles) // the test's own stay e's
	if setup != nil {
		setup(t, &s)
	}
	drv, err := database.Driver(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), s.Config, e.Client, drv, slog.New(slog.NewTextHandler(e.Logs, nil)), s.Options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopWithin(a, 10*time.Second); drv.Close() })
	return a
}

// WithAuthCacheTTL sets the authentication cache's lifetime (the harness
// default is an hour), for tests of how soon a revocation made elsewhere
// (the CLI, another process) is seen.
func WithAuthCacheTTL(d time.Duration) Setup {
	return func(t *testing.T, s *Settings) { s.Config.AuthCacheTTL = d }
}

// stopWithin stops an app's jobs as a server's shutdown would, within d.
func stopWithin(a *app.App, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	a.Stop(ctx)
}

// Sys is a context acting as the system, for arranging test data.
func (e *Env) Sys() context.Context { return dbtest.System() }

// NewClient creates a client and a token for it with the given scopes
// (read and write by default).
func (e *Env) NewClient(name string, scopes ...viewer.Scope) (int, string) {
	e.T.Helper()
	id := dbtest.NewClient(e.T, e.Client, name)
	return id, e.Token(id, scopes...)
}

// Token creates a token for the client (0: a platform admin token).
func (e *Env) Token(clientID int, scopes ...viewer.Scope) string {
	e.T.Helper()
	secret, _ := dbtest.Token(e.T, e.Client, clientID, scopes...)
	return secret
}

// GQLError is one error of a GraphQL response.
type GQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the error's extensions.code.
func (g GQLError) Code() string { s, _ := g.Extensions["code"].(string); return s }

// GQLResponse is a GraphQL answer as a client sees it.
type GQLResponse struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []GQLError      `json:"errors"`
}

// GQL posts a GraphQL request with the token (none if empty).
func (e *Env) GQL(token, query string, vars map[string]any) GQLResponse {
	e.T.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	status, raw := e.PostGraphQL(token, bytes.NewReader(body))
	out := GQLResponse{Status: status}
	if err := json.Unmarshal(raw, &out); err != nil {
		e.T.Fatalf("response is not JSON (HTTP %d): %s", status, raw)
	}
	return out
}

// PostGraphQL posts body, as it is, to /graphql with the token (none if
// empty) and returns the answer's status and body.
func (e *Env) PostGraphQL(token string, body io.Reader) (int, []byte) {
	e.T.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/graphql", body)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// MustGQL posts a request that must succeed and decodes its data into out.
func (e *Env) MustGQL(token, query string, vars map[string]any, out any) {
	e.T.Helper()
	r := e.GQL(token, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		e.T.Fatalf("HTTP %d, errors: %+v", r.Status, r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			e.T.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
}

// SyncBuffer collects the server's log lines; handlers write concurrently.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p, as the app's logger does from any goroutine.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far, for a test to search.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
