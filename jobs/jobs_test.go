package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/jobs"
)

// River's tables come from the project's migrations only: New neither
// creates nor upgrades them, and says what to run when they are not
// current.
func TestNewNeedsRiversTables(t *testing.T) {
	dbtest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		drv, err := database.Driver(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { drv.Close() })
		_, err = jobs.New(ctx, jobs.Config{DB: drv.DB(), Dialect: drv.Dialect()})
		if !errors.Is(err, jobs.ErrSchema) || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "server migrate") {
			t.Fatalf("New on an empty database: %v", err)
		}
		var n int
		if err := drv.DB().QueryRow(`SELECT COUNT(*) FROM ` + tables(drv.Dialect()) + ` LIKE 'river%'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("River tables after a refused New: %d, %v", n, err)
		}

		dbtest.Migrate(t, drv)
		if _, err := jobs.New(ctx, jobs.Config{DB: drv.DB(), Dialect: drv.Dialect()}); err != nil {
			t.Fatalf("New once migrated: %v", err)
		}
		// River's tables from before its last migration.
		if _, err := drv.DB().Exec(`DELETE FROM river_migration WHERE version = (SELECT MAX(version) FROM river_migration)`); err != nil {
			t.Fatal(err)
		}
		if _, err := jobs.New(ctx, jobs.Config{DB: drv.DB(), Dialect: drv.Dialect()}); !errors.Is(err, jobs.ErrSchema) || !strings.Contains(err.Error(), "needs version") {
			t.Fatalf("New with River's tables a version behind: %v", err)
		}
	})
}

// tables is the start of a query on the database's table names.
func tables(dialect string) string {
	if dialect == "postgres" {
		return `information_schema.tables WHERE table_schema = current_schema() AND table_name`
	}
	return `sqlite_master WHERE type = 'table' AND name`
}
