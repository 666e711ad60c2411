package propexosync_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/types"
)

// addrSim puts the leases and residents of the client "acme" at the
// simulator, at the property PMS-P1 ("1 Elm St", Springfield IL 62701).
type addrSim struct{ sim *propexotest.Sim }

// lease puts lease id, unit unit, with one resident, r-<id>: a move-in on
// 2025-07-01 or a move-out on 2025-08-31, by its status.
func (s addrSim) lease(id, status, unit string) propexotest.LeaseRecord {
	l := propexotest.LeaseRecord{ID: id, IntegrationID: "int-acme", PropertyID: "prop-1", XPropertyID: "PMS-P1", UnitNumber: unit,
		Status: status, StatusRaw: status, StatusNormalized: "ACTIVE", StartDate: "2025-01-01", EndDate: "2025-12-31",
		ResidentIDs: []string{"r-" + id}}
	switch status {
	case "Future":
		l.StartDate, l.MoveInDate = "2025-07-01", "2025-07-01"
	case "Notice", "Vacating", "On Notice", "Transfer":
		l.MoveOutDate = "2025-08-31"
	}
	s.sim.PutLease(l)
	return l
}

func (s addrSim) resident(lease string, primary, alternate propexotest.ResidentAddress) propexotest.ResidentRecord {
	r := propexotest.ResidentRecord{ID: "r-" + lease, IntegrationID: "int-acme", PropertyID: "prop-1", FirstName: "T-" + lease, LastName: "Doe",
		Email: lease + "@example.com", LeaseIDs: []string{lease}, Primary: primary, Alternate: alternate}
	s.sim.PutResident(r)
	return r
}

// The addresses the residents hold, as a PMS would: the home a new
// resident leaves, forwarding addresses, the unit itself spelled the PMS's
// way.
var (
	homeNY = propexotest.ResidentAddress{Address1: "28 W 22nd Street", Address2: "2G", City: "New York", State: "NY", Zip: "10010", Country: "United States"}
	homeTX = propexotest.ResidentAddress{Address1: "500 Grand Ave", City: "Austin", State: "TX", Zip: "78701", Country: "United States"}
	awayCO = propexotest.ResidentAddress{Address1: "9 Market Street", Address2: "Unit 3", City: "Denver", State: "CO", Zip: "80202", Country: "US"}
	awayWA = propexotest.ResidentAddress{Address1: "77 Pine St", City: "Seattle", State: "WA", Zip: "98101", Country: "US"}
	none   = propexotest.ResidentAddress{}
)

// at is the property's address with the unit, spelled as a PMS might.
func at(line1, line2 string) propexotest.ResidentAddress {
	return propexotest.ResidentAddress{Address1: line1, Address2: line2, City: "SPRINGFIELD", State: "il", Zip: "62701-4410", Country: "United States"}
}

func addr(a propexotest.ResidentAddress) *types.Address {
	return &types.Address{Street: a.Address1, Apt: a.Address2, City: a.City, State: a.State, Zip: a.Zip}
}

// movingQuery is the moving filter with every tenant's addresses.
const movingQuery = `query($m: LeaseMovingFilter) { leases(first: 50, moving: $m) { edges { node {
	sourceID useType tenants { firstName
		previousAddress { street apt city state zip } forwardingAddress { street apt city state zip } } } } } }`

// movers runs movingQuery: each lease's one tenant's addresses, by the
// simulator's lease id.
func movers(e *apptest.Env, token string, m map[string]any) map[string][2]*types.Address {
	e.T.Helper()
	var out struct {
		Leases struct {
			Edges []struct {
				Node struct {
					SourceID string `json:"sourceID"`
					UseType  string
					Tenants  []struct {
						FirstName                          string
						PreviousAddress, ForwardingAddress *types.Address
					}
				}
			}
		}
	}
	e.MustGQL(token, movingQuery, map[string]any{"m": m}, &out)
	got := map[string][2]*types.Address{}
	for _, ed := range out.Leases.Edges {
		n := ed.Node
		if len(n.Tenants) != 1 {
			e.T.Fatalf("%s has %d tenants, want 1", n.SourceID, len(n.Tenants))
		}
		got[n.SourceID[len("x-"):]] = [2]*types.Address{n.Tenants[0].PreviousAddress, n.Tenants[0].ForwardingAddress}
	}
	return got
}

// restAddresses reads /leases?query: each lease's one tenant's addresses
// as the REST route nests them, by the simulator's lease id.
func restAddresses(e *apptest.Env, token, query string) map[string][2]*types.Address {
	e.T.Helper()
	got := map[string][2]*types.Address{}
	for _, l := range e.LeasesPage(token, query).Data {
		ts := l["tenants"].([]any)
		if len(ts) != 1 {
			e.T.Fatalf("%s has %d tenants, want 1", l["source_id"], len(ts))
		}
		t := ts[0].(map[string]any)
		got[l["source_id"].(string)[len("x-"):]] = [2]*types.Address{restAddr(e.T, t["previous_address"]), restAddr(e.T, t["forwarding_address"])}
	}
	return got
}

