// Package dbtest is the database half of the test harness, for the tests of
// every package: each test runs on SQLite and on PostgreSQL, against a
// fresh database of its own (a temporary SQLite file; a PostgreSQL schema
// created for it and dropped after), migrated as the server migrates
// (package migrations), through an ent client that counts the statements
// it sends. The HTTP half (a server on that database) stays in server/,
// which builds package main's app on it.
//
// It lives under internal/ because it is test support: importable by every
// package of this module and by nothing outside it.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/ent"
	_ "github.com/leasegraph/leasegraph/ent/runtime" // privacy policies and hooks
	"github.com/leasegraph/leasegraph/internal/sqlitedsn"
	"github.com/leasegraph/leasegraph/migrations"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/viewer"
)

// DB is one test's migrated database.
type DB struct {
	// Dialect is dialect.SQLite or dialect.Postgres.
	Dialect string
	// Driver is the database itself, under the counting: statements sent
	// through it are not counted.
	Driver *entsql.Driver
	// Client is the ent client the test acts through; its statements count.
	Client *ent.Client
	// Statements counts the statements Client sent (transactions included).
	Statements *atomic.Int64
}

// SQL is the database/sql handle, for River and for raw checks.
func (db *DB) SQL() *sql.DB { return db.Driver.DB() }

// Each runs fn on a fresh migrated SQLite database and on a fresh migrated
// PostgreSQL schema, as parallel subtests "sqlite" and "postgres". An
// unreachable PostgreSQL fails the test; only a developer may skip it
// locally (LEASEGRAPH_TEST_SKIP_POSTGRES=1), never CI.
func Each(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	EachURL(t, func(t *testing.T, url string) { fn(t, Open(t, url)) })
}

// EachURL is Each for callers that open the database themselves (the
// server opens it with its own pool settings): fn gets a fresh empty
// database's URL in DATABASE_URL's form, sqlite:PATH or a postgres:// URL
// whose connections use the test's own schema.
func EachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, SQLiteURL(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testknobs.SkipPostgres(t)
		fn(t, PostgresURL(t))
	})
}

// SQLiteURL names a new SQLite file in the test's temporary directory.
func SQLiteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}

// PostgresURL creates a schema of its own for the test (dropped when it
// ends) and returns a URL whose connections use it.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := testknobs.PostgresURL()
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at %s is required for the tests (set TEST_DATABASE_URL): %v", base, err)
	}
	t.Cleanup(func() {
		if admin, err := sql.Open("postgres", base); err == nil {
			_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Open opens a URL from EachURL, migrates it and returns the test's DB.
// SQLite gets one connection, as in the server: a second would only wait
// on the first, or deadlock inside a transaction.
func Open(t testing.TB, url string) *DB {
	t.Helper()
	var drv *entsql.Driver
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		db, err := sql.Open("sqlite", sqlitedsn.DSN(path))
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		drv = entsql.OpenDB(dialect.SQLite, db)
	} else {
		db, err := sql.Open("postgres", url)
		if err != nil {
			t.Fatal(err)
		}
		drv = entsql.OpenDB(dialect.Postgres, db)
	}
	t.Cleanup(func() { drv.Close() })
	return New(t, drv)
}

// New applies the migrations to drv's database, as the server does at
// start-up, and returns a DB whose client counts its statements. The caller
// closes drv.
func New(t testing.TB, drv *entsql.Driver) *DB {
	t.Helper()
	return NewWith(t, drv, drv)
}

// NewWith is New with the client working through forEnt, a driver over
// drv's database (the server's, with SQLite's readers: database.WithReaders).
func NewWith(t testing.TB, drv *entsql.Driver, forEnt dialect.Driver) *DB {
	t.Helper()
	Migrate(t, drv)
	counting := &countingDriver{Driver: forEnt}
	client := ent.NewClient(ent.Driver(counting))
	t.Cleanup(func() { client.Close() })
	return &DB{Dialect: drv.Dialect(), Driver: drv, Client: client, Statements: &counting.n}
}

// Migrate applies the migrations to drv's database.
func Migrate(t testing.TB, drv *entsql.Driver) {
	t.Helper()
	if _, err := migrations.Apply(context.Background(), drv.DB(), drv.Dialect()); err != nil {
		t.Fatalf("migrating: %v", err)
	}
}

// System is a context acting as the system (the CLI, jobs, seeding): for
// arranging test data across clients.
func System() context.Context { return viewer.SystemContext(context.Background()) }

// NewClient creates a client as the system and returns its id.
func NewClient(t testing.TB, db *ent.Client, name string) int {
	t.Helper()
	c, err := db.Company.Create().SetName(name).Save(System())
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// Token creates an API token for the client (0: a platform admin token,
// which needs the admin scope) with the scopes, read and write by default,
// and returns its secret and the viewer it authenticates as.
func Token(t testing.TB, db *ent.Client, clientID int, scopes ...viewer.Scope) (string, *viewer.Viewer) {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []viewer.Scope{viewer.ScopeRead, viewer.ScopeWrite}
	}
	tok, secret, err := (&tenancy.Service{DB: db}).CreateToken(System(), tenancy.NewToken{ClientID: clientID, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	v := &viewer.Viewer{ClientID: clientID, TokenID: tok.ID, Scopes: scopes}
	return secret, v
}

// As returns a context acting as a new token of the client (see Token): a
// client's viewer, filtered by the privacy rules, whose token exists, so
// rows that record the acting token can point at it.
func As(t testing.TB, db *ent.Client, clientID int, scopes ...viewer.Scope) context.Context {
	t.Helper()
	_, v := Token(t, db, clientID, scopes...)
	return viewer.NewContext(context.Background(), v)
}

// countingDriver counts the statements sent to the database.
type countingDriver struct {
	dialect.Driver
	n atomic.Int64
}

func (d *countingDriver) Exec(ctx context.Context, q string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *countingDriver) Query(ctx context.Context, q string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Query(ctx, q, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: &d.n}, nil
}

type countingTx struct {
	dialect.Tx
	n *atomic.Int64
}

// Unwrap lets ent.SQLTx reach the database/sql transaction (River inserts
// in it).
func (t *countingTx) Unwrap() dialect.Tx { return t.Tx }

func (t *countingTx) Exec(ctx context.Context, q string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *countingTx) Query(ctx context.Context, q string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Query(ctx, q, args, v)
}
