package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/idempotency"
	"github.com/leasegraph/leasegraph/internal/dbtest"
)

// call runs idempotency.Do in a transaction of its own, committed when it
// succeeds; the work writes a ban, so the bans count the work done.
func call(ctx context.Context, t *testing.T, db *ent.Client, key string, ran *atomic.Int32, fail error) (int, bool, error) {
	t.Helper()
	tx, err := db.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, replayed, err := (&idempotency.Service{DB: db}).Do(ent.NewTxContext(ctx, tx), "addBan", key, work(ran, fail))
	if err != nil {
		_ = tx.Rollback()
		return id, replayed, err
	}
	return id, replayed, tx.Commit()
}

func work(ran *atomic.Int32, fail error) func(ctx context.Context, tx *ent.Client) (int, error) {
	return func(ctx context.Context, tx *ent.Client) (int, error) {
		ran.Add(1)
		b, err := tx.Ban.Create().SetEmail("a@example.com").Save(ctx)
		if err != nil {
			return 0, err
		}
		return b.ID, fail
	}
}

func bans(t *testing.T, db *ent.Client) int {
	t.Helper()
	n, err := db.Ban.Query().Count(dbtest.System())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The same key returns the first call's result without doing the work
// again; another key, another client's same key and no key each do it.
func TestSameKeyReturnsTheFirstResult(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		acme := dbtest.As(t, db.Client, dbtest.NewClient(t, db.Client, "Acme"))
		rival := dbtest.As(t, db.Client, dbtest.NewClient(t, db.Client, "Rival"))
		var ran atomic.Int32

		first, replayed, err := call(acme, t, db.Client, " k1 ", &ran, nil)
		if err != nil || replayed {
			t.Fatalf("first call: replayed %v, %v", replayed, err)
		}
		again, replayed, err := call(acme, t, db.Client, "k1", &ran, nil)
		if err != nil || !replayed || again != first {
			t.Fatalf("same key (trimmed): id %d replayed %v err %v, want %d replayed", again, replayed, err, first)
		}
		if ran.Load() != 1 || bans(t, db.Client) != 1 {
			t.Fatalf("work ran %d times, %d bans: want once", ran.Load(), bans(t, db.Client))
		}

		if id, replayed, err := call(rival, t, db.Client, "k1", &ran, nil); err != nil || replayed || id == first {
			t.Fatalf("another client's same key: id %d replayed %v err %v: it must not see Acme's result", id, replayed, err)
		}
		if _, replayed, err := call(acme, t, db.Client, "k2", &ran, nil); err != nil || replayed {
			t.Fatalf("another key: replayed %v, %v", replayed, err)
		}
		for range 2 {
			if _, replayed, err := call(acme, t, db.Client, "", &ran, nil); err != nil || replayed {
				t.Fatalf("no key: replayed %v, %v", replayed, err)
			}
		}
		if ran.Load() != 5 || bans(t, db.Client) != 5 {
			t.Fatalf("work ran %d times, %d bans: want 5", ran.Load(), bans(t, db.Client))
		}

		_, _, err = call(acme, t, db.Client, strings.Repeat("k", 201), &ran, nil)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.CodeBadInput {
			t.Fatalf("a 201-character key: %v, want BAD_USER_INPUT", err)
		}
	})
}

// A first call that fails leaves no record (it is written in the failed
// transaction), so the key can be used again and this time does the work.
func TestFailedFirstCallFreesTheKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		acme := dbtest.As(t, db.Client, dbtest.NewClient(t, db.Client, "Acme"))
		var ran atomic.Int32
		boom := errors.New("partner down")
		if _, _, err := call(acme, t, db.Client, "k", &ran, boom); !errors.Is(err, boom) {
			t.Fatalf("failing work: %v", err)
		}
		id, replayed, err := call(acme, t, db.Client, "k", &ran, nil)
		if err != nil || replayed || id == 0 {
			t.Fatalf("retry after a failure: id %d replayed %v err %v, want the work done", id, replayed, err)
		}
		if ran.Load() != 2 || bans(t, db.Client) != 1 {
			t.Fatalf("work ran %d times, %d bans kept: want 2 and 1", ran.Load(), bans(t, db.Client))
		}
	})
}

// Two first calls with one key at once: one does the work, the other does
// not. On PostgreSQL the second waits on the unique index until the first
// commits and answers CONFLICT (a retry then replays); SQLite has one
// connection, so the second waits for it and replays the first's result.
func TestConcurrentFirstCallsOneWins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := dbtest.As(t, db.Client, dbtest.NewClient(t, db.Client, "Acme"))
		var ran atomic.Int32
		tx1, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		first, _, err := (&idempotency.Service{DB: db.Client}).Do(ent.NewTxContext(ctx, tx1), "addBan", "k", work(&ran, nil))
		if err != nil {
			t.Fatal(err)
		}

		type result struct {
			id       int
			replayed bool
			err      error
		}
		second := make(chan result, 1)
		waitsBefore := db.SQL().Stats().WaitCount
		go func() {
			tx2, err := db.Client.Tx(ctx)
			if err != nil {
				second <- result{err: err}
				return
			}
			defer tx2.Rollback()
			id, replayed, err := (&idempotency.Service{DB: db.Client}).Do(ent.NewTxContext(ctx, tx2), "addBan", "k", work(&ran, nil))
			second <- result{id, replayed, err}
		}()
		// The first commits only once the second is blocked behind it.
		blocked := func() bool { return db.SQL().Stats().WaitCount > waitsBefore }
		if db.Dialect == dialect.Postgres {
			stx, err := ent.SQLTx(tx1.Client())
			if err != nil {
				t.Fatal(err)
			}
			var pid int
			if err := stx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
				t.Fatal(err)
			}
			blocked = func() bool {
				var n int
				err := db.SQL().QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, pid).Scan(&n)
				return err == nil && n > 0
			}
		}
		for deadline := time.Now().Add(10 * time.Second); !blocked(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the second call never waited on the first")
			}
		}
		if err := tx1.Commit(); err != nil {
			t.Fatal(err)
		}
		r := <-second
		if db.Dialect == dialect.Postgres {
			if ae, ok := apperr.As(r.err); !ok || ae.Code != apperr.CodeConflict {
				t.Fatalf("second call: %+v, want CONFLICT", r)
			}
			id, replayed, err := call(ctx, t, db.Client, "k", &ran, nil)
			if err != nil || !replayed || id != first {
				t.Fatalf("retry after CONFLICT: id %d replayed %v err %v, want %d replayed", id, replayed, err, first)
			}
		} else if r.err != nil || !r.replayed || r.id != first {
			t.Fatalf("second call: %+v, want %d replayed", r, first)
		}
		if ran.Load() != 1 || bans(t, db.Client) != 1 {
			t.Fatalf("work ran %d times, %d bans: one call must win", ran.Load(), bans(t, db.Client))
		}
	})
}
