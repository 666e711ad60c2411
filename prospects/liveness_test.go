package prospects_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/prospects"
)

// TestKilledProcessDeliveriesResume: what a process killed mid-delivery
// leaves (its River jobs running under its name, its heartbeat stopped) is
// arranged in the database, in the three states a delivery can be in: the
// send not started, the send started and its answer lost (Propexo applied
// the write), and Propexo's job id recorded (SENT). A live process, on a
// liveness clock the test moves and with a reconcile margin of an hour,
// rescues none of them while the dead process's heartbeat is fresh, all
// three once it has lapsed; the unstarted and the SENT ones then succeed at
// once, and the lost answer waits for the margin (its River job snoozed
// until the send plus the margin, nothing resent), then is found at
// Propexo and adopted: three prospects at Propexo, each created once.
func TestKilledProcessDeliveriesResume(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{AutoComplete: 20 * time.Millisecond}, true), func(t *testing.T, e *apptest.Env) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		sim := apptest.Propexo(t, e).Sim
		_, token := e.PropexoClient("K")
		var ids []int // the deliveries: not started, lost answer, SENT
		for _, name := range []string{"Unstarted", "Lost", "Sent"} {
			var out apptest.CreatedProspect
			e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{"firstName": name, "lastName": "Doe",
				"phone1": "(512) 555-01" + strconv.Itoa(10+len(ids))}}, &out)
			id, err := strconv.Atoi(out.CreateProspect.IntegrationJobs.Edges[0].Node.ID)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		px, err := propexo.New(propexo.Config{Token: "test-token", BaseURL: e.Settings.Config.Delivery.PropexoBaseURL})
		if err != nil {
			t.Fatal(err)
		}
		// What the dead process did before dying: sent two of the writes.
		sentAt := time.Now().UTC()
		for i, id := range ids[1:] {
			ij, err := e.Client.IntegrationJob.Query().Where(integrationjob.ID(id)).
				WithProspect(func(q *ent.ProspectQuery) { q.WithClient() }).Only(e.Sys())
			if err != nil {
				t.Fatal(err)
			}
			p := ij.Edges.Prospect
			res, err := px.CreateProspect(ctx, prospects.CreateRequest(p, p.Edges.Client.PropexoIntegrationID))
			if err != nil {
				t.Fatal(err)
			}
			u := e.Client.IntegrationJob.UpdateOneID(id)
			if i == 0 {
				u.SetSendStartedAt(sentAt) // its answer never recorded
			} else {
				u.SetStatus(integrationjob.StatusSENT).SetPartnerJobID(res.JobID).SetAttempts(1)
			}
			if err := u.Exec(e.Sys()); err != nil {
				t.Fatal(err)
			}
		}
		// Its River jobs, running under its name, and its heartbeat.
		jobOf := map[int]int64{}
		for _, id := range ids {
			jobOf[id] = riverJob(t, e, id)
			q := `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = $1, attempted_by = ARRAY['dead_proc'] WHERE id = $2`
			var at any = sentAt
			if e.Dialect == "sqlite3" {
				q = `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = $1, attempted_by = json_array('dead_proc') WHERE id = $2`
				at = sentAt.Format("2006-01-02 15:04:05.999")
			}
			if _, err := e.SQL.Exec(q, at, jobOf[id]); err != nil {
				t.Fatal(err)
			}
		}
		c := &testClock{t: time.Now()}
		if err := e.Client.ProcessHeartbeat.Create().SetName("dead_proc").SetBeatAt(c.now()).Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}

		// The live process: it beats and rescues only when the test asks.
		live := e.Another(t, func(t *testing.T, s *apptest.Settings) {
			s.Options.InsertOnly = false
			s.Options.HeartbeatEvery, s.Options.LivenessNow = time.Hour, c.now
			s.Config.Delivery.ReconcileAfter = time.Hour
		})
		check := func() int {
			t.Helper()
			r, err := live.Queue.CheckLiveness(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(r)
		}
		c.add(14 * time.Second)
		if n := check(); n != 0 {
			t.Fatalf("rescued %d jobs of a process whose heartbeat is fresh", n)
		}
		for _, id := range ids {
			if st := riverState(t, e, jobOf[id]); st != "running" {
				t.Fatalf("delivery %d's job %s before the lapse", id, st)
			}
		}
		c.add(2 * time.Second)
		if n := check(); n != 3 {
			t.Fatalf("rescued %d jobs once the heartbeat lapsed, want 3", n)
		}
		waitStatus(t, e, ids[0], integrationjob.StatusSUCCEEDED)
		waitStatus(t, e, ids[2], integrationjob.StatusSUCCEEDED)
		// The lost answer waits for the margin, from the send.
		var lost string
		apptest.Eventually(ctx, t, "the lost answer's job to snooze", func() bool {
			lost = riverState(t, e, jobOf[ids[1]])
			return lost == "scheduled"
		})
		if at := riverScheduledAt(t, e, jobOf[ids[1]]); at.Before(sentAt.Add(59*time.Minute)) || at.After(sentAt.Add(61*time.Minute)) {
			t.Fatalf("the lost answer is due %s, want the send (%s) plus an hour", at, sentAt)
		}
		if ij := deliveryRow(t, e, ids[1]); ij.Status != integrationjob.StatusQUEUED || sim.CreateRequests() != 3 {
			t.Fatalf("before the margin: %s, %d creates at Propexo", ij.Status, sim.CreateRequests())
		}
		// The margin has passed (the send an hour earlier); the job is due.
		if err := e.Client.IntegrationJob.UpdateOneID(ids[1]).SetSendStartedAt(sentAt.Add(-time.Hour)).Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		if _, err := live.Queue.River.JobRetry(ctx, jobOf[ids[1]]); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, e, ids[1], integrationjob.StatusSUCCEEDED)
		if n, creates := len(sim.Prospects()), sim.CreateRequests(); n != 3 || creates != 3 {
			t.Fatalf("at Propexo: %d prospects, %d creates; want each once", n, creates)
		}
	})
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func deliveryRow(t *testing.T, e *apptest.Env, id int) *ent.IntegrationJob {
	t.Helper()
	ij, err := e.Client.IntegrationJob.Get(e.Sys(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ij
}

func waitStatus(t *testing.T, e *apptest.Env, id int, want integrationjob.Status) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	apptest.Eventually(ctx, t, fmt.Sprintf("delivery %d to be %s", id, want), func() bool { return deliveryRow(t, e, id).Status == want })
}

// riverJob is the deliver_prospect job of delivery id.
func riverJob(t *testing.T, e *apptest.Env, id int) int64 {
	t.Helper()
	q := `SELECT id FROM river_job WHERE kind = 'deliver_prospect' AND (args->>'integration_job_id')::bigint = $1`
	if e.Dialect == "sqlite3" {
		q = `SELECT id FROM river_job WHERE kind = 'deliver_prospect' AND json_extract(args, '$.integration_job_id') = $1`
	}
	var job int64
	if err := e.SQL.QueryRow(q, id).Scan(&job); err != nil {
		t.Fatal(err)
	}
	return job
}

func riverState(t *testing.T, e *apptest.Env, job int64) string {
	t.Helper()
	var st string
	if err := e.SQL.QueryRow(`SELECT state FROM river_job WHERE id = $1`, job).Scan(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func riverScheduledAt(t *testing.T, e *apptest.Env, job int64) time.Time {
	t.Helper()
	if e.Dialect == "sqlite3" {
		var s string
		if err := e.SQL.QueryRow(`SELECT scheduled_at FROM river_job WHERE id = $1`, job).Scan(&s); err != nil {
			t.Fatal(err)
		}
		// River writes it either way on SQLite.
		at, err := time.Parse("2006-01-02 15:04:05.999", s)
		if err != nil {
			if at, err = time.Parse(time.RFC3339Nano, s); err != nil {
				t.Fatal(err)
			}
		}
		return at
	}
	var at time.Time
	if err := e.SQL.QueryRow(`SELECT scheduled_at FROM river_job WHERE id = $1`, job).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at
}
