package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/jobs"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/prospects"
)

// newSim is a simulator closed with the test.
func newSim(t *testing.T, opts propexotest.Options) *propexotest.Sim {
	sim := propexotest.New(opts)
	t.Cleanup(sim.Close)
	return sim
}

// deliver writes one prospect for a client with a Propexo integration,
// starts a queue with the DeliveryWorker against the simulator (in
// process) and waits until the delivery is final.
func deliver(t *testing.T, db *dbtest.DB, sim *propexotest.Sim) (*ent.IntegrationJob, *ent.Prospect) {
	t.Helper()
	return deliverUntil(t, db, sim, func(j *ent.IntegrationJob) bool {
		return j.Status != integrationjob.StatusQUEUED && j.Status != integrationjob.StatusSENT
	})
}

// deliverUntil is deliver, waiting until done holds for the delivery.
func deliverUntil(t *testing.T, db *dbtest.DB, sim *propexotest.Sim, done func(*ent.IntegrationJob) bool) (*ent.IntegrationJob, *ent.Prospect) {
	t.Helper()
	px, err := propexo.New(propexo.Config{Token: "test-token", BaseURL: "http://propexo.test", HTTPClient: &http.Client{Transport: sim.Transport()}})
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.DeliveryWorker{DB: db.Client, Propexo: px, PollEvery: 20 * time.Millisecond, ReconcileAfter: 100 * time.Millisecond})
	q, err := jobs.New(context.Background(), jobs.Config{
		DB: db.SQL(), Dialect: db.Dialect, PollInterval: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}

	id := dbtest.NewClient(t, db.Client, "Acme")
	if err := db.Client.Company.UpdateOneID(id).SetPropexoIntegrationID("int-acme").Exec(dbtest.System()); err != nil {
		t.Fatal(err)
	}
	ctx := dbtest.As(t, db.Client, id)
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name := "Ann"
	p, err := (&prospects.Service{DB: db.Client, Queue: q}).Create(ent.NewTxContext(ctx, tx), prospects.Input{FirstName: &name}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	if err := q.Start(context.Background(), jobs.Work{Workers: workers, Deliver: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		j, err := db.Client.IntegrationJob.Query().Only(dbtest.System())
		if err != nil {
			t.Fatal(err)
		}
		if done(j) {
			p, err := db.Client.Prospect.Get(dbtest.System(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			return j, p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery is still %s (last error %q)", j.Status, j.LastError)
		}
	}
}

// A delivery survives a lost answer without an Idempotency-Key (the
// simulator ignores it, as Propexo documents none): the first create fails
// after Propexo applied it, the next run finds the write at Propexo by its
// marker instead of sending it again, and adopts it. Propexo holds one
// prospect and ours records its id.
func TestDeliveryRetriesWithoutDuplicating(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		sim := newSim(t, propexotest.Options{AutoComplete: 30 * time.Millisecond})
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: http.StatusBadGateway, AfterWrite: true})

		j, p := deliver(t, db, sim)
		if j.Status != integrationjob.StatusSUCCEEDED || j.SendStartedAt != nil {
			t.Fatalf("delivery %s (send started %v, last error %q), want SUCCEEDED", j.Status, j.SendStartedAt, j.LastError)
		}
		at, st := sim.Prospects(), sim.Stats()
		if len(at) != 1 || at[0].FirstName != "Ann" || at[0].IntegrationID != "int-acme" || st.CreateRequests != 1 || st.LeadReads == 0 {
			t.Fatalf("Propexo holds %d prospects after %d creates and %d lead reads, want Ann once, found not resent", len(at), st.CreateRequests, st.LeadReads)
		}
		if p.PropexoProspectID != at[0].ID || !strings.Contains(at[0].Notes, jobs.Marker(j.ID)) {
			t.Fatalf("our prospect records Propexo id %q, want %q; notes there %q", p.PropexoProspectID, at[0].ID, at[0].Notes)
		}
	})
}

