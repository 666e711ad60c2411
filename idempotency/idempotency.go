// Package idempotency makes a mutation safe to retry: the first call with a
// key records its result; later calls with the same key get that result
// back instead of doing the work again. The record is written in the
// caller's transaction, so a failed first call leaves no record and the key
// can be used again.
package idempotency

import (
	"context"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/idempotencyrecord"
	"github.com/leasegraph/leasegraph/idempotency/idemkey"
)

// Service keeps the idempotency records.
type Service struct {
	DB *ent.Client
}

// Do runs work once per (client, operation, key), in the transaction in ctx
// or a new one (ent.WithTx), which work joins through its ctx. With an
// empty key it just runs work. A repeated key returns the id work produced
// the first time.
//
// Concurrent first calls: the unique index on (client, operation, key)
// makes the second insert fail (on PostgreSQL it waits for the first
// transaction and fails after its commit); that call answers CONFLICT and a
// retry then finds the first result.
func (s *Service) Do(ctx context.Context, operation, key string, work func(ctx context.Context, tx *ent.Client) (int, error)) (id int, replayed bool, err error) {
	if key, err = idemkey.Check(key); err != nil {
		return 0, false, err
	}
	type result struct {
		id       int
		replayed bool
	}
	r, err := ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (result, error) {
		if key == "" {
			id, err := work(ctx, db)
			return result{id: id}, err
		}
		prev, err := db.IdempotencyRecord.Query().
			Where(idempotencyrecord.Operation(operation), idempotencyrecord.Key(key)).Only(ctx)
		switch {
		case err == nil:
			return result{prev.ResultID, true}, nil
		case !ent.IsNotFound(err):
			return result{}, err
		}
		rec, err := db.IdempotencyRecord.Create().SetOperation(operation).SetKey(key).Save(ctx)
		if ent.IsConstraintError(err) {
			return result{}, &apperr.Error{Code: apperr.CodeConflict, Message: "a request with this idempotency key is in progress; retry it", Field: []string{"idempotencyKey"}}
		}
		if err != nil {
			return result{}, err
		}
		id, err := work(ctx, db)
		if err != nil {
			return result{}, err
		}
		return result{id: id}, db.IdempotencyRecord.UpdateOne(rec).SetResultID(id).Exec(ctx)
	})
	if err != nil {
		return 0, false, err
	}
	return r.id, r.replayed, nil
}
