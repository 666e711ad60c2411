package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/migrate"
	_ "github.com/leasegraph/leasegraph/ent/runtime" // privacy policies and hooks
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

// openDatabase opens the database named by url and migrates it.
func openDatabase(ctx context.Context, url string) (*ent.Client, *entsql.Driver, error) {
	drv, err := openDriver(url)
	if err != nil {
		return nil, nil, err
	}
	client, err := openClient(ctx, drv)
	return client, drv, err
}

// openClient opens the database and migrates its schema to the current model.
func openClient(ctx context.Context, drv dialect.Driver, opts ...ent.Option) (*ent.Client, error) {
	if err := prepareUniquePartnerReferences(ctx, drv); err != nil {
		return nil, fmt.Errorf("migrating the schema: %w", err)
	}
	client := ent.NewClient(append([]ent.Option{ent.Driver(drv)}, opts...)...)
	if err := client.Schema.Create(ctx, migrate.WithDropIndex(true)); err != nil {
		client.Close()
		return nil, fmt.Errorf("migrating the schema: %w", err)
	}
	return client, nil
}
