package migrations

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"

	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/migrate"
	_ "github.com/leasegraph/leasegraph/ent/runtime"
	"github.com/leasegraph/leasegraph/viewer"
)

// Every test runs on SQLite and on PostgreSQL, each on an empty database of
// its own.
func forEachDB(t *testing.T, fn func(t *testing.T, db *sql.DB, d string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openDB(t, SQLite), SQLite)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testknobs.SkipPostgres(t)
		fn(t, openDB(t, Postgres), Postgres)
	})
}

// openDB opens a new empty database: a SQLite file, or a PostgreSQL schema of
// its own (dropped when the test ends).
func openDB(t *testing.T, d string) *sql.DB {
	t.Helper()
	if d == SQLite {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db")+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	base := testknobs.PostgresURL()
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + name); err != nil {
		t.Fatalf("PostgreSQL at %s is required (set TEST_DATABASE_URL): %v", base, err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + name + " CASCADE"); admin.Close() })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	db, err := sql.Open("postgres", base+sep+"search_path="+name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func entClient(db *sql.DB, d string) *ent.Client {
	return ent.NewClient(ent.Driver(entsql.OpenDB(d, db)))
}

var sys = viewer.SystemContext(context.Background())

// entTables guards ent's package-level migrate.Tables: ent's differ writes to
// them while it plans, and the sqlite and postgres subtests run in parallel.
var entTables sync.Mutex

// assertSchemaIsEnts fails unless ent finds nothing to change between its
// schema and the database (drops included).
func assertSchemaIsEnts(t *testing.T, db *sql.DB, d string) {
	t.Helper()
	entTables.Lock()
	defer entTables.Unlock()
	dir := &atlasmigrate.MemDir{}
	m, err := schema.NewMigrate(entsql.OpenDB(d, db), schema.WithDir(dir), schema.WithFormatter(atlasmigrate.DefaultFormatter),
		schema.WithDropIndex(true), schema.WithDropColumn(true), schema.WithErrNoPlan(true))
	if err != nil {
		t.Fatal(err)
	}
	err = m.NamedDiff(context.Background(), "drift", migrate.Tables...)
	if !errors.Is(err, atlasmigrate.ErrNoPlan) {
		files, _ := dir.Files()
		var got []string
		for _, f := range files {
			got = append(got, string(f.Bytes()))
		}
		t.Fatalf("the database differs from the ent schema (%v):\n%s", err, strings.Join(got, "\n"))
	}
}

// assertGlobalIDs creates rows and checks each id lies in its table's 2^32
// range, as node(id:) relies on.
func assertGlobalIDs(t *testing.T, c *ent.Client) {
	t.Helper()
	co, err := c.Company.Create().SetName("Range Homes").Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Property.Create().SetClientID(co.ID).SetTag("range-1").Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	entTables.Lock()
	defer entTables.Unlock()
	for _, row := range []struct {
		table *schema.Table
		id    int
	}{{migrate.CompaniesTable, co.ID}, {migrate.PropertiesTable, p.ID}} {
		start := *row.table.Annotation.IncrementStart
		if start == 0 || row.id < start || row.id >= start+1<<32 {
			t.Errorf("%s: id %d outside its range [%d, %d)", row.table.Name, row.id, start, start+1<<32)
		}
	}
}

func files(t *testing.T, dir atlasmigrate.Dir) []atlasmigrate.File {
	t.Helper()
	fs, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestApplyCreatesTheSchema(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sql.DB, d string) {
		ctx := context.Background()
		if err := Check(ctx, db, d); !errors.Is(err, ErrPending) {
			t.Fatalf("Check on an empty database: %v, want ErrPending", err)
		}
		res, err := Apply(ctx, db, d)
		if err != nil {
			t.Fatal(err)
		}
		dir, _ := Dir(d)
		if all := files(t, dir); res.Baselined != "" || len(res.Applied) != len(all) || res.Applied[0] != all[0].Name() {
			t.Fatalf("Apply on an empty database: %+v, want every file applied", res)
		}
		assertSchemaIsEnts(t, db, d)
		assertGlobalIDs(t, entClient(db, d))
		if res, err := Apply(ctx, db, d); err != nil || len(res.Applied) != 0 || res.Baselined != "" {
			t.Fatalf("second Apply: %+v, %v; want nothing to do", res, err)
		}
		if err := Check(ctx, db, d); err != nil {
			t.Fatalf("Check after Apply: %v", err)
		}
	})
}

