package database

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/lib/pq"
)

// Each PostgreSQL connection of the pool keeps its last statements
// prepared. lib/pq runs a statement with arguments as an unnamed one: a
// Parse and Describe round trip, then Bind and Execute, and PostgreSQL
// parses, analyses and plans the text every time. ent sends the same few
// texts over and over (the leases page is two), so each connection keeps a
// bounded LRU of named prepared statements by text and runs a known text
// with Bind and Execute only: one round trip instead of two, and
// PostgreSQL reuses the parse, and the plan when its generic plan is as
// good as a custom one (its plan_cache_mode decides). On the peer
// harness's leases statement that doubled what PostgreSQL answers per CPU
// second. pgx, the other common PostgreSQL driver, caches statements the
// same way by default.
//
// Statements are per connection and die with it; a cache of size n holds
// at most n statements per connection. Poolers in transaction mode that do
// not track prepared statements (PgBouncer before 1.21) need the cache off
// (LEASEGRAPH_DB_STATEMENT_CACHE=0).

// statementConnector opens lib/pq connections that keep their statements.
type statementConnector struct {
	*pq.Connector
	size int
}

func (c statementConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStatementConn(conn, c.size)
}

// pqConn is what lib/pq's connection implements and database/sql looks for.
type pqConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.QueryerContext
	driver.ExecerContext
	driver.NamedValueChecker
	driver.SessionResetter
	driver.Validator
	driver.Pinger
}

// statementConn is a lib/pq connection whose queries run as cached prepared
// statements. database/sql uses a connection from one goroutine at a time,
// so the cache needs no lock.
type statementConn struct {
	pqConn
	stmts *simplelru.LRU[string, driver.Stmt]
	inTx  bool
}

func newStatementConn(conn driver.Conn, size int) (driver.Conn, error) {
	pc, ok := conn.(pqConn)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("database: lib/pq's connection lacks an interface the statement cache forwards")
	}
	stmts, err := simplelru.NewLRU(size, func(_ string, st driver.Stmt) {
		// Evicted: free it on the server. An error means the connection is
		// broken, which its next use reports.
		_ = st.Close()
	})
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &statementConn{pqConn: pc, stmts: stmts}, nil
}

// QueryContext runs query as this connection's prepared statement for its
// text, preparing it on first use.
func (c *statementConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil && stale(err) {
		// The statement no longer stands: a migration changed what it
		// returns, or something dropped it. Free it; outside a
		// transaction (where the error aborted nothing) prepare it again
		// once, so a deploy's schema change costs no request an error.
		c.stmts.Remove(query)
		if !c.inTx {
			if st, err = c.prepared(ctx, query); err != nil {
				return nil, err
			}
			rows, err = st.(driver.StmtQueryContext).QueryContext(ctx, args)
		}
	}
	return rows, err
}

func (c *statementConn) prepared(ctx context.Context, query string) (driver.Stmt, error) {
	if st, ok := c.stmts.Get(query); ok {
		return st, nil
	}
	st, err := c.pqConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts.Add(query, st)
	return st, nil
}

// stale reports PostgreSQL refusing a prepared statement that was valid
// when prepared: "cached plan must not change result type" (0A000, after a
// column's type changed) and "prepared statement does not exist" (26000).
func stale(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && (pe.Code == "0A000" || pe.Code == "26000")
}

// BeginTx notes the transaction: a statement that fails inside one has
// aborted it, and is not run again.
func (c *statementConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.pqConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return txEnd{Tx: tx, c: c}, nil
}

type txEnd struct {
	driver.Tx
	c *statementConn
}

func (t txEnd) Commit() error   { t.c.inTx = false; return t.Tx.Commit() }
func (t txEnd) Rollback() error { t.c.inTx = false; return t.Tx.Rollback() }

// Close closes the connection. Its statements end with its session, so
// they are not closed one by one.
func (c *statementConn) Close() error { return c.pqConn.Close() }
