package prospects

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/prospect"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/integrationstatus"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/viewer"
)

// Delivery sends a prospect write to Propexo and follows Propexo's job
// until it is final. Its state lives on the IntegrationJob: QUEUED (not
// sent yet), SENT (Propexo has a job id), then SUCCEEDED, PARTIAL or
// FAILED. The queue runs it (jobs.DeliveryWorker) and does what its
// Outcome says.
//
// Propexo documents no idempotency (docs/partners/propexo.md#no-idempotency), so exactly-once
// rests on reconciliation: send_started_at is recorded before each send and
// cleared once Propexo's answer is known, and a run that finds it set (a
// lost answer, a crash) looks the write up at Propexo (GET /v1/leads/) by
// its content (reconcile.go) and adopts it instead of sending again, or
// holds the delivery when it cannot tell. Nothing of ours is added to what
// is sent. Writes are asynchronous at Propexo, so the look-up waits
// ReconcileAfter from the send first: a write still queued at Propexo
// longer than that could yet be sent twice.
type Delivery struct {
	DB      *ent.Client
	Propexo *propexo.Client
	// PollEvery is how often Propexo's write status is checked (zero:
	// DefaultPollEvery; tests shorten it, it is not a setting).
	PollEvery time.Duration
	// ReconcileAfter is how long after a send whose answer was lost the
	// write is looked up at Propexo (PROPEXO_RECONCILE_AFTER).
	ReconcileAfter time.Duration
	// Events records prospect.delivered, prospect.delivery_failed and
	// prospect.delivery_partial in the transaction that ends a delivery so;
	// nil records none.
	Events *events.Recorder
}

// DefaultPollEvery is how often a write Propexo has accepted is asked
// about while it runs.
const DefaultPollEvery = 5 * time.Second

func (d *Delivery) pollEvery() time.Duration {
	if d.PollEvery > 0 {
		return d.PollEvery
	}
	return DefaultPollEvery
}

// Deliver runs one attempt of the delivery integrationJobID. Every attempt
// starts from the IntegrationJob's state, so one rescued after its process
// died resumes: QUEUED with send_started_at set reconciles before sending,
// SENT follows the partner job the dead process recorded.
func (d *Delivery) Deliver(ctx context.Context, integrationJobID int, at workflow.Attempt) workflow.Outcome {
	ctx = viewer.SystemContext(ctx)
	ij, err := d.DB.IntegrationJob.Query().
		Where(integrationjob.ID(integrationJobID)).
		WithProspect(func(q *ent.ProspectQuery) { q.WithClient() }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return workflow.Cancel(err)
	}
	if err != nil {
		return workflow.Retry(err)
	}
	switch ij.Status {
	case integrationjob.StatusQUEUED:
		if ij.SendStartedAt != nil {
			return d.reconcile(ctx, at, ij)
		}
		return d.sendOrRetry(ctx, at, ij)
	case integrationjob.StatusSENT:
		return d.follow(ctx, at, ij)
	}
	return workflow.Done() // final: a duplicate job has nothing to do
}

func (d *Delivery) sendOrRetry(ctx context.Context, at workflow.Attempt, ij *ent.IntegrationJob) workflow.Outcome {
	if ij.PartnerJobID != "" {
		return d.retryWrite(ctx, at, ij)
	}
	return d.send(ctx, at, ij)
}

