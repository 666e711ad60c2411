package database

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/migrations"
)

// LEASEGRAPH_MIGRATE=off with River's migrations pending refuses to start
// and changes nothing, River's tables included; auto applies them.
func TestMigrateOffWithRiverPending(t *testing.T) {
	dbtest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		drv, err := Driver(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { drv.Close() })
		db, d := drv.DB(), drv.Dialect()
		log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
		dir, err := migrations.Dir(d)
		if err != nil {
			t.Fatal(err)
		}
		all, _ := dir.Files()
		// River's files, and the files after them, which that release
		// did not have: what they made is dropped again below.
		var river, later []string
		// undo drops what the later files made, to run newest first: their
		// tables, and the columns they added to older tables.
		var undo []string
		q := "[`\"]?"
		createTable := regexp.MustCompile(`CREATE TABLE ` + q + `(\w+)`)
		alterTable := regexp.MustCompile(`ALTER TABLE ` + q + `(\w+)` + q + `([^;]*)`)
		addColumn := regexp.MustCompile(`ADD COLUMN ` + q + `(\w+)`)
		for _, f := range all {
			if _, ok := migrations.RiverVersion(f.Name()); ok {
				river = append(river, f.Version())
			} else if len(river) > 0 {
				later = append(later, f.Version())
				for _, m := range createTable.FindAllStringSubmatch(string(f.Bytes()), -1) {
					undo = append(undo, `DROP TABLE "`+m[1]+`"`)
				}
				for _, m := range alterTable.FindAllStringSubmatch(string(f.Bytes()), -1) {
					for _, c := range addColumn.FindAllStringSubmatch(m[2], -1) {
						undo = append(undo, `ALTER TABLE "`+m[1]+`" DROP COLUMN "`+c[1]+`"`)
					}
				}
			}
		}
		tables := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
		if d == migrations.Postgres {
			tables = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`
		}
		list := func(q string) []string {
			t.Helper()
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
			return out
		}

		// An empty database: nothing is created, River's tables no more
		// than ours (jobs.New used to make them whatever the setting).
		err = Migrate(ctx, drv, config.MigrateOff, log)
		if !errors.Is(err, migrations.ErrPending) || !strings.Contains(err.Error(), "server migrate") {
			t.Fatalf("off on an empty database: %v", err)
		}
		if got := list(tables); len(got) != 0 {
			t.Fatalf("tables after a refused start: %v", got)
		}

		// The previous release's database: River's tables are there (River's
		// migrator made them; migrations' tests show the files make the same)
		// but its history does not have River's files.
		if _, err := migrations.Apply(ctx, db, d); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`DELETE FROM schema_revisions WHERE version IN ('` + strings.Join(slices.Concat(river, later), "', '") + `')`); err != nil {
			t.Fatal(err)
		}
		for i := len(undo) - 1; i >= 0; i-- {
			if _, err := db.Exec(undo[i]); err != nil {
				t.Fatal(undo[i], err)
			}
		}
		revisions := `SELECT version || ' ' || type || ' ' || executed_at FROM schema_revisions ORDER BY version`
		state := func() []string {
			return slices.Concat(list(tables), list(revisions), list(`SELECT line || ' ' || version || ' ' || created_at FROM river_migration ORDER BY version`))
		}
		before := state()
		err = Migrate(ctx, drv, config.MigrateOff, log)
		if !errors.Is(err, migrations.ErrPending) || !strings.Contains(err.Error(), fmt.Sprintf("%d migration(s) pending", len(river)+len(later))) {
			t.Fatalf("off with River's migrations pending: %v", err)
		}
		if after := state(); !slices.Equal(after, before) {
			t.Fatalf("a refused start changed the database:\n%v\nwas\n%v", after, before)
		}
		if err := Migrate(ctx, drv, config.MigrateAuto, log); err != nil {
			t.Fatal(err)
		}
		if err := Migrate(ctx, drv, config.MigrateOff, log); err != nil {
			t.Fatalf("off once migrated: %v", err)
		}
	})
}
