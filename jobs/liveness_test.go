package jobs

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leasegraph/leasegraph/internal/dbtest"
)

// The liveness rescue, through River's job states and a clock the test
// moves: nothing here sleeps.

// clock is a liveness clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type livenessArgs struct {
	N int `json:"n"`
}

func (livenessArgs) Kind() string { return "liveness_test" }

// holdWorker holds each job until the test ends, saying which process runs
// it.
type holdWorker struct {
	river.WorkerDefaults[livenessArgs]
	name    string
	started chan string
	release chan struct{}
}

func (w *holdWorker) Work(ctx context.Context, job *river.Job[livenessArgs]) error {
	w.started <- w.name
	select {
	case <-w.release:
	case <-ctx.Done():
	}
	return nil
}

func (w *holdWorker) Timeout(*river.Job[livenessArgs]) time.Duration { return -1 } // no timeout: a long job

func newTestQueue(t *testing.T, db *dbtest.DB, name string, c *clock) *Queue {
	t.Helper()
	q, err := New(context.Background(), Config{DB: db.SQL(), Dialect: db.Dialect, PollInterval: 20 * time.Millisecond,
		Ent: db.Client, Lapse: 15 * time.Second, BeatEvery: time.Hour, Now: c.now, ProcessName: name})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// jobState reads one job's state and holder.
func jobState(t *testing.T, db *dbtest.DB, id int64) (state, holder string) {
	t.Helper()
	q := `SELECT state, coalesce(attempted_by[array_length(attempted_by, 1)], '') FROM river_job WHERE id = $1`
	if db.Dialect == dialect.SQLite {
		q = `SELECT state, coalesce(json_extract(attempted_by, '$[#-1]'), '') FROM river_job WHERE id = $1`
	}
	if err := db.SQL().QueryRow(q, id).Scan(&state, &holder); err != nil {
		t.Fatal(err)
	}
	return state, holder
}

// A live process's long job stays with it, whatever time passes, while it
// beats; once it stops beating (its process killed: the test stops the
// beats and leaves River's job running, as kill -9 does) another process
// rescues the job once the lapse has passed, not before, and runs it.
func TestLivenessRescuesOnlyWhenTheHolderStopsBeating(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		c := &clock{t: time.Now()}
		started := make(chan string, 4)
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		start := func(name string) *Queue {
			q := newTestQueue(t, db, name, c)
			w := river.NewWorkers()
			river.AddWorker(w, &holdWorker{name: name, started: started, release: release})
			if err := q.Start(ctx, Work{Workers: w}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				_ = q.StopAndCancel(sctx)
			})
			return q
		}
		// A takes two jobs, which fill its workers (screeningConcurrency):
		// it can fetch no other, as a dead process would not.
		a := start("proc_a")
		var ids []int64
		for n := range screeningConcurrency {
			res, err := a.River.Insert(ctx, livenessArgs{N: n}, &river.InsertOpts{Queue: screeningQueue})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.Job.ID)
			if by := <-started; by != "proc_a" {
				t.Fatalf("the job started in %s", by)
			}
		}
		id := ids[0]
		b := start("proc_b")

		// An hour later by the liveness clock, A still beats: its jobs,
		// running all that time, stay with it.
		for range 12 {
			c.add(5 * time.Minute)
			if _, err := a.CheckLiveness(ctx); err != nil {
				t.Fatal(err)
			}
			if r, err := b.CheckLiveness(ctx); err != nil || len(r) != 0 {
				t.Fatalf("B rescued %v, %v from a live process", r, err)
			}
		}
		for _, id := range ids {
			if st, by := jobState(t, db, id); st != "running" || by != "proc_a" {
				t.Fatalf("the live process's job %d: %s under %q", id, st, by)
			}
		}

		// A is killed: no more beats; River's rows still say running.
		a.live.halt(ctx, false)
		c.add(14 * time.Second)
		if r, _ := b.CheckLiveness(ctx); len(r) != 0 {
			t.Fatalf("rescued %v before the lapse", r)
		}
		c.add(2 * time.Second)
		r, err := b.CheckLiveness(ctx)
		if err != nil || len(r) != len(ids) || r[0].Holder != "proc_a" || r[0].State != "available" {
			t.Fatalf("after the lapse: %+v, %v", r, err)
		}
		// Once only: another pass (or another process) finds nothing.
		if r, _ := b.CheckLiveness(ctx); len(r) != 0 {
			t.Fatalf("rescued twice: %v", r)
		}
		for range ids {
			if by := <-started; by != "proc_b" {
				t.Fatalf("a rescued job ran in %s", by)
			}
		}
		for _, id := range ids {
			if st, by := jobState(t, db, id); st != "running" || by != "proc_b" {
				t.Fatalf("the rescued job %d: %s under %q", id, st, by)
			}
		}
		job, err := b.River.JobGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(job.Errors) != 1 || !strings.Contains(job.Errors[0].Error, "stopped beating") || job.Errors[0].At.IsZero() {
			t.Fatalf("the rescue's error: %+v", job.Errors)
		}
	})
}

