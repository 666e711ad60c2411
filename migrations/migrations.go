// Package migrations applies the versioned schema migrations embedded in the
// binary: one Atlas-format directory per dialect (sqlite/, postgres/), written
// by the generator in gen/ from the ent schema (`make migrations NAME=...`)
// and, for River's tables, by rivergen/ (`make river-migrations`).
//
// Applied versions are recorded in the schema_revisions table. A database
// that ent's old auto-migration created (the tables, no revision table) is
// checked against the first migration and, when it matches, recorded as being
// at that version, so the later files apply to it like to any other.
//
// River's migrations are files like ours (river.go); one whose River version
// River's own migrator already applied, as releases before did at every
// start, is recorded without running.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	_ "modernc.org/sqlite" // the in-memory database the first migration is replayed on
)

//go:embed sqlite postgres
var embedded embed.FS

// Dialects, as ent names them.
const (
	SQLite   = "sqlite3"
	Postgres = "postgres"
)

// Result is what Apply did.
type Result struct {
	// Baselined names the migration an auto-migrated database was recorded
	// at (empty when there was none).
	Baselined string
	// Applied names the migration files applied, in order.
	Applied []string
	// Recorded names River's migration files recorded as applied without
	// running them, because River's own migrator had applied their River
	// version (a database of a release that ran it at start-up).
	Recorded []string
}

// ErrPending is returned by Check when the schema is not current.
var ErrPending = errors.New("the database schema is not current")

// Apply applies every pending migration, each file in its own transaction.
// On PostgreSQL an advisory lock lets one instance migrate at a time; it
// holds one connection of db while the files run on another.
func Apply(ctx context.Context, db *sql.DB, dialect string) (Result, error) {
	dir, err := Dir(dialect)
	if err != nil {
		return Result{}, err
	}
	return apply(ctx, db, dialect, dir)
}

func apply(ctx context.Context, db *sql.DB, dialect string, dir atlasmigrate.Dir) (Result, error) {
	var res Result
	drv, err := openAtlas(dialect, db)
	if err != nil {
		return res, err
	}
	if dialect == Postgres {
		unlock, err := drv.(atlas.Locker).Lock(ctx, "leasegraph_schema_migrate", 5*time.Minute)
		if err != nil {
			return res, fmt.Errorf("waiting for another instance's migration: %w", err)
		}
		defer func() { _ = unlock() }()
	}
	rrw := &revisions{db: db, dialect: dialect}
	if err := rrw.create(ctx); err != nil {
		return res, fmt.Errorf("creating %s: %w", revisionTable, err)
	}
	revs, err := rrw.ReadRevisions(ctx)
	if err != nil {
		return res, err
	}
	var opts []atlasmigrate.ExecutorOption
	if len(revs) == 0 {
		first, err := firstFile(dir)
		if err != nil {
			return res, err
		}
		baseline, err := autoMigrated(ctx, drv, db, dialect, first)
		if err != nil {
			return res, err
		}
		if baseline {
			opts = append(opts, atlasmigrate.WithBaselineVersion(first.Version()))
			res.Baselined = first.Name()
		}
	}
	ex, err := atlasmigrate.NewExecutor(anyState{drv}, dir, rrw, opts...)
	if err != nil {
		return res, err
	}
	pending, err := ex.Pending(ctx)
	if errors.Is(err, atlasmigrate.ErrNoPendingFiles) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	for _, f := range pending {
		if v, ok := RiverVersion(f.Name()); ok {
			done, err := riverApplied(ctx, db, dialect, v)
			if err != nil {
				return res, fmt.Errorf("looking for River's migration %d before %s: %w", v, f.Name(), err)
			}
			if done {
				if err := recordApplied(ctx, db, dialect, dir, f); err != nil {
					return res, fmt.Errorf("recording migration %s: %w", f.Name(), err)
				}
				res.Recorded = append(res.Recorded, f.Name())
				continue
			}
		}
		if step := prepare[f.Version()]; step != nil {
			if err := step(ctx, db, dialect); err != nil {
				return res, fmt.Errorf("readying the data for migration %s: %w", f.Name(), err)
			}
		}
		if err := applyFile(ctx, db, dialect, dir, f); err != nil {
			return res, fmt.Errorf("applying migration %s: %w", f.Name(), err)
		}
		res.Applied = append(res.Applied, f.Name())
	}
	return res, nil
}

// Check returns ErrPending (wrapped, naming the files) when migrations are
// pending. It writes nothing.
func Check(ctx context.Context, db *sql.DB, dialect string) error {
	dir, err := Dir(dialect)
	if err != nil {
		return err
	}
	return check(ctx, db, dialect, dir)
}