// reconcile runs when an earlier send may have been applied at Propexo:
// found there, the delivery adopts it; not found, it is sent again.
func (d *Delivery) reconcile(ctx context.Context, at workflow.Attempt, ij *ent.IntegrationJob) workflow.Outcome {
	p := ij.Edges.Prospect
	if p == nil {
		return d.fail(ctx, ij, "the prospect no longer exists", nil)
	}
	// An update without notes sets values only: sending it twice is harmless.
	if ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT || ij.NotesToAppend != "" || ij.CompletePartial {
		if wait := time.Until(ij.SendStartedAt.Add(d.ReconcileAfter)); wait > 0 {
			return workflow.Snooze(wait)
		}
	}
	// A completion is not looked up: it re-checks its notes at Propexo
	// before each send.
	if !ij.CompletePartial && (ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT || ij.NotesToAppend != "") {
		var f found
		var err error
		if ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT {
			f, err = d.findCreate(ctx, ij, p, *ij.SendStartedAt)
		} else {
			f, err = d.findUpdate(ctx, ij, p)
		}
		if err != nil {
			return d.failed(ctx, at, ij, err)
		}
		if len(f.candidates) > 0 {
			return workflow.Retry(d.hold(ctx, ij, f.candidates, ""))
		}
		if f.id != "" {
			if ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT {
				if err := d.link(ctx, p, f.id); err != nil {
					return workflow.Retry(err)
				}
			}
			return workflow.Retry(d.move(ctx, ij, integrationjob.StatusSUCCEEDED, func(u *ent.IntegrationJobUpdateOne) {
				u.ClearSendStartedAt().SetLastError("").ClearFailedFields().ClearNextAttemptAt()
			}))
		}
	}
	// A retry-write whose answer was lost may have re-queued the write under
	// a job we never learnt; the old job stays FAILURE, so asking again could
	// queue it twice. Unless the write is harmless twice, say so and stop.
	if ij.PartnerJobID != "" && (ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT || ij.NotesToAppend != "" || ij.CompletePartial) {
		return d.fail(ctx, ij, "the answer to Propexo's retry-write was lost and the write is not listed at Propexo: "+
			"it may still be queued there; check before retrying", nil)
	}
	ij, err := d.DB.IntegrationJob.UpdateOne(ij).ClearSendStartedAt().Save(ctx)
	if err != nil {
		return workflow.Retry(err)
	}
	ij.Edges.Prospect = p
	return d.sendOrRetry(ctx, at, ij)
}

func (d *Delivery) link(ctx context.Context, p *ent.Prospect, propexoID string) error {
	return d.DB.Prospect.UpdateOneID(p.ID).SetPropexoProspectID(propexoID).Exec(ctx)
}

// send makes the write, recording send_started_at first so that a lost
// answer or a crash is reconciled rather than resent blindly (Propexo
// documents no idempotency header, docs/partners/propexo.md#no-idempotency).
func (d *Delivery) send(ctx context.Context, at workflow.Attempt, ij *ent.IntegrationJob) workflow.Outcome {
	p := ij.Edges.Prospect
	if p == nil {
		return d.fail(ctx, ij, "the prospect no longer exists", nil)
	}
	create := ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT && !ij.CompletePartial
	if !create && p.PropexoProspectID == "" {
		if ij.CompletePartial {
			return d.fail(ctx, ij, "Propexo never said the id of the prospect it created, and it was not found there: the partial write cannot be completed", nil)
		}
		return d.awaitCreate(ctx, ij)
	}
	var upd *propexo.UpdateProspectRequest
	if !create {
		var err error
		if upd, err = d.updateRequest(ctx, ij, p); err != nil {
			return d.failed(ctx, at, ij, err)
		}
	}
	u := d.DB.IntegrationJob.UpdateOne(ij).SetSendStartedAt(time.Now().UTC())
	if !create && !ij.CompletePartial && ij.NotesToAppend != "" {
		// The note is counted at Propexo first: after a lost answer, a
		// count that grew is the write applied.
		l, err := d.Propexo.GetLead(ctx, p.PropexoProspectID)
		if err != nil {
			return d.failed(ctx, at, ij, err)
		}
		u.SetNotesSeen(notesCount(l, ij.NotesToAppend))
	}
	ij, err := u.Save(ctx)
	if err != nil {
		return workflow.Retry(err)
	}
	var res *propexo.WriteResponse
	if create {
		res, err = d.Propexo.CreateProspect(ctx, CreateRequest(p, p.Edges.Client.PropexoIntegrationID))
	} else {
		res, err = d.Propexo.UpdateProspect(ctx, p.PropexoProspectID, upd)
	}
	if err != nil {
		return d.sendFailed(ctx, at, ij, err)
	}
	return d.sent(ctx, ij, res.JobID, true)
}

