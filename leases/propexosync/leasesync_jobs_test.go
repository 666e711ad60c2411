package propexosync_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// leaseSyncJob is a lease sync run as the graph shows it.
type leaseSyncJob struct {
	ID            string
	Kind          string
	Status        string
	Attempts      int
	LastError     string
	NextAttemptAt *time.Time
}

const leaseSyncJobFields = `id kind status attempts lastError nextAttemptAt`

// A failing lease sync shows like any integration job: syncLeasesNow
// names its run, which Propexo's 500s on /v1/leases/ leave QUEUED with the
// error and the retry's time; once Propexo answers again the retry ends it
// SUCCEEDED. The run is on the client's Client.leaseSyncJobs and in
// integrationJobs; another client's token sees neither.
func TestLeaseSyncRunIsIntegrationJob(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		sim := apptest.LeaseSync(t, e).Sim
		_, token := e.PropexoClient("acme")
		sim.PutLease(propexotest.LeaseRecord{ID: "L1", IntegrationID: "int-acme", PropertyID: "prop-1", Status: "Current", StartDate: "2025-01-01"})
		// Every call fails until the test clears it: an outage, not a blip
		// that a retry could hide before the test looks.
		sim.FailNext(1000, propexotest.Fault{Kind: propexotest.FaultError, Status: 500})

		var asked struct {
			SyncLeasesNow struct {
				Queued bool
				Job    *leaseSyncJob
			}
		}
		// A run the periodic sync queued may have read Propexo before the
		// outage: ask until a run of this request's own is queued.
		for deadline := time.Now().Add(10 * time.Second); !asked.SyncLeasesNow.Queued; time.Sleep(10 * time.Millisecond) {
			e.MustGQL(token, `mutation { syncLeasesNow { queued job { `+leaseSyncJobFields+` } } }`, nil, &asked)
			if time.Now().After(deadline) {
				t.Fatal("syncLeasesNow never queued a run")
			}
		}
		run := asked.SyncLeasesNow.Job
		if run == nil || run.Kind != "LEASE_SYNC" || (run.Status != "QUEUED" && run.Status != "SENT") {
			t.Fatalf("syncLeasesNow's run: %+v", run)
		}
		node := func(tok string) *leaseSyncJob {
			var out struct{ Node *leaseSyncJob }
			r := e.GQL(tok, `query($id: ID!) { node(id: $id) { ... on IntegrationJob { `+leaseSyncJobFields+` } } }`, map[string]any{"id": run.ID})
			if len(r.Errors) == 0 {
				if err := json.Unmarshal(r.Data, &out); err != nil {
					t.Fatal(err)
				}
			}
			return out.Node
		}
		waitFor := func(what string, ok func(*leaseSyncJob) bool) *leaseSyncJob {
			t.Helper()
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				j := node(token)
				if j != nil && ok(j) {
					return j
				}
				if time.Now().After(deadline) {
					t.Fatalf("the run never became %s: %+v", what, j)
				}
			}
		}
		failed := waitFor("a failure waiting for its retry", func(j *leaseSyncJob) bool {
			return j.Status == "QUEUED" && j.LastError != "" && j.NextAttemptAt != nil && j.Attempts >= 1
		})
		if !strings.Contains(failed.LastError, "500") || strings.Contains(failed.LastError, "test-token") {
			t.Fatalf("lastError %q: want Propexo's 500, never the token", failed.LastError)
		}

		var other struct {
			IntegrationJobs struct{ TotalCount int }
		}
		_, otherToken := e.PropexoClient("other")
		e.MustGQL(otherToken, `{ integrationJobs(where: {kind: LEASE_SYNC}) { totalCount } }`, nil, &other)
		if other.IntegrationJobs.TotalCount != 0 || node(otherToken) != nil {
			t.Fatalf("another client sees %d lease sync runs, node %+v", other.IntegrationJobs.TotalCount, node(otherToken))
		}

		sim.ClearFaults()
		done := waitFor("SUCCEEDED", func(j *leaseSyncJob) bool { return j.Status == "SUCCEEDED" })
		if done.LastError != "" || done.NextAttemptAt != nil || done.Attempts < 2 {
			t.Fatalf("the run after Propexo recovered: %+v", done)
		}
		var company struct {
			Clients struct {
				Edges []struct {
					Node struct {
						LeaseSync     *apptest.LeaseSyncState
						LeaseSyncJobs struct{ Edges []struct{ Node leaseSyncJob } }
					}
				}
			}
		}
		e.MustGQL(token, `{ clients { edges { node { leaseSync { leasesSynced } leaseSyncJobs(first: 10) { edges { node { `+leaseSyncJobFields+` } } } } } } }`, nil, &company)
		c := company.Clients.Edges[0].Node
		found := false
		for _, ed := range c.LeaseSyncJobs.Edges {
			found = found || ed.Node.ID == run.ID && ed.Node.Status == "SUCCEEDED"
		}
		if !found || c.LeaseSync == nil || c.LeaseSync.LeasesSynced != 1 {
			t.Fatalf("Client.leaseSyncJobs %+v, leaseSync %+v: want the run SUCCEEDED and its lease counted", c.LeaseSyncJobs, c.LeaseSync)
		}

		// A failed run is not a prospect delivery: retryIntegrationJob
		// refuses it and leaves it as it was (it would have queued a
		// prospect delivery that fails it again and loses its error).
		id, err := strconv.Atoi(run.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.Client.IntegrationJob.UpdateOneID(id).SetStatus(integrationjob.StatusFAILED).SetLastError("Propexo answered 500").ExecX(e.Sys())
		res := e.GQL(token, `mutation($id: ID!) { retryIntegrationJob(id: $id) { id } }`, map[string]any{"id": run.ID})
		if len(res.Errors) != 1 || res.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("retryIntegrationJob on a lease sync run: %+v", res)
		}
		if j := e.Client.IntegrationJob.GetX(e.Sys(), id); j.Status != integrationjob.StatusFAILED || j.LastError != "Propexo answered 500" {
			t.Fatalf("the refused retry changed the run: %s %q", j.Status, j.LastError)
		}
	})
}

