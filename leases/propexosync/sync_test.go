package propexosync_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/leasesync"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

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
// PMS's records, and the sync service.
type syncEnv struct {
	db       *dbtest.DB
	sim      *propexotest.Sim
	clk      *clock
	clientID int
	svc      *propexosync.Service
}

func newSyncEnv(t *testing.T, db *dbtest.DB, afterPage func(int) error) *syncEnv {
	return newSyncEnvLimited(t, db, afterPage, 0, 0)
}

// newSyncEnvLimited is newSyncEnv with Propexo's rate limit at limit
// requests per window (0: the partner's), the client's window the same.
func newSyncEnvLimited(t *testing.T, db *dbtest.DB, afterPage func(int) error, limit int, window time.Duration) *syncEnv {
	t.Helper()
	clk := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), start: time.Now()}
	sim := propexotest.New(propexotest.Options{Now: clk.Now, RateLimit: limit, RateWindow: window})
	t.Cleanup(sim.Close)
	px, err := propexo.New(propexo.Config{Token: "test-token", BaseURL: "http://propexo.test", HTTPClient: &http.Client{Transport: sim.Transport()},
		RateWindow: window, MaxWait: window / 10})
	if err != nil {
		t.Fatal(err)
	}
	id := dbtest.NewClient(t, db.Client, "Acme")
	if err := db.Client.Company.UpdateOneID(id).SetPropexoIntegrationID("int-acme").Exec(dbtest.System()); err != nil {
		t.Fatal(err)
	}
	svc := &propexosync.Service{DB: db.Client, Propexo: px, PageSize: 2, AfterPage: afterPage, FullEvery: config.Defaults().Delivery.SyncFullEvery}
	return &syncEnv{db: db, sim: sim, clk: clk, clientID: id, svc: svc}
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

// syncNow runs a sync of the client to its end as the queue runs a run's
// attempts: a snooze is slept, a failed attempt tried again (resuming
// where it stopped), a rate-limited one after its wait (jobs' mapping).
// It returns the state the pass left.
func (e *syncEnv) syncNow(t *testing.T) *ent.LeaseSync {
	t.Helper()
	var at workflow.Attempt
	runID := 0
	for deadline := time.Now().Add(20 * time.Second); ; {
		id, out := e.svc.RunAttempt(context.Background(), e.clientID, runID, at)
		if id != 0 {
			runID = id
		}
		switch wait, limited := propexo.RetryAfter(out.Err); {
		case out.Action == workflow.ActionDone:
			st, err := e.db.Client.LeaseSync.Query().Where(leasesync.ClientID(e.clientID)).Only(dbtest.System())
			if err != nil {
				t.Fatal(err)
			}
			if st.Phase != leasesync.PhaseIDLE || st.LastSuccessAt == nil {
				t.Fatalf("the sync ended without finishing its pass: %+v", st)
			}
			return st
		case out.Action == workflow.ActionCancel:
			t.Fatalf("the sync was cancelled: %v", out.Err)
		case out.Action == workflow.ActionSnooze:
			time.Sleep(out.Wait)
		case limited:
			time.Sleep(wait)
		default:
			at.Failures++
			time.Sleep(10 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sync finished: the last attempt's %v: %v", out.Action, out.Err)
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

// The first sync is full and stores every lease with its tenant; the next
// one is incremental: it reads only the changed records (newest first,
// stopping at what it saw) and applies the change and the new lease.
func TestLeaseSyncFirstThenIncremental(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newSyncEnv(t, db, nil)
		for n := range 5 {
			e.put(n, "Future")
		}
		st := e.syncNow(t)
		got := e.leases(t)
		if len(got) != 5 || st.LeasesSynced != 5 || st.TenantsSynced != 5 || st.LastFullAt == nil || st.Full {
			t.Fatalf("first sync: %d leases, state %+v", len(got), st)
		}
		l := got["lease-3"]
		if l.Source != lease.SourcePROPEXO || l.Status != "Future" || l.SourceID != "x-lease-3" || l.MoveInDate == nil ||
			len(l.Edges.Tenants) != 1 || l.Edges.Tenants[0].FirstName != "Tenant3" || l.Edges.Tenants[0].CellPhone != "+15125550100" ||
			*l.Edges.Tenants[0].PropexoID != "r3" {
			t.Fatalf("lease-3: %+v tenants %+v", l, l.Edges.Tenants)
		}
		fullReads := e.sim.ListRequests()

		for range 20 { // time passes at Propexo; then two records change
			e.clk.tick()
		}
		e.put(1, "Notice")
		e.put(7, "Future")
		st = e.syncNow(t)
		got = e.leases(t)
		if len(got) != 6 || got["lease-1"].Status != "Notice" || got["lease-7"] == nil || st.LeasesSynced != 4 || st.LastFullAt == nil {
			t.Fatalf("incremental: %d leases, lease-1 %q, state %+v", len(got), got["lease-1"].Status, st)
		}
		// Leases: the page of the 2 changed, then one reaching what the
		// first pass saw (4 upserted, not 6); residents the same;
		// transfers one empty page. The full pass read 3+3+1.
		if reads := e.sim.ListRequests() - fullReads; reads != 5 || fullReads != 7 {
			t.Fatalf("incremental sync made %d list requests (the full one %d), want 5 (only the changes)", reads, fullReads)
		}
		if n, _ := e.db.Client.Tenant.Query().Where(tenant.ClientID(e.clientID)).Count(dbtest.System()); n != 6 {
			t.Fatalf("%d tenants, want 6", n)
		}
	})
}

// A lease deleted at Propexo is marked removed by the next full pass, not
// deleted, and comes back if Propexo lists it again.
func TestLeaseSyncMarksRemovedLeases(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newSyncEnv(t, db, nil)
		for n := range 3 {
			e.put(n, "Current")
		}
		e.syncNow(t)
		e.sim.RemoveLease("lease-1")
		// The next pass is full when the last full one is FullEvery old.
		e.svc.FullEvery = time.Nanosecond
		st := e.syncNow(t)
		got := e.leases(t)
		if len(got) != 3 || got["lease-1"].RemovedAt == nil || got["lease-0"].RemovedAt != nil || st.LeasesRemoved != 1 {
			t.Fatalf("after removal: %d leases, lease-1 removed at %v, state %+v", len(got), got["lease-1"].RemovedAt, st)
		}
		e.put(1, "Current")
		e.syncNow(t)
		if got := e.leases(t); got["lease-1"].RemovedAt != nil {
			t.Fatal("lease-1 listed again is still marked removed")
		}
	})
}

