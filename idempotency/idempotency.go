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

// Do runs work once per (client, operation, key). With an empty key it just
// runs work. A repeated key returns the id work produced the first time.
//
// Concurrent first calls: the unique index on (client, operation, key)
// makes the second insert fail (on PostgreSQL it waits for the first
// transaction and fails after its commit); that call answers CONFLICT and a
// retry then finds the first result. db must be a transaction's client.
func Do(ctx context.Context, db *ent.Client, operation, key string, work func() (int, error)) (id int, replayed bool, err error) {
	if key, err = idemkey.Check(key); err != nil {
		return 0, false, err
	}
	if key == "" {
		id, err = work()
		return id, false, err
	}
	prev, err := db.IdempotencyRecord.Query().
		Where(idempotencyrecord.Operation(operation), idempotencyrecord.Key(key)).Only(ctx)
	switch {
	case err == nil:
		return prev.ResultID, true, nil
	case !ent.IsNotFound(err):
		return 0, false, err
	}
	rec, err := db.IdempotencyRecord.Create().SetOperation(operation).SetKey(key).Save(ctx)
	if ent.IsConstraintError(err) {
		return 0, false, &apperr.Error{Code: apperr.CodeConflict, Message: "a request with this idempotency key is in progress; retry it", Field: []string{"idempotencyKey"}}
	}
	if err != nil {
		return 0, false, err
	}
	if id, err = work(); err != nil {
		return 0, false, err
	}
	return id, false, db.IdempotencyRecord.UpdateOne(rec).SetResultID(id).Exec(ctx)
}
