package propexosync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/leasesync"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/jobs"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// What River decides about a sync run, with the sync's workers on a
// running queue as the server registers them: waiting out Propexo's rate
// limit by snoozing, the leader's periodic job, and a run's last attempt.

// riverSync is a syncEnv whose runs a River queue works.
type riverSync struct {
	*syncEnv
	q *jobs.Queue
}

// newRiverSync starts a queue with the sync workers on e's database; with
// periodic, the leader's periodic sync runs too (on start, then hourly).
func newRiverSync(t *testing.T, db *dbtest.DB, limit int, window time.Duration, periodic bool) *riverSync {
	t.Helper()
	e := newSyncEnvLimited(t, db, nil, limit, window)
	q, err := jobs.New(context.Background(), jobs.Config{
		DB: db.SQL(), Dialect: db.Dialect, PollInterval: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	every := jobs.AddLeaseSync(workers, e.svc, time.Hour, q.Retry())
	work := jobs.Work{Workers: workers, Sync: true}
	if periodic {
		work.Periodic = []*river.PeriodicJob{every}
		// Propexo holds a lease before the queue starts.
		e.sim.PutLease(propexotest.LeaseRecord{ID: "lease-p", IntegrationID: "int-acme", PropertyID: "prop-1", Status: "Current", StartDate: "2025-01-01"})
	}
	if err := q.Start(context.Background(), work); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return &riverSync{syncEnv: e, q: q}
}

// syncNow queues a sync on the queue and waits until a pass has finished
// after it.
func (e *riverSync) syncNow(t *testing.T) *ent.LeaseSync {
	t.Helper()
	// The sync to wait for is the one that succeeds after this call began:
	// not the previous one, even when it finished within the clock's
	// resolution of now (the databases keep microseconds).
	before := time.Now().UTC().Truncate(time.Microsecond)
	var prev time.Time
	if st, err := e.db.Client.LeaseSync.Query().Where(leasesync.ClientID(e.clientID)).Only(dbtest.System()); err == nil && st.LastSuccessAt != nil {
		prev = *st.LastSuccessAt
	}
	// River completes a job a moment after its Work returns; until then a
	// new sync joins the finished one.
	for {
		queued, err := e.q.EnqueueLeaseSync(context.Background(), nil, e.clientID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if queued {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st, err := e.db.Client.LeaseSync.Query().Where(leasesync.ClientID(e.clientID)).Only(dbtest.System())
		if err != nil && !ent.IsNotFound(err) {
			t.Fatal(err)
		}
		if st != nil && st.Phase == leasesync.PhaseIDLE && st.LastSuccessAt != nil && st.LastSuccessAt.After(prev) && !st.LastSuccessAt.Before(before) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sync finished: %+v", st)
		}
	}
}

// The sync keeps to Propexo's rate limit: when the budget is spent it
// waits (the job snoozes) instead of failing, and the pass finishes.
func TestLeaseSyncWaitsOutTheRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newRiverSync(t, db, 3, 300*time.Millisecond, false)
		for n := range 5 {
			e.put(n, "Current")
		}
		st := e.syncNow(t)
		if got := e.leases(t); len(got) != 5 || st.LeasesSynced != 5 || st.TenantsSynced != 5 {
			t.Fatalf("%d leases, state %+v", len(got), st)
		}
		if e.sim.ListRequests() != 7 {
			t.Fatalf("%d list requests answered, want 7 (each page once)", e.sim.ListRequests())
		}
		// Waiting is not failing: no attempt recorded an error.
		var failed int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'sync_leases' AND errors IS NOT NULL`).Scan(&failed); err != nil {
			t.Fatal(err)
		}
		if failed != 0 {
			t.Fatalf("%d sync jobs recorded errors while waiting on the rate limit", failed)
		}
	})
}

// The leader's periodic job syncs every client with an integration without
// being asked, and records when the next sync is due.
func TestLeaseSyncPeriodic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newRiverSync(t, db, 0, 0, true)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			st, err := e.db.Client.LeaseSync.Query().Where(leasesync.ClientID(e.clientID)).Only(dbtest.System())
			if err != nil && !ent.IsNotFound(err) {
				t.Fatal(err)
			}
			if st != nil && st.LastSuccessAt != nil && st.NextRunAt != nil && len(e.leases(t)) == 1 {
				if d := time.Until(*st.NextRunAt); d < 50*time.Minute || d > time.Hour {
					t.Fatalf("next run in %s, want the period (1h)", d)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the periodic sync never ran: %+v", st)
			}
		}
	})
}

// A run whose attempts all fail ends FAILED on its IntegrationJob, saying
// so and with Propexo's error, with no retry time left; one queued before
// runs had rows (no IntegrationJob id in its args) gets a row of its own.
func TestLeaseSyncRunFailsWhenAttemptsRunOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newRiverSync(t, db, 0, 0, false)
		e.put(0, "Current")
		e.sim.FailNext(1000, propexotest.Fault{Kind: propexotest.FaultError, Status: 500})
		if _, err := e.q.River.Insert(context.Background(), jobs.SyncLeasesArgs{ClientID: e.clientID}, &river.InsertOpts{MaxAttempts: 2}); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			run, err := db.Client.IntegrationJob.Query().Where(integrationjob.KindEQ(integrationjob.KindLEASE_SYNC)).Only(dbtest.System())
			if err != nil && !ent.IsNotFound(err) {
				t.Fatal(err)
			}
			if run != nil && run.Status == integrationjob.StatusFAILED {
				if run.Attempts != 2 || !strings.Contains(run.LastError, "gave up after 2 attempts") || !strings.Contains(run.LastError, "500") ||
					run.NextAttemptAt != nil || run.ClientID != e.clientID {
					t.Fatalf("the failed run: %+v", run)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the run never failed: %+v", run)
			}
		}
	})
}
