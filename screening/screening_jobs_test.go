package screening_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertest"

	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/jobs"
	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// SmartMove refreshes as River jobs: the one a moving postback inserts in its
// own transaction, and the periodic one.

// withScreeningJobs is apptest.WithSmartMove plus the server's River
// client working (or, insertOnly, only inserting) the screening jobs, the
// periodic refresh every refreshEvery.
func withScreeningJobs(refreshEvery time.Duration, insertOnly bool) apptest.Setup {
	smartMoveSetup := apptest.WithSmartMove(smartmovetest.Options{})
	return func(t *testing.T, s *apptest.Settings) {
		smartMoveSetup(t, s)
		s.Config.Screening.RefreshInterval = refreshEvery
		s.Options.InsertOnly, s.Options.JobPoll = insertOnly, 20*time.Millisecond
	}
}

func riverDriver(db *sql.DB, dialect string) riverdriver.Driver[*sql.Tx] {
	if dialect == "postgres" {
		return riverdatabasesql.New(db)
	}
	return riversqlite.New(db)
}

// failingQueue inserts the job, then fails: the postback's transaction must
// take the insert back with everything else.
type failingQueue struct{ screening.RefreshEnqueuer }

func (f failingQueue) EnqueueRefresh(ctx context.Context, tx *sql.Tx, id int) error {
	if err := f.RefreshEnqueuer.EnqueueRefresh(ctx, tx, id); err != nil {
		return err
	}
	return errors.New("the queue failed")
}

// TestScreeningPostbackEnqueuesRefresh: a postback that moves an
// application inserts one refresh job, naming the application by id only,
// in the postback's transaction: when that transaction fails, neither the
// move nor the job is stored.
func TestScreeningPostbackEnqueuesRefresh(t *testing.T) {
	apptest.EachDBSetup(t, withScreeningJobs(time.Hour, true), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")
		id, err := e.Client.ScreeningApplication.Query().
			Where(screeningapplication.SmartmoveApplicationID(*app.SmartmoveApplicationID)).OnlyID(e.Sys())
		if err != nil {
			t.Fatal(err)
		}
		rdb := riverDriver(sm.DB, e.Dialect)
		queue := sm.Svc.Queue
		if queue == nil {
			t.Fatal("the screening service has no queue")
		}

		sm.Svc.Queue = failingQueue{queue}
		if err := sm.Sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		var failed []smartmovetest.Delivery
		for _, d := range sm.Sim.Deliveries() {
			if d.Status == 500 {
				failed = append(failed, d)
			}
		}
		if len(failed) == 0 {
			t.Fatalf("no postback failed: %+v", sm.Sim.Deliveries())
		}
		if st := e.ScreeningApp(token, app.ID, "").Status; st != "PENDING" {
			t.Fatalf("status %s after failed postbacks, want PENDING", st)
		}
		rivertest.RequireNotInserted(t.Context(), t, rdb, &jobs.RefreshScreeningArgs{}, nil)

		// The same postback again, with the queue working: stored, moved, and
		// one job that carries the application's id and nothing else.
		sm.Svc.Queue = queue
		if status, body := apptest.Postback(t, failed[0].URL, failed[0].Authorization, failed[0].Body); status != 200 {
			t.Fatalf("postback: HTTP %d %s", status, body)
		}
		if st := e.ScreeningApp(token, app.ID, "").Status; st == "PENDING" {
			t.Fatal("the postback did not move the application")
		}
		job := rivertest.RequireInserted(t.Context(), t, rdb, &jobs.RefreshScreeningArgs{}, nil)
		var args map[string]any
		if err := json.Unmarshal(job.EncodedArgs, &args); err != nil || len(args) != 1 || job.Args.ApplicationID != id {
			t.Fatalf("job args %s, want the application's id %d only", job.EncodedArgs, id)
		}
	})
}

// orderAndComplete orders a screening for one applicant, who then finishes
// every step at SmartMove; with lose, SmartMove's postbacks never arrive.
func orderAndComplete(t *testing.T, e *apptest.Env, lose bool) (*apptest.SmartMoveSim, string, apptest.ScreeningApp) {
	t.Helper()
	sm := apptest.SmartMove(t, e)
	_, token := e.ScreeningClient("Acme")
	app := e.CreateEmbedded(token, "k", true, "lisa@example.com")
	if lose {
		sm.Sim.HoldPostbacks()
	}
	if err := sm.Sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
		t.Fatal(err)
	}
	return sm, token, app
}

// waitScreening polls the application through the API until cond holds.
func waitScreening(t *testing.T, e *apptest.Env, token, id, what string, cond func(apptest.ScreeningApp) bool) apptest.ScreeningApp {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var got apptest.ScreeningApp
	apptest.Eventually(ctx, t, what, func() bool {
		got = e.ScreeningApp(token, id, "")
		return cond(got)
	})
	return got
}

// TestScreeningRefreshJob: the job a postback inserts pulls what postbacks
// do not carry (the credit recommendation, the applicants' names).
func TestScreeningRefreshJob(t *testing.T) {
	apptest.EachDBSetup(t, withScreeningJobs(time.Hour, false), func(t *testing.T, e *apptest.Env) {
		sm, token, app := orderAndComplete(t, e, false)
		sm.Flush(t)
		got := waitScreening(t, e, token, app.ID, "the refresh job to pull the recommendation",
			func(a apptest.ScreeningApp) bool { return a.CreditRecommendation == "ACCEPT" })
		if got.Status != "READY" || got.ApplicantStatuses() != "lisa@example.com=REPORTS_AVAILABLE" || got.Applicants.Edges[0].Node.FirstName != "Lisa" {
			t.Fatalf("after the refresh job: %+v", got)
		}
	})
}

// TestScreeningPeriodicRefresh: with postbacks lost, the periodic job (run by
// the elected leader) pulls the application's state from SmartMove.
func TestScreeningPeriodicRefresh(t *testing.T) {
	apptest.EachDBSetup(t, withScreeningJobs(300*time.Millisecond, false), func(t *testing.T, e *apptest.Env) {
		_, token, app := orderAndComplete(t, e, true) // postbacks are lost
		got := waitScreening(t, e, token, app.ID, "the periodic refresh",
			func(a apptest.ScreeningApp) bool { return a.Status == "READY" })
		if got.CreditRecommendation != "ACCEPT" || got.ApplicantStatuses() != "lisa@example.com=REPORTS_AVAILABLE" {
			t.Fatalf("after the periodic refresh: %+v", got)
		}
		if n := e.InboundEvents(); n != 0 {
			t.Fatalf("%d postbacks stored: the refresh came from them, not from the job", n)
		}
	})
}
