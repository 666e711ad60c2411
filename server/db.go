package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/leasegraph/leasegraph/ent"
	_ "github.com/leasegraph/leasegraph/ent/runtime" // privacy policies and hooks
	"github.com/leasegraph/leasegraph/migrations"
)

// defaultSQLite is where the data lives when DATABASE_URL is unset.
const defaultSQLite = "./leasegraph.db"

// sqlitePragmas: enforce foreign keys, wait for locks instead of failing,
// and let readers run beside the writer.
const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"

// openDriver opens the database named by url: PostgreSQL for postgres://
// URLs, else an embedded SQLite file (url "" means ./leasegraph.db, or
// sqlite:PATH / file:PATH).
func openDriver(url string) (*entsql.Driver, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := sql.Open("postgres", url)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(20)
		return entsql.OpenDB(dialect.Postgres, db), nil
	case url == "", strings.HasPrefix(url, "sqlite:"), strings.HasPrefix(url, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
		if path == "" {
			path = defaultSQLite
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		db, err := sql.Open("sqlite", "file:"+path+sep+sqlitePragmas)
		if err != nil {
			return nil, err
		}
		// One connection: SQLite has one writer, and a second connection
		// would only wait on the first (or deadlock inside a transaction).
		db.SetMaxOpenConns(1)
		return entsql.OpenDB(dialect.SQLite, db), nil
	}
	return nil, fmt.Errorf("DATABASE_URL must be a postgres:// URL, sqlite:PATH or unset (got a value of another form)")
}

// LEASEGRAPH_MIGRATE values.
const (
	migrateAuto = "auto" // apply pending migrations when opening the database
	migrateOff  = "off"  // refuse to run while migrations are pending
)

// openDatabase opens the database named by url and brings its schema up to
// date (migrate auto) or checks that it is (migrate off).
func openDatabase(ctx context.Context, url, migrate string, log *slog.Logger) (*ent.Client, *entsql.Driver, error) {
	drv, err := openDriver(url)
	if err != nil {
		return nil, nil, err
	}
	if err := migrateSchema(ctx, drv, migrate, log); err != nil {
		drv.Close()
		return nil, nil, err
	}
	return ent.NewClient(ent.Driver(drv)), drv, nil
}

func migrateSchema(ctx context.Context, drv *entsql.Driver, migrate string, log *slog.Logger) error {
	if migrate == migrateOff {
		if err := migrations.Check(ctx, drv.DB(), drv.Dialect()); err != nil {
			if errors.Is(err, migrations.ErrPending) {
				return fmt.Errorf("%w: run `server migrate`, or set LEASEGRAPH_MIGRATE=auto", err)
			}
			return fmt.Errorf("checking the schema's migrations: %w", err)
		}
		return nil
	}
	res, err := migrations.Apply(ctx, drv.DB(), drv.Dialect())
	if err != nil {
		return fmt.Errorf("migrating the schema: %w", err)
	}
	if res.Baselined != "" {
		log.Info("schema created by auto-migration recorded as migrated", "version", res.Baselined)
	}
	for _, f := range res.Applied {
		log.Info("applied schema migration", "file", f)
	}
	return nil
}
