package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/internal/app"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/migrations"
)

// Schema migrations from the operator's side: `server migrate`, and
// LEASEGRAPH_MIGRATE=off refusing to serve or run a command while any is
// pending. These set the environment, so they run sequentially.

func TestMigrate(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testMigrate(t, func() string { return "sqlite:" + filepath.Join(t.TempDir(), "m.db") })
	})
	t.Run("postgres", func(t *testing.T) {
		testknobs.SkipPostgres(t)
		testMigrate(t, func() string { return dbtest.PostgresURL(t) })
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func testMigrate(t *testing.T, newDB func() string) {
	dir, err := migrations.Dir("sqlite3")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := dir.Files()
	first := files[0].Name()
	var river []string
	for _, f := range files {
		if _, ok := migrations.RiverVersion(f.Name()); ok {
			river = append(river, f.Name())
		}
	}

	t.Run("off refuses while migrations are pending", func(t *testing.T) {
		url := newDB()
		t.Setenv("DATABASE_URL", url)
		t.Setenv("LEASEGRAPH_MIGRATE", "off")
		t.Setenv("PORT", "0")
		_, _, err := cli(t, "client", "create", "--name", "Acme")
		if err == nil || !strings.Contains(err.Error(), "pending") || !strings.Contains(err.Error(), "server migrate") {
			t.Fatalf("a command on an unmigrated database with LEASEGRAPH_MIGRATE=off: %v", err)
		}
		cfg, err := config.Load(os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		// A server that started anyway is stopped once it listens, and
		// returns nil.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stopWhenListening := writerFunc(func(p []byte) (int, error) {
			if strings.Contains(string(p), "leasegraph listening") {
				cancel()
			}
			return len(p), nil
		})
		err = app.Serve(ctx, cfg, slog.New(slog.NewTextHandler(stopWhenListening, nil)))
		if err == nil || !strings.Contains(err.Error(), "pending") {
			t.Fatalf("serving an unmigrated database with LEASEGRAPH_MIGRATE=off: %v", err)
		}
		// River's tables included: they are migrations like ours.
		drv, err := database.Driver(url)
		if err != nil {
			t.Fatal(err)
		}
		q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`
		if drv.Dialect() == migrations.Postgres {
			q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`
		}
		var n int
		err = drv.DB().QueryRow(q).Scan(&n)
		drv.Close()
		if err != nil || n != 0 {
			t.Fatalf("tables after the refusals: %d, %v", n, err)
		}

		out, _ := mustCLI(t, "migrate")
		if !strings.Contains(out, "applied "+first) {
			t.Fatalf("server migrate printed %q, want it to name %s", out, first)
		}
		for _, f := range river {
			if !strings.Contains(out, "applied "+f) {
				t.Fatalf("server migrate printed %q, want it to apply River's %s", out, f)
			}
		}
		if out, _ = mustCLI(t, "migrate"); !strings.Contains(out, "nothing to apply") {
			t.Fatalf("second server migrate printed %q", out)
		}
		if out, _ := mustCLI(t, "client", "create", "--name", "Acme"); strings.TrimSpace(out) == "" {
			t.Fatal("client create printed nothing once migrated")
		}
	})

	t.Run("auto migrates before a command", func(t *testing.T) {
		t.Setenv("DATABASE_URL", newDB())
		t.Setenv("LEASEGRAPH_MIGRATE", "")
		if out, _ := mustCLI(t, "client", "create", "--name", "Acme"); strings.TrimSpace(out) == "" {
			t.Fatal("client create printed nothing")
		}
		if out, _ := mustCLI(t, "migrate"); !strings.Contains(out, "nothing to apply") {
			t.Fatalf("server migrate after an auto-migrating command printed %q", out)
		}
	})

	t.Run("an auto-migrated database is recorded at the first migration", func(t *testing.T) {
		url := newDB()
		t.Setenv("DATABASE_URL", url)
		drv, err := database.Driver(url)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := migrations.Dir(drv.Dialect())
		fs, _ := d.Files()
		stmts, _ := fs[0].Stmts()
		for _, s := range stmts {
			if _, err := drv.DB().Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := drv.DB().Exec("INSERT INTO companies (created_at, updated_at, name, move_in_statuses, move_out_statuses, transfer_statuses) VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'Old Homes', '[]', '[]', '[]')"); err != nil {
			t.Fatal(err)
		}
		drv.Close()
		out, _ := mustCLI(t, "migrate")
		if !strings.Contains(out, "recorded the schema created by auto-migration as "+first) {
			t.Fatalf("server migrate on an auto-migrated database printed %q", out)
		}
		if out, _ := mustCLI(t, "token", "create", "--admin"); !strings.HasPrefix(out, "lg_") {
			t.Fatalf("token create after the upgrade printed %q", out)
		}
	})

}
