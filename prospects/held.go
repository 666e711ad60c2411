package prospects

import (
	"context"
	"slices"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/integrationstatus"
)

// HeldAction is what a person decides for a HELD delivery.
type HeldAction string

// The decisions.
const (
	// Adopt takes one of the candidates as the delivery's write: a create
	// links the prospect to it. The delivery ends SUCCEEDED.
	Adopt HeldAction = "ADOPT"
	// Resend sends the write again (QUEUED), as if it never reached Propexo.
	Resend HeldAction = "RESEND"
	// Abandon ends the delivery FAILED without sending anything.
	Abandon HeldAction = "ABANDON"
)

// ResolveHeld carries out a person's decision on a HELD delivery, with its
// event (prospect.delivered, prospect.delivery_failed) or its job in the
// same transaction.
func (s *Service) ResolveHeld(ctx context.Context, integrationJobID int, action HeldAction, candidate string) (*ent.IntegrationJob, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.IntegrationJob, error) {
		j, err := db.IntegrationJob.Get(ctx, integrationJobID)
		if ent.IsNotFound(err) {
			return nil, apperr.NotFound("integration job")
		}
		if err != nil {
			return nil, err
		}
		if j.Status != integrationjob.StatusHELD {
			return nil, apperr.BadInput("id", "only a HELD delivery is resolved; this one is %s", j.Status)
		}
		if action != Adopt && candidate != "" {
			return nil, apperr.BadInput("candidateId", "a candidate is named only to ADOPT it")
		}
		d := &Delivery{DB: db, Events: s.Events}
		switch action {
		case Adopt:
			if !slices.Contains(j.Candidates, candidate) {
				return nil, apperr.BadInput("candidateId", "must be one of the delivery's candidates: %v", j.Candidates)
			}
			if j.Kind == integrationjob.KindPROPEXO_CREATE_PROSPECT && j.ProspectID != nil {
				if err := db.Prospect.UpdateOneID(*j.ProspectID).SetPropexoProspectID(candidate).Exec(ctx); err != nil {
					return nil, err
				}
			}
			err = d.move(ctx, j, integrationjob.StatusSUCCEEDED, func(u *ent.IntegrationJobUpdateOne) {
				u.ClearCandidates().SetLastError("")
			})
		case Resend:
			if s.Queue == nil {
				return nil, &apperr.Error{Code: apperr.CodeConflict, Message: "no Propexo token is configured: nothing can be delivered"}
			}
			u := db.IntegrationJob.UpdateOne(j).ClearCandidates().SetLastError("").ClearSendStartedAt().ClearNotesSeen()
			if err := integrationstatus.Set(u, j, integrationjob.StatusQUEUED); err != nil {
				return nil, err
			}
			if err := u.Exec(ctx); err != nil {
				return nil, err
			}
			err = s.enqueue(ctx, db, j.ID)
		case Abandon:
			err = d.move(ctx, j, integrationjob.StatusFAILED, func(u *ent.IntegrationJobUpdateOne) {
				u.ClearCandidates().SetLastError("abandoned by a person while HELD: nothing more is sent")
			})
		default:
			return nil, apperr.BadInput("action", "must be ADOPT, RESEND or ABANDON")
		}
		if err != nil {
			return nil, err
		}
		return db.IntegrationJob.Get(ctx, j.ID)
	})
}
