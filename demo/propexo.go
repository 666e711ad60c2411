package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/types"
)

// Integration is the demo client's Propexo integration id: its leases are
// the simulator's records under it.
const Integration = "demo-propexo"

// Syncer runs a sync of the client's leases to its end.
type Syncer func(ctx context.Context, clientID int) error

// FillPropexo puts the demo client's property-management records in the
// Propexo simulator: Leases leases under the demo properties' tags (as
// x_property_id), one to three residents each, and a transfer from every
// lease in "Transfer" status. Residents hold addresses as a PMS would
// (pmsAddresses), and leases a type and term, some naming a use. A fixed
// seed: every demo serves the same data, so the README's example answers
// alike everywhere.
func FillPropexo(sim *propexotest.Sim) {
	rnd := rand.New(rand.NewPCG(2025, 11))
	// Addresses and lease types draw from their own stream, so the leases
	// and residents above are the ones every earlier demo served.
	more := rand.New(rand.NewPCG(2025, 24))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	var transfers []propexotest.TransferRecord
	for i := range Leases {
		id := fmt.Sprintf("L%05d", i+1)
		prop := rnd.IntN(6) + 1
		tag := fmt.Sprintf("PROP-%03d", prop)
		start := base.AddDate(0, rnd.IntN(30)-6, rnd.IntN(28))
		end := start.AddDate(1, 0, -1)
		status := demoStatuses[rnd.IntN(len(demoStatuses))]
		unit := fmt.Sprintf("%d%c", rnd.IntN(20)+1, 'A'+rune(rnd.IntN(6)))
		l := propexotest.LeaseRecord{ID: id, IntegrationID: Integration, PropertyID: "px-" + tag, XPropertyID: tag, UnitNumber: unit,
			Status: status, StatusRaw: status, StatusNormalized: normalized(status), StartDate: day(start), EndDate: day(end)}
		l.Type, l.Term = leaseKind(more)
		building := propertyAddress(prop)
		if rnd.IntN(3) > 0 {
			l.MoveInDate = day(start.AddDate(0, 0, rnd.IntN(5)))
		}
		if rnd.IntN(2) == 0 {
			l.MoveOutDate = day(end.AddDate(0, 0, -rnd.IntN(10)))
		}
		for n := range 1 + rnd.IntN(3) {
			first, last := demoFirst[rnd.IntN(len(demoFirst))], demoLast[rnd.IntN(len(demoLast))]
			r := propexotest.ResidentRecord{ID: fmt.Sprintf("%s-T%d", id, n+1), IntegrationID: Integration, PropertyID: l.PropertyID,
				FirstName: first, LastName: last, LeaseIDs: []string{id},
				Email: fmt.Sprintf("%s.%s.%s@example.com", strings.ToLower(first), strings.ToLower(last), strings.ToLower(id)),
				Phone: fmt.Sprintf("+1555%07d", rnd.IntN(10000000))}
			r.Primary, r.Alternate = pmsAddresses(more, status, building, unit)
			l.ResidentIDs = append(l.ResidentIDs, r.ID)
			sim.PutResident(r)
		}
		sim.PutLease(l)
		if status == "Transfer" && i+1 < Leases {
			transfers = append(transfers, propexotest.TransferRecord{ID: "TR-" + id, IntegrationID: Integration, PropertyID: l.PropertyID,
				ResidentID: l.ResidentIDs[0], LeaseIDPrevious: id, LeaseIDNext: fmt.Sprintf("L%05d", i+2), EffectiveDate: day(end)})
		}
	}
	for _, t := range transfers {
		sim.PutTransfer(t)
	}
}

