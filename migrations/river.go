package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	atlas "ariga.io/atlas/sql/schema"
)

// River's tables live in the same database as ours, and their history is
// part of ours: migrations/rivergen (`make river-migrations`) writes each of
// River's own migrations, for the River version go.mod pins, as one file of
// each directory, so `server migrate` applies them, LEASEGRAPH_MIGRATE=off
// refuses to start while one is pending, and a River upgrade is a migration
// like any other. One file per River version, because River runs each of
// its versions in a transaction of its own: a later one uses an enum value
// an earlier one adds, which PostgreSQL allows only once that is committed.

// riverFileName is how a River file is told from ours: River's version is in
// its name, so that a database whose River tables River's own migrator made
// (every release before this one ran it at start-up) can be recognised.
var riverFileName = regexp.MustCompile(`^\d+_river_(\d{3,})_\w+\.sql$`)

// RiverFileName names the file of River's migration riverVersion (its name
// as River gives it, words separated by spaces) at the directory's version.
func RiverFileName(version string, riverVersion int, name string) string {
	return fmt.Sprintf("%s_river_%03d_%s.sql", version, riverVersion, strings.ReplaceAll(strings.TrimSpace(name), " ", "_"))
}

// RiverVersion is the River migration version a file of the directory
// carries, and false for the files of our own schema.
func RiverVersion(file string) (int, bool) {
	m := riverFileName.FindStringSubmatch(file)
	if m == nil {
		return 0, false
	}
	v, err := strconv.Atoi(m[1])
	return v, err == nil
}

// RiverObject reports whether a table, index or type of that name is
// River's. River prefixes everything it creates; no ent table may take the
// prefix (migrations/gen's tests hold that), so that ent's schema is never
// asked to own River's tables.
func RiverObject(name string) bool { return strings.HasPrefix(name, "river_") }

// WithoutRiver drops, from a diff between a migrated database and ent's
// schema, the changes that concern River's tables and types: they are in the
// migrations but not in ent's schema, and are not drift to report nor
// anything to drop.
func WithoutRiver(changes []atlas.Change) []atlas.Change {
	out := changes[:0:0]
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.DropTable:
			if RiverObject(c.T.Name) {
				continue
			}
		case *atlas.DropObject:
			if o, ok := c.O.(interface{ SpecName() string }); ok && RiverObject(o.SpecName()) {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// riverApplied reports whether River's own migrator has already applied
// River's migration version to the database: its river_migration table says
// so (the record every River tool reads). Before River's version 5 the table
// had no line column, and everything was the main line.
func riverApplied(ctx context.Context, db *sql.DB, dialect string, version int) (bool, error) {
	table := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'river_migration'`
	line := `SELECT COUNT(*) FROM pragma_table_info('river_migration') WHERE name = 'line'`
	if dialect == Postgres {
		table = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'river_migration'`
		line = `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'river_migration' AND column_name = 'line'`
	}
	var n int
	if err := db.QueryRowContext(ctx, table).Scan(&n); err != nil || n == 0 {
		return false, err
	}
	if err := db.QueryRowContext(ctx, line).Scan(&n); err != nil {
		return false, err
	}
	q := `SELECT COUNT(*) FROM river_migration WHERE version = ` + strconv.Itoa(version)
	if n > 0 {
		q += ` AND line = 'main'`
	}
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("reading river_migration: %w", err)
	}
	return n > 0, nil
}

// recordApplied records a file as applied without running it: its work was
// done by other means (River's migrator). Atlas calls such a revision
// resolved ("manually set"); it counts as applied for every later run.
func recordApplied(ctx context.Context, db *sql.DB, dialect string, dir atlasmigrate.Dir, f atlasmigrate.File) error {
	sum, err := dir.Checksum()
	if err != nil {
		return err
	}
	hash, err := sum.SumByName(f.Name())
	if err != nil {
		return err
	}
	stmts, err := f.Stmts()
	if err != nil {
		return err
	}
	return (&revisions{db: db, dialect: dialect}).WriteRevision(ctx, &atlasmigrate.Revision{
		Version:         f.Version(),
		Description:     f.Desc(),
		Type:            atlasmigrate.RevisionTypeResolved,
		Applied:         len(stmts),
		Total:           len(stmts),
		ExecutedAt:      time.Now(),
		Hash:            hash,
		OperatorVersion: "leasegraph (applied earlier by River's migrator)",
	})
}