// Ended lease sync runs are kept PROPEXO_SYNC_RUNS_KEPT (30 days): a run's
// end deletes its client's older SUCCEEDED and FAILED runs, and nothing
// else: not a run still waiting however old, not another kind of delivery,
// not another client's runs.
func TestLeaseSyncRunsAreKeptThirtyDays(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		apptest.LeaseSync(t, e).Sim.PutLease(propexotest.LeaseRecord{ID: "L1", IntegrationID: "int-acme", PropertyID: "prop-1", Status: "Current", StartDate: "2025-01-01"})
		acme, token := e.PropexoClient("acme")
		other, otherToken := e.NewClient("other")
		old, recent := time.Now().Add(-31*24*time.Hour), time.Now().Add(-29*24*time.Hour)
		add := func(client int, kind integrationjob.Kind, status integrationjob.Status, at time.Time) string {
			j := e.Client.IntegrationJob.Create().SetClientID(client).SetKind(kind).SetStatus(status).
				SetCreatedAt(at).SetUpdatedAt(at).SaveX(e.Sys())
			return strconv.Itoa(j.ID)
		}
		gone := []string{
			add(acme, integrationjob.KindLEASE_SYNC, integrationjob.StatusSUCCEEDED, old),
			add(acme, integrationjob.KindLEASE_SYNC, integrationjob.StatusFAILED, old),
		}
		kept := []string{
			add(acme, integrationjob.KindLEASE_SYNC, integrationjob.StatusSUCCEEDED, recent),
			add(acme, integrationjob.KindLEASE_SYNC, integrationjob.StatusQUEUED, old),
			add(acme, integrationjob.KindSMS, integrationjob.StatusSUCCEEDED, old),
		}
		otherKept := add(other, integrationjob.KindLEASE_SYNC, integrationjob.StatusSUCCEEDED, old)

		var asked struct {
			SyncLeasesNow struct {
				Queued bool
				Job    *leaseSyncJob
			}
		}
		for deadline := time.Now().Add(10 * time.Second); !asked.SyncLeasesNow.Queued; time.Sleep(10 * time.Millisecond) {
			e.MustGQL(token, `mutation { syncLeasesNow { queued job { id } } }`, nil, &asked)
			if time.Now().After(deadline) {
				t.Fatal("syncLeasesNow never queued a run")
			}
		}
		run := asked.SyncLeasesNow.Job.ID
		jobs := func(tok string) map[string]string {
			var out struct {
				IntegrationJobs struct {
					Edges []struct{ Node leaseSyncJob }
				}
			}
			e.MustGQL(tok, `{ integrationJobs(first: 100) { edges { node { id status } } } }`, nil, &out)
			m := map[string]string{}
			for _, ed := range out.IntegrationJobs.Edges {
				m[ed.Node.ID] = ed.Node.Status
			}
			return m
		}
		for deadline := time.Now().Add(20 * time.Second); jobs(token)[run] != "SUCCEEDED"; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the run never succeeded: %v", jobs(token))
			}
		}
		listed := jobs(token)
		for _, id := range gone {
			if _, ok := listed[id]; ok {
				t.Errorf("run %s, ended 31 days ago, is still listed: %v", id, listed)
			}
		}
		for _, id := range kept {
			if _, ok := listed[id]; !ok {
				t.Errorf("job %s was deleted: %v", id, listed)
			}
		}
		if _, ok := jobs(otherToken)[otherKept]; !ok {
			t.Errorf("another client's old run was deleted")
		}
	})
}