func restAddr(t testing.TB, v any) *types.Address {
	t.Helper()
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("an address that is not an object: %v", v)
	}
	s := func(k string) string { x, _ := m[k].(string); return x }
	return &types.Address{Street: s("street"), Apt: s("apt"), City: s("city"), State: s("state"), Zip: s("zip")}
}

// expect fails unless got holds exactly want, lease by lease.
func expect(t *testing.T, what string, got, want map[string][2]*types.Address) {
	t.Helper()
	show := func(a *types.Address) string {
		if a == nil {
			return "null"
		}
		return fmt.Sprintf("%+v", *a)
	}
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("%s: %s is missing", what, id)
		case !sameAddr(g[0], w[0]) || !sameAddr(g[1], w[1]):
			t.Errorf("%s: %s previous %s forwarding %s; want previous %s forwarding %s", what, id, show(g[0]), show(g[1]), show(w[0]), show(w[1]))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: %s is not expected there", what, id)
		}
	}
}

func sameAddr(a, b *types.Address) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

var (
	moveIns  = apptest.Window("2025-07-01", "2025-07-31", "MOVE_IN")
	moveOuts = apptest.Window("2025-08-01", "2025-08-31", "MOVE_OUT", "TRANSFER")
)

// After a sync from the simulator, the moving filter and /leases show each
// tenant's previous and forwarding addresses by our rule: a resident moving
// in from elsewhere comes from its primary address; one moving out goes to
// its alternate address, or else to a primary address that is not the unit;
// one moving out, or current, whose primary address is the unit (however
// the PMS spells it) has neither; a lease a transfer left moves out. A
// second sync that moves or clears a resident's addresses moves or clears
// them on the tenant and raises lease.updated of the lease, and only where
// what /leases shows changed.
func TestLeaseSyncMapsResidentAddresses(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		set := apptest.LeaseSync(t, e)
		set.StartupSynced(t)
		px := addrSim{set.Sim}
		_, token := e.PropexoClient("acme")
		e.MustGQL(token, apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "PMS-P1", "name": "Elm Court",
			"address": map[string]any{"street": "1 Elm St", "city": "Springfield", "state": "IL", "zip": "62701"}}}, nil)

		px.lease("IN", "Future", "1A")
		px.resident("IN", homeNY, none)
		px.lease("OUT-ALT", "Notice", "2B")
		px.resident("OUT-ALT", at("1 ELM STREET", "Apt 2b"), awayCO)
		px.lease("OUT-PRIMARY", "Vacating", "3C")
		px.resident("OUT-PRIMARY", homeTX, none)
		px.lease("OUT-AT-UNIT", "On Notice", "4D")
		px.resident("OUT-AT-UNIT", at("1 elm  st. #4-d", ""), none)
		px.lease("CURRENT", "Current", "5E")
		px.resident("CURRENT", at("1 Elm Street Unit 5E", ""), none)
		px.lease("LEFT", "Transfer", "6F")
		px.resident("LEFT", at("1 Elm St", "6F"), awayWA)
		px.lease("NEXT", "Pending Transfer", "7G") // in neither window
		set.Sim.PutTransfer(propexotest.TransferRecord{ID: "T1", IntegrationID: "int-acme", PropertyID: "prop-1", ResidentID: "r-LEFT",
			LeaseIDPrevious: "LEFT", LeaseIDNext: "NEXT", EffectiveDate: "2025-08-31"})
		e.SyncLeases(token)

		in := map[string][2]*types.Address{"IN": {addr(homeNY), nil}}
		expect(t, "leases(moving: MOVE_IN)", movers(e, token, moveIns), in)
		expect(t, "/leases?move=[in]", restAddresses(e, token, "move=[in]&from=2025-07-01&to=2025-07-31"), in)
		out := map[string][2]*types.Address{
			"OUT-ALT":     {nil, addr(awayCO)},
			"OUT-PRIMARY": {nil, addr(homeTX)},
			"OUT-AT-UNIT": {nil, nil},
			"LEFT":        {nil, addr(awayWA)}, // read before its transfer was
		}
		expect(t, "leases(moving: MOVE_OUT, TRANSFER)", movers(e, token, moveOuts), out)
		expect(t, "/leases?move=[out,transfer]", restAddresses(e, token, "move=[out,transfer]&from=2025-08-01&to=2025-08-31"), out)
		if got := restAddresses(e, token, "status=current"); !sameAddr(got["CURRENT"][0], nil) || !sameAddr(got["CURRENT"][1], nil) || len(got) != 1 {
			t.Errorf("the current resident at the unit: %+v", got)
		}

		// The PMS records a new home for the one moving in, forgets the
		// forwarding address of another, learns one for a third, and
		// gives the current resident (not shown) an alternate address.
		px.resident("IN", homeTX, none)
		px.resident("OUT-ALT", at("1 ELM STREET", "Apt 2b"), none)
		px.resident("OUT-PRIMARY", homeTX, awayWA)
		px.resident("CURRENT", at("1 Elm Street Unit 5E", ""), awayCO)
		e.SyncLeases(token)

		expect(t, "leases(moving: MOVE_IN) after the change", movers(e, token, moveIns), map[string][2]*types.Address{"IN": {addr(homeTX), nil}})
		out["OUT-ALT"] = [2]*types.Address{nil, nil}
		out["OUT-PRIMARY"] = [2]*types.Address{nil, addr(awayWA)}
		expect(t, "/leases?move=[out,transfer] after the change", restAddresses(e, token, "move=[out,transfer]&from=2025-08-01&to=2025-08-31"), out)
		if got := restAddresses(e, token, "status=current"); got["CURRENT"][1] != nil {
			t.Errorf("a current resident's alternate address is shown as forwarding: %+v", got["CURRENT"][1])
		}

		ids := leaseIDs(e, token)
		var updated []string
		for _, ev := range e.Events(token, "lease.updated") {
			updated = append(updated, ev.ObjectID)
			if ev.ObjectID == ids["IN"] {
				prev := ev.Payload.Data["tenants"].([]any)[0].(map[string]any)["previous_address"]
				if a := restAddr(t, prev); !sameAddr(a, addr(homeTX)) {
					t.Errorf("IN's lease.updated carries previous address %+v", a)
				}
			}
		}
		apptest.SameSet(t, "leases updated by the second sync", updated, ids["IN"], ids["OUT-ALT"], ids["OUT-PRIMARY"])
	})
}

