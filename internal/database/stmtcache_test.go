package database

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"

	"github.com/lib/pq"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/internal/dbtest"
)

// onePostgresConn opens the test's own PostgreSQL schema with one pooled
// connection, so that every statement below runs in the same session.
func onePostgresConn(t *testing.T, cache int) *sqlDB {
	t.Helper()
	testknobs.SkipPostgres(t)
	drv, err := DriverWith(dbtest.PostgresURL(t), config.DB{MaxConns: 1, StatementCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drv.Close() })
	return &sqlDB{t: t, db: drv.DB()}
}

// Each connection keeps its last statements prepared, by text, up to the
// cache's size: a text sent again is not prepared again, the least recently
// used one is freed on the server when the cache is full, and with the
// cache off nothing stays prepared.
func TestStatementCache(t *testing.T) {
	const listPrepared = `SELECT statement FROM pg_prepared_statements WHERE statement <> $1 ORDER BY statement`
	t.Run("reused and bounded", func(t *testing.T) {
		db := onePostgresConn(t, 3)
		for range 3 {
			db.one(`SELECT $1::int`, 1)
		}
		if got := db.strings(listPrepared, listPrepared); !slices.Equal(got, []string{`SELECT $1::int`}) {
			t.Fatalf("prepared after 3 runs of one text: %q, want it once", got)
		}
		db.one(`SELECT $1::int + 1`, 1)
		db.one(`SELECT $1::int + 2`, 1) // the 4th text: the oldest, SELECT $1::int, goes
		want := []string{`SELECT $1::int + 1`, `SELECT $1::int + 2`}
		if got := db.strings(listPrepared, listPrepared); !slices.Equal(got, want) {
			t.Fatalf("prepared after 4 texts in a cache of 3: %q, want %q (and the listing itself)", got, want)
		}
	})
	t.Run("off", func(t *testing.T) {
		db := onePostgresConn(t, 0)
		db.one(`SELECT $1::int`, 1)
		if got := db.strings(`SELECT statement FROM pg_prepared_statements`); len(got) != 0 {
			t.Fatalf("prepared with the cache off: %q", got)
		}
	})
}

// A migration that changes a column's type makes PostgreSQL refuse the
// statements prepared before it ("cached plan must not change result
// type"). Outside a transaction the statement is prepared again and the
// query answers; inside one the error has aborted the transaction, so it is
// returned, and the next use prepares the statement afresh.
func TestStatementCacheAfterSchemaChange(t *testing.T) {
	ctx := context.Background()
	db := onePostgresConn(t, 8)
	db.exec(`CREATE TABLE t (a int)`)
	db.exec(`INSERT INTO t VALUES (7)`)
	const q = `SELECT a FROM t WHERE a > $1`
	db.one(q, 0)
	db.exec(`ALTER TABLE t ALTER a TYPE bigint`)
	if got := db.one(q, 0); got != int64(7) {
		t.Fatalf("after the change: %v, want 7", got)
	}

	db.exec(`ALTER TABLE t ALTER a TYPE int`)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v int64
	err = tx.QueryRowContext(ctx, q, 0).Scan(&v)
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != "0A000" {
		t.Fatalf("in a transaction after the change: %v, want PostgreSQL's 0A000", err)
	}
	_ = tx.Rollback()
	if got := db.one(q, 0); got != int64(7) {
		t.Fatalf("after the transaction: %v, want 7", got)
	}
}

type sqlDB struct {
	t  *testing.T
	db *sql.DB
}

func (d *sqlDB) exec(query string) {
	d.t.Helper()
	if _, err := d.db.Exec(query); err != nil {
		d.t.Fatalf("%s: %v", query, err)
	}
}

// one returns the single value query answers.
func (d *sqlDB) one(query string, args ...any) any {
	d.t.Helper()
	var v any
	if err := d.db.QueryRow(query, args...).Scan(&v); err != nil {
		d.t.Fatalf("%s: %v", query, err)
	}
	return v
}

func (d *sqlDB) strings(query string, args ...any) []string {
	d.t.Helper()
	rows, err := d.db.Query(query, args...)
	if err != nil {
		d.t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			d.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		d.t.Fatal(err)
	}
	return out
}
