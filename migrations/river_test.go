package migrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	atlas "ariga.io/atlas/sql/schema"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// River's tables as releases before this one made them: at every start,
// jobs.New ran River's own migrator on a database our migrations had
// brought up to date. That is what these tests upgrade.

// ours is the embedded directory without River's files: the history the
// previous release carried.
func ours(t *testing.T, d string) atlasmigrate.Dir {
	t.Helper()
	src, err := Dir(d)
	if err != nil {
		t.Fatal(err)
	}
	dir := &atlasmigrate.MemDir{}
	for _, f := range files(t, src) {
		if _, ok := RiverVersion(f.Name()); ok {
			// The previous release had our files up to River's, none after.
			break
		}
		if err := dir.WriteFile(f.Name(), f.Bytes()); err != nil {
			t.Fatal(err)
		}
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

func riverFiles(t *testing.T, d string) []string {
	t.Helper()
	dir, err := Dir(d)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files(t, dir) {
		if _, ok := RiverVersion(f.Name()); ok {
			out = append(out, f.Name())
		}
	}
	if len(out) == 0 {
		t.Fatal("the embedded directory has no River file")
	}
	return out
}

// laterFiles are our files after River's: the previous release had none of
// them, so an upgrade applies them after recording River's.
func laterFiles(t *testing.T, d string) []string {
	t.Helper()
	dir, err := Dir(d)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	river := false
	for _, f := range files(t, dir) {
		if _, ok := RiverVersion(f.Name()); ok {
			river = true
		} else if river {
			out = append(out, f.Name())
		}
	}
	return out
}

// previousRelease builds a database as the previous release left it: our
// migrations, then River's migrator up to riverTarget (0: all of River's
// versions), then a job waiting in River's queue.
func previousRelease(t *testing.T, db *sql.DB, d string, riverTarget int) {
	t.Helper()
	ctx := context.Background()
	if _, err := apply(ctx, db, d, ours(t, d)); err != nil {
		t.Fatal(err)
	}
	if err := riverMigrate(ctx, db, d, riverTarget); err != nil {
		t.Fatal(err)
	}
	if riverTarget == 0 {
		if _, err := db.Exec(`INSERT INTO river_job (args, kind, max_attempts, queue) VALUES ('{}', 'old_job', 5, 'partners')`); err != nil {
			t.Fatal(err)
		}
	}
}

func riverMigrate(ctx context.Context, db *sql.DB, d string, target int) error {
	cfg := &rivermigrate.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	opts := &rivermigrate.MigrateOpts{TargetVersion: target}
	if d == SQLite {
		m, err := rivermigrate.New(riversqlite.New(db), cfg)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, opts)
		return err
	}
	m, err := rivermigrate.New(riverdatabasesql.New(db), cfg)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, opts)
	return err
}

// riverValidate is River's own check of its tables: every version its
// migrator knows is recorded in river_migration.
func riverValidate(ctx context.Context, db *sql.DB, d string) (*rivermigrate.ValidateResult, error) {
	cfg := &rivermigrate.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if d == SQLite {
		m, err := rivermigrate.New(riversqlite.New(db), cfg)
		if err != nil {
			return nil, err
		}
		return m.Validate(ctx)
	}
	m, err := rivermigrate.New(riverdatabasesql.New(db), cfg)
	if err != nil {
		return nil, err
	}
	return m.Validate(ctx)
}

// riverVersions is river_migration's content.
func riverVersions(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT line, version FROM river_migration ORDER BY line, version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		var v int
		if err := rows.Scan(&line, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d", line, v))
	}
	return out
}

