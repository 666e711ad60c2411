// Package readpool gives the embedded SQLite database readers of their own.
//
// SQLite has one writer, so the server holds one read-write connection;
// with reads on it too, a long write transaction (a 100,000-row lease
// import, a first lease sync) made every request wait behind it, a read of
// one lease page included. In WAL mode readers never wait for the writer
// and see only what it has committed: a few read-only connections answer
// ent's reads outside a transaction while the writer works, and an import
// stays all-or-nothing to every reader (its rows appear at its commit).
// Reads inside a transaction stay on the writer's connection, so that a
// transaction reads its own writes, and so does every statement that is
// not a SELECT.
package readpool

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/leasegraph/leasegraph/internal/sqlitedsn"
)

// Readers is how many read-only connections serve a SQLite database: reads
// of a 2-core server run side by side, and each connection keeps its own
// page cache (2 MB by SQLite's default).
const Readers = 4

// Open opens the read-only connections to the SQLite file at path (which
// the writer's connection has put in WAL mode).
func Open(path string) (*entsql.Driver, error) {
	db, err := sql.Open("sqlite", sqlitedsn.ReadDSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(Readers)
	db.SetMaxIdleConns(Readers)
	return entsql.OpenDB(dialect.SQLite, db), nil
}

// Split is ent's driver over write with ent's reads outside a transaction
// sent to reads; everything else (writes, transactions, DB() for River and
// the migrations) is write's.
type Split struct {
	*entsql.Driver
	Reads *entsql.Driver
}

var _ dialect.Driver = (*Split)(nil)

// Query implements dialect.Driver. Only a SELECT goes to the readers: ent
// also sends an INSERT ... RETURNING through Query, outside a transaction
// when a create spans one statement (sqlgraph's NopTx).
func (s *Split) Query(ctx context.Context, query string, args, v any) error {
	if isSelect(query) {
		return s.Reads.Query(ctx, query, args, v)
	}
	return s.Driver.Query(ctx, query, args, v)
}

// isSelect reports whether a statement starts with SELECT.
func isSelect(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	return len(q) >= len("SELECT") && strings.EqualFold(q[:len("SELECT")], "SELECT")
}

// Close closes both pools.
func (s *Split) Close() error { return errors.Join(s.Reads.Close(), s.Driver.Close()) }
