// Package integrationstatus is the one place an IntegrationJob's status is
// written: the moves each kind allows, checked before every write. The
// workflows decide when to move (prospects' delivery, sms' send and
// Twilio's callbacks, propexosync's runs, the services that queue them);
// this says whether the move is one their kind makes, so that a bug never
// moves a delivery back to a state its partner has left:
//
//   - a Propexo prospect write: QUEUED → SENT (Propexo has a job id) →
//     SUCCEEDED, PARTIAL or FAILED; QUEUED straight to SUCCEEDED (found at
//     Propexo after a lost answer) or FAILED (refused); QUEUED or SENT to
//     HELD when what Propexo lists cannot tell which lead is the write,
//     and HELD on to SUCCEEDED (a person adopts a candidate), QUEUED (sent
//     again) or FAILED (abandoned); FAILED, PARTIAL and NOT_SENT back to
//     QUEUED only by a retry;
//   - an SMS: QUEUED → SENT → SUCCEEDED or FAILED, as Twilio's statuses
//     move (sms ranks them and never moves back); a callback may outrun
//     the send's answer (QUEUED → SUCCEEDED or FAILED), and may tell of a
//     message whose send was given up when its answer was lost (FAILED →
//     SENT or SUCCEEDED); NOT_SENT is final;
//   - a lease sync run: QUEUED → SENT while an attempt runs → SUCCEEDED,
//     FAILED, or QUEUED again while it waits (a pause, the rate limit) or
//     awaits its retry.
//
// Writing the status a row already has is no move, and always allowed.
package integrationstatus

import (
	"errors"
	"fmt"
	"slices"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
)

// ErrMove is a status write the row's kind does not allow: nothing is
// written.
var ErrMove = errors.New("integrationstatus: a status change this kind of job does not make")

// Short names for the table below.
const (
	queued    = integrationjob.StatusQUEUED
	sent      = integrationjob.StatusSENT
	succeeded = integrationjob.StatusSUCCEEDED
	partial   = integrationjob.StatusPARTIAL
	failed    = integrationjob.StatusFAILED
	notSent   = integrationjob.StatusNOT_SENT
	held      = integrationjob.StatusHELD
)

// rules are a kind's statuses: those a row starts in, and where each goes.
type rules struct {
	initial []integrationjob.Status
	moves   map[integrationjob.Status][]integrationjob.Status
}

var propexoWrite = rules{
	// NOT_SENT: no Propexo token is configured.
	initial: []integrationjob.Status{queued, notSent},
	moves: map[integrationjob.Status][]integrationjob.Status{
		queued:  {sent, succeeded, failed, held},
		sent:    {succeeded, partial, failed, held},
		held:    {succeeded, queued, failed},
		failed:  {queued},
		partial: {queued},
		notSent: {queued},
	},
}

var byKind = map[integrationjob.Kind]rules{
	integrationjob.KindPROPEXO_CREATE_PROSPECT: propexoWrite,
	integrationjob.KindPROPEXO_UPDATE_PROSPECT: propexoWrite,
	integrationjob.KindSMS: {
		// NOT_SENT: no SMS provider is configured; an SMS is not retried.
		initial: []integrationjob.Status{queued, notSent},
		moves: map[integrationjob.Status][]integrationjob.Status{
			queued: {sent, succeeded, failed},
			sent:   {succeeded, failed},
			failed: {sent, succeeded},
		},
	},
	integrationjob.KindLEASE_SYNC: {
		// SENT: a run whose job was queued before runs had rows gets its
		// row as its attempt starts.
		initial: []integrationjob.Status{queued, sent},
		moves: map[integrationjob.Status][]integrationjob.Status{
			queued: {sent},
			sent:   {succeeded, queued, failed},
		},
	},
}

// Allowed says whether a row of kind may move from status from to to.
func Allowed(kind integrationjob.Kind, from, to integrationjob.Status) bool {
	return from == to || slices.Contains(byKind[kind].moves[from], to)
}

// Initial sets the status c, a new row whose kind is set, starts in.
func Initial(c *ent.IntegrationJobCreate, to integrationjob.Status) error {
	kind, ok := c.Mutation().Kind()
	if !ok {
		return fmt.Errorf("%w: a new row without a kind", ErrMove)
	}
	if !slices.Contains(byKind[kind].initial, to) {
		return fmt.Errorf("%w: a %s row does not start %s", ErrMove, kind, to)
	}
	c.SetStatus(to)
	return nil
}

// Set makes u, an update of j, move j to status to. j is the row as read:
// its kind and its status now.
func Set(u *ent.IntegrationJobUpdateOne, j *ent.IntegrationJob, to integrationjob.Status) error {
	if !Allowed(j.Kind, j.Status, to) {
		return fmt.Errorf("%w: %s job %d from %s to %s", ErrMove, j.Kind, j.ID, j.Status, to)
	}
	u.SetStatus(to)
	return nil
}