// A lease that turns (its status moves from current to notice) while its
// resident does not change at Propexo gets the forwarding address the
// resident's alternate address gives, though an incremental sync does not
// read the resident again; and turning back clears it.
func TestLeaseSyncDerivesAddressesAgainWhenTheLeaseTurns(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		set := apptest.LeaseSync(t, e)
		set.StartupSynced(t)
		// Read again only what changed since the last pass: the
		// simulator's clock is real, and the default overlap would read
		// every resident of this test again.
		set.Svc.Overlap = time.Nanosecond
		px := addrSim{set.Sim}
		_, token := e.PropexoClient("acme")
		e.MustGQL(token, apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "PMS-P1", "name": "Elm Court",
			"address": map[string]any{"street": "1 Elm St", "city": "Springfield", "state": "IL", "zip": "62701"}}}, nil)
		// The turning lease's resident is the oldest: an incremental pass
		// reads newest first and stops at what the last pass saw.
		turning := px.lease("TURNING", "Current", "9A")
		px.resident("TURNING", at("1 Elm St", "9A"), awayWA)
		for _, id := range []string{"A", "B", "C", "D"} {
			px.lease(id, "Current", id)
			px.resident(id, at("1 Elm St", id), none)
		}
		e.SyncLeases(token)
		if got := restAddresses(e, token, "status=current")["TURNING"]; got[0] != nil || got[1] != nil {
			t.Fatalf("the current resident has addresses: %+v", got)
		}
		reads := set.Sim.ListRequests()

		turning.Status, turning.StatusRaw, turning.MoveOutDate = "Notice", "Notice", "2025-08-31"
		set.Sim.PutLease(turning)
		e.SyncLeases(token)
		expect(t, "leases(moving: MOVE_OUT) after the lease turned", movers(e, token, moveOuts), map[string][2]*types.Address{"TURNING": {nil, addr(awayWA)}})
		// Leases: the changed one and the newest it had seen (equal to the
		// mark, so read again), then one below it; residents the same;
		// one empty page of transfers. None of it is TURNING's resident,
		// the oldest of five.
		if n := set.Sim.ListRequests() - reads; n > 5 {
			t.Errorf("the incremental sync made %d list requests: it read more than the changes", n)
		}

		turning.Status, turning.StatusRaw, turning.MoveOutDate = "Current", "Current", ""
		set.Sim.PutLease(turning)
		e.SyncLeases(token)
		if got := restAddresses(e, token, "status=current")["TURNING"]; got[1] != nil {
			t.Errorf("back to current, the tenant still has forwarding address %+v", got[1])
		}
		if got := e.EventTypes(token); !slices.Equal(got, []string{"lease_sync.succeeded", "lease.updated", "lease_sync.succeeded", "lease.updated", "lease_sync.succeeded"}) {
			t.Errorf("events %v", got)
		}
	})
}

