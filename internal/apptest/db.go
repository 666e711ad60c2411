package apptest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
)

// What the suites read of the database behind the app: rows as stored,
// statements counted, and a stall of the leases table.

// RawDB is the database behind the test's ent client, for looking at rows
// as stored (not as the API shows them).
func (e *Env) RawDB() *entsql.Driver {
	drv, ok := e.Queries.Driver.(*entsql.Driver)
	if !ok {
		e.T.Fatalf("driver is %T", e.Queries.Driver)
	}
	return drv
}

// ColumnsHolding reads every row of the table and returns "table.column"
// for each value that contains one of the secrets, and how many rows it
// read: proof that a card number or a password was never stored, in any
// column.
func ColumnsHolding(t testing.TB, db *sql.DB, table string, secrets ...string) (hits []string, rows int) {
	t.Helper()
	rs, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		rows++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			str := fmt.Sprint(v)
			if b, ok := v.([]byte); ok {
				str = string(b)
			}
			for _, sec := range secrets {
				if v != nil && strings.Contains(str, sec) {
					hits = append(hits, table+"."+cols[i])
				}
			}
		}
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return hits, rows
}

// Statements runs the query and returns how many SQL statements it took:
// the suites bound what a page, or a refusal, costs the database.
func (e *Env) Statements(token, query string, vars map[string]any) (GQLResponse, int64) {
	e.T.Helper()
	e.Queries.N.Store(0)
	r := e.GQL(token, query, vars)
	return r, e.Queries.N.Load()
}

// AuthStatements is how many statements authenticating the token costs:
// what a request refused before any resolver may cost, and no more.
func (e *Env) AuthStatements(token string) int64 {
	e.T.Helper()
	e.MustGQL(token, `{ __typename }`, nil, nil) // last_used_at is written at most once a minute
	before := e.Queries.N.Load()
	e.MustGQL(token, `{ __typename }`, nil, nil)
	return e.Queries.N.Load() - before
}

// LeaseStall makes the server's next read of leases wait, for tests of
// what a request does while its SQL cannot finish (deadlines, a client
// leaving, an export cut off). On PostgreSQL a transaction of the test
// holds ACCESS EXCLUSIVE on leases, so the server's SELECT waits on the
// lock; on SQLite the test holds every connection of the pools (the
// writer's, the readers'), so the server's statements wait for one.
type LeaseStall struct {
	t       *testing.T
	e       *Env
	db      *sql.DB
	tx      *sql.Tx
	pid     int
	waits   int64
	release func()
}

// StallLeases starts a stall; the test's cleanup releases it if the test
// does not (Release).
func StallLeases(t *testing.T, e *Env) *LeaseStall {
	t.Helper()
	s := &LeaseStall{t: t, e: e, db: e.RawDB().DB()}
	ctx := context.Background()
	if e.Dialect == "postgres" {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&s.pid); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "LOCK TABLE leases IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		s.tx = tx
		s.release = func() { _ = tx.Rollback() }
	} else {
		// Every connection: the writer's, and the readers' that the app's
		// SELECTs use beside it (internal/readpool).
		var conns []*sql.Conn
		for _, db := range s.pools() {
			for range db.Stats().MaxOpenConnections {
				conn, err := db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, conn)
			}
		}
		s.waits = s.waitCount()
		s.release = func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}
	}
	t.Cleanup(s.release)
	return s
}

// pools are SQLite's connection pools: the writer's and the readers'.
func (s *LeaseStall) pools() []*sql.DB {
	if r := s.e.Queries.Reads; r != nil {
		return []*sql.DB{s.db, r}
	}
	return []*sql.DB{s.db}
}

// waitCount is how many times a statement waited for a connection of
// SQLite's pools.
func (s *LeaseStall) waitCount() int64 {
	var n int64
	for _, db := range s.pools() {
		n += db.Stats().WaitCount
	}
	return n
}

// Release ends the stall: the lock or the connections are given back.
func (s *LeaseStall) Release() { s.release() }

// blocked is how many statements wait on the stall.
func (s *LeaseStall) blocked(ctx context.Context) (int, string) {
	s.t.Helper()
	if s.e.Dialect != "postgres" {
		return int(s.waitCount() - s.waits), ""
	}
	var n int
	var queries string
	err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(string_agg(query, ' | '), '')
		FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, s.pid).Scan(&n, &queries)
	if err != nil {
		s.t.Fatal(err)
	}
	return n, queries
}

// WaitBlocked waits until the server's statement waits on the stall: the
// request is known to be inside its SQL.
func (s *LeaseStall) WaitBlocked(ctx context.Context) {
	s.t.Helper()
	Eventually(ctx, s.t, "the server's statement to wait on the stall", func() bool {
		n, _ := s.blocked(ctx)
		return n > 0
	})
}

// WaitGone waits, with the lock still held, until no statement waits on it
// any more: the server's statement was cancelled, not let through.
func (s *LeaseStall) WaitGone(ctx context.Context) {
	s.t.Helper()
	if s.e.Dialect != "postgres" {
		return
	}
	Eventually(ctx, s.t, "the server's statement to leave pg_stat_activity", func() bool {
		n, _ := s.blocked(ctx)
		return n == 0
	})
}
