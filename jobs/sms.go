package jobs

import (
	"context"
	"database/sql"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/sms"
	"github.com/leasegraph/leasegraph/twilio"
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

// SMSWorker runs sms.Sender: a registration's invitation through Twilio,
// a lasting refusal final at once, Twilio's failures retried. Its fields
// are the Sender's.
type SMSWorker struct {
	river.WorkerDefaults[SendSMSArgs]
	DB     *ent.Client
	Twilio *twilio.Client
	// PublicURL is this server's, for the StatusCallback; empty: Twilio is
	// not asked for callbacks and the SMS stays SENT.
	PublicURL string
	// Events records the sends' ends (sms.Sender.Events).
	Events *events.Recorder
}

// Work implements river.Worker.
func (w *SMSWorker) Work(ctx context.Context, job *river.Job[SendSMSArgs]) error {
	s := sms.Sender{DB: w.DB, Twilio: w.Twilio, PublicURL: w.PublicURL, Events: w.Events}
	return toRiver(s.Send(ctx, job.Args.IntegrationJobID, attempt(job)))
}
