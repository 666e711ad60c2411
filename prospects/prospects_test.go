package prospects_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/jobs"
	"github.com/leasegraph/leasegraph/prospects"
)

// fixture is a client with a Propexo integration and the prospects service
// on a real River queue (insert-only: nothing works the jobs).
type fixture struct {
	db  *dbtest.DB
	ctx context.Context
	svc *prospects.Service
}

func newFixture(t *testing.T, db *dbtest.DB, integrationID string) *fixture {
	t.Helper()
	id := dbtest.NewClient(t, db.Client, "Acme")
	if integrationID != "" {
		if err := db.Client.Company.UpdateOneID(id).SetPropexoIntegrationID(integrationID).Exec(dbtest.System()); err != nil {
			t.Fatal(err)
		}
	}
	q, err := jobs.New(context.Background(), jobs.Config{DB: db.SQL(), Dialect: db.Dialect})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, ctx: dbtest.As(t, db.Client, id), svc: &prospects.Service{DB: db.Client, Queue: q}}
}

// inTx runs fn in a transaction and gives it the *sql.Tx River inserts in;
// commit says whether to commit or roll back after fn.
func (f *fixture) inTx(t *testing.T, commit bool, fn func(ctx context.Context, tx *ent.Client, stx *sql.Tx)) {
	t.Helper()
	tx, err := f.db.Client.Tx(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	stx, err := ent.SQLTx(tx.Client())
	if err != nil {
		t.Fatal(err)
	}
	fn(ent.NewTxContext(f.ctx, tx), tx.Client(), stx)
	if commit {
		err = tx.Commit()
	} else {
		err = tx.Rollback()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// requireJobsTx asserts with rivertest the delivery jobs visible in tx,
// exactly these many and in this order.
func requireJobsTx(t *testing.T, d string, stx *sql.Tx, n int) []*rivertype.JobRow {
	t.Helper()
	want := make([]rivertest.ExpectedJob, n)
	for i := range want {
		want[i] = rivertest.ExpectedJob{Args: jobs.DeliverProspectArgs{}, Opts: &rivertest.RequireInsertedOpts{Queue: "partners"}}
	}
	if d == dialect.SQLite {
		return rivertest.RequireManyInsertedTx[*riversqlite.Driver](context.Background(), t, stx, want)
	}
	return rivertest.RequireManyInsertedTx[*riverdatabasesql.Driver](context.Background(), t, stx, want)
}

// requireNoJobsTx asserts that tx holds no delivery job.
func requireNoJobsTx(t *testing.T, d string, stx *sql.Tx) {
	t.Helper()
	if d == dialect.SQLite {
		rivertest.RequireNotInsertedTx[*riversqlite.Driver](context.Background(), t, stx, jobs.DeliverProspectArgs{}, nil)
		return
	}
	rivertest.RequireNotInsertedTx[*riverdatabasesql.Driver](context.Background(), t, stx, jobs.DeliverProspectArgs{}, nil)
}

// jobArgs decodes what a delivery job carries: the IntegrationJob's id and
// nothing else (no personal data in job arguments).
func jobArgs(t *testing.T, row *rivertype.JobRow) int {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(row.EncodedArgs, &raw); err != nil {
		t.Fatal(err)
	}
	var a jobs.DeliverProspectArgs
	if err := json.Unmarshal(row.EncodedArgs, &a); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 1 || a.IntegrationJobID == 0 {
		t.Fatalf("job arguments %s: want only the integration job's id", row.EncodedArgs)
	}
	return a.IntegrationJobID
}

func str(s string) *string { return &s }

// A prospect write for a client with a Propexo integration enqueues exactly
// one delivery job in the write's own transaction: rolled back, neither the
// prospect nor the job exists; committed, both do, and the job names the
// QUEUED IntegrationJob of that prospect. An update enqueues one more.
func TestWriteEnqueuesOneDeliveryInItsTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		f := newFixture(t, db, "int-1")
		in := prospects.Input{FirstName: str("Ann"), LastName: str("Lee"), Email1: str("ann@example.com"), Phone1: str("(415) 555-0100")}

		f.inTx(t, false, func(ctx context.Context, tx *ent.Client, stx *sql.Tx) {
			if _, err := f.svc.Create(ctx, in, ""); err != nil {
				t.Fatal(err)
			}
			requireJobsTx(t, db.Dialect, stx, 1)
		})
		var p *ent.Prospect
		f.inTx(t, true, func(ctx context.Context, tx *ent.Client, stx *sql.Tx) {
			requireNoJobsTx(t, db.Dialect, stx) // the rolled-back job is gone with its write
			var err error
			if p, err = f.svc.Create(ctx, in, ""); err != nil {
				t.Fatal(err)
			}
			if p.Phone1 != "+14155550100" {
				t.Fatalf("phone stored as %q, want E.164", p.Phone1)
			}
			ij, err := tx.IntegrationJob.Get(f.ctx, jobArgs(t, requireJobsTx(t, db.Dialect, stx, 1)[0]))
			if err != nil {
				t.Fatal(err)
			}
			if ij.ProspectID == nil || *ij.ProspectID != p.ID || ij.Kind != integrationjob.KindPROPEXO_CREATE_PROSPECT || ij.Status != integrationjob.StatusQUEUED {
				t.Fatalf("integration job %+v: want a QUEUED create of prospect %d", ij, p.ID)
			}
		})
		if n, _ := db.Client.Prospect.Query().Count(f.ctx); n != 1 {
			t.Fatalf("%d prospects after one rollback and one commit, want 1", n)
		}

		f.inTx(t, true, func(ctx context.Context, tx *ent.Client, stx *sql.Tx) {
			if _, err := f.svc.Update(ctx, p.ID, prospects.Input{Notes: str("called back")}, ""); err != nil {
				t.Fatal(err)
			}
			rows := requireJobsTx(t, db.Dialect, stx, 2)
			ij, err := tx.IntegrationJob.Get(f.ctx, jobArgs(t, rows[1]))
			if err != nil {
				t.Fatal(err)
			}
			if ij.Kind != integrationjob.KindPROPEXO_UPDATE_PROSPECT || ij.NotesToAppend != "called back" {
				t.Fatalf("integration job %+v: want an update appending the new notes", ij)
			}
		})
	})
}