// A create whose answer was lost but which Propexo never applied is not
// found there, and is sent again: one prospect.
func TestDeliveryResendsWhatPropexoNeverGot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		sim := newSim(t, propexotest.Options{AutoComplete: 30 * time.Millisecond})
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: http.StatusBadGateway})

		j, p := deliver(t, db, sim)
		at, st := sim.Prospects(), sim.Stats()
		if j.Status != integrationjob.StatusSUCCEEDED || len(at) != 1 || st.FaultsBeforeWrite != 1 || st.CreateRequests != 1 || st.LeadReads == 0 || p.PropexoProspectID != at[0].ID {
			t.Fatalf("delivery %s; Propexo holds %d after %d creates reached it, %d lead reads", j.Status, len(at), st.CreateRequests, st.LeadReads)
		}
	})
}

// A look-up that reads its whole page budget without reaching the send's
// time has not shown the write is absent: the delivery retries the look-up
// and never resends on it. More leads than the budget holds arrived at the
// integration since the send.
func TestDeliveryIncompleteLookupDoesNotResend(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		sim := newSim(t, propexotest.Options{AutoComplete: 30 * time.Millisecond})
		for i := range 20*propexo.MaxLeadPage + 1 {
			sim.SeedProspect(propexotest.Prospect{IntegrationID: "int-acme", FirstName: fmt.Sprint("Other ", i)})
		}
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: http.StatusBadGateway})
		j, _ := deliverUntil(t, db, sim, func(j *ent.IntegrationJob) bool {
			return strings.Contains(j.LastError, "page budget") || j.Status != integrationjob.StatusQUEUED
		})
		// The one create failed before Propexo wrote it (FaultsBeforeWrite);
		// none reached Propexo after it.
		if st := sim.Stats(); j.Status != integrationjob.StatusQUEUED || !strings.Contains(j.LastError, "page budget") ||
			st.FaultsBeforeWrite != 1 || st.CreateRequests != 0 || st.LeadReads < 20 {
			t.Fatalf("delivery %s (%q) after %d creates and %d lead reads, want the look-up retried and nothing resent",
				j.Status, j.LastError, st.CreateRequests, st.LeadReads)
		}
	})
}

// created_record_id may be null (docs/partners/propexo.md#write-status): the delivery finds the
// prospect by its marker and links it, so later updates reach it.
func TestDeliveryWithoutCreatedRecordID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		sim := newSim(t, propexotest.Options{AutoComplete: 30 * time.Millisecond, NullCreatedRecordID: true})
		j, p := deliver(t, db, sim)
		at := sim.Prospects()
		if j.Status != integrationjob.StatusSUCCEEDED || len(at) != 1 || p.PropexoProspectID != at[0].ID {
			t.Fatalf("delivery %s (%q); prospect linked to %q, Propexo holds %+v", j.Status, j.LastError, p.PropexoProspectID, at)
		}
	})
}

// A request Propexo refuses (4xx) is not retried: the delivery is FAILED at
// once, with the partner's reason, and Propexo holds nothing.
func TestDeliveryRefusedIsFinal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		sim := newSim(t, propexotest.Options{AutoComplete: 30 * time.Millisecond})
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: http.StatusForbidden})

		j, p := deliver(t, db, sim)
		if j.Status != integrationjob.StatusFAILED || j.Attempts != 1 || j.LastError == "" {
			t.Fatalf("delivery %s after %d attempts (last error %q), want FAILED after 1 with a reason", j.Status, j.Attempts, j.LastError)
		}
		if n, st := len(sim.Prospects()), sim.Stats(); n != 0 || st.FaultsBeforeWrite != 1 || st.Requests != 1 || p.PropexoProspectID != "" {
			t.Fatalf("Propexo answered %d requests (%d refused) and holds %d prospects, want the one refused and none", st.Requests, st.FaultsBeforeWrite, n)
		}
	})
}
