package propexosync

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/predicate"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/leases"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/types"
)

// A resident's previous and forwarding addresses are ours to derive:
// Propexo lists a primary and an alternate address and says nothing of
// what either means (docs/partners/propexo.md#resident-addresses), while
// the lease reader wants the home a tenant moving in leaves and the one a
// tenant moving out goes to (docs/partners/lease-service.md#fields). The
// rule is movingAddresses; DESIGN.md and docs/api.md state it.

// maxAddressPart is the most characters an address part may have, as
// properties allow: a longer one is not an address line.
const maxAddressPart = 200

// residentAddresses are a resident's primary and alternate addresses
// (address_1, address_2, city, state, zip and their _alternate twins),
// nil when Propexo gives none. country has no place in the lease
// reader's address shape and is not kept.
func residentAddresses(res *propexo.Resident) (primary, alternate *types.Address) {
	return pxAddress(res.Address1, res.Address2, res.City, res.State, res.Zip),
		pxAddress(res.Address1Alt, res.Address2Alt, res.CityAlt, res.StateAlt, res.ZipAlt)
}

// pxAddress is one Propexo address, trimmed; nil when it has no part, or
// when a part cannot be stored (a NUL, which PostgreSQL's jsonb refuses,
// invalid UTF-8, or an absurd length): the address is left out rather than
// the resident.
func pxAddress(line1, line2, city, state, zip *string) *types.Address {
	a := types.Address{Street: trim(line1), Apt: trim(line2), City: trim(city), State: trim(state), Zip: trim(zip)}
	if a.IsZero() {
		return nil
	}
	for _, part := range []string{a.Street, a.Apt, a.City, a.State, a.Zip} {
		if apperr.CheckText("address", part) != nil || utf8.RuneCountInString(part) > maxAddressPart {
			return nil
		}
	}
	return &a
}

func trim(p *string) string { return strings.TrimSpace(str(p)) }

// movingAddresses is the rule that turns a resident's Propexo addresses
// into the tenant's previous and forwarding addresses, by which way the
// lease moves (leases.HeadingOf) and its unit address:
//   - moving in: a primary address that is not the unit is where the
//     resident comes from (previous);
//   - moving out: the alternate address is where the resident goes
//     (forwarding), or else a primary address that is no longer the unit;
//   - not moving: neither (the lease reader uses them for moves only).
//
// An address is "the unit" by leases.SameAddress. A unit address without a
// street (a property whose address the client never gave) cannot be
// compared: then no primary address is taken, since it may well be the
// unit itself; an alternate one still is. An alternate address that is the
// unit is no forwarding address.
func movingAddresses(h leases.Heading, unit, primary, alternate *types.Address) (previous, forwarding *types.Address) {
	known := unit != nil && strings.TrimSpace(unit.Street) != ""
	elsewhere := func(a *types.Address) bool { return a != nil && known && !leases.SameAddress(a, unit) }
	switch h {
	case leases.MovingIn:
		if elsewhere(primary) {
			previous = primary
		}
	case leases.MovingOut:
		switch {
		case alternate != nil && (!known || !leases.SameAddress(alternate, unit)):
			forwarding = alternate
		case elsewhere(primary):
			forwarding = primary
		}
	}
	return previous, forwarding
}

// rederive applies movingAddresses again to the synced tenants of the
// client's leases matching ps, from the addresses Propexo last listed for
// them: a lease page or a lease transfer can change a lease's direction or
// unit without its residents changing, and an incremental pass would not
// read them again until the next full one.
func (r *run) rederive(ctx context.Context, db *ent.Client, ps ...predicate.Lease) error {
	ls, err := db.Lease.Query().Where(append(ps, lease.ClientID(r.clientID))...).
		Select(lease.FieldStatus, lease.FieldTransferred, lease.FieldUnitAddress).
		WithTenants(func(q *ent.TenantQuery) {
			q.Where(tenant.PropexoIDNotNil()).Select(tenant.FieldPreviousAddress, tenant.FieldForwardingAddress,
				tenant.FieldPropexoPrimaryAddress, tenant.FieldPropexoAlternateAddress)
		}).All(ctx)
	if err != nil {
		return err
	}
	for _, l := range ls {
		h := leases.HeadingOf(r.company, l)
		for _, t := range l.Edges.Tenants {
			prev, fwd := movingAddresses(h, l.UnitAddress, t.PropexoPrimaryAddress, t.PropexoAlternateAddress)
			if sameAddress(prev, t.PreviousAddress) && sameAddress(fwd, t.ForwardingAddress) {
				continue
			}
			up := db.Tenant.UpdateOneID(t.ID)
			setOrClearAddress(prev, up.SetPreviousAddress, up.ClearPreviousAddress)
			setOrClearAddress(fwd, up.SetForwardingAddress, up.ClearForwardingAddress)
			if err := up.Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameAddress says whether two stored addresses are equal as stored (not
// leases.SameAddress's looser "same home").
func sameAddress(a, b *types.Address) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	return *a == *b
}

func setOrClearAddress[U any](a *types.Address, set func(*types.Address) U, clear func() U) {
	if a != nil {
		set(a)
	} else {
		clear()
	}
}

// useWords are the words that make a lease's type or term a use of the
// unit (the lease reader's use_type: "corporate housing, vacation, etc.",
// docs/partners/lease-service.md#record-shape), matched as whole words.
var useWords = [][]string{
	{"corporate"}, {"student"}, {"military"}, {"employee"}, {"staff"}, {"vacation"}, {"seasonal"},
	{"short", "term"}, {"affordable"}, {"subsidized"}, {"senior"},
}

// useTypeOf is a synced lease's use_type: Propexo's lease has none, and
// its type and term may hold one or something else entirely, a kind of
// lease ("New", "Renewal") or a length ("12 Months")
// (docs/partners/propexo.md#lease-type-and-term). So type, then term, is
// taken as sent when one of its words names a use (useWords); otherwise
// the lease has no use type. Both stay in extra as sent either way.
func useTypeOf(typ, term *string) string {
	for _, v := range []string{trim(typ), trim(term)} {
		if v == "" || utf8.RuneCountInString(v) > maxUseType || apperr.CheckText("use_type", v) != nil {
			continue
		}
		words := strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		for _, w := range useWords {
			if containsRun(words, w) {
				return v
			}
		}
	}
	return ""
}

// maxUseType is the use_type column's length.
const maxUseType = 100

// containsRun says whether run appears in words, in order and adjacent.
func containsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		match := true
		for j := range run {
			if words[i+j] != run[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