// assertRiverSchemaIsRivers fails unless River's tables, indexes, types (and
// on PostgreSQL functions) in db are those River's migrator made in want.
func assertRiverSchemaIsRivers(t *testing.T, db, want *sql.DB, d string) {
	t.Helper()
	ctx := context.Background()
	inspect := func(db *sql.DB) *atlas.Schema {
		drv, err := openAtlas(d, db)
		if err != nil {
			t.Fatal(err)
		}
		s, err := drv.InspectSchema(ctx, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Tables = slices.DeleteFunc(s.Tables, func(tb *atlas.Table) bool { return !RiverObject(tb.Name) })
		if len(s.Tables) == 0 {
			t.Fatal("no River table")
		}
		return s
	}
	got, exp := inspect(db), inspect(want)
	exp.Name, exp.Attrs = got.Name, got.Attrs
	drv, _ := openAtlas(d, db)
	changes, err := drv.SchemaDiff(got, exp)
	if err != nil {
		t.Fatal(err)
	}
	if diff := describe(changes); len(diff) > 0 {
		t.Fatalf("River's tables differ from what River's migrator makes: %s", strings.Join(diff, "; "))
	}
	if d == Postgres {
		funcs := func(db *sql.DB) []string {
			rows, err := db.Query(`SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' || pg_get_function_result(p.oid)
				FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() ORDER BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var f string
				if err := rows.Scan(&f); err != nil {
					t.Fatal(err)
				}
				out = append(out, f)
			}
			return out
		}
		if g, w := funcs(db), funcs(want); !slices.Equal(g, w) {
			t.Fatalf("River's functions: %v, River's migrator makes %v", g, w)
		}
	}
}

// A database of the previous release: River's migrator made River's tables
// and recorded its versions. The new files are pending (so
// LEASEGRAPH_MIGRATE=off refuses), and applying them records them without
// running any: the tables, River's record and the waiting job stay as they
// were.
func TestApplyRecordsRiversTablesOfThePreviousRelease(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sql.DB, d string) {
		ctx := context.Background()
		previousRelease(t, db, d, 0)
		before := riverVersions(t, db)
		river := riverFiles(t, d)
		err := Check(ctx, db, d)
		if !errors.Is(err, ErrPending) || !strings.Contains(err.Error(), river[0]) {
			t.Fatalf("Check before the upgrade: %v; want River's files pending", err)
		}
		res, err := Apply(ctx, db, d)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Recorded, river) || !slices.Equal(res.Applied, laterFiles(t, d)) || res.Baselined != "" {
			t.Fatalf("Apply: %+v; want River's files %v recorded, only the later files %v applied", res, river, laterFiles(t, d))
		}
		if err := Check(ctx, db, d); err != nil {
			t.Fatalf("Check after the upgrade: %v", err)
		}
		if after := riverVersions(t, db); !slices.Equal(after, before) {
			t.Fatalf("river_migration after the upgrade: %v, was %v", after, before)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'old_job'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("the waiting job: %d, %v", n, err)
		}
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + revisionTable + ` WHERE type = ` + fmt.Sprint(int(atlasmigrate.RevisionTypeResolved))).Scan(&n); err != nil || n != len(river) {
			t.Fatalf("revisions recorded as resolved: %d, %v; want %d", n, err, len(river))
		}
		if res, err := Apply(ctx, db, d); err != nil || len(res.Applied)+len(res.Recorded) != 0 {
			t.Fatalf("second Apply: %+v, %v", res, err)
		}
		// The files make what River's migrator made, and record it as it
		// did, so River's own tools find its tables current either way.
		fresh := openDB(t, d)
		res, err = Apply(ctx, fresh, d)
		if err != nil {
			t.Fatal(err)
		}
		if tail := slices.Concat(river, laterFiles(t, d)); len(res.Recorded) != 0 || !slices.Equal(res.Applied[len(res.Applied)-len(tail):], tail) {
			t.Fatalf("Apply on an empty database: %+v; want River's files applied", res)
		}
		assertRiverSchemaIsRivers(t, fresh, db, d)
		if got := riverVersions(t, fresh); !slices.Equal(got, before) {
			t.Fatalf("river_migration made by the files: %v; River's migrator records %v", got, before)
		}
		if v, err := riverValidate(ctx, fresh, d); err != nil || !v.OK {
			t.Fatalf("River's validation of the tables the files made: %+v, %v", v, err)
		}
	})
}

// A database where River's migrator had not applied River's every version
// (an older River): the versions it applied are recorded, the others run.
func TestApplyRunsTheRiverVersionsRiversMigratorHadNot(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sql.DB, d string) {
		ctx := context.Background()
		const had = 4
		previousRelease(t, db, d, had)
		river := riverFiles(t, d)
		res, err := Apply(ctx, db, d)
		if err != nil {
			t.Fatal(err)
		}
		if applied := slices.Concat(river[had:], laterFiles(t, d)); !slices.Equal(res.Recorded, river[:had]) || !slices.Equal(res.Applied, applied) {
			t.Fatalf("Apply: %+v; want %v recorded and %v applied", res, river[:had], applied)
		}
		want := openDB(t, d)
		previousRelease(t, want, d, 0)
		assertRiverSchemaIsRivers(t, db, want, d)
		if got, exp := riverVersions(t, db), riverVersions(t, want); !slices.Equal(got, exp) {
			t.Fatalf("river_migration: %v, want %v", got, exp)
		}
	})
}
