package jobs

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/webhooks"
)

// webhookQueue runs webhook deliveries, apart from the partners' queue so
// that a slow receiver never holds up a Propexo delivery or an SMS.
const webhookQueue = "webhooks"

// webhookFetchCooldown is the webhooks queue's shortest wait between two
// fetches of jobs (River's default, 100 ms, is for the other queues).
const webhookFetchCooldown = 10 * time.Millisecond

// DeliverWebhookArgs names one delivery (a WebhookDelivery row) and its
// endpoint: ids, never the payload or the endpoint's secret. The endpoint's
// id lets a delivery to an endpoint whose slots are all held by stalled
// requests snooze before reading anything (0 in jobs queued before it was
// added: those read the delivery first).
type DeliverWebhookArgs struct {
	DeliveryID int `json:"delivery_id"`
	EndpointID int `json:"endpoint_id,omitempty"`
}

// Kind names the job in River.
func (DeliverWebhookArgs) Kind() string { return "deliver_webhook" }

// InsertOpts puts deliveries in the webhooks queue.
func (DeliverWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: webhookQueue, MaxAttempts: webhookAttempts}
}

// EnqueueWebhookDeliveries implements events.Enqueuer: the jobs are
// inserted in the transaction that wrote the deliveries (and the event).
func (q *Queue) EnqueueWebhookDeliveries(ctx context.Context, tx *sql.Tx, ds []*ent.WebhookDelivery) error {
	params := make([]river.InsertManyParams, len(ds))
	for i, d := range ds {
		params[i] = river.InsertManyParams{Args: DeliverWebhookArgs{DeliveryID: d.ID, EndpointID: d.EndpointID}}
	}
	_, err := q.River.InsertManyTx(ctx, tx, params)
	return err
}

// webhookAttempts is River's bound on a delivery job's failed runs. The
// schedule's attempts are the delivery's own (snoozes, which River does not
// count): these are runs whose database work failed.
const webhookAttempts = 5

// WebhookWorker runs one attempt of a delivery (webhooks.Deliverer).
type WebhookWorker struct {
	river.WorkerDefaults[DeliverWebhookArgs]
	Deliverer *webhooks.Deliverer
}

// Work implements river.Worker.
func (w *WebhookWorker) Work(ctx context.Context, job *river.Job[DeliverWebhookArgs]) error {
	return toRiver(w.Deliverer.Deliver(ctx, job.Args.DeliveryID, job.Args.EndpointID))
}

// PruneEventsArgs is the hourly deletion of old events.
type PruneEventsArgs struct{}

// Kind names the job in River.
func (PruneEventsArgs) Kind() string { return "prune_events" }

// InsertOpts: one at a time, never retried (the next hour's run does it).
func (PruneEventsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: webhookQueue, MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
			rivertype.JobStateRunning, rivertype.JobStateScheduled, rivertype.JobStateRetryable}}}
}

// PruneEventsWorker deletes events older than Keep, with their deliveries.
type PruneEventsWorker struct {
	river.WorkerDefaults[PruneEventsArgs]
	DB   *ent.Client
	Keep time.Duration
	Now  func() time.Time
}

// Work implements river.Worker.
func (w *PruneEventsWorker) Work(ctx context.Context, _ *river.Job[PruneEventsArgs]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	_, err := events.Prune(ctx, w.DB, w.Keep, now)
	return err
}

// AddWebhooks registers the delivery and pruning workers and answers the
// hourly pruning, for the leader to insert.
func AddWebhooks(workers *river.Workers, d *webhooks.Deliverer, db *ent.Client, keep time.Duration, now func() time.Time) *river.PeriodicJob {
	river.AddWorker(workers, &WebhookWorker{Deliverer: d})
	river.AddWorker(workers, &PruneEventsWorker{DB: db, Keep: keep, Now: now})
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return PruneEventsArgs{}, nil
	}, &river.PeriodicJobOpts{ID: PruneEventsArgs{}.Kind(), RunOnStart: true})
}
