package jobs

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leasegraph/leasegraph/leases/propexosync"
)

// syncQueue is the queue lease syncs run in, apart from deliveries so a
// long sync never holds a prospect back (both share the Propexo client,
// hence its rate limit).
const syncQueue = "lease_sync"

// syncConcurrency is how many clients sync at once: the rate limit is per
// Propexo account, so more would only wait on it.
const syncConcurrency = 2

// SyncLeasesArgs syncs one client's leases from Propexo. IntegrationJobID
// is the run's visible row (0 in jobs queued before runs had rows: the
// worker makes one). Only ClientID makes the job unique, so a second
// request joins a waiting run whatever its row.
type SyncLeasesArgs struct {
	ClientID         int `json:"client_id" river:"unique"`
	IntegrationJobID int `json:"integration_job_id,omitempty"`
}

// Kind names the job in River.
func (SyncLeasesArgs) Kind() string { return "sync_leases" }

// InsertOpts: one job per client while one is waiting or running (a second
// "sync now" joins it). Completed ones do not count, so the next period
// inserts again.
func (SyncLeasesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: syncQueue, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

var activeStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// SyncAllLeasesArgs is the periodic job that queues a sync of every client
// with a Propexo integration.
type SyncAllLeasesArgs struct{}

// Kind names the job in River.
func (SyncAllLeasesArgs) Kind() string { return "sync_all_leases" }

// InsertOpts: one attempt (the next period is the retry), never two at once.
func (SyncAllLeasesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: syncQueue, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled},
	}}
}

// EnqueueLeaseSync queues run jobID of the client now, in tx when given.
// It reports false when a sync of the client is already waiting or running
// (which the new request joins).
func (q *Queue) EnqueueLeaseSync(ctx context.Context, tx *sql.Tx, clientID, jobID int) (bool, error) {
	args := SyncLeasesArgs{ClientID: clientID, IntegrationJobID: jobID}
	var res *rivertype.JobInsertResult
	var err error
	if tx != nil {
		res, err = q.River.InsertTx(ctx, tx, args, nil)
	} else {
		res, err = q.River.Insert(ctx, args, nil)
	}
	if err != nil {
		return false, err
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// AddLeaseSync registers the sync workers and returns the periodic job to
// put in Config.PeriodicJobs: River runs it from the elected leader only,
// so once across instances every interval. retry is the queue's backoff
// (Queue.Retry), which the runs' nextAttemptAt follows.
func AddLeaseSync(workers *river.Workers, svc *propexosync.Service, every time.Duration, retry river.ClientRetryPolicy) *river.PeriodicJob {
	river.AddWorker(workers, &SyncLeasesWorker{Sync: svc, Retry: retry})
	river.AddWorker(workers, &SyncAllLeasesWorker{Sync: svc, Every: every})
	river.AddWorker(workers, &RefreshPropexoLeaseWorker{Sync: svc})
	river.AddWorker(workers, &RefreshPropexoRecordWorker{Sync: svc})
	river.AddWorker(workers, &EnsurePropexoWebhookWorker{Sync: svc})
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return SyncAllLeasesArgs{}, nil
	}, &river.PeriodicJobOpts{ID: SyncAllLeasesArgs{}.Kind(), RunOnStart: true})
}

// SyncAllLeasesWorker queues one SyncLeasesArgs per client with a Propexo
// integration and records when each is next due.
type SyncAllLeasesWorker struct {
	river.WorkerDefaults[SyncAllLeasesArgs]
	Sync  *propexosync.Service
	Every time.Duration
}

// Work implements river.Worker.
func (w *SyncAllLeasesWorker) Work(ctx context.Context, _ *river.Job[SyncAllLeasesArgs]) error {
	client := river.ClientFromContext[*sql.Tx](ctx)
	return w.Sync.QueueAll(ctx, time.Now().UTC().Add(w.Every), func(ctx context.Context, tx *sql.Tx, clientID, jobID int) (bool, error) {
		res, err := client.InsertTx(ctx, tx, SyncLeasesArgs{ClientID: clientID, IntegrationJobID: jobID}, nil)
		return err == nil && !res.UniqueSkippedAsDuplicate, err
	})
}

// SyncLeasesWorker runs propexosync.Service.RunAttempt for one client:
// an attempt of the run, shown on its IntegrationJob. The pass commits its
// progress per page, so an attempt cut short (timeout, crash, rescue) is
// resumed by the retry.
type SyncLeasesWorker struct {
	river.WorkerDefaults[SyncLeasesArgs]
	Sync *propexosync.Service
	// Retry is the queue's backoff, which NextRetry applies and records.
	Retry river.ClientRetryPolicy
}

// Work implements river.Worker.
func (w *SyncLeasesWorker) Work(ctx context.Context, job *river.Job[SyncLeasesArgs]) error {
	if len(w.Sync.WebhookKey) > 0 && w.Sync.PublicURL != "" {
		// The client's webhook, checked once a day at most (the job's
		// uniqueness); a sync does not wait for it.
		if _, err := river.ClientFromContext[*sql.Tx](ctx).Insert(ctx, EnsurePropexoWebhookArgs{ClientID: job.Args.ClientID}, nil); err != nil {
			return err
		}
	}
	runID, out := w.Sync.RunAttempt(ctx, job.Args.ClientID, job.Args.IntegrationJobID, attempt(job))
	if runID != 0 {
		job.Args.IntegrationJobID = runID // for NextRetry
	}
	return toRiver(out)
}

