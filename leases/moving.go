// Package leases holds the rules that decide which leases are move-ins,
// move-outs and transfers in a window. The GraphQL leases query and the
// /leases route both build their queries here.
package leases

import (
	"context"
	"slices"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/predicate"
)

// Kind is a kind of move.
type Kind string

// The kinds of move.
const (
	MoveIn   Kind = "MOVE_IN"
	MoveOut  Kind = "MOVE_OUT"
	Transfer Kind = "TRANSFER"
)

// Window asks for leases that move in any of Kinds between From and To,
// both days included.
type Window struct {
	Kinds    []Kind
	From, To time.Time
}

// Validate reports a window that cannot match anything sensible. field is
// the input's name, so the error points at what the caller wrote.
func (w Window) Validate(field string) error {
	if len(w.Kinds) == 0 {
		return apperr.BadInput(field+".kinds", "name at least one kind of move: MOVE_IN, MOVE_OUT or TRANSFER")
	}
	for _, k := range w.Kinds {
		if k != MoveIn && k != MoveOut && k != Transfer {
			return apperr.BadInput(field+".kinds", "unknown kind of move %q: use MOVE_IN, MOVE_OUT or TRANSFER", k)
		}
	}
	if w.From.After(w.To) {
		return apperr.BadInput(field+".from", "from (%s) is after to (%s)", w.From.Format(time.DateOnly), w.To.Format(time.DateOnly))
	}
	return nil
}

// Predicate returns the leases in the window. Status sets are per client, so
// the predicate is a disjunction over the clients the viewer can see (one,
// for a client's token): each client's own statuses with the window's dates.
func Predicate(ctx context.Context, db *ent.Client, w Window) (predicate.Lease, error) {
	clients, err := db.Company.Query().
		Select(company.FieldID, company.FieldMoveInStatuses, company.FieldMoveOutStatuses, company.FieldTransferStatuses).
		All(ctx)
	if err != nil {
		return nil, err
	}
	var perClient []predicate.Lease
	for _, c := range clients {
		if p := clientPredicate(c, w); p != nil {
			perClient = append(perClient, p)
		}
	}
	if len(perClient) == 0 {
		return func(s *sql.Selector) { s.Where(sql.False()) }, nil
	}
	return lease.Or(perClient...), nil
}

func clientPredicate(c *ent.Company, w Window) predicate.Lease {
	var kinds []predicate.Lease
	moveIn := dayIn(lease.MoveInDateNotNil(), lease.MoveInDateIsNil(), lease.MoveInDateGTE, lease.MoveInDateLTE, lease.LeaseStartDateGTE, lease.LeaseStartDateLTE, w)
	moveOut := dayIn(lease.MoveOutDateNotNil(), lease.MoveOutDateIsNil(), lease.MoveOutDateGTE, lease.MoveOutDateLTE, lease.LeaseEndDateGTE, lease.LeaseEndDateLTE, w)
	add := func(statuses []string, when predicate.Lease) {
		if len(statuses) > 0 {
			kinds = append(kinds, lease.And(lease.StatusKeyIn(statuses...), when))
		}
	}
	if slices.Contains(w.Kinds, MoveIn) {
		add(c.MoveInStatuses, moveIn)
	}
	if slices.Contains(w.Kinds, MoveOut) {
		add(c.MoveOutStatuses, moveOut)
	}
	if slices.Contains(w.Kinds, Transfer) {
		add(c.TransferStatuses, lease.Or(moveIn, moveOut))
	}
	if len(kinds) == 0 {
		return nil
	}
	return lease.And(lease.ClientID(c.ID), lease.Or(kinds...))
}

// dayIn matches when the move date is in the window, or, when the lease has
// no move date, when the lease date standing in for it is.
func dayIn(hasMove, noMove predicate.Lease, moveGTE, moveLTE, leaseGTE, leaseLTE func(time.Time) predicate.Lease, w Window) predicate.Lease {
	return lease.Or(
		lease.And(hasMove, moveGTE(w.From), moveLTE(w.To)),
		lease.And(noMove, leaseGTE(w.From), leaseLTE(w.To)),
	)
}
