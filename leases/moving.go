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
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/predicate"
	"github.com/leasegraph/leasegraph/leases/statusset"
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
// both days included. Only the calendar dates of From and To count, as
// written in their own location.
type Window struct {
	Kinds    []Kind
	From, To time.Time
}

// days returns the window as midnight UTC of its first day and of the day
// after its last: a stored date d is in the window when from <= d < end.
// The open end keeps the last day whole even for a date stored with a time
// of day (SQLite keeps what it is given; PostgreSQL's date column drops it),
// so both databases answer alike.
func (w Window) days() (from, end time.Time) {
	return calendarDay(w.From), calendarDay(w.To).AddDate(0, 0, 1)
}

func calendarDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Validate reports a window that cannot match anything sensible, for every
// route that takes one (the GraphQL moving filter, /leases' move, from and
// to). kindsField and fromField name the inputs as the route spells them
// (dot-separated paths), so the error points at what the caller wrote.
func (w Window) Validate(kindsField, fromField string) error {
	if len(w.Kinds) == 0 {
		return apperr.BadInput(kindsField, "name at least one kind of move: MOVE_IN, MOVE_OUT or TRANSFER")
	}
	for _, k := range w.Kinds {
		if k != MoveIn && k != MoveOut && k != Transfer {
			return apperr.BadInput(kindsField, "unknown kind of move %q: use MOVE_IN, MOVE_OUT or TRANSFER", k)
		}
	}
	if calendarDay(w.From).After(calendarDay(w.To)) {
		return apperr.BadInput(fromField, "from (%s) is after to (%s)", w.From.Format(time.DateOnly), w.To.Format(time.DateOnly))
	}
	return nil
}

// Predicate returns the leases in the window. Status sets are per client, so
// the predicate is a disjunction over the clients the viewer can see (one,
// for a client's token): each client's own statuses with the window's dates.
func (s *Service) Predicate(ctx context.Context, w Window) (predicate.Lease, error) {
	clients, err := s.tenancy().StatusSets(ctx)
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
	return lease.And(Current(), lease.Or(perClient...)), nil
}

func clientPredicate(c *ent.Company, w Window) predicate.Lease {
	var kinds []predicate.Lease
	moveIn := dayIn(lease.MoveInDateNotNil(), lease.MoveInDateIsNil(), lease.MoveInDateGTE, lease.MoveInDateLT, lease.LeaseStartDateGTE, lease.LeaseStartDateLT, w)
	moveOut := dayIn(lease.MoveOutDateNotNil(), lease.MoveOutDateIsNil(), lease.MoveOutDateGTE, lease.MoveOutDateLT, lease.LeaseEndDateGTE, lease.LeaseEndDateLT, w)
	// The sets are compared in key form whatever form they were stored in:
	// the mutation stores keys, but a set written another way (a migration,
	// the CLI, an older row) must not silently match nothing.
	add := func(statuses []string, when predicate.Lease) {
		if keys := statusset.Normalize(statuses); len(keys) > 0 {
			kinds = append(kinds, lease.And(lease.StatusKeyIn(keys...), when))
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
		// A lease a resident transferred from (a Propexo lease transfer) is
		// a transfer out of it whatever its status: the PMS keeps the
		// old lease's own status (often just "past").
		kinds = append(kinds, lease.And(lease.Transferred(true), moveOut))
	}
	if len(kinds) == 0 {
		return nil
	}
	return lease.And(lease.ClientID(c.ID), lease.Or(kinds...))
}

// dayIn matches when the move date is in the window, or, when the lease has
// no move date, when the lease date standing in for it is.
func dayIn(hasMove, noMove predicate.Lease, moveGTE, moveLT, leaseGTE, leaseLT func(time.Time) predicate.Lease, w Window) predicate.Lease {
	from, end := w.days()
	return lease.Or(
		lease.And(hasMove, moveGTE(from), moveLT(end)),
		lease.And(noMove, leaseGTE(from), leaseLT(end)),
	)
}

// Current is the leases a list serves: a lease a full sync found removed at
// its source is kept (and still read by id) but is no one's move any more.
func Current() predicate.Lease { return lease.RemovedAtIsNil() }

// Heading is which way a lease's tenants move, as the client's status sets
// say (the moving filter's own rule, without its window): the lease sync
// reads it to tell where a resident comes from from where one goes.
type Heading int

// The headings.
const (
	// NotMoving is a status in none of the sets (a current lease, an
	// ended one), or in the transfer set alone.
	NotMoving Heading = iota
	MovingIn
	MovingOut
)

// HeadingOf says which way l's tenants move for the client c, whose status
// sets it reads (load them). A lease a Propexo lease transfer left moves
// out, whatever its status, as the moving filter counts it; then a status
// in the move-out set moves out, one in the move-in set moves in. Out is
// asked first, so a status a client put in both sets moves out, as a
// transferred lease does. A status in the transfer set alone moves neither
// way: the moving filter takes it on either date, and the lease does not
// say whether a transfer leaves it or enters it.
func HeadingOf(c *ent.Company, l *ent.Lease) Heading {
	key := statusset.Key(l.Status)
	switch {
	case l.Transferred || slices.Contains(statusset.Normalize(c.MoveOutStatuses), key):
		return MovingOut
	case slices.Contains(statusset.Normalize(c.MoveInStatuses), key):
		return MovingIn
	}
	return NotMoving
}
