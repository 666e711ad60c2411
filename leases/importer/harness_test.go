package importer

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/ent"
	_ "github.com/leasegraph/leasegraph/ent/runtime" // privacy policies and hooks
	"github.com/leasegraph/leasegraph/migrations"
	"github.com/leasegraph/leasegraph/viewer"
)

// The database tests run on SQLite and PostgreSQL, each against an empty
// database of its own, acting as a client so privacy is exercised (as in
// server/harness_test.go).

// forEachDB runs fn on SQLite and on PostgreSQL. An unreachable PostgreSQL
// fails the test; only a developer may opt out locally, never CI.
func forEachDB(t *testing.T, fn func(t *testing.T, db *ent.Client)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		dsn := "file:" + filepath.Join(t.TempDir(), "test.db") + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
		sqlDB, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		sqlDB.SetMaxOpenConns(1)
		fn(t, migrated(t, entsql.OpenDB(dialect.SQLite, sqlDB)))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testknobs.SkipPostgres(t)
		sqlDB, err := sql.Open("postgres", postgresSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		fn(t, migrated(t, entsql.OpenDB(dialect.Postgres, sqlDB)))
	})
}

// migrated applies the schema migrations, as the server does at start-up.
func migrated(t *testing.T, drv *entsql.Driver) *ent.Client {
	t.Helper()
	if _, err := migrations.Apply(context.Background(), drv.DB(), drv.Dialect()); err != nil {
		t.Fatalf("migrating: %v", err)
	}
	db := ent.NewClient(ent.Driver(drv))
	t.Cleanup(func() { db.Close() })
	return db
}

// postgresSchema creates a schema of its own for the test and returns a URL
// whose connections use it.
func postgresSchema(t *testing.T) string {
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

// newClient creates a client (as the system) and returns a context acting
// as that client's read-write token.
func newClient(t *testing.T, db *ent.Client, name string) (int, context.Context) {
	t.Helper()
	c, err := db.Company.Create().SetName(name).Save(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, viewer.NewContext(context.Background(), &viewer.Viewer{
		ClientID: c.ID, TokenID: 1, Scopes: []viewer.Scope{viewer.ScopeRead, viewer.ScopeWrite},
	})
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readMapping(t *testing.T, name string) Mapping {
	t.Helper()
	m, err := ParseMapping(readFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
