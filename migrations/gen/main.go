// Command gen writes the next versioned migration of each dialect: it replays
// migrations/<dialect>/ on an empty dev database, diffs the result against the
// ent schema and writes the difference as one Atlas-format file (plus
// atlas.sum). Run it through `make migrations NAME=...`; `-check` writes
// nothing and fails when the schema and a directory disagree (CI).
//
// Dev databases: an in-memory SQLite, and a scratch schema created in
// $TEST_DATABASE_URL and dropped afterwards.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	_ "ariga.io/atlas/sql/postgres" // registers the postgres:// URL the dev database is opened with
	atlas "ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/leasegraph/leasegraph/ent/migrate"
	"github.com/leasegraph/leasegraph/migrations"
)

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func main() {
	name := flag.String("name", "", "what the migration does, in snake_case (required unless -check)")
	root := flag.String("dir", "migrations", "the folder holding one migration directory per dialect")
	check := flag.Bool("check", false, "write nothing; fail when the ent schema and a migration directory disagree")
	allowDrop := flag.Bool("allow-drop", false, "let the migration drop tables, columns, indexes or foreign keys the schema no longer has")
	only := flag.String("dialect", "", "sqlite or postgres (default both)")
	flag.Parse()
	if !*check && !validName(*name) {
		fail(errors.New("give -name, e.g. make migrations NAME=add_company_refs_index (letters, digits, underscores)"))
	}
	// One version for every dialect, so a schema change has the same file
	// name in each directory.
	version := time.Now().UTC().Format("20060102150405")
	for _, d := range []string{"sqlite", "postgres"} {
		if *only != "" && *only != d {
			continue
		}
		msg, err := run(context.Background(), d, filepath.Join(*root, d), *name, version, *check, *allowDrop)
		if err != nil {
			fail(fmt.Errorf("%s: %w", d, err))
		}
		fmt.Printf("%s: %s\n", d, msg)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "migrations:", err)
	os.Exit(1)
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func run(ctx context.Context, d, path, name, version string, check, allowDrop bool) (string, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return "", err
	}
	local, err := atlasmigrate.NewLocalDir(path)
	if err != nil {
		return "", err
	}
	var dir atlasmigrate.Dir = local
	if check {
		// Diff into a copy: a disagreement must not leave a file behind.
		mem := &atlasmigrate.MemDir{}
		files, err := local.Files()
		if err != nil {
			return "", err
		}
		if err := mem.CopyFiles(files); err != nil {
			return "", err
		}
		if sum, err := os.ReadFile(filepath.Join(path, atlasmigrate.HashFileName)); err == nil {
			if err := mem.WriteFile(atlasmigrate.HashFileName, sum); err != nil {
				return "", err
			}
		}
		dir = mem
	}
	opts := []schema.MigrateOption{
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d3(d)),
		schema.WithFormatter(formatter(version)),
		// Drops are computed so that they can be refused loudly below,
		// instead of being skipped silently.
		schema.WithDropIndex(true),
		schema.WithDropColumn(true),
		schema.WithDiffHook(refuseDrops(allowDrop), skipRiver),
		schema.WithErrNoPlan(true),
	}
	m, cleanup, err := devMigrate(ctx, d, opts)
	if err != nil {
		return "", err
	}
	defer cleanup()
	if err != nil {
		return "", err
	}
	if check {
		name = "pending"
	}
	err = m.NamedDiff(ctx, name, migrate.Tables...)
	switch {
	case errors.Is(err, atlasmigrate.ErrNoPlan):
		return "the ent schema and " + path + " agree", nil
	case err != nil:
		return "", err
	case check:
		return "", fmt.Errorf("the ent schema has changes that %s has no migration for: run make migrations NAME=what_changed and commit the files", path)
	}
	return "wrote " + filepath.Join(path, version+"_"+name+".sql"), nil
}

func d3(d string) string {
	if d == "sqlite" {
		return dialect.SQLite
	}
	return dialect.Postgres
}

// formatter is Atlas's default format with a fixed version.
func formatter(version string) atlasmigrate.Formatter {
	f := atlasmigrate.DefaultFormatter
	return atlasmigrate.TemplateFormatter{{
		N: template.Must(template.New("").Parse(version + "{{ with .Name }}_{{ . }}{{ end }}.sql")),
		C: f[0].C,
	}}
}

// skipRiver leaves River's tables out of the diff: the replayed directory
// has them (River's migrations are files of it, migrations/rivergen) and ent's
// schema does not, which is neither drift to report nor anything to drop.
// Hooks wrap in order, so refuseDrops sees the diff without them.
func skipRiver(next schema.Differ) schema.Differ {
	return schema.DiffFunc(func(current, desired *atlas.Schema) ([]atlas.Change, error) {
		changes, err := next.Diff(current, desired)
		return migrations.WithoutRiver(changes), err
	})
}

// refuseDrops fails the diff when it would drop anything, unless allowed:
// data loss must be asked for (-allow-drop, make migrations ALLOW_DROP=1).
func refuseDrops(allow bool) schema.DiffHook {
	return func(next schema.Differ) schema.Differ {
		return schema.DiffFunc(func(current, desired *atlas.Schema) ([]atlas.Change, error) {
			changes, err := next.Diff(current, desired)
			if err != nil || allow {
				return changes, err
			}
			var drops []string
			for _, c := range changes {
				switch c := c.(type) {
				case *atlas.DropTable:
					drops = append(drops, "table "+c.T.Name)
				case *atlas.ModifyTable:
					for _, tc := range c.Changes {
						switch tc := tc.(type) {
						case *atlas.DropColumn:
							drops = append(drops, "column "+c.T.Name+"."+tc.C.Name)
						case *atlas.DropIndex:
							drops = append(drops, "index "+tc.I.Name+" on "+c.T.Name)
						case *atlas.DropForeignKey:
							drops = append(drops, "foreign key "+tc.F.Symbol+" on "+c.T.Name)
						case *atlas.DropCheck:
							drops = append(drops, "check "+tc.C.Name+" on "+c.T.Name)
						}
					}
				}
			}
			if len(drops) > 0 {
				return nil, fmt.Errorf("the migration would drop %s; rerun with ALLOW_DROP=1 (-allow-drop) if that is intended", strings.Join(drops, ", "))
			}
			return changes, nil
		})
	}
}

// devMigrate opens an empty database of the dialect to replay on.
func devMigrate(ctx context.Context, d string, opts []schema.MigrateOption) (*schema.Atlas, func(), error) {
	if d == "sqlite" {
		db, err := sql.Open("sqlite", ":memory:?_pragma=foreign_keys(1)")
		if err != nil {
			return nil, nil, err
		}
		db.SetMaxOpenConns(1) // each connection is its own in-memory database
		m, err := schema.NewMigrate(entsql.OpenDB(dialect.SQLite, db), opts...)
		return m, func() { db.Close() }, err
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		base = defaultPostgres
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	scratch := "migrations_dev_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+scratch); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("creating a scratch schema in TEST_DATABASE_URL (%s): %w", base, err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	// A URL, not a driver: Atlas then binds its inspection to the scratch
	// schema, where a bare driver would see (and refuse) the whole database.
	m, err := schema.NewMigrateURL(base+sep+"search_path="+scratch, opts...)
	return m, func() {
		_, _ = admin.Exec("DROP SCHEMA " + scratch + " CASCADE")
		admin.Close()
	}, err
}
