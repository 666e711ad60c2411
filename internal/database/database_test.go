package database

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/leasegraph/leasegraph/internal/readpool"
)

// A '#' or '%' in a SQLite path names a file, not the end of the URI: the
// database lands exactly where the path says.
func TestSQLitePathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#01%20b")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "test.db")
	drv, err := Driver("sqlite:" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	if _, err := drv.DB().Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at %s: %v", path, err)
	}
	var fk int
	if err := drv.DB().QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("the pragmas were lost: foreign_keys=%d %v", fk, err)
	}
}

// A SQLite file gets readers of its own; an in-memory database, which is
// its connection's alone, and PostgreSQL do not.
func TestWithReaders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	for url, split := range map[string]bool{
		"sqlite:" + path:                         true,
		"sqlite::memory:":                        false,
		"sqlite:x.db?mode=memory":                false,
		"postgres://localhost/x?sslmode=disable": false,
	} {
		drv, err := DriverWith(url, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		forEnt, err := WithReaders(url, drv)
		if err != nil {
			t.Fatal(err)
		}
		if _, isSplit := forEnt.(*readpool.Split); isSplit != split {
			t.Errorf("%s: a driver with readers %v, want %v", url, isSplit, split)
		}
		forEnt.Close()
	}
}
