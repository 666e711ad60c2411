package sms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/integrationstatus"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/twilio"
	"github.com/leasegraph/leasegraph/viewer"
)

// Sender sends a registration's invitation through Twilio. Its visible
// state is the IntegrationJob: QUEUED until Twilio accepts it, then SENT,
// and the status callbacks (Hook) end it SUCCEEDED or FAILED. A refusal
// that would repeat (an invalid or opted-out number, 21610 above all:
// docs/partners/twilio.md#error-21610) is final at once; Twilio's own failures and rate
// limits are retried with the queue's capped backoff. The queue runs it
// (jobs.SMSWorker) and does what its Outcome says.
type Sender struct {
	DB     *ent.Client
	Twilio *twilio.Client
	// PublicURL is this server's, for the StatusCallback; empty: Twilio is
	// not asked for callbacks and the SMS stays SENT.
	PublicURL string
	// Events records sms.delivered and sms.failed in the transaction that
	// ends a delivery so; nil records none.
	Events *events.Recorder
}

// Send runs one attempt of the SMS delivery integrationJobID.
func (s *Sender) Send(ctx context.Context, integrationJobID int, at workflow.Attempt) workflow.Outcome {
	ctx = viewer.SystemContext(ctx)
	ij, err := s.DB.IntegrationJob.Query().
		Where(integrationjob.ID(integrationJobID), integrationjob.KindEQ(integrationjob.KindSMS)).
		WithProspect().
		WithRegistration(func(q *ent.RegistrationQuery) { q.WithProperty() }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return workflow.Cancel(err)
	}
	if err != nil {
		return workflow.Retry(err)
	}
	if ij.Status != integrationjob.StatusQUEUED {
		return workflow.Done() // sent already: a duplicate job has nothing to do
	}
	p, reg := ij.Edges.Prospect, ij.Edges.Registration
	if p == nil || p.Phone1 == "" || reg == nil || reg.Edges.Property == nil {
		return s.final(ctx, ij, "", "the prospect, its phone or the property no longer exists")
	}
	body := Text(reg.Edges.Property, reg.SmsNotes)
	msg := twilio.Message{To: p.Phone1, Body: body}
	if s.PublicURL != "" {
		msg.StatusCallback = CallbackURL(s.PublicURL, ij.ID)
	}
	if err := s.DB.IntegrationJob.UpdateOne(ij).AddAttempts(1).Exec(ctx); err != nil {
		return workflow.Retry(err)
	}
	sent, err := s.Twilio.Send(ctx, msg)
	var te *twilio.Error
	switch {
	case err == nil:
		n := sent.NumSegments
		if n <= 0 {
			n = twilio.Segments(body)
		}
		return workflow.Retry(Accepted(ctx, s.DB, s.Events, ij.ID, sent.SID, sent.Status, n, time.Now().UTC()))
	case errors.As(err, &te) && te.OptedOut():
		return s.final(ctx, ij, fmt.Sprint(te.Code), "the recipient replied STOP to this sender (Twilio 21610): never retried")
	case errors.As(err, &te) && !te.Temporary():
		return s.final(ctx, ij, fmt.Sprint(te.Code), fmt.Sprintf("Twilio refused the message: %s", te.Message))
	}
	// Transient: record it, and let the queue retry unless this was the
	// last attempt.
	set := func(u *ent.IntegrationJobUpdateOne) {
		u.SetLastError(textlimit.ErrorText(err.Error()))
		if te != nil {
			u.SetErrorCode(fmt.Sprint(te.Code))
		}
	}
	var uerr error
	if at.Last {
		uerr = s.fail(ctx, ij, func(u *ent.IntegrationJobUpdateOne) { set(u); u.ClearNextAttemptAt() })
	} else {
		u := s.DB.IntegrationJob.UpdateOne(ij)
		set(u)
		uerr = u.Exec(ctx)
	}
	if uerr != nil {
		return workflow.Retry(uerr)
	}
	return workflow.Retry(err)
}

// final ends the delivery FAILED with Twilio's code and the reason, which
// may quote Twilio's message at any length; the job completes, so it is
// never retried.
func (s *Sender) final(ctx context.Context, ij *ent.IntegrationJob, code, reason string) workflow.Outcome {
	return workflow.Retry(s.fail(ctx, ij, func(u *ent.IntegrationJobUpdateOne) {
		u.SetErrorCode(code).SetLastError(textlimit.ErrorText(reason)).ClearNextAttemptAt()
	}))
}

// fail moves the delivery to FAILED with set's changes, and records
// sms.failed in the same transaction.
func (s *Sender) fail(ctx context.Context, ij *ent.IntegrationJob, set func(*ent.IntegrationJobUpdateOne)) error {
	return ent.InTx(ctx, s.DB, func(ctx context.Context, tx *ent.Client) error {
		u := tx.IntegrationJob.UpdateOne(ij)
		set(u)
		if err := integrationstatus.Set(u, ij, integrationjob.StatusFAILED); err != nil {
			return err
		}
		after, err := u.Save(ctx)
		if err != nil {
			return err
		}
		return ended(ctx, s.Events, ij, after)
	})
}
