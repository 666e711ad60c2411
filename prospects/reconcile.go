package prospects

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/prospect"
	"github.com/leasegraph/leasegraph/propexo"
)

// Reconciliation recognises our own write at Propexo by its content, so
// that nothing of ours reaches the CRM: the fields are sent exactly as the
// user wrote them (docs/partners/propexo.md#no-idempotency says why the
// look-up exists at all).
//
//   - A create is a lead of the integration created since shortly before
//     the send (reconcileWindow, for the clocks' skew) with the prospect's
//     first and last name, email and phone, read newest first through the
//     extract's phone_1 filter when the prospect has a phone Propexo can
//     filter by. A lead another of the client's prospects is already linked
//     to is not a candidate. One candidate is adopted; none, the write is
//     sent again; two or more, the delivery is HELD with their ids, for a
//     person to decide (resolveHeldDelivery): guessing would link the wrong
//     lead or write a duplicate.
//   - A note appended by an update is counted in the prospect's notes at
//     Propexo just before the send (notes_seen); after a lost answer the
//     write was applied exactly when the count grew, so a note already
//     there is no ambiguity. A job queued before notes_seen existed and
//     never sent is counted at its send; one sent without it (none: every
//     write before the upgrade carried the marker) is held.
//   - Writes sent before the upgrade carried a marker line in their notes
//     (legacyMarker): a lead or a note carrying the delivery's marker is
//     still recognised by it.

// reconcileWindow bounds the look-up: leads created this long before the
// send are not read (clock skew between us and Propexo included).
const reconcileWindow = 10 * time.Minute

// maxReconcilePages bounds the look-up to 250 leads a page.
const maxReconcilePages = 20

// legacyMarker is the line deliveries added to their notes before they
// were recognised by content: "[leasegraph delivery <IntegrationJob id>]".
// "]" ends it, so one id is never a prefix of another's.
func legacyMarker(integrationJobID int) string {
	return fmt.Sprintf("[leasegraph delivery %d]", integrationJobID)
}

// found is what a look-up found: the one lead that is the write, or the
// candidates it cannot tell apart (two or more), or neither.
type found struct {
	id         string
	candidates []string
}

// filterPhone is the extract's phone_1 filter pattern (GET /v1/leads/,
// "10 digit format only").
var filterPhone = regexp.MustCompile(`^[2-9]\d{9}$`)

// tenDigits is a phone as the phone_1 filter takes it: its last ten digits
// (a stored +1 country code dropped), "" when that is not a US number.
func tenDigits(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	if !filterPhone.MatchString(d) {
		return ""
	}
	return d
}

// sameContent says whether lead l holds what a create of p sends: names
// and email compared without case or surrounding space (a PMS may
// normalise either), phones by their digits.
func sameContent(l propexo.Lead, p *ent.Prospect) bool {
	eq := func(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }
	digits := func(s string) string {
		if d := tenDigits(s); d != "" {
			return d
		}
		return strings.TrimSpace(s)
	}
	return eq(l.FirstName, p.FirstName) && eq(l.LastName, p.LastName) && eq(l.Email1, p.Email1) &&
		digits(l.Phone1) == digits(p.Phone1)
}

// findCreate looks a create of p up among the integration's leads created
// since sent (less the window), newest first.
func (d *Delivery) findCreate(ctx context.Context, ij *ent.IntegrationJob, p *ent.Prospect, sent time.Time) (found, error) {
	since := sent.Add(-reconcileWindow)
	q := propexo.LeadQuery{IntegrationID: p.Edges.Client.PropexoIntegrationID, Phone1: tenDigits(p.Phone1),
		OrderBy: "created_at:desc", Limit: propexo.MaxLeadPage}
	mark := legacyMarker(ij.ID)
	var candidates []string
	complete := false
	for page := 0; page < maxReconcilePages && !complete; page++ {
		q.Offset = page * propexo.MaxLeadPage
		res, err := d.Propexo.ListLeads(ctx, q)
		if err != nil {
			return found{}, err
		}
		for _, l := range res.Leads {
			if strings.Contains(l.Notes, mark) {
				return found{id: l.ID}, nil
			}
			if !l.CreatedAt.IsZero() && l.CreatedAt.Before(since) {
				complete = true
				break
			}
			if sameContent(l, p) {
				candidates = append(candidates, l.ID)
			}
		}
		complete = complete || !res.HasMore
	}
	if !complete {
		// The budget ran out before the send's time was reached: "not
		// there" would resend a write that may be in the pages not read.
		return found{}, errLookupIncomplete
	}
	if len(candidates) > 1 {
		// A lead already linked to another of the client's prospects is
		// that one's write, not this one's.
		taken, err := d.DB.Prospect.Query().Where(prospect.ClientID(p.ClientID), prospect.IDNEQ(p.ID),
			prospect.PropexoProspectIDIn(candidates...)).Select(prospect.FieldPropexoProspectID).Strings(ctx)
		if err != nil {
			return found{}, err
		}
		candidates = slices.DeleteFunc(candidates, func(id string) bool { return slices.Contains(taken, id) })
	}
	switch len(candidates) {
	case 0:
		return found{}, nil
	case 1:
		return found{id: candidates[0]}, nil
	}
	return found{candidates: candidates}, nil
}

