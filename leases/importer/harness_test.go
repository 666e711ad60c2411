package importer

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/dbtest"
)

// The database tests run on SQLite and PostgreSQL (internal/dbtest), each
// against an empty database of its own, acting as a client so privacy is
// exercised.

// forEachDB runs fn on SQLite and on PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, db *ent.Client)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) { fn(t, db.Client) })
}

// newClient creates a client (as the system) and returns a context acting
// as that client's read-write token.
func newClient(t *testing.T, db *ent.Client, name string) (int, context.Context) {
	t.Helper()
	id := dbtest.NewClient(t, db, name)
	return id, dbtest.As(t, db, id)
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
