// Package database opens the process's database: PostgreSQL or an embedded
// SQLite file, with the pool bounds and timeouts of the settings, and brings
// its schema up to date through migrations before anything uses it.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	_ "github.com/leasegraph/leasegraph/ent/runtime" // privacy policies and hooks
	"github.com/leasegraph/leasegraph/internal/readpool"
	"github.com/leasegraph/leasegraph/internal/sqlitedsn"
	"github.com/leasegraph/leasegraph/migrations"
)

// DefaultSQLite is where the data lives when DATABASE_URL is unset.
const DefaultSQLite = "./leasegraph.db"

// PostgreSQL pool bounds. A stalled database must cost a bounded number of
// connections and no connection may live forever: a connection whose peer
// vanished (packets dropped, nothing refused) looks healthy to the pool, so
// idle ones are closed after PGMaxIdleTime and all of them are replaced
// after PGMaxLifetime. Waiting for a free connection is bounded by the
// caller's context: every request carries its deadline, /healthz its own
// timeout, River its own.
const (
	PGMaxConns    = 20 // when the settings give none (LEASEGRAPH_DB_MAX_CONNS)
	PGMaxIdleTime = 5 * time.Minute
	PGMaxLifetime = 30 * time.Minute
)

// DefaultConfig is what Driver uses: the defaults of the settings.
func DefaultConfig() config.DB { return config.Defaults().DB }

// Driver opens the database named by url with the default bounds.
func Driver(url string) (*entsql.Driver, error) {
	return DriverWith(url, DefaultConfig())
}

// DriverWith opens the database named by url: PostgreSQL for
// postgres:// URLs, else an embedded SQLite file (url "" means
// ./leasegraph.db, or sqlite:PATH / file:PATH).
func DriverWith(url string, dc config.DB) (*entsql.Driver, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		dsn, err := postgresDSN(url, dc)
		if err != nil {
			return nil, err
		}
		var db *sql.DB
		if dc.StatementCache > 0 {
			c, err := pq.NewConnector(dsn)
			if err != nil {
				return nil, err
			}
			db = sql.OpenDB(statementConnector{Connector: c, size: dc.StatementCache})
		} else if db, err = sql.Open("postgres", dsn); err != nil {
			return nil, err
		}
		conns := dc.MaxConns
		if conns <= 0 {
			conns = PGMaxConns
		}
		// As many idle as open: a smaller idle bound closes what a busy
		// moment opened, and PostgreSQL then starts a session per request.
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		db.SetConnMaxIdleTime(PGMaxIdleTime)
		db.SetConnMaxLifetime(PGMaxLifetime)
		return entsql.OpenDB(dialect.Postgres, db), nil
	}
	if path, ok := sqlitePath(url); ok {
		db, err := sql.Open("sqlite", sqlitedsn.DSN(path))
		if err != nil {
			return nil, err
		}
		// One read-write connection: SQLite has one writer, and a second
		// would only wait on the first (or deadlock inside a transaction).
		// Reads get connections of their own (WithReaders).
		db.SetMaxOpenConns(1)
		return entsql.OpenDB(dialect.SQLite, db), nil
	}
	return nil, fmt.Errorf("DATABASE_URL must be a postgres:// URL, sqlite:PATH or unset (got a value of another form)")
}

// sqlitePath is the SQLite file a DATABASE_URL names, if it names one ("",
// sqlite:PATH or file:PATH; "" and an empty PATH are DefaultSQLite).
func sqlitePath(url string) (string, bool) {
	if url != "" && !strings.HasPrefix(url, "sqlite:") && !strings.HasPrefix(url, "file:") {
		return "", false
	}
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
	if path == "" {
		path = DefaultSQLite
	}
	return path, true
}

// WithReaders is the driver ent works through over drv, the database
// named by url: drv itself on PostgreSQL, whose pool serves reads and
// writes alike; on SQLite, drv for writes and transactions and a few
// read-only connections for SELECTs outside a transaction
// (internal/readpool), so that no read waits for a long write.
func WithReaders(url string, drv *entsql.Driver) (dialect.Driver, error) {
	path, ok := sqlitePath(url)
	if !ok || strings.Contains(path, ":memory:") || strings.Contains(path, "mode=memory") {
		// An in-memory database is its connection's own: a reader would
		// open another, empty one.
		return drv, nil
	}
	reads, err := readpool.Open(path)
	if err != nil {
		return nil, err
	}
	return &readpool.Split{Driver: drv, Reads: reads}, nil
}

