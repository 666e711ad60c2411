package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/prospects"
	"github.com/leasegraph/leasegraph/viewer"
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

// DeliveryWorker sends a prospect write to Propexo and follows Propexo's
// job until it is final. Its state lives on the IntegrationJob: QUEUED
// (not sent yet), SENT (Propexo has a job id), then SUCCEEDED, PARTIAL or
// FAILED.
type DeliveryWorker struct {
	river.WorkerDefaults[DeliverProspectArgs]
	DB      *ent.Client
	Propexo *propexo.Client
	// PollEvery is how often Propexo's write status is checked.
	PollEvery time.Duration
}

// Work implements river.Worker. Every run starts from the IntegrationJob's
// state, so a run rescued after its process died resumes: QUEUED resends
// under the same Idempotency-Key (a create Propexo applied before the crash
// is answered from its first job, not applied again), SENT follows the
// partner job the dead process recorded.
func (w *DeliveryWorker) Work(ctx context.Context, job *river.Job[DeliverProspectArgs]) error {
	ctx = viewer.SystemContext(ctx)
	ij, err := w.DB.IntegrationJob.Query().
		Where(integrationjob.ID(job.Args.IntegrationJobID)).
		WithProspect(func(q *ent.ProspectQuery) { q.WithClient() }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	switch ij.Status {
	case integrationjob.StatusQUEUED:
		if ij.PartnerJobID != "" {
			return w.retryWrite(ctx, job, ij)
		}
		return w.send(ctx, job, ij)
	case integrationjob.StatusSENT:
		return w.follow(ctx, job, ij)
	}
	return nil // final: a duplicate job has nothing to do
}

// send makes the write. The Idempotency-Key is the IntegrationJob's, so a
// resend after a lost answer is recognised rather than applied twice.
func (w *DeliveryWorker) send(ctx context.Context, job *river.Job[DeliverProspectArgs], ij *ent.IntegrationJob) error {
	p := ij.Edges.Prospect
	if p == nil {
		return w.fail(ctx, ij, "the prospect no longer exists")
	}
	pctx := propexo.WithIdempotencyKey(ctx, fmt.Sprintf("leasegraph-integration-job-%d", ij.ID))
	var res *propexo.WriteResponse
	var err error
	if ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT {
		res, err = w.Propexo.CreateProspect(pctx, prospects.CreateRequest(p, p.Edges.Client.PropexoIntegrationID))
	} else {
		if p.PropexoProspectID == "" {
			return w.awaitCreate(ctx, ij)
		}
		res, err = w.Propexo.UpdateProspect(pctx, p.PropexoProspectID, prospects.UpdateRequest(p, ij.NotesToAppend))
	}
	if err != nil {
		return w.failed(ctx, job, ij, err)
	}
	next := time.Now().UTC().Add(w.PollEvery)
	err = w.DB.IntegrationJob.UpdateOne(ij).SetStatus(integrationjob.StatusSENT).SetPartnerJobID(res.JobID).
		AddAttempts(1).SetLastError("").SetNextAttemptAt(next).Exec(ctx)
	if err != nil {
		return err
	}
	return river.JobSnooze(w.PollEvery)
}

// awaitCreate holds an update until its prospect exists at Propexo.
func (w *DeliveryWorker) awaitCreate(ctx context.Context, ij *ent.IntegrationJob) error {
	pending, err := w.DB.IntegrationJob.Query().Where(
		integrationjob.ProspectID(*ij.ProspectID),
		integrationjob.KindEQ(integrationjob.KindPROPEXO_CREATE_PROSPECT),
		integrationjob.StatusIn(integrationjob.StatusQUEUED, integrationjob.StatusSENT),
	).Exist(ctx)
	if err != nil {
		return err
	}
	if !pending {
		return w.fail(ctx, ij, "the prospect was never created at Propexo: retry its create first")
	}
	return river.JobSnooze(w.PollEvery)
}

// retryWrite asks Propexo to re-run a failed write (retryIntegrationJob).
// It reads the write's status first: a run rescued after its process died
// between asking and recording finds the write re-running already, and
// Propexo refuses to retry a write that is not FAILURE.
func (w *DeliveryWorker) retryWrite(ctx context.Context, job *river.Job[DeliverProspectArgs], ij *ent.IntegrationJob) error {
	st, err := w.Propexo.WriteStatus(ctx, ij.PartnerJobID)
	if err != nil {
		return w.failed(ctx, job, ij, err)
	}
	if st.Status == propexo.StatusFailure {
		if err := w.Propexo.RetryWrite(ctx, ij.PartnerJobID); err != nil {
			return w.failed(ctx, job, ij, err)
		}
	}
	err = w.DB.IntegrationJob.UpdateOne(ij).SetStatus(integrationjob.StatusSENT).AddAttempts(1).
		SetNextAttemptAt(time.Now().UTC().Add(w.PollEvery)).Exec(ctx)
	if err != nil {
		return err
	}
	return river.JobSnooze(w.PollEvery)
}

// follow reads Propexo's write status until it is final.
func (w *DeliveryWorker) follow(ctx context.Context, job *river.Job[DeliverProspectArgs], ij *ent.IntegrationJob) error {
	st, err := w.Propexo.WriteStatus(ctx, ij.PartnerJobID)
	if err != nil {
		if propexo.Retryable(err) {
			return w.failed(ctx, job, ij, err)
		}
		return w.fail(ctx, ij, redact(err))
	}
	u := w.DB.IntegrationJob.UpdateOne(ij).ClearNextAttemptAt()
	switch st.Status {
	case propexo.StatusSuccess:
		if ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT && st.CreatedRecordID != "" && ij.ProspectID != nil {
			if err := w.DB.Prospect.UpdateOneID(*ij.ProspectID).SetPropexoProspectID(st.CreatedRecordID).Exec(ctx); err != nil {
				return err
			}
		}
		return u.SetStatus(integrationjob.StatusSUCCEEDED).SetLastError("").Exec(ctx)
	case propexo.StatusPartialSuccess:
		return u.SetStatus(integrationjob.StatusPARTIAL).SetLastError(limit(strings.Join(st.Errors, "; "))).Exec(ctx)
	case propexo.StatusFailure:
		return u.SetStatus(integrationjob.StatusFAILED).SetLastError(limit(strings.Join(st.Errors, "; "))).Exec(ctx)
	}
	return river.JobSnooze(w.PollEvery) // PENDING
}

// failed records a failed attempt: retried with backoff when the partner may
// succeed later (5xx, timeouts, 429), final when the request itself is wrong.
func (w *DeliveryWorker) failed(ctx context.Context, job *river.Job[DeliverProspectArgs], ij *ent.IntegrationJob, err error) error {
	msg := redact(err)
	var rl *propexo.RateLimitError
	if errors.As(err, &rl) || errors.Is(err, propexo.ErrRateLimited) {
		wait := max(propexo.RetryAfter(err), time.Second)
		_ = w.DB.IntegrationJob.UpdateOne(ij).SetLastError(msg).SetNextAttemptAt(time.Now().UTC().Add(wait)).Exec(ctx)
		return river.JobSnooze(wait)
	}
	if !propexo.Retryable(err) {
		return w.fail(ctx, ij, msg)
	}
	if job.Attempt >= job.MaxAttempts {
		return w.fail(ctx, ij, "gave up after "+fmt.Sprint(job.Attempt)+" attempts: "+msg)
	}
	if e := w.DB.IntegrationJob.UpdateOne(ij).AddAttempts(1).SetLastError(msg).Exec(ctx); e != nil {
		return e
	}
	return err
}

// fail makes the delivery final and visible.
func (w *DeliveryWorker) fail(ctx context.Context, ij *ent.IntegrationJob, msg string) error {
	err := w.DB.IntegrationJob.UpdateOne(ij).SetStatus(integrationjob.StatusFAILED).AddAttempts(1).
		SetLastError(limit(msg)).ClearNextAttemptAt().Exec(ctx)
	if err != nil {
		return err
	}
	return river.JobCancel(errors.New(msg))
}

// redact keeps the partner's message and nothing of the request: the
// propexo client already strips its token from errors.
func redact(err error) string { return limit(err.Error()) }

func limit(s string) string {
	if r := []rune(s); len(r) > 1000 {
		return string(r[:1000])
	}
	return s
}