// What ent's auto-migration of the previous release left: migration 1's
// tables, with rows, and no revision table.
func autoMigrate(t *testing.T, db *sql.DB, d string) int {
	t.Helper()
	dir, err := Dir(d)
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := files(t, dir)[0].Stmts()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	// Other tables and types in the same database are River's, not ours.
	others := []string{"CREATE TABLE other_jobs (id integer PRIMARY KEY)"}
	if d == Postgres {
		others = append(others, "CREATE TYPE other_job_state AS ENUM ('available', 'running')")
	}
	for _, s := range others {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	co, err := entClient(db, d).Company.Create().SetName("Old Homes").Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	return co.ID
}

func TestApplyUpgradesAnAutoMigratedDatabase(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sql.DB, d string) {
		ctx := context.Background()
		oldID := autoMigrate(t, db, d)
		if err := Check(ctx, db, d); !errors.Is(err, ErrPending) {
			t.Fatalf("Check before the upgrade: %v, want ErrPending", err)
		}
		// A later release's migration, to prove it applies after the baseline.
		dir := withFile(t, d, "99990101000000_later.sql", "CREATE INDEX later_company_name ON companies (name);\n")
		res, err := apply(ctx, db, d, dir)
		if err != nil {
			t.Fatal(err)
		}
		all := files(t, dir)
		if res.Baselined != all[0].Name() || strings.Join(res.Applied, ",") != strings.Join(names(all[1:]), ",") {
			t.Fatalf("Apply on an auto-migrated database: %+v; want baselined at %s, then %v", res, all[0].Name(), names(all[1:]))
		}
		c := entClient(db, d)
		if old, err := c.Company.Get(sys, oldID); err != nil || old.Name != "Old Homes" {
			t.Fatalf("the existing row after the upgrade: %+v, %v", old, err)
		}
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + revisionTable + " WHERE type = 1 AND version = '" + all[0].Version() + "'").Scan(&n); err != nil || n != 1 {
			t.Fatalf("baseline revision rows: %d, %v", n, err)
		}
		if err := check(ctx, db, d, dir); err != nil {
			t.Fatalf("check after the upgrade: %v", err)
		}
		assertGlobalIDs(t, c)
	})
}

func TestApplyUpgradesTheEmbeddedDirectory(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sql.DB, d string) {
		autoMigrate(t, db, d)
		res, err := Apply(context.Background(), db, d)
		if err != nil || res.Baselined == "" {
			t.Fatalf("Apply: %+v, %v; want a baseline", res, err)
		}
		assertSchemaIsEnts(t, db, d)
	})
}

func TestApplyRefusesADivergentDatabase(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sql.DB, d string) {
		autoMigrate(t, db, d)
		if _, err := db.Exec("DROP INDEX api_tokens_prefix_key"); err != nil {
			t.Fatal(err)
		}
		_, err := Apply(context.Background(), db, d)
		if err == nil || !strings.Contains(err.Error(), "api_tokens_prefix_key is missing") || !strings.Contains(err.Error(), "no migration history") {
			t.Fatalf("Apply on a database that differs from migration 1: %v", err)
		}
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + revisionTable).Scan(&n); err != nil || n != 0 {
			t.Fatalf("revisions after a refusal: %d, %v", n, err)
		}
	})
}

func TestApplyRollsBackAFailingFile(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sql.DB, d string) {
		ctx := context.Background()
		if _, err := Apply(ctx, db, d); err != nil {
			t.Fatal(err)
		}
		dir := withFile(t, d, "99990101000000_broken.sql", "CREATE INDEX broken_first ON companies (name);\nCREATE INDEX broken_second ON no_such_table (x);\n")
		_, err := apply(ctx, db, d, dir)
		if err == nil || !strings.Contains(err.Error(), "99990101000000_broken.sql") {
			t.Fatalf("applying a broken file: %v", err)
		}
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + revisionTable + " WHERE version = '99990101000000'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("revision of the failed file: %d, %v", n, err)
		}
		// The first statement was rolled back with the second.
		assertSchemaIsEnts(t, db, d)
	})
}

// withFile is the embedded directory plus one more file.
func withFile(t *testing.T, d, name, body string) atlasmigrate.Dir {
	t.Helper()
	src, err := Dir(d)
	if err != nil {
		t.Fatal(err)
	}
	dir := &atlasmigrate.MemDir{}
	if err := dir.CopyFiles(files(t, src)); err != nil {
		t.Fatal(err)
	}
	if err := dir.WriteFile(name, []byte(body)); err != nil {
		t.Fatal(err)
	}
	sum, err := dir.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	if err := atlasmigrate.WriteSumFile(dir, sum); err != nil {
		t.Fatal(err)
	}
	return dir
}

func names(fs []atlasmigrate.File) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name()
	}
	return out
}
