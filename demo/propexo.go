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
)

// Integration is the demo client's Propexo integration id: its leases are
// the simulator's records under it.
const Integration = "demo-propexo"

// Syncer runs a sync of the client's leases to its end.
type Syncer func(ctx context.Context, clientID int) error

// FillPropexo puts the demo client's property-management records in the
// Propexo simulator: Leases leases under the demo properties' tags (as
// x_property_id), one to three residents each, and a transfer from every
// lease in "Transfer" status. A fixed seed: every demo serves the same data,
// so the README's example answers alike everywhere.
func FillPropexo(sim *propexotest.Sim) {
	rnd := rand.New(rand.NewPCG(2025, 11))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	var transfers []propexotest.TransferRecord
	for i := range Leases {
		id := fmt.Sprintf("L%05d", i+1)
		tag := fmt.Sprintf("PROP-%03d", rnd.IntN(6)+1)
		start := base.AddDate(0, rnd.IntN(30)-6, rnd.IntN(28))
		end := start.AddDate(1, 0, -1)
		status := demoStatuses[rnd.IntN(len(demoStatuses))]
		unit := fmt.Sprintf("%d%c", rnd.IntN(20)+1, 'A'+rune(rnd.IntN(6)))
		l := propexotest.LeaseRecord{ID: id, IntegrationID: Integration, PropertyID: "px-" + tag, XPropertyID: tag, UnitNumber: unit,
			Status: status, StatusRaw: status, StatusNormalized: normalized(status), StartDate: day(start), EndDate: day(end)}
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