// updateRequest is the update to send: the prospect's fields and the notes
// this delivery appends, as the user wrote them. Completing a PARTIAL
// write, it holds only the fields that failed (all when Propexo named
// none), and the notes only when they are not at Propexo already: Propexo
// appends them.
func (d *Delivery) updateRequest(ctx context.Context, ij *ent.IntegrationJob, p *ent.Prospect) (*propexo.UpdateProspectRequest, error) {
	notes := ij.NotesToAppend
	if ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT {
		notes = p.Notes // completing a create
	}
	req := UpdateRequest(p, notes)
	if !ij.CompletePartial {
		return req, nil
	}
	if len(ij.FailedFields) > 0 { // none named: send them all
		req = req.Only(ij.FailedFields)
	}
	if req.Notes != "" {
		l, err := d.Propexo.GetLead(ctx, p.PropexoProspectID)
		if err != nil {
			return nil, err
		}
		if notesAlreadyThere(l, ij, notes) {
			req.Notes = ""
		}
	}
	return req, nil
}

// sendFailed records a failed send: one that surely did not reach Propexo
// (a 4xx, nothing sent) is no longer reconciled.
func (d *Delivery) sendFailed(ctx context.Context, at workflow.Attempt, ij *ent.IntegrationJob, err error) workflow.Outcome {
	if !propexo.MaybeApplied(err) {
		var e error
		if ij, e = d.DB.IntegrationJob.UpdateOne(ij).ClearSendStartedAt().Save(ctx); e != nil {
			return workflow.Retry(e)
		}
	}
	return d.failed(ctx, at, ij, err)
}

// sent records Propexo's job and follows it.
func (d *Delivery) sent(ctx context.Context, ij *ent.IntegrationJob, partnerJobID string, attempt bool) workflow.Outcome {
	err := d.move(ctx, ij, integrationjob.StatusSENT, func(u *ent.IntegrationJobUpdateOne) {
		u.SetPartnerJobID(partnerJobID).ClearSendStartedAt().SetLastError("").SetNextAttemptAt(time.Now().UTC().Add(d.pollEvery()))
		if attempt {
			u.AddAttempts(1)
		}
	})
	if err != nil {
		return workflow.Retry(err)
	}
	return workflow.Snooze(d.pollEvery())
}

// awaitCreate holds an update until its prospect exists at Propexo.
func (d *Delivery) awaitCreate(ctx context.Context, ij *ent.IntegrationJob) workflow.Outcome {
	pending, err := d.DB.IntegrationJob.Query().Where(
		integrationjob.ProspectID(*ij.ProspectID),
		integrationjob.KindEQ(integrationjob.KindPROPEXO_CREATE_PROSPECT),
		integrationjob.StatusIn(integrationjob.StatusQUEUED, integrationjob.StatusSENT),
	).Exist(ctx)
	if err != nil {
		return workflow.Retry(err)
	}
	if !pending {
		return d.fail(ctx, ij, "the prospect was never created at Propexo: retry its create first", nil)
	}
	return workflow.Snooze(d.pollEvery())
}

// retryWrite asks Propexo to re-run a failed write (retryIntegrationJob)
// and follows the NEW job Propexo answers with (docs/partners/propexo.md#retry-write). It reads
// the write's status first: Propexo refuses to retry a write that is not
// FAILURE (docs/partners/propexo.md#retry-write). A refusal is final and says so.
func (d *Delivery) retryWrite(ctx context.Context, at workflow.Attempt, ij *ent.IntegrationJob) workflow.Outcome {
	st, err := d.Propexo.WriteStatus(ctx, ij.PartnerJobID)
	if err != nil {
		return d.failed(ctx, at, ij, err)
	}
	if st.Status != propexo.StatusFailure {
		return d.sent(ctx, ij, ij.PartnerJobID, false) // not failed: follow it
	}
	ij, err = d.DB.IntegrationJob.UpdateOne(ij).SetSendStartedAt(time.Now().UTC()).Save(ctx)
	if err != nil {
		return workflow.Retry(err)
	}
	next, err := d.Propexo.RetryWrite(ctx, ij.PartnerJobID)
	if err != nil {
		if !propexo.Retryable(err) {
			return d.fail(ctx, ij, "Propexo refused to retry the write: "+redact(err), fieldsOf(err))
		}
		return d.sendFailed(ctx, at, ij, err)
	}
	return d.sent(ctx, ij, next, true)
}