func check(ctx context.Context, db *sql.DB, dialect string, dir atlasmigrate.Dir) error {
	files, err := dir.Files()
	if err != nil {
		return err
	}
	rrw := &revisions{db: db, dialect: dialect}
	exists, err := rrw.exists(ctx)
	if err != nil {
		return err
	}
	var revs []*atlasmigrate.Revision
	if exists {
		if revs, err = rrw.ReadRevisions(ctx); err != nil {
			return err
		}
	}
	pending := files
	if len(revs) > 0 {
		drv, err := openAtlas(dialect, db)
		if err != nil {
			return err
		}
		ex, err := atlasmigrate.NewExecutor(anyState{drv}, dir, rrw)
		if err != nil {
			return err
		}
		// With revisions present, Pending only reads.
		pending, err = ex.Pending(ctx)
		if errors.Is(err, atlasmigrate.ErrNoPendingFiles) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	names := make([]string, len(pending))
	for i, f := range pending {
		names[i] = f.Name()
	}
	return fmt.Errorf("%w: %d migration(s) pending (%s)", ErrPending, len(names), strings.Join(names, ", "))
}

// applyFile runs one file and records it in one transaction, so a failure
// leaves neither half a file nor a revision behind.
func applyFile(ctx context.Context, db *sql.DB, dialect string, dir atlasmigrate.Dir, f atlasmigrate.File) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dialect == SQLite {
		// SQLite rebuilds a table to alter it (create, copy, drop, rename).
		// With foreign keys on, dropping the old table would cascade into
		// the rows that reference it; the pragma cannot change inside a
		// transaction, so it is turned off around it and the keys are
		// checked before committing (SQLite's documented ALTER procedure).
		var on bool
		if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
			return err
		}
		if on {
			if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
				return err
			}
			defer func() {
				if _, err2 := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = on"); err2 != nil {
					err = errors.Join(err, err2)
				}
			}()
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	drv, err := openAtlas(dialect, tx)
	if err != nil {
		return err
	}
	ex, err := atlasmigrate.NewExecutor(anyState{drv}, dir, &revisions{db: tx, dialect: dialect})
	if err != nil {
		return err
	}
	if err := ex.Execute(ctx, f); err != nil {
		// A failed statement aborts a PostgreSQL transaction, so recording
		// the error fails too: report the statement's error.
		var stmt *atlasmigrate.StmtExecError
		if errors.As(err, &stmt) {
			return stmt
		}
		return err
	}
	if dialect == SQLite {
		rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
		if err != nil {
			return err
		}
		broken := rows.Next()
		rows.Close()
		if broken {
			return errors.New("the migration leaves rows whose foreign keys point nowhere (PRAGMA foreign_key_check)")
		}
	}
	return tx.Commit()
}

// autoMigrated reports whether the database holds the tables of the first
// migration without any revision: what ent's auto-migration left. Their
// schema must equal the first migration's, or nothing can be assumed about
// which later files apply.
func autoMigrated(ctx context.Context, drv atlasmigrate.Driver, db *sql.DB, dialect string, first atlasmigrate.File) (bool, error) {
	// The common case, an empty database, is told cheaply: none of the
	// tables the first file creates exists.
	stmts, err := first.Stmts()
	if err != nil {
		return false, err
	}
	var created []string
	for _, s := range stmts {
		if m := createTable.FindStringSubmatch(s); m != nil {
			created = append(created, m[1])
		}
	}
	found, err := drv.InspectSchema(ctx, "", &atlas.InspectOptions{Tables: created, Mode: atlas.InspectTables})
	if err != nil {
		return false, err
	}
	if len(found.Tables) == 0 {
		return false, nil
	}
	want, err := replay(ctx, db, dialect, first)
	if err != nil {
		return false, fmt.Errorf("replaying %s: %w", first.Name(), err)
	}
	names := make([]string, len(want.Tables))
	for i, t := range want.Tables {
		names[i] = t.Name
	}
	live, err := drv.InspectSchema(ctx, "", &atlas.InspectOptions{Tables: names})
	if err != nil {
		return false, err
	}
	if len(live.Tables) == 0 {
		return false, nil // an empty database: every file applies
	}
	want.Name, want.Attrs = live.Name, live.Attrs
	changes, err := drv.SchemaDiff(live, want)
	if err != nil {
		return false, err
	}
	if diff := describe(changes); len(diff) > 0 {
		return false, fmt.Errorf("the database has tables but no migration history (%s), and they differ from migration %s, so it cannot be recorded as being at that version: %s. Bring the schema to what %s creates (or restore a database the previous release created) and run server migrate again",
			revisionTable, first.Name(), strings.Join(diff, "; "), first.Name())
	}
	return true, nil
}

var createTable = regexp.MustCompile("(?i)^\\s*(?:--[^\\n]*\\n\\s*)*CREATE TABLE [`\"]?(\\w+)")

