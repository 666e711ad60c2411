package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/sms"
	"github.com/leasegraph/leasegraph/twilio"
	"github.com/leasegraph/leasegraph/viewer"
)

// smsQueue runs invitation sends, apart from Propexo deliveries so that a
// Propexo backlog never holds up an SMS.
const smsQueue = "sms"

// SendSMSArgs names the SMS delivery (an IntegrationJob) to send: an id,
// never the phone number or the text.
type SendSMSArgs struct {
	IntegrationJobID int `json:"integration_job_id"`
}

// Kind names the job in River.
func (SendSMSArgs) Kind() string { return "send_sms" }

// InsertOpts puts sends in the SMS queue.
func (SendSMSArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: smsQueue} }

// EnqueueSMS implements registration.SMSEnqueuer: the job is inserted in the
// registration's transaction.
func (q *Queue) EnqueueSMS(ctx context.Context, tx *sql.Tx, integrationJobID int) error {
	_, err := q.River.InsertTx(ctx, tx, SendSMSArgs{IntegrationJobID: integrationJobID}, nil)
	return err
}

// SMSWorker sends a registration's invitation through Twilio. Its visible
// state is the IntegrationJob: QUEUED until Twilio accepts it, then SENT,
// and the status callbacks (sms.Hook) end it SUCCEEDED or FAILED. A refusal
// that would repeat (an invalid or opted-out number, 21610 above all:
// PARTNERS.md:98-99) is final at once; Twilio's own failures and rate
// limits are retried with the queue's capped backoff.
type SMSWorker struct {
	river.WorkerDefaults[SendSMSArgs]
	DB     *ent.Client
	Twilio *twilio.Client
	// PublicURL is this server's, for the StatusCallback; empty: Twilio is
	// not asked for callbacks and the SMS stays SENT.
	PublicURL string
}

// Work implements river.Worker.
func (w *SMSWorker) Work(ctx context.Context, job *river.Job[SendSMSArgs]) error {
	ctx = viewer.SystemContext(ctx)
	ij, err := w.DB.IntegrationJob.Query().
		Where(integrationjob.ID(job.Args.IntegrationJobID), integrationjob.KindEQ(integrationjob.KindSMS)).
		WithProspect().
		WithRegistration(func(q *ent.RegistrationQuery) { q.WithProperty() }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if ij.Status != integrationjob.StatusQUEUED {
		return nil // sent already: a duplicate job has nothing to do
	}
	p, reg := ij.Edges.Prospect, ij.Edges.Registration
	if p == nil || p.Phone1 == "" || reg == nil || reg.Edges.Property == nil {
		return w.final(ctx, ij, "", "the prospect, its phone or the property no longer exists")
	}
	body := sms.Text(reg.Edges.Property, reg.SmsNotes)
	msg := twilio.Message{To: p.Phone1, Body: body}
	if w.PublicURL != "" {
		msg.StatusCallback = sms.CallbackURL(w.PublicURL, ij.ID)
	}
	if err := w.DB.IntegrationJob.UpdateOne(ij).AddAttempts(1).Exec(ctx); err != nil {
		return err
	}
	sent, err := w.Twilio.Send(ctx, msg)
	var te *twilio.Error
	switch {
	case err == nil:
		n := sent.NumSegments
		if n <= 0 {
			n = twilio.Segments(body)
		}
		return sms.Accepted(ctx, w.DB, ij.ID, sent.SID, sent.Status, n, time.Now().UTC())
	case errors.As(err, &te) && te.OptedOut():
		return w.final(ctx, ij, fmt.Sprint(te.Code), "the recipient replied STOP to this sender (Twilio 21610): never retried")
	case errors.As(err, &te) && !te.Temporary():
		return w.final(ctx, ij, fmt.Sprint(te.Code), fmt.Sprintf("Twilio refused the message: %s", te.Message))
	}
	// Transient: record it, and let River retry unless this was the last attempt.
	last := job.Attempt >= job.MaxAttempts
	u := w.DB.IntegrationJob.UpdateOne(ij).SetLastError(textlimit.ErrorText(err.Error()))
	if te != nil {
		u.SetErrorCode(fmt.Sprint(te.Code))
	}
	if last {
		u.SetStatus(integrationjob.StatusFAILED).ClearNextAttemptAt()
	}
	if uerr := u.Exec(ctx); uerr != nil {
		return uerr
	}
	return err
}

// final ends the delivery FAILED with Twilio's code and the reason; the
// River job completes, so it is never retried.
func (w *SMSWorker) final(ctx context.Context, ij *ent.IntegrationJob, code, reason string) error {
	return w.DB.IntegrationJob.UpdateOne(ij).SetStatus(integrationjob.StatusFAILED).
		SetErrorCode(code).SetLastError(reason).ClearNextAttemptAt().Exec(ctx)
}
