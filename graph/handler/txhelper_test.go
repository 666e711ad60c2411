package handler_test

import (
	"context"
	"errors"
	"testing"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/apptest"
)

// The one transaction helper (ent/tx_ext.go) every service uses: join the
// transaction in ctx, else open one; commit on success; roll back on an
// error or a panic.
func TestTransactionHelper(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		companies := func() int {
			t.Helper()
			n, err := e.Client.Company.Query().Count(e.Sys())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		create := func(ctx context.Context, tx *ent.Client) error {
			return tx.Company.Create().SetName("tx").Exec(ctx)
		}
		boom := errors.New("boom")
		before := companies()

		if err := ent.InTx(e.Sys(), e.Client, create); err != nil {
			t.Fatal(err)
		}
		if n := companies(); n != before+1 {
			t.Fatalf("after a successful InTx: %d companies, want %d", n, before+1)
		}

		err := ent.InTx(e.Sys(), e.Client, func(ctx context.Context, tx *ent.Client) error {
			if err := create(ctx, tx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx returned %v, want fn's error", err)
		}
		if n := companies(); n != before+1 {
			t.Errorf("an error kept the write: %d companies", n)
		}

		func() {
			defer func() {
				if r := recover(); r != boom {
					t.Errorf("recovered %v, want the panic passed on", r)
				}
			}()
			_ = ent.InTx(e.Sys(), e.Client, func(ctx context.Context, tx *ent.Client) error {
				if err := create(ctx, tx); err != nil {
					return err
				}
				panic(boom)
			})
		}()
		// A transaction left open by the panic would hold SQLite's one
		// connection, and the count below would never answer.
		if n := companies(); n != before+1 {
			t.Errorf("a panic kept the write: %d companies", n)
		}

		// Nested: the inner call joins the outer transaction (on SQLite a
		// second one would wait for the first forever; on PostgreSQL it
		// would commit on its own), so the outer rollback undoes it.
		var inner *ent.Tx
		err = ent.InTx(e.Sys(), e.Client, func(ctx context.Context, tx *ent.Client) error {
			outer := ent.TxFromContext(ctx)
			if err := ent.InTx(ctx, e.Client, func(ctx context.Context, tx *ent.Client) error {
				inner = ent.TxFromContext(ctx)
				return create(ctx, tx)
			}); err != nil {
				return err
			}
			if inner != outer {
				t.Error("the inner call opened a transaction of its own")
			}
			if n, err := ent.Current(ctx, e.Client).Company.Query().Count(ctx); err != nil || n != before+2 {
				t.Errorf("inside the transaction Current sees %d companies (%v), want %d", n, err, before+2)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("nested InTx returned %v", err)
		}
		if n := companies(); n != before+1 {
			t.Errorf("the outer rollback kept the inner write: %d companies", n)
		}
	})
}