// A run killed between pages (the hook fails once after the second page
// has committed) is retried and resumes at the third page: no page
// is read twice, no lease or tenant is duplicated.
func TestLeaseSyncResumesAfterCrash(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		var crashed sync.Once
		killed := false
		crash := func(pages int) error {
			err := error(nil)
			if pages == 2 {
				crashed.Do(func() { err, killed = errors.New("killed between pages"), true })
			}
			return err
		}
		e := newSyncEnv(t, db, crash)
		for n := range 5 {
			e.put(n, "Future")
		}
		st := e.syncNow(t)
		if !killed {
			t.Fatal("the run was never killed")
		}
		if got := e.leases(t); len(got) != 5 || st.LeasesSynced != 5 || st.TenantsSynced != 5 {
			t.Fatalf("after the crash: %d leases, state %+v", len(got), st)
		}
		// 3 lease pages + 3 resident pages + 1 transfer page: the pass
		// resumed rather than started again.
		if reads := e.sim.ListRequests(); reads != 7 {
			t.Fatalf("%d list requests, want 7", reads)
		}
		if n, _ := e.db.Client.Tenant.Query().Count(dbtest.System()); n != 5 {
			t.Fatalf("%d tenants, want 5", n)
		}
	})
}

// A lease a resident transferred from is marked transferred and moves out
// on the transfer's date.
func TestLeaseSyncTransfers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newSyncEnv(t, db, nil)
		e.put(0, "Current")
		e.put(1, "Future")
		e.sim.PutTransfer(propexotest.TransferRecord{ID: "tr-1", IntegrationID: "int-acme", PropertyID: "prop-1", ResidentID: "r0",
			LeaseIDPrevious: "lease-0", LeaseIDNext: "lease-1", EffectiveDate: "2025-08-15"})
		e.syncNow(t)
		got := e.leases(t)
		l := got["lease-0"]
		if !l.Transferred || l.MoveOutDate == nil || l.MoveOutDate.Format(time.DateOnly) != "2025-08-15" || got["lease-1"].Transferred {
			t.Fatalf("lease-0 transferred %v move-out %v", l.Transferred, l.MoveOutDate)
		}
	})
}

// A record the store cannot hold (no start date, an id longer than the
// column) is skipped and counted, named in last_error; the pass goes on and
// finishes.
func TestLeaseSyncSkipsUnstorableRecords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newSyncEnv(t, db, nil)
		e.put(0, "Current")
		e.clk.tick()
		e.sim.PutLease(propexotest.LeaseRecord{ID: "no-start", IntegrationID: "int-acme", PropertyID: "prop-1", Status: "Current"})
		e.clk.tick()
		e.sim.PutLease(propexotest.LeaseRecord{ID: strings.Repeat("x", 250), IntegrationID: "int-acme", PropertyID: "prop-1", Status: "Current", StartDate: "2025-01-01"})
		e.put(1, "Current")
		st := e.syncNow(t)
		if got := e.leases(t); len(got) != 2 || st.RecordsSkipped != 2 || st.LeasesSynced != 2 || !strings.Contains(st.LastError, "skipped") {
			t.Fatalf("%d leases stored, state %+v", len(got), st)
		}
	})
}

// A lease already read being deleted mid-pass shifts the rest back under
// the offset, so the full pass misses one still there; it is looked up
// before being marked removed, and is not; the deleted one is marked by the
// next full pass.
func TestLeaseSyncFullPassDoesNotRemoveWhatPagingMissed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		var e *syncEnv
		var armed atomic.Bool
		e = newSyncEnv(t, db, func(pages int) error {
			if pages == 1 && armed.CompareAndSwap(true, false) {
				e.sim.RemoveLease("lease-0") // read on page 1; lease-2 slides to offset 1
			}
			return nil
		})
		for n := range 5 {
			e.put(n, "Current")
		}
		e.syncNow(t)
		e.svc.FullEvery = time.Nanosecond
		armed.Store(true)
		st := e.syncNow(t)
		got := e.leases(t)
		// lease-0 was read by this pass before it went: the next full one
		// marks it.
		if got["lease-2"].RemovedAt != nil || got["lease-0"].RemovedAt != nil || st.LeasesRemoved != 0 || e.sim.LeaseGets() != 1 {
			t.Fatalf("lease-2 removed at %v, lease-0 at %v; state %+v; %d look-ups", got["lease-2"].RemovedAt, got["lease-0"].RemovedAt, st, e.sim.LeaseGets())
		}
		st = e.syncNow(t)
		got = e.leases(t)
		if got["lease-0"].RemovedAt == nil || got["lease-2"].RemovedAt != nil || st.LeasesRemoved != 1 {
			t.Fatalf("next full pass: lease-0 removed at %v, lease-2 at %v; state %+v", got["lease-0"].RemovedAt, got["lease-2"].RemovedAt, st)
		}
	})
}