// replay returns the schema the file creates in an empty scratch database:
// an in-memory SQLite, or on PostgreSQL a schema created in a transaction
// that is rolled back.
func replay(ctx context.Context, db *sql.DB, dialect string, f atlasmigrate.File) (*atlas.Schema, error) {
	stmts, err := f.Stmts()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		dev, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			return nil, err
		}
		defer dev.Close()
		dev.SetMaxOpenConns(1) // each connection is its own in-memory database
		for _, s := range stmts {
			if _, err := dev.ExecContext(ctx, s); err != nil {
				return nil, err
			}
		}
		drv, err := sqlite.Open(dev)
		if err != nil {
			return nil, err
		}
		return drv.InspectSchema(ctx, "", nil)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	const scratch = "leasegraph_migrate_baseline"
	for _, s := range append([]string{"CREATE SCHEMA " + scratch, "SET LOCAL search_path TO " + scratch}, stmts...) {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return nil, err
		}
	}
	drv, err := postgres.Open(tx)
	if err != nil {
		return nil, err
	}
	return drv.InspectSchema(ctx, scratch, nil)
}

// describe lists the differences that matter. SQLite's AUTOINCREMENT counter
// is data, not schema: it grows with every row. Objects the migration does
// not have (River's enum type) belong to someone else.
func describe(changes []atlas.Change) []string {
	var out []string
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.DropObject:
		case *atlas.AddTable:
			out = append(out, "table "+c.T.Name+" is missing")
		case *atlas.DropTable:
			out = append(out, "table "+c.T.Name+" is not in the migration")
		case *atlas.ModifyTable:
			var what []string
			for _, tc := range c.Changes {
				switch tc := tc.(type) {
				case *atlas.ModifyAttr:
					if _, ok := tc.To.(*sqlite.AutoIncrement); ok {
						continue
					}
					what = append(what, fmt.Sprintf("attribute %T", tc.To))
				case *atlas.AddColumn:
					what = append(what, "column "+tc.C.Name+" is missing")
				case *atlas.DropColumn:
					what = append(what, "column "+tc.C.Name+" is not in the migration")
				case *atlas.ModifyColumn:
					what = append(what, "column "+tc.To.Name+" differs")
				case *atlas.AddIndex:
					what = append(what, "index "+tc.I.Name+" is missing")
				case *atlas.DropIndex:
					what = append(what, "index "+tc.I.Name+" is not in the migration")
				case *atlas.ModifyIndex:
					what = append(what, "index "+tc.To.Name+" differs")
				case *atlas.AddForeignKey:
					what = append(what, "foreign key "+tc.F.Symbol+" is missing")
				case *atlas.DropForeignKey:
					what = append(what, "foreign key "+tc.F.Symbol+" is not in the migration")
				default:
					what = append(what, fmt.Sprintf("%T", tc))
				}
			}
			if len(what) > 0 {
				out = append(out, "table "+c.T.Name+": "+strings.Join(what, ", "))
			}
		default:
			out = append(out, fmt.Sprintf("%T", c))
		}
	}
	return out
}

func openAtlas(dialect string, conn atlas.ExecQuerier) (atlasmigrate.Driver, error) {
	switch dialect {
	case SQLite:
		return sqlite.Open(conn)
	case Postgres:
		return postgres.Open(conn)
	}
	return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
}

// anyState skips Atlas's "is the database clean" check on a first run:
// Apply decides itself between an empty and an auto-migrated database, and
// River's tables may already be there, made by River's own migrator.
type anyState struct{ atlasmigrate.Driver }

func (anyState) CheckClean(context.Context, *atlasmigrate.TableIdent) error { return nil }

var (
	dirsOnce sync.Once
	dirs     map[string]atlasmigrate.Dir
	dirsErr  error
)

// Dir is the embedded migration directory of the dialect.
func Dir(dialect string) (atlasmigrate.Dir, error) {
	dirsOnce.Do(func() {
		dirs = map[string]atlasmigrate.Dir{}
		for d, sub := range map[string]string{SQLite: "sqlite", Postgres: "postgres"} {
			mem := &atlasmigrate.MemDir{}
			entries, err := fs.ReadDir(embedded, sub)
			if err != nil {
				dirsErr = err
				return
			}
			for _, e := range entries {
				b, err := embedded.ReadFile(path.Join(sub, e.Name()))
				if err == nil {
					err = mem.WriteFile(e.Name(), b)
				}
				if err != nil {
					dirsErr = err
					return
				}
			}
			if err := atlasmigrate.Validate(mem); err != nil {
				dirsErr = fmt.Errorf("migrations/%s: %w", sub, err)
				return
			}
			dirs[d] = mem
		}
	})
	if dirsErr != nil {
		return nil, dirsErr
	}
	dir, ok := dirs[dialect]
	if !ok {
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	return dir, nil
}

func firstFile(dir atlasmigrate.Dir) (atlasmigrate.File, error) {
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("migrations: the migration directory is empty")
	}
	return files[0], nil
}