// follow reads Propexo's write status until it is final.
func (d *Delivery) follow(ctx context.Context, at workflow.Attempt, ij *ent.IntegrationJob) workflow.Outcome {
	st, err := d.Propexo.WriteStatus(ctx, ij.PartnerJobID)
	if err != nil {
		if propexo.Retryable(err) {
			return d.failed(ctx, at, ij, err)
		}
		return d.fail(ctx, ij, redact(err), nil)
	}
	switch st.Status {
	case propexo.StatusSuccess, propexo.StatusPartialSuccess:
		// created_record_id comes with SUCCESS and PARTIAL_SUCCESS alike and
		// may be null (docs/partners/propexo.md#write-status): then the
		// prospect is found by its content.
		if ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT && !ij.CompletePartial && ij.Edges.Prospect != nil {
			id := st.CreatedRecordID
			if id == "" {
				// The write was sent after the delivery was created.
				f, err := d.findCreate(ctx, ij, ij.Edges.Prospect, ij.CreatedAt)
				if err != nil {
					return d.failed(ctx, at, ij, err)
				}
				if len(f.candidates) > 0 {
					return workflow.Retry(d.hold(ctx, ij, f.candidates, fmt.Sprintf("Propexo created the prospect without saying its id, "+
						"and %d of its leads match it (%s): adopt the one it created (resolveHeldDelivery)", len(f.candidates), strings.Join(f.candidates, ", "))))
				}
				id = f.id
				if id == "" {
					return d.retryLater(ctx, at, ij, "Propexo created the prospect without saying its id, and it is not listed yet", errors.New("created record not found"))
				}
			}
			if err := d.link(ctx, ij.Edges.Prospect, id); err != nil {
				return workflow.Retry(err)
			}
		}
		if st.Status == propexo.StatusSuccess {
			return workflow.Retry(d.move(ctx, ij, integrationjob.StatusSUCCEEDED, func(u *ent.IntegrationJobUpdateOne) {
				u.ClearNextAttemptAt().SetLastError("").ClearFailedFields().SetCompletePartial(false)
			}))
		}
		return workflow.Retry(d.move(ctx, ij, integrationjob.StatusPARTIAL, func(u *ent.IntegrationJobUpdateOne) {
			u.ClearNextAttemptAt().SetLastError(textlimit.ErrorText(strings.Join(st.Errors, "; "))).
				SetFailedFields(propexo.FieldsIn(st.Errors)).SetCompletePartial(false)
		}))
	case propexo.StatusFailure:
		return workflow.Retry(d.move(ctx, ij, integrationjob.StatusFAILED, func(u *ent.IntegrationJobUpdateOne) {
			u.ClearNextAttemptAt().SetLastError(textlimit.ErrorText(strings.Join(st.Errors, "; "))).
				SetFailedFields(propexo.FieldsIn(st.Errors))
		}))
	}
	return workflow.Snooze(d.pollEvery()) // PENDING
}

// fieldsOf is the fields a rejected request's issues name.
func fieldsOf(err error) []string {
	var apiErr *propexo.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Fields()
	}
	var ve *propexo.ValidationError
	if errors.As(err, &ve) {
		var out []string
		for _, f := range ve.Fields {
			out = append(out, f.Field)
		}
		return out
	}
	return nil
}

// failed records a failed attempt: retried with backoff when the partner may
// succeed later (5xx, timeouts, 429), final when the request itself is wrong.
func (d *Delivery) failed(ctx context.Context, at workflow.Attempt, ij *ent.IntegrationJob, err error) workflow.Outcome {
	msg := redact(err)
	if wait, ok := propexo.RetryAfter(err); ok {
		// Not a failed attempt: the account's budget, shared with the lease
		// sync, is spent. The queue waits it out (a rate-limited retry is
		// a snooze for this wait, jobs' mapping); the row says until when.
		_ = d.DB.IntegrationJob.UpdateOne(ij).SetLastError(msg).SetNextAttemptAt(time.Now().UTC().Add(wait)).Exec(ctx)
		return workflow.Retry(err)
	}
	if !propexo.Retryable(err) && !errors.Is(err, errLookupIncomplete) {
		return d.fail(ctx, ij, msg, fieldsOf(err))
	}
	return d.retryLater(ctx, at, ij, msg, err)
}

