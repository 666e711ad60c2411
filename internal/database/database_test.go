package database

import (
	"os"
	"path/filepath"
	"testing"
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
