package prospects_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/internal/workflow"
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

// deliver writes one prospect for a client with a Propexo integration and
// runs its delivery against the simulator (in process) until it is final.
func deliver(t *testing.T, db *dbtest.DB, sim *propexotest.Sim) (*ent.IntegrationJob, *ent.Prospect) {
	t.Helper()
	return deliverUntil(t, db, sim, func(j *ent.IntegrationJob) bool {
		return j.Status != integrationjob.StatusQUEUED && j.Status != integrationjob.StatusSENT
	})
}

// queued records the deliveries a write queues, in place of the queue.
type queued []int

func (q *queued) EnqueueDelivery(_ context.Context, _ *sql.Tx, id int) error {
	*q = append(*q, id)
	return nil
}

// maxAttempts is the queue's (jobs).
const maxAttempts = 12

// deliverUntil is deliver, waiting until done holds for the delivery. It
// runs the delivery's attempts as the queue would: a snooze is slept, a
// retry follows a short backoff and counts a failure (a rate-limited one
// is a wait, as jobs' mapping makes it), a cancel or done ends it.
func deliverUntil(t *testing.T, db *dbtest.DB, sim *propexotest.Sim, done func(*ent.IntegrationJob) bool) (*ent.IntegrationJob, *ent.Prospect) {
	t.Helper()
	return deliverPrepared(t, db, sim, nil, done)
}

// ann is the prospect the deliveries write, notes with characters a
// careless client would trim or escape.
var ann = prospects.Input{FirstName: ptr("Ann"), LastName: ptr("Lee"), Email1: ptr("ann@example.com"),
	Phone1: ptr("(512) 555-0100"), Notes: ptr("Gate code 4711 — call first\n  then knock ✓")}

func ptr(s string) *string { return &s }

// deliverPrepared is deliverUntil with prepare run on the queued delivery
// before its first attempt.
func deliverPrepared(t *testing.T, db *dbtest.DB, sim *propexotest.Sim, prepare func(jobID int), done func(*ent.IntegrationJob) bool) (*ent.IntegrationJob, *ent.Prospect) {
	t.Helper()
	px, err := propexo.New(propexo.Config{Token: "test-token", BaseURL: "http://propexo.test", HTTPClient: &http.Client{Transport: sim.Transport()}})
	if err != nil {
		t.Fatal(err)
	}
	d := &prospects.Delivery{DB: db.Client, Propexo: px, PollEvery: 20 * time.Millisecond, ReconcileAfter: 100 * time.Millisecond}

	id := dbtest.NewClient(t, db.Client, "Acme")
	if err := db.Client.Company.UpdateOneID(id).SetPropexoIntegrationID("int-acme").Exec(dbtest.System()); err != nil {
		t.Fatal(err)
	}
	var q queued
	p, err := (&prospects.Service{DB: db.Client, Queue: &q}).Create(dbtest.As(t, db.Client, id), ann, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 {
		t.Fatalf("the write queued %d deliveries, want 1", len(q))
	}
	if prepare != nil {
		prepare(q[0])
	}

	var at workflow.Attempt
	for deadline := time.Now().Add(20 * time.Second); ; {
		out := d.Deliver(context.Background(), q[0], at)
		j, err := db.Client.IntegrationJob.Get(dbtest.System(), q[0])
		if err != nil {
			t.Fatal(err)
		}
		if done(j) || out.Action == workflow.ActionDone || out.Action == workflow.ActionCancel {
			p, err := db.Client.Prospect.Get(dbtest.System(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			return j, p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery is still %s (last error %q)", j.Status, j.LastError)
		}
		switch wait, limited := propexo.RetryAfter(out.Err); {
		case out.Action == workflow.ActionSnooze:
			time.Sleep(out.Wait)
		case limited:
			time.Sleep(wait)
		default:
			at.Failures++
			at.Last = at.Failures+1 >= maxAttempts
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// A delivery survives a lost answer without an Idempotency-Key (the
// simulator ignores it, as Propexo documents none): the first create fails
// after Propexo applied it, the next run finds the write at Propexo by its
// content instead of sending it again, and adopts it. Propexo holds one
// prospect, with the notes byte for byte as the user wrote them, and ours
// records its id.
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
		if p.PropexoProspectID != at[0].ID || at[0].Notes != *ann.Notes || at[0].Phone1 != "+15125550100" {
			t.Fatalf("our prospect records Propexo id %q, want %q; there: notes %q, phone %q", p.PropexoProspectID, at[0].ID, at[0].Notes, at[0].Phone1)
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
		// The look-up reads by phone: the others share Ann's (an office's).
		for i := range 20*propexo.MaxLeadPage + 1 {
			sim.SeedProspect(propexotest.Prospect{IntegrationID: "int-acme", FirstName: fmt.Sprint("Other ", i), Phone1: "+15125550100"})
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

// A create sent before the upgrade carried a marker line in its notes; its
// lost answer is still reconciled by that marker, whatever the lead's
// content: the delivery adopts the lead and sends nothing.
func TestDeliveryLegacyMarkerStillReconciles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		sim := newSim(t, propexotest.Options{AutoComplete: 30 * time.Millisecond})
		var leadID string
		j, p := deliverPrepared(t, db, sim, func(jobID int) {
			leadID = sim.SeedProspect(propexotest.Prospect{IntegrationID: "int-acme", FirstName: "Ann (typed by the PMS)", Phone1: "+15125550100",
				Notes: fmt.Sprintf("Gate code 4711\n[leasegraph delivery %d]", jobID)})
			err := db.Client.IntegrationJob.UpdateOneID(jobID).SetSendStartedAt(time.Now().Add(-time.Minute)).Exec(dbtest.System())
			if err != nil {
				t.Fatal(err)
			}
		}, func(j *ent.IntegrationJob) bool {
			return j.Status != integrationjob.StatusQUEUED && j.Status != integrationjob.StatusSENT
		})
		if st := sim.Stats(); j.Status != integrationjob.StatusSUCCEEDED || p.PropexoProspectID != leadID || st.CreateRequests != 0 {
			t.Fatalf("delivery %s (%q), linked to %q (want %q) after %d creates", j.Status, j.LastError, p.PropexoProspectID, leadID, st.CreateRequests)
		}
	})
}

// Two leads besides ours match the create whose answer was lost: the
// delivery cannot tell which is its write, so it sends nothing more and
// holds, with every candidate named.
func TestDeliveryAmbiguousCreateIsHeld(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		sim := newSim(t, propexotest.Options{AutoComplete: 30 * time.Millisecond})
		twin := propexotest.Prospect{IntegrationID: "int-acme", FirstName: "ANN", LastName: "Lee ", Email1: "Ann@Example.com", Phone1: "512-555-0100"}
		a, b := sim.SeedProspect(twin), sim.SeedProspect(twin)
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: http.StatusBadGateway, AfterWrite: true})
		j, p := deliver(t, db, sim)
		at := sim.Prospects()
		if j.Status != integrationjob.StatusHELD || len(j.Candidates) != 3 || sim.Stats().CreateRequests != 1 || len(at) != 3 ||
			p.PropexoProspectID != "" || j.SendStartedAt != nil || !strings.Contains(j.LastError, "resolveHeldDelivery") {
			t.Fatalf("delivery %s with candidates %v (%q) after %d creates; linked to %q", j.Status, j.Candidates, j.LastError,
				sim.Stats().CreateRequests, p.PropexoProspectID)
		}
		for _, id := range []string{a, b} {
			if !strings.Contains(strings.Join(j.Candidates, ","), id) {
				t.Fatalf("candidates %v lack %s", j.Candidates, id)
			}
		}
	})
}
