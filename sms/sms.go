// Package sms is the registration's invitation SMS: its text, and the
// delivery state Twilio's status callbacks move (never backwards). The
// send is Sender, which the job queue runs (jobs.SMSWorker); the callback
// route is Hook.
package sms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/integrationstatus"
	"github.com/leasegraph/leasegraph/twilio"
)

// Text is the invitation for a registration at prop: the showing it is
// for, then the agent's sms_notes, which the registration spec says are
// added to the SMS sent when the registration succeeds
// (docs/partners/registration.md#page-and-parameters).
func Text(prop *ent.Property, notes string) string {
	name := prop.Name
	if name == "" {
		name = prop.Tag
	}
	where := name
	if a := prop.Address; a != nil && a.Street != "" {
		where = fmt.Sprintf("%s (%s", name, a.Street)
		if a.City != "" {
			where += ", " + a.City
		}
		where += ")"
	}
	var b strings.Builder
	if prop.ShowingMode == property.ShowingModePRELEASE {
		fmt.Fprintf(&b, "You are on the pre-lease wait list for %s.", where)
	} else {
		fmt.Fprintf(&b, "You are registered for a self-showing at %s.", where)
	}
	if n := strings.TrimSpace(notes); n != "" {
		b.WriteString("\n")
		b.WriteString(n)
	}
	return b.String()
}

// rank orders Twilio's statuses (docs/partners/twilio.md#message-statuses) so that a late callback
// never moves a message back: queued < sending < sent < the final ones.
func rank(s string) int {
	switch s {
	case twilio.StatusQueued:
		return 1
	case twilio.StatusSending:
		return 2
	case twilio.StatusSent:
		return 3
	case twilio.StatusDelivered, twilio.StatusUndelivered, twilio.StatusFailed:
		return 4
	}
	return 0
}

// Known says s is a status word Twilio's callbacks carry.
func Known(s string) bool { return rank(s) > 0 }

// ApplyStatus records a status callback on the SMS delivery with this id
// (the StatusCallback URL names it, so a callback that outruns the send's
// own answer still finds its delivery). A status no further than the
// recorded one is ignored (a late `sent` after `delivered`, a repeat), so
// applying is idempotent. It returns false when no SMS delivery has this
// id, or it already has another sid. ctx must allow reading every client's
// rows: the callback names no client. A move to SUCCEEDED or FAILED
// records its event (ev) with it.
func ApplyStatus(ctx context.Context, db *ent.Client, ev *events.Recorder, id int, sid, status, errorCode string) (bool, error) {
	return raced(func() (bool, error) { return applyStatus(ctx, db, ev, id, sid, status, errorCode) })
}

// errRaced is a delivery's row changed by a concurrent callback or answer
// between our read and our write (PostgreSQL, read committed): the write
// is retried on the new row, so two callbacks never both move it (nor both
// raise its event).
var errRaced = errors.New("sms: the delivery changed concurrently")

// raced runs fn again while it lost a race, a few times.
func raced[T any](fn func() (T, error)) (T, error) {
	for try := 1; ; try++ {
		res, err := fn()
		if !errors.Is(err, errRaced) || try == 5 {
			return res, err
		}
	}
}

// saveIfUnchanged saves u only if j's row still has the status it was read
// with, else errRaced.
func saveIfUnchanged(ctx context.Context, u *ent.IntegrationJobUpdateOne, j *ent.IntegrationJob) (*ent.IntegrationJob, error) {
	after, err := u.Where(integrationjob.StatusEQ(j.Status), integrationjob.PartnerStatus(j.PartnerStatus)).Save(ctx)
	if ent.IsNotFound(err) {
		return nil, errRaced
	}
	return after, err
}

func applyStatus(ctx context.Context, db *ent.Client, ev *events.Recorder, id int, sid, status, errorCode string) (bool, error) {
	return ent.WithTx(ctx, db, func(ctx context.Context, db *ent.Client) (bool, error) {
		j, err := db.IntegrationJob.Query().
			Where(integrationjob.ID(id), integrationjob.KindEQ(integrationjob.KindSMS)).
			Only(ctx)
		if ent.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if j.PartnerJobID != "" && j.PartnerJobID != sid {
			return false, nil
		}
		u := db.IntegrationJob.UpdateOne(j).SetPartnerJobID(sid)
		moved, err := advance(u, j, status, errorCode)
		if err != nil {
			return false, err
		}
		if !moved && j.PartnerJobID == sid {
			return true, nil
		}
		after, err := saveIfUnchanged(ctx, u, j)
		if err != nil {
			return false, err
		}
		return true, ended(ctx, ev, j, after)
	})
}

