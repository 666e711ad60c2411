package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/leasesync"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/jobs"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// newSim is a simulator closed with the test.
func newSim(t *testing.T, opts propexotest.Options) *propexotest.Sim {
	sim := propexotest.New(opts)
	t.Cleanup(sim.Close)
	return sim
}

// clock is the simulator's clock, moved ahead by the test so that
// Propexo's updated_at order is the test's, and running in real time
// besides so that Propexo's rate windows pass.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	start time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t.Add(time.Since(c.start))
}
func (c *clock) tick() { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(time.Minute * 10) }

// syncEnv is a client with a Propexo integration, the simulator holding its
// PMS's records, and a running queue with the sync workers.
type syncEnv struct {
	db       *dbtest.DB
	sim      *propexotest.Sim
	clk      *clock
	q        *jobs.Queue
	clientID int
	svc      *propexosync.Service
}

func newSyncEnv(t *testing.T, db *dbtest.DB, afterPage func(int) error) *syncEnv {
	return newSyncEnvLimited(t, db, afterPage, 0, 0, false)
}

// newSyncEnvLimited is newSyncEnv with Propexo's rate limit at limit
// requests per window (0: the partner's), the client's window the same.
// With periodic, the leader's periodic sync runs (on start, then hourly).
func newSyncEnvLimited(t *testing.T, db *dbtest.DB, afterPage func(int) error, limit int, window time.Duration, periodic bool) *syncEnv {
	t.Helper()
	clk := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), start: time.Now()}
	sim := newSim(t, propexotest.Options{Now: clk.Now, RateLimit: limit, RateWindow: window})
	px, err := propexo.New(propexo.Config{Token: "test-token", BaseURL: "http://propexo.test", HTTPClient: &http.Client{Transport: sim.Transport()},
		RateWindow: window, MaxWait: window / 10})
	if err != nil {
		t.Fatal(err)
	}
	svc := &propexosync.Service{DB: db.Client, Propexo: px, PageSize: 2, AfterPage: afterPage, FullEvery: config.Defaults().Delivery.SyncFullEvery}
	workers := river.NewWorkers()
	q, err := jobs.New(context.Background(), jobs.Config{
		DB: db.SQL(), Dialect: db.Dialect, PollInterval: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	every := jobs.AddLeaseSync(workers, svc, time.Hour, q.Retry())
	work := jobs.Work{Workers: workers, Sync: true}
	if periodic {
		work.Periodic = []*river.PeriodicJob{every}
	}
	id := dbtest.NewClient(t, db.Client, "Acme")
	if err := db.Client.Company.UpdateOneID(id).SetPropexoIntegrationID("int-acme").Exec(dbtest.System()); err != nil {
		t.Fatal(err)
	}
	if periodic {
		// Propexo holds a lease before the queue starts.
		sim.PutLease(propexotest.LeaseRecord{ID: "lease-p", IntegrationID: "int-acme", PropertyID: "prop-1", Status: "Current", StartDate: "2025-01-01"})
	}
	if err := q.Start(context.Background(), work); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return &syncEnv{db: db, sim: sim, clk: clk, q: q, clientID: id, svc: svc}
}

// put adds or changes lease n at Propexo with one resident, r<n>.
func (e *syncEnv) put(n int, status string) {
	e.clk.tick()
	id := fmt.Sprintf("lease-%d", n)
	e.sim.PutLease(propexotest.LeaseRecord{ID: id, IntegrationID: "int-acme", PropertyID: "prop-1", XPropertyID: "PMS-P1",
		Status: status, StatusRaw: status, StatusNormalized: "ACTIVE", StartDate: "2025-07-01", MoveInDate: "2025-07-01",
		ResidentIDs: []string{fmt.Sprintf("r%d", n)}})
	e.sim.PutResident(propexotest.ResidentRecord{ID: fmt.Sprintf("r%d", n), IntegrationID: "int-acme", PropertyID: "prop-1",
		FirstName: fmt.Sprintf("Tenant%d", n), LastName: "Doe", Email: fmt.Sprintf("t%d@example.com", n), Phone: "512-555-0100", LeaseIDs: []string{id}})
}

// syncNow queues a sync and waits until a pass has finished after it.
func (e *syncEnv) syncNow(t *testing.T) *ent.LeaseSync {
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

func (e *syncEnv) leases(t *testing.T) map[string]*ent.Lease {
	t.Helper()
	all, err := e.db.Client.Lease.Query().Where(lease.ClientID(e.clientID)).WithTenants().All(dbtest.System())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ent.Lease{}
	for _, l := range all {
		if l.PropexoID == nil {
			t.Fatalf("lease %s has no Propexo id", l.SourceID)
		}
		out[*l.PropexoID] = l
	}
	return out
}

// The sync keeps to Propexo's rate limit: when the budget is spent it
// waits (the job snoozes) instead of failing, and the pass finishes.
func TestLeaseSyncWaitsOutTheRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newSyncEnvLimited(t, db, nil, 3, 300*time.Millisecond, false)
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
		e := newSyncEnvLimited(t, db, nil, 0, 0, true)
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
		e := newSyncEnv(t, db, nil)
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
