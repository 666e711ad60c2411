package jobs

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leasegraph/leasegraph/screening"
)

// screeningQueue runs SmartMove refreshes, apart from Propexo deliveries so
// that neither partner's backlog holds up the other.
const screeningQueue = "screening"

// screeningConcurrency is how many refreshes run at once: each is two
// SmartMove calls, and a postback burst must not flood the partner.
const screeningConcurrency = 2

// RefreshScreeningArgs names the screening application to pull from
// SmartMove after a postback moved it: an id, never personal data.
type RefreshScreeningArgs struct {
	ApplicationID int `json:"application_id"`
}

// Kind names the job in River.
func (RefreshScreeningArgs) Kind() string { return "refresh_screening_application" }

// InsertOpts: a few attempts only, since the periodic refresh catches any
// application left stale.
func (RefreshScreeningArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: screeningQueue, MaxAttempts: 3}
}

// RefreshStaleScreeningsArgs is the periodic refresh of open screenings that
// have had no postback for a while.
type RefreshStaleScreeningsArgs struct{}

// Kind names the job in River.
func (RefreshStaleScreeningsArgs) Kind() string { return "refresh_stale_screenings" }

// InsertOpts: one attempt (the next period is the retry), and never two at
// once: while one is queued or running, the leader's next insert is skipped.
func (RefreshStaleScreeningsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: screeningQueue, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled},
	}}
}

// EnqueueRefresh implements screening.RefreshEnqueuer: the job is inserted
// in the caller's transaction, so it exists exactly when the postback that
// moved the application was stored.
func (q *Queue) EnqueueRefresh(ctx context.Context, tx *sql.Tx, applicationID int) error {
	_, err := q.River.InsertTx(ctx, tx, RefreshScreeningArgs{ApplicationID: applicationID}, nil)
	return err
}

// AddScreening registers the refresh workers and returns the periodic job to
// put in Config.PeriodicJobs. River runs periodic jobs from the elected
// leader only, so one instance refreshes, every interval, the open
// screenings that have had no postback or refresh for that long.
func AddScreening(workers *river.Workers, svc *screening.Service, every time.Duration) *river.PeriodicJob {
	river.AddWorker(workers, &RefreshScreeningWorker{Screening: svc})
	river.AddWorker(workers, &RefreshStaleScreeningsWorker{Screening: svc, Every: every})
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return RefreshStaleScreeningsArgs{}, nil
	}, &river.PeriodicJobOpts{ID: RefreshStaleScreeningsArgs{}.Kind()})
}

// RefreshScreeningWorker pulls one application's details (applicants,
// recommendation), which a postback does not carry.
type RefreshScreeningWorker struct {
	river.WorkerDefaults[RefreshScreeningArgs]
	Screening *screening.Service
}

// Work implements river.Worker.
func (w *RefreshScreeningWorker) Work(ctx context.Context, job *river.Job[RefreshScreeningArgs]) error {
	return w.Screening.RefreshApplication(ctx, job.Args.ApplicationID)
}

// RefreshStaleScreeningsWorker runs screening.Service.RefreshStale.
type RefreshStaleScreeningsWorker struct {
	river.WorkerDefaults[RefreshStaleScreeningsArgs]
	Screening *screening.Service
	// Every is the period, and how long without news makes an application
	// stale.
	Every time.Duration
}

// Timeout lets a run last up to its period (the job timeout bounds one
// partner delivery, far less than a sweep of hundreds of applications); the
// unique insert keeps runs from overlapping.
func (w *RefreshStaleScreeningsWorker) Timeout(*river.Job[RefreshStaleScreeningsArgs]) time.Duration {
	return w.Every
}

// Work implements river.Worker.
func (w *RefreshStaleScreeningsWorker) Work(ctx context.Context, _ *river.Job[RefreshStaleScreeningsArgs]) error {
	_, err := w.Screening.RefreshStale(ctx, w.Every)
	return err
}