// postgresDSN adds the connect and statement timeouts to a PostgreSQL URL,
// leaving any the URL sets itself.
func postgresDSN(raw string, dc config.DB) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// The error quotes the URL, which may hold a password.
		return "", fmt.Errorf("DATABASE_URL is not a valid URL")
	}
	q := u.Query()
	if dc.ConnectTimeout > 0 && q.Get("connect_timeout") == "" && os.Getenv("PGCONNECT_TIMEOUT") == "" {
		// lib/pq counts whole seconds; round up so 500ms is not "none".
		q.Set("connect_timeout", strconv.Itoa(int((dc.ConnectTimeout+time.Second-1)/time.Second)))
	}
	if opts := q.Get("options"); dc.StatementTimeout > 0 && !strings.Contains(opts, "statement_timeout") {
		q.Set("options", strings.TrimSpace(opts+" -c statement_timeout="+strconv.FormatInt(dc.StatementTimeout.Milliseconds(), 10)))
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Open opens the database named by url and brings its schema up to
// date (migrate auto) or checks that it is (migrate off). Migrations run on
// connections of their own without the statement timeout: altering a large
// table may rightly take longer than any request.
func Open(ctx context.Context, url string, dc config.DB, migrate string, log *slog.Logger) (*ent.Client, *entsql.Driver, error) {
	mc := dc
	mc.StatementTimeout = 0
	mdrv, err := DriverWith(url, mc)
	if err != nil {
		return nil, nil, err
	}
	err = Migrate(ctx, mdrv, migrate, log)
	mdrv.Close()
	if err != nil {
		return nil, nil, err
	}
	drv, err := DriverWith(url, dc)
	if err != nil {
		return nil, nil, err
	}
	forEnt, err := WithReaders(url, drv)
	if err != nil {
		drv.Close()
		return nil, nil, err
	}
	client := ent.NewClient(ent.Driver(forEnt))
	if err := client.RefreshStats(ctx); err != nil {
		drv.Close()
		return nil, nil, fmt.Errorf("refreshing the planner's statistics: %w", err)
	}
	return client, drv, nil
}

// Client migrates drv's database and returns a client on it: what the
// server does at start-up, for tests that open a database of their own.
func Client(ctx context.Context, drv *entsql.Driver) (*ent.Client, error) {
	if err := Migrate(ctx, drv, config.MigrateAuto, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		return nil, err
	}
	return ent.NewClient(ent.Driver(drv)), nil
}

// Migrate applies the pending migrations, River's included (migrate auto),
// or with migrate off fails while any is pending, writing nothing.
func Migrate(ctx context.Context, drv *entsql.Driver, migrate string, log *slog.Logger) error {
	if migrate == config.MigrateOff {
		if err := migrations.Check(ctx, drv.DB(), drv.Dialect()); err != nil {
			if errors.Is(err, migrations.ErrPending) {
				return fmt.Errorf("%w: run `server migrate`, or set LEASEGRAPH_MIGRATE=auto", err)
			}
			return fmt.Errorf("checking the schema's migrations: %w", err)
		}
		return nil
	}
	res, err := ApplyMigrations(ctx, drv)
	if err != nil {
		return err
	}
	if res.Baselined != "" {
		log.Info("schema created by auto-migration recorded as migrated", "version", res.Baselined)
	}
	for _, f := range res.Recorded {
		log.Info("River migration recorded as applied: River's own migrator had applied it", "file", f)
	}
	for _, f := range res.Applied {
		log.Info("applied schema migration", "file", f)
	}
	return nil
}

// ApplyMigrations applies the pending migrations (and the data fixes some
// of them need first, under the same lock: migrations.Apply).
func ApplyMigrations(ctx context.Context, drv *entsql.Driver) (migrations.Result, error) {
	res, err := migrations.Apply(ctx, drv.DB(), drv.Dialect())
	if err != nil {
		return res, fmt.Errorf("migrating the schema: %w", err)
	}
	return res, nil
}
