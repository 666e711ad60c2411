// Command rivergen writes River's own schema migrations, for the River
// version go.mod pins, into the project's migration directories: one
// Atlas-format file per River migration and dialect (plus atlas.sum), after
// the last file there, so that River's tables are created and upgraded by
// `server migrate` like ours. Run it through `make river-migrations` after
// upgrading River; it writes only the River versions a directory lacks.
// `-check` writes nothing and fails when a directory lacks one, or when a
// written file no longer says what River does (CI).
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/leasegraph/leasegraph/migrations"
)

// dialects are the directories and the River driver whose SQL each takes:
// the drivers the server runs River with (jobs/).
var dialects = []struct {
	dir, title, module string
	migrations         func() ([]rivermigrate.Migration, error)
}{
	{"sqlite", "SQLite", "github.com/riverqueue/river/riverdriver/riversqlite", func() ([]rivermigrate.Migration, error) {
		return all(riversqlite.New(nil))
	}},
	{"postgres", "PostgreSQL", "github.com/riverqueue/river/riverdriver/riverdatabasesql", func() ([]rivermigrate.Migration, error) {
		return all(riverdatabasesql.New(nil))
	}},
}

// all is River's main migration line for the driver; reading it touches no
// database.
func all[TTx any](drv riverdriver.Driver[TTx]) ([]rivermigrate.Migration, error) {
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	return m.AllVersions(), nil
}

func main() {
	root := flag.String("dir", "migrations", "the folder holding one migration directory per dialect")
	check := flag.Bool("check", false, "write nothing; fail when a directory lacks one of River's migrations or has a stale one")
	flag.Parse()
	if err := run(*root, *check, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "river migrations:", err)
		os.Exit(1)
	}
}

// plan is what one directory needs.
type plan struct {
	dir     *atlasmigrate.LocalDir
	path    string
	title   string
	module  string
	missing []rivermigrate.Migration
}

func run(root string, check bool, now time.Time) error {
	var (
		plans []plan
		last  string // the newest version of any directory
		stale []string
	)
	for _, d := range dialects {
		path := filepath.Join(root, d.dir)
		dir, err := atlasmigrate.NewLocalDir(path)
		if err != nil {
			return err
		}
		files, err := dir.Files()
		if err != nil {
			return err
		}
		river, err := d.migrations()
		if err != nil {
			return err
		}
		have := map[int]atlasmigrate.File{}
		for _, f := range files {
			last = max(last, f.Version())
			if v, ok := migrations.RiverVersion(f.Name()); ok {
				have[v] = f
			}
		}
		p := plan{dir: dir, path: path, title: d.title, module: d.module}
		for _, m := range river {
			f, ok := have[m.Version]
			if !ok {
				p.missing = append(p.missing, m)
				continue
			}
			delete(have, m.Version)
			same, err := sameStatements(f, body(m))
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.Join(path, f.Name()), err)
			}
			if !same {
				stale = append(stale, filepath.Join(path, f.Name()))
			}
		}
		for v, f := range have {
			stale = append(stale, fmt.Sprintf("%s (River %s has no migration %d)", filepath.Join(path, f.Name()), riverVersion(), v))
		}
		plans = append(plans, p)
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		// An applied migration is never rewritten: River changed a
		// migration it had released, which needs a person to decide.
		return fmt.Errorf("these files no longer say what River %s's migrations do: %s", riverVersion(), strings.Join(stale, ", "))
	}
	if check {
		var lacking []string
		for _, p := range plans {
			if len(p.missing) == 0 {
				continue
			}
			var vs []string
			for _, m := range p.missing {
				vs = append(vs, fmt.Sprintf("%03d %s", m.Version, m.Name))
			}
			lacking = append(lacking, p.path+": "+strings.Join(vs, ", "))
		}
		if len(lacking) > 0 {
			return fmt.Errorf("the directories lack migrations of River %s (%s): run make river-migrations and commit the files", riverVersion(), strings.Join(lacking, "; "))
		}
		fmt.Printf("River %s's migrations are all in %s\n", riverVersion(), root)
		return nil
	}
	// Every new file goes after the last file of either directory, so a
	// database that has applied that one sees them pending in order; the
	// same River version has the same version in both directories.
	next := now.UTC().Truncate(time.Second)
	if t, err := time.Parse(versionFormat, last); err == nil && !next.After(t) {
		next = t.Add(time.Second)
	}
	versions := map[int]string{}
	for _, p := range plans {
		for _, m := range p.missing {
			if _, ok := versions[m.Version]; !ok {
				versions[m.Version] = next.Format(versionFormat)
				next = next.Add(time.Second)
			}
		}
	}
	wrote := false
	for _, p := range plans {
		if len(p.missing) == 0 {
			continue
		}
		for _, m := range p.missing {
			name := migrations.RiverFileName(versions[m.Version], m.Version, m.Name)
			if err := p.dir.WriteFile(name, []byte(header(m, p.title, p.module)+body(m))); err != nil {
				return err
			}
			fmt.Printf("wrote %s\n", filepath.Join(p.path, name))
		}
		sum, err := p.dir.Checksum()
		if err != nil {
			return err
		}
		if err := atlasmigrate.WriteSumFile(p.dir, sum); err != nil {
			return err
		}
		wrote = true
	}
	if !wrote {
		fmt.Printf("River %s's migrations are all in %s: nothing to write\n", riverVersion(), root)
	}
	return nil
}

const versionFormat = "20060102150405"

func header(m rivermigrate.Migration, title, module string) string {
	return fmt.Sprintf(`-- River's migration %03d (%s) for %s, from %s %s.
-- Written by make river-migrations (migrations/rivergen); do not edit: a River
-- upgrade adds files. A database whose river_migration table already records
-- this version (River's own migrator made it) gets this file recorded, not run.
`, m.Version, m.Name, title, module, moduleVersion(module))
}

// body is River's SQL for the version as River's migrator runs it with no
// schema configured (the connection's search_path, as the server's River
// client uses it), then the row River's migrator adds to river_migration in
// the same transaction: River's tools read that table, and it tells a
// database River's migrator made from one these files made.
func body(m rivermigrate.Migration) string {
	sql := strings.ReplaceAll(m.SQLUp, "/* TEMPLATE: schema */", "")
	sql = strings.TrimRight(sql, " \t\n")
	// Before River's version 5 river_migration had no line column.
	record := fmt.Sprintf("INSERT INTO river_migration (line, version) VALUES ('main', %d);\n", m.Version)
	if m.Version < 5 {
		record = fmt.Sprintf("INSERT INTO river_migration (version) VALUES (%d);\n", m.Version)
	}
	return sql + "\n\n-- River's record of the version, as River's migrator writes it.\n" + record
}

// sameStatements compares by statement, so that a file written under an
// earlier River release whose migration did not change stays as it is
// (its header names the release that wrote it).
func sameStatements(f atlasmigrate.File, want string) (bool, error) {
	got, err := f.Stmts()
	if err != nil {
		return false, err
	}
	wantStmts, err := atlasmigrate.NewLocalFile("want.sql", []byte(want)).Stmts()
	if err != nil {
		return false, err
	}
	return slices.Equal(got, wantStmts), nil
}

func riverVersion() string { return moduleVersion("github.com/riverqueue/river") }

// moduleVersion is the version of a module this program was built with: the
// one go.mod pins.
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version)"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				d = d.Replace
			}
			return cmp.Or(d.Version, "(devel)")
		}
	}
	return "(unknown version)"
}
