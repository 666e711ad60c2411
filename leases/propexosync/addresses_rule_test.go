package propexosync

import (
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/leases"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/types"
)

// The rule, case by case: which of a resident's addresses becomes the
// tenant's previous or forwarding address, by the lease's direction and its
// unit.
func TestMovingAddresses(t *testing.T) {
	unit := &types.Address{Street: "1 Elm St", Apt: "4B", City: "Springfield", State: "IL", Zip: "62701"}
	atUnit := &types.Address{Street: "1 ELM STREET", Apt: "Apt 4b", City: "springfield", State: "il", Zip: "62701-0001"}
	home := &types.Address{Street: "28 W 22nd Street", Apt: "2G", City: "New York", State: "NY", Zip: "10010"}
	away := &types.Address{Street: "30 W 48th Street", City: "New York", State: "NY", Zip: "10036"}
	noStreet := &types.Address{City: "Springfield", State: "IL", Zip: "62701"}
	cases := []struct {
		name                      string
		h                         leases.Heading
		unit, primary, alternate  *types.Address
		wantPrevious, wantForward *types.Address
	}{
		{"moving in from elsewhere", leases.MovingIn, unit, home, nil, home, nil},
		{"moving in, the alternate is not where they come from", leases.MovingIn, unit, home, away, home, nil},
		{"moving in, the PMS already gives the unit", leases.MovingIn, unit, atUnit, away, nil, nil},
		{"moving in, no address", leases.MovingIn, unit, nil, nil, nil, nil},
		{"moving in, a unit that cannot be compared", leases.MovingIn, noStreet, home, nil, nil, nil},
		{"moving in, no unit address", leases.MovingIn, nil, home, nil, nil, nil},

		{"moving out to the alternate", leases.MovingOut, unit, atUnit, away, nil, away},
		{"moving out, the alternate wins over a primary elsewhere", leases.MovingOut, unit, home, away, nil, away},
		{"moving out, only a primary elsewhere", leases.MovingOut, unit, home, nil, nil, home},
		{"moving out, still at the unit", leases.MovingOut, unit, atUnit, nil, nil, nil},
		{"moving out, an alternate that is the unit", leases.MovingOut, unit, home, atUnit, nil, home},
		{"moving out, an alternate that is the unit, primary the unit", leases.MovingOut, unit, atUnit, atUnit, nil, nil},
		{"moving out, a unit that cannot be compared: the alternate", leases.MovingOut, noStreet, home, away, nil, away},
		{"moving out, a unit that cannot be compared: no primary", leases.MovingOut, noStreet, home, nil, nil, nil},

		{"not moving, at the unit", leases.NotMoving, unit, atUnit, nil, nil, nil},
		{"not moving, elsewhere", leases.NotMoving, unit, home, away, nil, nil},
	}
	for _, c := range cases {
		prev, fwd := movingAddresses(c.h, c.unit, c.primary, c.alternate)
		if prev != c.wantPrevious || fwd != c.wantForward {
			t.Errorf("%s: previous %+v, forwarding %+v; want %+v, %+v", c.name, prev, fwd, c.wantPrevious, c.wantForward)
		}
	}
}

// A Propexo address is kept trimmed, without country; one with no part, or
// one PostgreSQL could not store, is none.
func TestResidentAddresses(t *testing.T) {
	p := func(s string) *string { return &s }
	res := &propexo.Resident{Address1: p(" 28 W 22nd Street "), Address2: p("2G"), City: p("New York"), State: p("NY"), Zip: p("10010"),
		Country: p("United States"), Address1Alt: p(""), CityAlt: p("  "), CountryAlt: p("US")}
	primary, alternate := residentAddresses(res)
	if want := (types.Address{Street: "28 W 22nd Street", Apt: "2G", City: "New York", State: "NY", Zip: "10010"}); primary == nil || *primary != want {
		t.Errorf("primary %+v, want %+v", primary, want)
	}
	if alternate != nil {
		t.Errorf("alternate %+v: only a country and blanks, want none", alternate)
	}
	for _, bad := range []string{"28 W\x00 22nd", "\xff\xfe", strings.Repeat("x", 201)} {
		if a := pxAddress(p(bad), nil, p("New York"), nil, nil); a != nil {
			t.Errorf("%q: %+v, want none", bad, a)
		}
	}
}

// use_type takes a lease's type, else its term, when it names a use.
func TestUseTypeOf(t *testing.T) {
	p := func(s string) *string { return &s }
	cases := []struct {
		typ, term *string
		want      string
	}{
		{p("Corporate"), p("12 Months"), "Corporate"},
		{p(" Student Housing "), nil, "Student Housing"},
		{p("Conventional"), p("Corporate 6-Month"), "Corporate 6-Month"},
		{p("Renewal"), p("12 Months"), ""},
		{p("SHORT-TERM"), nil, "SHORT-TERM"},
		{p("Shortbread"), p("terminal"), ""},
		{p("Incorporated"), nil, ""},
		{nil, nil, ""},
		{p("corporate\x00"), p("Military"), "Military"},
		{p("Corporate " + strings.Repeat("x", 100)), nil, ""},
	}
	for _, c := range cases {
		if got := useTypeOf(c.typ, c.term); got != c.want {
			t.Errorf("useTypeOf(%v, %v) = %q, want %q", str(c.typ), str(c.term), got, c.want)
		}
	}
}
