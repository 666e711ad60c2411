package jobs

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/prospects"
)

// DeliverProspectArgs names the IntegrationJob to deliver: an id, never
// personal data.
type DeliverProspectArgs struct {
	IntegrationJobID int `json:"integration_job_id"`
}

// Kind names the job in River.
func (DeliverProspectArgs) Kind() string { return "deliver_prospect" }

// InsertOpts puts deliveries in the partners queue.
func (DeliverProspectArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueName}
}

// EnqueueDelivery implements prospects.Enqueuer: the job is inserted in the
// caller's transaction.
func (q *Queue) EnqueueDelivery(ctx context.Context, tx *sql.Tx, integrationJobID int) error {
	_, err := q.River.InsertTx(ctx, tx, DeliverProspectArgs{IntegrationJobID: integrationJobID}, nil)
	return err
}

// DeliveryWorker runs prospects.Delivery: a prospect write sent to Propexo
// and followed until Propexo's job is final, reconciled through Propexo's
// lead list before any resend. Its fields are the Delivery's.
type DeliveryWorker struct {
	river.WorkerDefaults[DeliverProspectArgs]
	DB      *ent.Client
	Propexo *propexo.Client
	// PollEvery is how often Propexo's write status is checked.
	PollEvery time.Duration
	// ReconcileAfter is how long after a send whose answer was lost the
	// write is looked up at Propexo (PROPEXO_RECONCILE_AFTER).
	ReconcileAfter time.Duration
	// Events records the deliveries' ends (prospects.Delivery.Events).
	Events *events.Recorder
}

// Work implements river.Worker.
func (w *DeliveryWorker) Work(ctx context.Context, job *river.Job[DeliverProspectArgs]) error {
	d := prospects.Delivery{DB: w.DB, Propexo: w.Propexo, PollEvery: w.PollEvery, ReconcileAfter: w.ReconcileAfter, Events: w.Events}
	return toRiver(d.Deliver(ctx, job.Args.IntegrationJobID, attempt(job)))
}
