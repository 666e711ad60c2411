package app_test

import (
	"net/http/httptest"
	"testing"

	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/dbtest"
)

// Demo mode's leases arrive through a lease sync from its Propexo
// simulator: by the time the server says it listens, all demo.Leases are
// there with source PROPEXO and their tenants, and the sync's run shows
// SUCCEEDED. A restart syncs again (the simulator's records live in
// memory) and duplicates nothing.
func TestDemoLeasesArriveThroughSync(t *testing.T) {
	dbtest.EachURL(t, func(t *testing.T, url string) {
		for start := range 2 {
			env := map[string]string{"DATABASE_URL": url, "LEASEGRAPH_DEMO": "1", "LEASEGRAPH_DEMO_TOKEN": "lg_fixed_demo_token_for_sync"}
			srv := apptest.Serve(t, env)
			e := &apptest.Env{T: t, Srv: &httptest.Server{URL: srv.URL}, Queries: &apptest.Queries{}}
			var out struct {
				All       struct{ TotalCount int }
				NotSynced struct{ TotalCount int }
				Leases    struct {
					Edges []struct {
						Node struct {
							Source      string
							UnitAddress *struct{ Street, Apt string }
							Property    struct{ Address *struct{ Street string } }
							Tenants     []struct{ Email string }
						}
					}
				}
				Clients struct {
					Edges []struct {
						Node struct {
							LeaseSyncJobs struct {
								Edges []struct{ Node struct{ Status string } }
							}
						}
					}
				}
			}
			e.MustGQL(env["LEASEGRAPH_DEMO_TOKEN"], `{
				all: leases { totalCount }
				notSynced: leases(where: {sourceNEQ: PROPEXO}) { totalCount }
				leases(first: 20) { edges { node { source unitAddress { street apt } property { address { street } } tenants { email } } } }
				clients { edges { node { leaseSyncJobs(first: 10) { edges { node { status } } } } } } }`, nil, &out)
			if err := srv.Stop(); err != nil {
				t.Fatal(err)
			}
			if out.All.TotalCount != demo.Leases || out.NotSynced.TotalCount != 0 {
				t.Fatalf("start %d: %d leases, %d not from Propexo; want %d, 0", start+1, out.All.TotalCount, out.NotSynced.TotalCount, demo.Leases)
			}
			for _, ed := range out.Leases.Edges {
				if ed.Node.Source != "PROPEXO" || len(ed.Node.Tenants) == 0 || ed.Node.Tenants[0].Email == "" {
					t.Fatalf("start %d: lease %+v: want source PROPEXO with tenants", start+1, ed.Node)
				}
				// Propexo names the unit by number: the address is the
				// property's with the unit as its apartment.
				if n := ed.Node; n.Property.Address == nil || n.UnitAddress == nil || n.UnitAddress.Street != n.Property.Address.Street || n.UnitAddress.Apt == "" {
					t.Fatalf("start %d: lease %+v: want the property's address with the unit number", start+1, n)
				}
			}
			// The periodic sync may have queued a run since: only the awaited
			// one is sure to have ended.
			succeeded := 0
			for _, j := range out.Clients.Edges[0].Node.LeaseSyncJobs.Edges {
				if j.Node.Status == "FAILED" {
					t.Fatalf("start %d: a lease sync run failed: %+v", start+1, out.Clients.Edges[0].Node.LeaseSyncJobs)
				}
				if j.Node.Status == "SUCCEEDED" {
					succeeded++
				}
			}
			if succeeded < start+1 {
				t.Fatalf("start %d: %d lease sync runs succeeded: %+v", start+1, succeeded, out.Clients.Edges[0].Node.LeaseSyncJobs)
			}
		}
	})
}
