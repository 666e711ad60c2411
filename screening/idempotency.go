package screening

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/screeningrequest"
	"github.com/leasegraph/leasegraph/idempotency/idemkey"
	"github.com/leasegraph/leasegraph/internal/textlimit"
)

// errKeyTaken: another call already recorded the key.
var errKeyTaken = errors.New("screening: idempotency key taken")

// errInTx: a caller's transaction would hold the short ones open across
// the SmartMove call they surround.
var errInTx = errors.New("screening: called inside a transaction; a SmartMove call must not hold one open")

// inTx runs fn in a short transaction of its own (ent.InTx), committed
// before the SmartMove call that follows it, so that the idempotency record
// is visible to a retry while the call is in flight. It never joins a
// caller's transaction (the GraphQL transactioner runs screening mutations
// outside one): joining would keep the record uncommitted across the call.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, tx *ent.Client) error) error {
	if ent.TxFromContext(ctx) != nil {
		return errInTx
	}
	return ent.InTx(ctx, s.DB, fn)
}

func checkKey(key string) (string, error) {
	key, err := idemkey.Check(key)
	if err == nil && key == "" {
		return "", apperr.BadInput("idempotencyKey", "give an idempotency key: any string unique to this request, reused only to retry it")
	}
	return key, err
}

// claim records the first call made with (key, op), and runs prepare in the
// same transaction (a create writes its application there); prepare returns
// the application the record refers to. When the key was used before, claim
// returns that record with replayed true, after waiting for a call still in
// progress to finish.
func (s *Service) claim(ctx context.Context, op, key, hash string, prepare func(tx *ent.Client) (int, error)) (rec *ent.ScreeningRequest, replayed bool, err error) {
	for range 5 {
		err := s.inTx(ctx, func(ctx context.Context, tx *ent.Client) error {
			r, err := tx.ScreeningRequest.Create().SetKey(key).SetOperation(op).SetRequestHash(hash).Save(ctx)
			if ent.IsConstraintError(err) {
				return errKeyTaken
			}
			if err != nil {
				return err
			}
			id, err := prepare(tx)
			if err != nil {
				return err
			}
			rec, err = tx.ScreeningRequest.UpdateOne(r).SetScreeningApplicationID(id).Save(ctx)
			return err
		})
		if err == nil {
			return rec, false, nil
		}
		if !errors.Is(err, errKeyTaken) {
			return nil, false, err
		}
		prev, err := s.waitFor(ctx, op, key, hash)
		if ent.IsNotFound(err) {
			continue // the first call failed and gave the key back
		}
		if err != nil {
			return nil, false, err
		}
		return prev, true, nil
	}
	return nil, false, inProgress()
}

func inProgress() error {
	return &apperr.Error{Code: apperr.CodeConflict, Field: []string{"idempotencyKey"},
		Message: "a request with this idempotency key is still in progress; retry it shortly"}
}

// waitFor returns the record of (op, key) once its call has finished.
func (s *Service) waitFor(ctx context.Context, op, key, hash string) (*ent.ScreeningRequest, error) {
	wait := s.InFlightWait
	if wait <= 0 {
		wait = 30 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		r, err := s.DB.ScreeningRequest.Query().
			Where(screeningrequest.Key(key), screeningrequest.Operation(op)).Only(ctx)
		if err != nil {
			return nil, err
		}
		if r.RequestHash != hash {
			return nil, &apperr.Error{Code: apperr.CodeConflict, Field: []string{"idempotencyKey"},
				Message: "this idempotency key was already used with other arguments: use a new key for a new request"}
		}
		if r.State != screeningrequest.StateIN_PROGRESS {
			return r, nil
		}
		if time.Now().After(deadline) {
			return nil, inProgress()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// replay answers a retry with the first call's result: the application it
// produced (as it is now), or the error it ended with.
func (s *Service) replay(ctx context.Context, rec *ent.ScreeningRequest) (*ent.ScreeningApplication, error) {
	if rec.State == screeningrequest.StateFAILED {
		return nil, &apperr.Error{Code: rec.ErrorCode, Message: rec.ErrorMessage,
			Extensions: map[string]any{"replayed": true, "retryable": false}}
	}
	if rec.ScreeningApplicationID == nil {
		return nil, fmt.Errorf("screening: request %d has no result", rec.ID)
	}
	return s.load(ctx, *rec.ScreeningApplicationID)
}

// succeed applies the call's result and marks the record SUCCEEDED, in one
// transaction.
func (s *Service) succeed(ctx context.Context, rec *ent.ScreeningRequest, apply func(ctx context.Context, tx *ent.Client) error) error {
	return s.inTx(ctx, func(ctx context.Context, tx *ent.Client) error {
		if apply != nil {
			if err := apply(ctx, tx); err != nil {
				return err
			}
		}
		return tx.ScreeningRequest.UpdateOneID(rec.ID).SetState(screeningrequest.StateSUCCEEDED).Exec(ctx)
	})
}

// release gives the key back after a call that certainly did nothing at
// the partner, undoing what claim prepared: a retry may then try again.
func (s *Service) release(ctx context.Context, rec *ent.ScreeningRequest, undo func(ctx context.Context, tx *ent.Client) error) {
	err := s.inTx(ctx, func(ctx context.Context, tx *ent.Client) error {
		if err := tx.ScreeningRequest.DeleteOneID(rec.ID).Exec(ctx); err != nil {
			return err
		}
		if undo != nil {
			return undo(ctx, tx)
		}
		return nil
	})
	if err != nil {
		s.log().ErrorContext(ctx, "releasing an idempotency key", "request", rec.ID, "error", err.Error())
	}
}

// fail keeps the key with the error, for a call whose outcome at the
// partner is unknown: a retry with the key gets the error, never a second
// order.
func (s *Service) fail(ctx context.Context, rec *ent.ScreeningRequest, e *apperr.Error, apply func(ctx context.Context, tx *ent.Client) error) {
	err := s.inTx(ctx, func(ctx context.Context, tx *ent.Client) error {
		if apply != nil {
			if err := apply(ctx, tx); err != nil {
				return err
			}
		}
		return tx.ScreeningRequest.UpdateOneID(rec.ID).SetState(screeningrequest.StateFAILED).
			SetErrorCode(e.Code).SetErrorMessage(textlimit.ErrorText(e.Message)).Exec(ctx)
	})
	if err != nil {
		s.log().ErrorContext(ctx, "recording a failed partner call", "request", rec.ID, "error", err.Error())
	}
}