// errLookupIncomplete is a look-up that read its whole page budget without
// reaching the send's time; the run is retried, never taken as "not found".
var errLookupIncomplete = errors.New("the look-up at Propexo did not reach the send's time within its page budget")

// notesCount is how many times note is in the lead's notes.
func notesCount(l *propexo.Lead, note string) int {
	if note == "" {
		return 0
	}
	return strings.Count(l.Notes, note)
}

// noteApplied says whether the note ij appends is at Propexo: counted more
// often than before its send, or carrying the delivery's legacy marker.
// Without a count from before the send it cannot tell (ok false).
func noteApplied(l *propexo.Lead, ij *ent.IntegrationJob, note string) (applied, ok bool) {
	if strings.Contains(l.Notes, legacyMarker(ij.ID)) {
		return true, true
	}
	if ij.NotesSeen == nil {
		return false, false
	}
	return notesCount(l, note) > *ij.NotesSeen, true
}

// notesAlreadyThere says whether a completion's notes are at Propexo
// already: an update's note counted more often than before its first
// send, a create's notes present at all (nothing of them was there before
// the create).
func notesAlreadyThere(l *propexo.Lead, ij *ent.IntegrationJob, notes string) bool {
	if ij.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT {
		return strings.Contains(l.Notes, notes) || strings.Contains(l.Notes, legacyMarker(ij.ID))
	}
	applied, ok := noteApplied(l, ij, notes)
	// Without a count the note is not sent again: a duplicate note is
	// what the agent would see, a missing one the user can add.
	return applied || !ok
}

// findUpdate looks an update's note up in its prospect's notes.
func (d *Delivery) findUpdate(ctx context.Context, ij *ent.IntegrationJob, p *ent.Prospect) (found, error) {
	if p.PropexoProspectID == "" {
		return found{}, nil
	}
	l, err := d.Propexo.GetLead(ctx, p.PropexoProspectID)
	if err != nil {
		return found{}, err
	}
	applied, ok := noteApplied(l, ij, ij.NotesToAppend)
	switch {
	case !ok:
		return found{candidates: []string{l.ID}}, nil
	case applied:
		return found{id: l.ID}, nil
	}
	return found{}, nil
}

// hold stops a delivery whose write Propexo's leads cannot tell apart: it
// waits, HELD with the candidates, for a person (resolveHeldDelivery). why
// is the reason shown; "" says the answer to the send was lost.
func (d *Delivery) hold(ctx context.Context, ij *ent.IntegrationJob, candidates []string, why string) error {
	switch {
	case why != "":
	case ij.Kind == integrationjob.KindPROPEXO_UPDATE_PROSPECT:
		why = "Propexo's answer was lost and the prospect's notes at Propexo cannot tell whether the note was added: " +
			"adopt the prospect's write, send it again or abandon it (resolveHeldDelivery)"
	default:
		why = fmt.Sprintf("Propexo's answer was lost and %d of its leads could be this write (%s): "+
			"adopt one, send it again or abandon it (resolveHeldDelivery)", len(candidates), strings.Join(candidates, ", "))
	}
	return d.move(ctx, ij, integrationjob.StatusHELD, func(u *ent.IntegrationJobUpdateOne) {
		u.SetCandidates(candidates).ClearSendStartedAt().ClearNextAttemptAt().SetLastError(why)
	})
}