// NextRetry implements river.Worker: River asks it when a failed attempt is
// to be retried, and the run's row shows that very time.
func (w *SyncLeasesWorker) NextRetry(job *river.Job[SyncLeasesArgs]) time.Time {
	if w.Retry == nil {
		return time.Time{}
	}
	at := w.Retry.NextRetry(job.JobRow)
	if job.Args.IntegrationJobID != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Best effort: the row only shows the time River keeps.
		_ = w.Sync.RetryAt(ctx, job.Args.IntegrationJobID, at)
	}
	return at
}

// RefreshPropexoLeaseArgs re-reads one lease a Propexo webhook named: the
// job webhooks queued before RefreshPropexoRecordArgs, still worked so
// that none queued then is lost.
type RefreshPropexoLeaseArgs struct {
	ClientID int    `json:"client_id"`
	LeaseID  string `json:"lease_id"`
	EventID  string `json:"event_id"`
}

// Kind names the job in River.
func (RefreshPropexoLeaseArgs) Kind() string { return "refresh_propexo_lease" }

// InsertOpts: the sync queue, unique by event for a day.
func (RefreshPropexoLeaseArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: syncQueue, UniqueOpts: eventUnique}
}

// RefreshPropexoRecordArgs re-reads the record a Propexo webhook named
// (Model: leases, residents or lease_transfers). EventID is the
// webhook's (or a hash of its body): with ByArgs and a 24-hour period it
// dedupes Propexo's redeliveries (every 15 minutes, 10 times:
// docs/partners/propexo.md#webhook-deliveries), whatever state the first job is in.
type RefreshPropexoRecordArgs struct {
	ClientID int    `json:"client_id"`
	Model    string `json:"model"`
	RecordID string `json:"record_id"`
	EventID  string `json:"event_id"`
}

// Kind names the job in River.
func (RefreshPropexoRecordArgs) Kind() string { return "refresh_propexo_record" }

// InsertOpts: the sync queue, unique by event for a day.
func (RefreshPropexoRecordArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: syncQueue, UniqueOpts: eventUnique}
}

// eventUnique dedupes a webhook event for a day in every state. River's
// default leaves cancelled and discarded jobs out, so a redelivery of an
// event whose job was cancelled (no integration, a record gone) would be
// worked again, to the same end.
var eventUnique = river.UniqueOpts{ByArgs: true, ByPeriod: 24 * time.Hour, ByState: rivertype.JobStates()}

// EnqueueRecordRefresh implements propexosync.Enqueuer: false when the
// event was queued before (a redelivery).
func (q *Queue) EnqueueRecordRefresh(ctx context.Context, clientID int, model, recordID, eventID string) (bool, error) {
	res, err := q.River.Insert(ctx, RefreshPropexoRecordArgs{ClientID: clientID, Model: model, RecordID: recordID, EventID: eventID}, nil)
	if err != nil {
		return false, err
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// RefreshPropexoRecordWorker runs propexosync.Service.RefreshRecord.
type RefreshPropexoRecordWorker struct {
	river.WorkerDefaults[RefreshPropexoRecordArgs]
	Sync *propexosync.Service
}

// Work implements river.Worker.
func (w *RefreshPropexoRecordWorker) Work(ctx context.Context, job *river.Job[RefreshPropexoRecordArgs]) error {
	return toRiver(propexosync.RefreshOutcome(w.Sync.RefreshRecord(ctx, job.Args.ClientID, job.Args.Model, job.Args.RecordID)))
}

// EnsurePropexoWebhookArgs registers (or repairs) a client's webhook at
// Propexo. Unique by client for a day, completed jobs included: a client
// whose webhook was checked in the last 24 hours is known to have one,
// and its syncs insert nothing.
type EnsurePropexoWebhookArgs struct {
	ClientID int `json:"client_id"`
}

// Kind names the job in River.
func (EnsurePropexoWebhookArgs) Kind() string { return "ensure_propexo_webhook" }

// InsertOpts: the sync queue (its share of the rate limit), a day's
// uniqueness, few attempts: what fails five times is configuration.
func (EnsurePropexoWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: syncQueue, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: 24 * time.Hour}}
}

// EnsurePropexoWebhookWorker runs propexosync.Service.EnsureWebhook.
type EnsurePropexoWebhookWorker struct {
	river.WorkerDefaults[EnsurePropexoWebhookArgs]
	Sync *propexosync.Service
}

// Work implements river.Worker.
func (w *EnsurePropexoWebhookWorker) Work(ctx context.Context, job *river.Job[EnsurePropexoWebhookArgs]) error {
	_, err := w.Sync.EnsureWebhook(ctx, job.Args.ClientID)
	return toRiver(propexosync.WebhookOutcome(err))
}

// RefreshPropexoLeaseWorker runs propexosync.Service.RefreshLease.
type RefreshPropexoLeaseWorker struct {
	river.WorkerDefaults[RefreshPropexoLeaseArgs]
	Sync *propexosync.Service
}

// Work implements river.Worker.
func (w *RefreshPropexoLeaseWorker) Work(ctx context.Context, job *river.Job[RefreshPropexoLeaseArgs]) error {
	return toRiver(propexosync.RefreshOutcome(w.Sync.RefreshLease(ctx, job.Args.ClientID, job.Args.LeaseID)))
}