// pmsAddresses are a demo resident's primary and alternate addresses, as a
// PMS holds them for a lease of this status at this unit: one moving in
// still has the home it leaves as primary (now and then the PMS already
// gives the unit, or nothing); one moving out (or transferring, or gone)
// keeps the unit as primary with a forwarding address as the alternate,
// or has the new home as primary, or left none; a current resident has
// the unit, sometimes with a mailing address as the alternate. The unit is
// spelled the PMS's way, not as the property's address reads.
func pmsAddresses(rnd *rand.Rand, status string, property types.Address, unit string) (primary, alternate propexotest.ResidentAddress) {
	atUnit := func() propexotest.ResidentAddress {
		a := propexotest.ResidentAddress{City: property.City, State: property.State, Zip: property.Zip, Country: "United States"}
		switch rnd.IntN(4) {
		case 0:
			a.Address1, a.Address2 = property.Street, "Apt "+unit
		case 1:
			a.Address1 = strings.ToUpper(property.Street) + " #" + unit
		case 2:
			a.Address1, a.Address2 = property.Street, "Unit "+strings.ToLower(unit)
		default:
			a.Address1 = property.Street + " Apt " + unit
		}
		return a
	}
	// Primary addresses take "United States", alternate ones "US": the
	// values the extract's create-resident input names for each
	// (docs/partners/propexo.md#resident-addresses).
	elsewhere := func(country string) propexotest.ResidentAddress {
		p := demoPlaces[rnd.IntN(len(demoPlaces))]
		a := propexotest.ResidentAddress{Address1: demoHomes[rnd.IntN(len(demoHomes))], City: p.city, State: p.state, Zip: p.zip, Country: country}
		if rnd.IntN(5) < 2 {
			a.Address2 = demoApts[rnd.IntN(len(demoApts))]
		}
		return a
	}
	roll := rnd.IntN(100)
	switch status {
	case "Approved", "Future", "Pending", "Signed":
		switch {
		case roll < 75:
			primary = elsewhere("United States")
		case roll < 85:
			primary = atUnit()
		}
	case "Notice", "On Notice", "Vacating", "Ending", "Transfer", "Past":
		switch {
		case roll < 55:
			primary, alternate = atUnit(), elsewhere("US")
		case roll < 75:
			primary = elsewhere("United States")
		case roll < 95:
			primary = atUnit()
		}
	default:
		primary = atUnit()
		if roll < 15 {
			alternate = elsewhere("US")
		}
	}
	return primary, alternate
}

// leaseKind is a demo lease's type and term: mostly conventional, some
// corporate, student or military, which the sync takes as the use type.
func leaseKind(rnd *rand.Rand) (typ, term string) {
	switch roll := rnd.IntN(100); {
	case roll < 10:
		return "", ""
	case roll < 20:
		typ = "Corporate"
	case roll < 27:
		typ = "Student"
	case roll < 30:
		typ = "Military"
	default:
		typ = "Conventional"
	}
	return typ, []string{"12 Months", "12 Months", "12 Months", "6 Months", "Month to Month"}[rnd.IntN(5)]
}

var (
	demoHomes  = []string{"214 Maple Ave", "88 Harbor View Dr", "1520 Sunset Blvd", "47 Lincoln St", "903 Riverside Dr", "12 Orchard Ln", "3301 Oak Lawn Ave", "65 Bay St", "720 College Ave", "19 Highland Pl"}
	demoApts   = []string{"Apt 3", "#12B", "Unit 7", "Apt 2R"}
	demoPlaces = []struct{ city, state, zip string }{{"Portland", "OR", "97205"}, {"Chicago", "IL", "60614"}, {"Boston", "MA", "02116"},
		{"Phoenix", "AZ", "85004"}, {"Atlanta", "GA", "30303"}, {"Minneapolis", "MN", "55401"}, {"San Diego", "CA", "92101"}, {"Nashville", "TN", "37203"}}
)

// normalized is Propexo's status_normalized for a demo status
// (docs/partners/propexo.md#leases: ACTIVE, INACTIVE, OTHER, PENDING,
// EVICTED).
func normalized(status string) string {
	switch status {
	case "Approved", "Future", "Pending", "Signed":
		return "PENDING"
	case "Past":
		return "INACTIVE"
	case "Transfer":
		return "OTHER"
	}
	return "ACTIVE"
}

// simSync syncs from a simulator of its own, filled with the demo's
// records: Seed's syncer when the caller gives none (tests; demo mode
// with a real Propexo token, whose account has no demo records).
func simSync(db *ent.Client) Syncer {
	return func(ctx context.Context, clientID int) error {
		sim := propexotest.New(propexotest.Options{RateLimit: 1 << 20})
		defer sim.Close()
		FillPropexo(sim)
		px, err := propexo.New(propexo.Config{Token: "demo", BaseURL: "http://propexo.simulator", HTTPClient: &http.Client{Transport: sim.Transport()}})
		if err != nil {
			return err
		}
		return (&propexosync.Service{DB: db, Propexo: px}).Run(ctx, clientID)
	}
}