// Tenants synced before the sync read addresses get theirs at the next
// full sync, which reads every resident again; an incremental one reads
// only what changed at Propexo.
func TestLeaseSyncFillsAddressesOfExistingTenantsAtTheNextFullSync(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		set := apptest.LeaseSync(t, e)
		set.StartupSynced(t)
		set.Svc.Overlap = time.Nanosecond
		px := addrSim{set.Sim}
		id, token := e.PropexoClient("acme")
		e.MustGQL(token, apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "PMS-P1", "name": "Elm Court",
			"address": map[string]any{"street": "1 Elm St", "city": "Springfield", "state": "IL", "zip": "62701"}}}, nil)
		px.lease("IN", "Future", "1A")
		px.resident("IN", homeNY, none)
		px.lease("OUT", "Notice", "2B")
		px.resident("OUT", at("1 Elm St", "2B"), awayCO)
		// Newer residents: an incremental pass stops at them, never
		// reaching IN's and OUT's.
		for _, id := range []string{"A", "B", "C"} {
			px.lease(id, "Current", id)
			px.resident(id, at("1 Elm St", id), none)
		}
		e.SyncLeases(token)
		// As a sync that read no addresses left them.
		if _, err := set.DB.ExecContext(t.Context(), fmt.Sprintf(`UPDATE tenants SET previous_address = NULL, forwarding_address = NULL,
			propexo_primary_address = NULL, propexo_alternate_address = NULL WHERE client_id = %d`, id)); err != nil {
			t.Fatal(err)
		}
		blank := map[string][2]*types.Address{"IN": {nil, nil}, "OUT": {nil, nil}, "A": {nil, nil}, "B": {nil, nil}, "C": {nil, nil}}
		expect(t, "/leases before", restAddresses(e, token, ""), blank)

		e.SyncLeases(token)
		expect(t, "/leases after an incremental sync", restAddresses(e, token, ""), blank)

		set.Svc.FullEvery = time.Nanosecond
		e.SyncLeases(token)
		blank["IN"], blank["OUT"] = [2]*types.Address{addr(homeNY), nil}, [2]*types.Address{nil, addr(awayCO)}
		expect(t, "/leases after a full sync", restAddresses(e, token, ""), blank)
	})
}

// A lease's type or term that names a use is its use_type; the other
// stays in extra as sent. A resident without email_1 has its email_2.
func TestLeaseSyncUseTypeAndEmail(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		set := apptest.LeaseSync(t, e)
		set.StartupSynced(t)
		px := addrSim{set.Sim}
		_, token := e.PropexoClient("acme")
		corp := px.lease("CORP", "Future", "1A")
		corp.Type, corp.Term = "Conventional", "Corporate 3 Months"
		set.Sim.PutLease(corp)
		plain := px.lease("PLAIN", "Future", "2B")
		plain.Type, plain.Term = "Renewal", "12 Months"
		set.Sim.PutLease(plain)
		set.Sim.PutResident(propexotest.ResidentRecord{ID: "r-CORP", IntegrationID: "int-acme", PropertyID: "prop-1", FirstName: "Cy",
			Email2: "cy@work.example", LeaseIDs: []string{"CORP"}})
		e.SyncLeases(token)
		byID := map[string]map[string]any{}
		for _, l := range e.LeasesPage(token, "").Data {
			byID[l["source_id"].(string)] = l
		}
		if l := byID["x-CORP"]; l["use_type"] != "Corporate 3 Months" || l["type"] != "Conventional" || l["term"] != "Corporate 3 Months" {
			t.Errorf("CORP: use_type %v, type %v, term %v", l["use_type"], l["type"], l["term"])
		}
		if ts := byID["x-CORP"]["tenants"].([]any); len(ts) != 1 || ts[0].(map[string]any)["email"] != "cy@work.example" {
			t.Errorf("CORP's tenants: %v", ts)
		}
		if l := byID["x-PLAIN"]; l["use_type"] != "" || l["type"] != "Renewal" || l["term"] != "12 Months" {
			t.Errorf("PLAIN: use_type %q, type %v, term %v", l["use_type"], l["type"], l["term"])
		}
		var out struct {
			Leases struct {
				Edges []struct{ Node apptest.LeaseNode }
			}
		}
		e.MustGQL(token, `{ leases(where: {useType: "Corporate 3 Months"}) { edges { node { sourceID useType } } } }`, nil, &out)
		if len(out.Leases.Edges) != 1 || out.Leases.Edges[0].Node.SourceID != "x-CORP" {
			t.Errorf("leases with that use type: %+v", out.Leases.Edges)
		}
	})
}