// retryLater records msg and lets the queue run the delivery again with
// backoff, until its attempts run out.
func (d *Delivery) retryLater(ctx context.Context, at workflow.Attempt, ij *ent.IntegrationJob, msg string, err error) workflow.Outcome {
	if at.Last {
		return d.fail(ctx, ij, fmt.Sprintf("gave up after %d attempts: %s", at.Failures+1, msg), nil)
	}
	if e := d.DB.IntegrationJob.UpdateOne(ij).AddAttempts(1).SetLastError(textlimit.ErrorText(msg)).Exec(ctx); e != nil {
		return workflow.Retry(e)
	}
	return workflow.Retry(err)
}

// fail makes the delivery final and visible, with the fields Propexo named.
func (d *Delivery) fail(ctx context.Context, ij *ent.IntegrationJob, msg string, fields []string) workflow.Outcome {
	err := d.move(ctx, ij, integrationjob.StatusFAILED, func(u *ent.IntegrationJobUpdateOne) {
		u.AddAttempts(1).SetLastError(textlimit.ErrorText(msg)).SetFailedFields(fields).ClearNextAttemptAt()
	})
	if err != nil {
		return workflow.Retry(err)
	}
	return workflow.Cancel(errors.New(msg))
}

// move moves ij to status to, with the other changes set makes, and
// records the event of a final status in the same transaction: a delivery
// never ends without its event, nor raises one for an end that was not
// written.
func (d *Delivery) move(ctx context.Context, ij *ent.IntegrationJob, to integrationjob.Status, set func(*ent.IntegrationJobUpdateOne)) error {
	return ent.InTx(ctx, d.DB, func(ctx context.Context, tx *ent.Client) error {
		u := tx.IntegrationJob.UpdateOne(ij)
		set(u)
		if err := integrationstatus.Set(u, ij, to); err != nil {
			return err
		}
		moved, err := u.Save(ctx)
		if err != nil || ij.Status == to {
			return err
		}
		return d.ended(ctx, tx, moved)
	})
}

// endEvents are the events of a delivery's final statuses.
var endEvents = map[integrationjob.Status]events.Type{
	integrationjob.StatusSUCCEEDED: events.ProspectDelivered,
	integrationjob.StatusFAILED:    events.ProspectDeliveryFailed,
	integrationjob.StatusPARTIAL:   events.ProspectDeliveryPartial,
}

// deliveryData is a delivery's event data: the IntegrationJob as the
// graph shows it, and its prospect's ids.
type deliveryData struct {
	Kind              integrationjob.Kind   `json:"kind"`
	Status            integrationjob.Status `json:"status"`
	Attempts          int                   `json:"attempts"`
	LastError         string                `json:"last_error"`
	FailedFields      []string              `json:"failed_fields"`
	PartnerJobID      string                `json:"partner_job_id"`
	ProspectID        *string               `json:"prospect_id"`
	PropexoProspectID string                `json:"propexo_prospect_id"`
}

// ended records the event of ij's new final status, if it has one.
func (d *Delivery) ended(ctx context.Context, tx *ent.Client, ij *ent.IntegrationJob) error {
	t, ok := endEvents[ij.Status]
	if !ok {
		return nil
	}
	data := deliveryData{Kind: ij.Kind, Status: ij.Status, Attempts: ij.Attempts, LastError: ij.LastError,
		FailedFields: ij.FailedFields, PartnerJobID: ij.PartnerJobID}
	if data.FailedFields == nil {
		data.FailedFields = []string{}
	}
	if ij.ProspectID != nil {
		id := strconv.Itoa(*ij.ProspectID)
		data.ProspectID = &id
		p, err := tx.Prospect.Query().Where(prospect.ID(*ij.ProspectID)).Select(prospect.FieldPropexoProspectID).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return err
		}
		if p != nil {
			data.PropexoProspectID = p.PropexoProspectID
		}
	}
	_, err := d.Events.Record(ctx, events.Event{Type: t, ClientID: ij.ClientID, ObjectType: "IntegrationJob", ObjectID: ij.ID, Data: data})
	return err
}

// redact keeps the partner's message and nothing of the request: the
// propexo client already strips its token from errors.
func redact(err error) string { return textlimit.ErrorText(err.Error()) }
