package leases

import (
	"testing"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/leases/statusset"
	"github.com/leasegraph/leasegraph/types"
)

func TestSameAddress(t *testing.T) {
	unit := &types.Address{Street: "1140 Broadway", Apt: "905", City: "New York", State: "NY", Zip: "10010"}
	house := &types.Address{Street: "28 W 22nd Street", City: "New York", State: "NY", Zip: "10010"}
	cases := []struct {
		name string
		a, b *types.Address
		want bool
	}{
		{"itself", unit, unit, true},
		{"case and spacing", unit, &types.Address{Street: "  1140   BROADWAY ", Apt: "905", City: "new york", State: "ny", Zip: "10010"}, true},
		{"Apt in the second line", unit, &types.Address{Street: "1140 Broadway", Apt: "Apt 905", City: "New York", State: "NY", Zip: "10010"}, true},
		{"# in the street line", unit, &types.Address{Street: "1140 Broadway #905", City: "New York", State: "NY", Zip: "10010"}, true},
		{"Unit, lower case, in the street line", unit, &types.Address{Street: "1140 broadway unit 905", Zip: "10010"}, true},
		{"Suite and punctuation", unit, &types.Address{Street: "1140 Broadway, Suite 905", Zip: "10010-1234"}, true},
		{"Apartment No.", unit, &types.Address{Street: "1140 Broadway", Apt: "Apartment No. 905", Zip: "10010"}, true},
		{"a unit without a designator", unit, &types.Address{Street: "1140 Broadway 905", Zip: "10010"}, true},
		{"a letter unit, hyphenated", &types.Address{Street: "1 Elm St", Apt: "4B", Zip: "62701"}, &types.Address{Street: "1 Elm Street", Apt: "#4-b", Zip: "62701"}, true},
		{"suffix and direction spelled out", house, &types.Address{Street: "28 West 22nd St.", City: "New York", State: "NY"}, true},
		{"ZIP+4 without a hyphen", unit, &types.Address{Street: "1140 Broadway", Apt: "905", Zip: "100101234"}, true},
		{"ZIP decides over the city's name", unit, &types.Address{Street: "1140 Broadway", Apt: "905", City: "NYC", Zip: "10010"}, true},
		{"one names no unit: the building decides", unit, &types.Address{Street: "1140 Broadway", City: "New York", State: "NY"}, true},

		{"another unit", unit, &types.Address{Street: "1140 Broadway", Apt: "906", City: "New York", State: "NY", Zip: "10010"}, false},
		{"another unit, in the street line", unit, &types.Address{Street: "1140 Broadway Apt 906", Zip: "10010"}, false},
		{"a unit number that only contains the other", unit, &types.Address{Street: "1140 Broadway", Apt: "9050", Zip: "10010"}, false},
		{"another street number", unit, &types.Address{Street: "1141 Broadway", Apt: "905", Zip: "10010"}, false},
		{"another street", unit, &types.Address{Street: "1140 Broad St", Apt: "905", Zip: "10010"}, false},
		{"another ZIP", unit, &types.Address{Street: "1140 Broadway", Apt: "905", City: "New York", Zip: "10011"}, false},
		{"another city, no ZIPs", &types.Address{Street: "1 Main St", City: "Austin", State: "TX"}, &types.Address{Street: "1 Main St", City: "Dallas", State: "TX"}, false},
		{"another state, no ZIPs", &types.Address{Street: "1 Main St", City: "Springfield", State: "IL"}, &types.Address{Street: "1 Main St", City: "Springfield", State: "MO"}, false},
		{"no street line", unit, &types.Address{Apt: "905", City: "New York", State: "NY", Zip: "10010"}, false},
		{"nil", unit, nil, false},
		{"empty", &types.Address{}, &types.Address{}, false},
	}
	for _, c := range cases {
		if got := SameAddress(c.a, c.b); got != c.want {
			t.Errorf("%s: SameAddress(%+v, %+v) = %v, want %v", c.name, c.a, c.b, got, c.want)
		}
		if got := SameAddress(c.b, c.a); got != c.want {
			t.Errorf("%s, swapped: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestHeadingOf(t *testing.T) {
	c := &ent.Company{MoveInStatuses: statusset.DefaultMoveIn, MoveOutStatuses: statusset.DefaultMoveOut, TransferStatuses: statusset.DefaultTransfer}
	custom := &ent.Company{MoveInStatuses: []string{"Applicant", "Both"}, MoveOutStatuses: []string{"Past", "BOTH"}, TransferStatuses: []string{"Xfer"}}
	cases := []struct {
		name        string
		c           *ent.Company
		status      string
		transferred bool
		want        Heading
	}{
		{"move-in status", c, "Future", false, MovingIn},
		{"move-in status, other spacing", c, "  Scheduled   Move In ", false, MovingIn},
		{"move-out status", c, "On Notice", false, MovingOut},
		{"current", c, "Current", false, NotMoving},
		{"past, not in the default sets", c, "Past", false, NotMoving},
		{"transfer status alone", c, "Transfer", false, NotMoving},
		{"a lease a transfer left", c, "Transfer", true, MovingOut},
		{"a lease a transfer left, whatever its status", c, "Current", true, MovingOut},
		{"a future lease a transfer left", c, "Future", true, MovingOut},
		{"no status", c, "", false, NotMoving},
		{"the client's own words: in", custom, "applicant", false, MovingIn},
		{"the client's own words: out", custom, "PAST", false, MovingOut},
		{"a default word the client dropped", custom, "Future", false, NotMoving},
		{"in both sets", custom, "both", false, MovingOut},
	}
	for _, k := range cases {
		if got := HeadingOf(k.c, &ent.Lease{Status: k.status, Transferred: k.transferred}); got != k.want {
			t.Errorf("%s: HeadingOf(%q, transferred %v) = %v, want %v", k.name, k.status, k.transferred, got, k.want)
		}
	}
}