// Accepted records Twilio's answer to the send: its sid, segments and the
// status it answered, unless a callback has already moved the delivery
// further; an answer that ends it records its event (ev) with it.
func Accepted(ctx context.Context, db *ent.Client, ev *events.Recorder, id int, sid, status string, segments int, at time.Time) error {
	_, err := raced(func() (struct{}, error) { return struct{}{}, accepted(ctx, db, ev, id, sid, status, segments, at) })
	return err
}

func accepted(ctx context.Context, db *ent.Client, ev *events.Recorder, id int, sid, status string, segments int, at time.Time) error {
	return ent.InTx(ctx, db, func(ctx context.Context, db *ent.Client) error {
		j, err := db.IntegrationJob.Get(ctx, id)
		if err != nil {
			return err
		}
		u := db.IntegrationJob.UpdateOne(j).SetPartnerJobID(sid).SetSegments(segments).SetSentAt(at)
		moved, err := advance(u, j, status, "")
		if err != nil {
			return err
		}
		if !moved && j.Status == integrationjob.StatusQUEUED {
			if err := integrationstatus.Set(u, j, integrationjob.StatusSENT); err != nil {
				return err
			}
		}
		after, err := saveIfUnchanged(ctx, u, j)
		if err != nil {
			return err
		}
		return ended(ctx, ev, j, after)
	})
}

// smsData is an SMS delivery's event data: the IntegrationJob as the graph
// shows it (Twilio's word, its error code), and what it was for.
type smsData struct {
	Status         integrationjob.Status `json:"status"`
	PartnerStatus  string                `json:"partner_status"`
	ErrorCode      string                `json:"error_code"`
	LastError      string                `json:"last_error"`
	Segments       int                   `json:"segments"`
	SentAt         *time.Time            `json:"sent_at"`
	ProspectID     *string               `json:"prospect_id"`
	RegistrationID *string               `json:"registration_id"`
}

// ended records, in the transaction in ctx, the event of the delivery's
// move from before to after when after is final (sms.delivered,
// sms.failed): a callback that moved nothing raises nothing.
func ended(ctx context.Context, ev *events.Recorder, before, after *ent.IntegrationJob) error {
	var t events.Type
	switch {
	case before.Status == after.Status:
		return nil
	case after.Status == integrationjob.StatusSUCCEEDED:
		t = events.SMSDelivered
	case after.Status == integrationjob.StatusFAILED:
		t = events.SMSFailed
	default:
		return nil
	}
	_, err := ev.Record(ctx, events.Event{Type: t, ClientID: after.ClientID, ObjectType: "IntegrationJob", ObjectID: after.ID,
		Data: smsData{Status: after.Status, PartnerStatus: after.PartnerStatus, ErrorCode: after.ErrorCode, LastError: after.LastError,
			Segments: after.Segments, SentAt: after.SentAt, ProspectID: globalID(after.ProspectID), RegistrationID: globalID(after.RegistrationID)}})
	return err
}

// globalID is an optional id as the graph writes it.
func globalID(id *int) *string {
	if id == nil {
		return nil
	}
	s := strconv.Itoa(*id)
	return &s
}

// advance moves j to status when that is further than its recorded one,
// and says whether it did.
func advance(u *ent.IntegrationJobUpdateOne, j *ent.IntegrationJob, status, errorCode string) (bool, error) {
	if rank(status) <= rank(j.PartnerStatus) {
		return false, nil
	}
	u.SetPartnerStatus(status)
	to := integrationjob.StatusSENT
	switch status {
	case twilio.StatusDelivered:
		to = integrationjob.StatusSUCCEEDED
		u.SetLastError("").SetErrorCode("")
	case twilio.StatusUndelivered, twilio.StatusFailed:
		to = integrationjob.StatusFAILED
		u.SetErrorCode(errorCode).SetLastError(fmt.Sprintf("Twilio reported the message %s%s", status, codeSuffix(errorCode)))
	}
	return true, integrationstatus.Set(u, j, to)
}

func codeSuffix(code string) string {
	if code == "" {
		return ""
	}
	return " (error " + code + ")"
}

// ValidErrorCode says an ErrorCode parameter is a number, as Twilio's are.
func ValidErrorCode(s string) bool {
	if s == "" {
		return true
	}
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && len(s) <= 10
}