// Which running jobs a pass takes: those of a lapsed process, and those of
// a process with no heartbeat row once they have run for the lapse; never
// a fresh process's, a recent job of an unknown one, or its own. A job a
// cancel was asked for ends cancelled, one without attempts left
// discarded, as River's rescuer leaves them.
func TestLivenessRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		c := &clock{t: time.Now()}
		self := newTestQueue(t, db, "self", c)
		other := newTestQueue(t, db, "fresh", c)
		dead := newTestQueue(t, db, "dead", c)
		for _, q := range []*Queue{self, other, dead} {
			if _, err := q.CheckLiveness(ctx); err != nil {
				t.Fatal(err)
			}
		}
		c.add(time.Minute)
		if _, err := other.CheckLiveness(ctx); err != nil { // fresh beats; dead does not
			t.Fatal(err)
		}
		running := func(holder string, attemptedAgo time.Duration, attempt int, set string) int64 {
			t.Helper()
			res, err := self.River.Insert(ctx, livenessArgs{}, &river.InsertOpts{Queue: "nobody", MaxAttempts: 3})
			if err != nil {
				t.Fatal(err)
			}
			at := c.now().Add(-attemptedAgo)
			q := `UPDATE river_job SET state = 'running', attempt = $4, attempted_at = $1, attempted_by = ARRAY[$2::text]` + set + ` WHERE id = $3`
			var atArg any = at
			if db.Dialect == dialect.SQLite {
				q = `UPDATE river_job SET state = 'running', attempt = $4, attempted_at = $1, attempted_by = json_array($2)` + set + ` WHERE id = $3`
				atArg = sqliteTime(at)
			}
			if _, err := db.SQL().Exec(q, atArg, holder, res.Job.ID, attempt); err != nil {
				t.Fatal(err)
			}
			return res.Job.ID
		}
		cancelAsked := `, metadata = '{"cancel_attempted_at": "2026-01-01T00:00:00Z"}'`
		want := map[int64]rivertype.JobState{
			running("dead", 2*time.Minute, 1, ""):          rivertype.JobStateAvailable,
			running("dead", 2*time.Minute, 3, ""):          rivertype.JobStateDiscarded,
			running("dead", 2*time.Minute, 1, cancelAsked): rivertype.JobStateCancelled,
			running("fresh", time.Hour, 1, ""):             rivertype.JobStateRunning,
			running("self", time.Hour, 1, ""):              rivertype.JobStateRunning,
			running("gone", 16*time.Second, 1, ""):         rivertype.JobStateAvailable,
			running("gone", 10*time.Second, 1, ""):         rivertype.JobStateRunning,
		}
		r, err := self.CheckLiveness(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(r) != 4 {
			t.Errorf("rescued %+v, want 4", r)
		}
		for id, st := range want {
			job, err := self.River.JobGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if job.State != st {
				t.Errorf("job %d of %v: %s, want %s", id, job.AttemptedBy, job.State, st)
			}
			if st == rivertype.JobStateAvailable && time.Until(job.ScheduledAt) > time.Second {
				t.Errorf("job %d is scheduled for %s, not now", id, job.ScheduledAt)
			}
			if st != rivertype.JobStateRunning && (job.Metadata == nil || !strings.Contains(string(job.Metadata), `"river:rescue_count"`)) {
				t.Errorf("job %d's metadata %s", id, job.Metadata)
			}
		}
		// A row dead for an hour goes once nothing of it is left to rescue.
		c.add(2 * time.Hour)
		for range 2 {
			if _, err := self.CheckLiveness(ctx); err != nil {
				t.Fatal(err)
			}
		}
		names, err := db.Client.ProcessHeartbeat.Query().Select("name").Strings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(names, ",") != "self" {
			t.Errorf("heartbeats left: %v", names)
		}
	})
}