// A rejected write enqueues nothing; neither does a write for a client
// without a Propexo integration, which records no delivery at all.
func TestRejectedOrUndeliveredWriteEnqueuesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		f := newFixture(t, db, "int-1")
		f.inTx(t, false, func(ctx context.Context, tx *ent.Client, stx *sql.Tx) {
			_, err := f.svc.Create(ctx, prospects.Input{FirstName: str("Ann"), Phone1: str("12")}, "")
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.CodeBadInput || len(ae.Field) == 0 || ae.Field[len(ae.Field)-1] != "phone1" {
				t.Fatalf("a bad phone: %v, want BAD_USER_INPUT on input.phone1", err)
			}
			_, err = f.svc.Update(ctx, 1<<40, prospects.Input{Notes: str("x")}, "")
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.CodeNotFound {
				t.Fatalf("updating a prospect that does not exist: %v, want NOT_FOUND", err)
			}
			requireNoJobsTx(t, db.Dialect, stx)
		})

		quiet := newFixture(t, db, "")
		quiet.inTx(t, true, func(ctx context.Context, tx *ent.Client, stx *sql.Tx) {
			if _, err := quiet.svc.Create(ctx, prospects.Input{FirstName: str("Bo")}, ""); err != nil {
				t.Fatal(err)
			}
			requireNoJobsTx(t, db.Dialect, stx)
			if n, _ := tx.IntegrationJob.Query().Count(quiet.ctx); n != 0 {
				t.Fatalf("%d integration jobs for a client without Propexo, want 0", n)
			}
		})
	})
}
