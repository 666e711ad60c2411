package propexosync_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/viewer"
)

// Leases synced from Propexo answer /leases and leases(moving:): the
// first sync stores them with their tenants, a lease deleted at Propexo is
// no longer served after the next full sync, and the client sees the
// sync's state in the graph.
func TestLeaseSyncServesLeases(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		apptest.LeaseSync(t, e).StartupSynced(t)
		sim := apptest.LeaseSync(t, e).Sim
		_, token := e.PropexoClient("acme")
		put := func(id, status, moveIn, moveOut, first string) {
			sim.PutLease(propexotest.LeaseRecord{ID: id, IntegrationID: "int-acme", PropertyID: "prop-1", XPropertyID: "PMS-P1",
				Status: status, StatusRaw: status, StatusNormalized: "ACTIVE", StartDate: "2025-01-01", EndDate: "2025-12-31",
				MoveInDate: moveIn, MoveOutDate: moveOut, ResidentIDs: []string{"r-" + id}})
			sim.PutResident(propexotest.ResidentRecord{ID: "r-" + id, IntegrationID: "int-acme", PropertyID: "prop-1",
				FirstName: first, LastName: "Doe", Email: first + "@example.com", LeaseIDs: []string{id}})
		}
		put("L1", "Future", "2025-07-01", "", "ann")
		put("L2", "Notice", "", "2025-07-10", "bob")
		put("L3", "Future", "2025-07-20", "", "cyd")
		// A lease of another integration is not this client's.
		sim.PutLease(propexotest.LeaseRecord{ID: "X1", IntegrationID: "int-other", PropertyID: "p", Status: "Future", StartDate: "2025-07-01"})

		st := e.SyncLeases(token)
		if st.LeasesSynced != 3 || st.TenantsSynced != 3 || st.Full || st.LastError != "" {
			t.Fatalf("first sync state %+v", st)
		}
		names := func(query string) []string {
			var out []string
			for _, l := range e.LeasesPage(token, query).Data {
				for _, tn := range l["tenants"].([]any) {
					out = append(out, tn.(map[string]any)["first_name"].(string))
				}
			}
			slices.Sort(out)
			return out
		}
		if got := names(""); !slices.Equal(got, []string{"ann", "bob", "cyd"}) {
			t.Fatalf("/leases tenants %v", got)
		}
		moving := func() []string {
			var out struct {
				Leases struct {
					Edges []struct {
						Node struct {
							Status  string
							Tenants []struct{ FirstName string }
						}
					}
				}
			}
			e.MustGQL(token, `{ leases(first: 10, moving: {kinds: [MOVE_IN], from: "2025-07-01", to: "2025-07-31"}) { edges { node { status tenants { firstName } } } } }`, nil, &out)
			var got []string
			for _, ed := range out.Leases.Edges {
				got = append(got, ed.Node.Tenants[0].FirstName)
			}
			slices.Sort(got)
			return got
		}
		if got := moving(); !slices.Equal(got, []string{"ann", "cyd"}) {
			t.Fatalf("moving in during July: %v", got)
		}

		sim.RemoveLease("L3")
		apptest.LeaseSync(t, e).Svc.FullEvery = time.Nanosecond // the next sync is full
		st = e.SyncLeases(token)
		if st.LeasesRemoved != 1 {
			t.Fatalf("full sync state %+v", st)
		}
		if got := names(""); !slices.Equal(got, []string{"ann", "bob"}) {
			t.Fatalf("/leases after L3 was deleted at Propexo: %v", got)
		}
		if got := moving(); !slices.Equal(got, []string{"ann"}) {
			t.Fatalf("moving in after L3 was deleted at Propexo: %v", got)
		}
	})
}

// syncLeasesNow needs the write scope and a client with a Propexo
// integration id, and says so.
func TestSyncLeasesNowRefusals(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		id, _ := e.PropexoClient("acme")
		read := e.Token(id, viewer.ScopeRead)
		r := e.GQL(read, `mutation { syncLeasesNow { queued } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
			t.Fatalf("read token: %+v", r.Errors)
		}
		_, other := e.PropexoClient("other")
		r = e.GQL(other, `mutation($c: ID) { syncLeasesNow(clientId: $c) { queued } }`, map[string]any{"c": id})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Fatalf("another client's token: %+v", r.Errors)
		}
		_, plain := e.NewClient("no-integration")
		r = e.GQL(plain, `mutation { syncLeasesNow { queued } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("client without integration: %+v", r.Errors)
		}
		var out struct {
			Clients struct {
				Edges []struct {
					Node struct{ LeaseSync *apptest.LeaseSyncState }
				}
			}
		}
		e.MustGQL(plain, apptest.LeaseSyncQuery, nil, &out)
		if out.Clients.Edges[0].Node.LeaseSync != nil {
			t.Fatalf("a client never synced has state %+v", out.Clients.Edges[0].Node.LeaseSync)
		}
	})
}

// A Propexo webhook naming a lease, signed with the client's secret and
// sent to the client's route, makes a job re-fetch it (202 at once); a
// redelivery of the same event fetches nothing more; a forged signature is
// refused (401) and changes nothing.
func TestPropexoWebhook(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		sim := apptest.LeaseSync(t, e).Sim
		id, token := e.PropexoClient("acme")
		lease := propexotest.LeaseRecord{ID: "L1", IntegrationID: "int-acme", PropertyID: "prop-1", XPropertyID: "PMS-P1",
			Status: "Future", StatusRaw: "Future", StartDate: "2025-01-01", ResidentIDs: []string{"r1"}}
		sim.PutLease(lease)
		e.SyncLeases(token)
		status := func() string {
			p := e.LeasesPage(token, "")
			if len(p.Data) != 1 {
				t.Fatalf("/leases: %d leases", len(p.Data))
			}
			return p.Data[0]["status"].(string)
		}
		url := e.Srv.URL + "/webhooks/propexo/" + strconv.Itoa(id)
		secret := propexosync.WebhookSecret([]byte(apptest.WebhookSecret), id)
		ev := propexotest.Webhook{EventID: "evt-1", Trigger: "DATA_UPDATE", Model: "leases", IntegrationID: "int-acme", RecordID: "L1"}

		lease.Status, lease.StatusRaw = "Notice", "Notice"
		sim.PutLease(lease)
		if code, err := sim.SendWebhook(t.Context(), url, "not-the-secret-at-all", ev); err != nil || code != 401 {
			t.Fatalf("forged signature: %d %v", code, err)
		}
		refreshJobs := func() int {
			var n int
			if err := apptest.LeaseSync(t, e).DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'refresh_propexo_record'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := refreshJobs(); n != 0 || status() != "Future" {
			t.Fatalf("after a forged webhook: %d re-fetch jobs", n)
		}

		if code, err := sim.SendWebhook(t.Context(), url, secret, ev); err != nil || code != 202 {
			t.Fatalf("signed webhook: %d %v", code, err)
		}
		for deadline := time.Now().Add(10 * time.Second); status() != "Notice"; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the webhook's lease was never re-fetched")
			}
		}
		if code, err := sim.SendWebhook(t.Context(), url, secret, ev); err != nil || code != 202 {
			t.Fatalf("redelivery: %d %v", code, err)
		}
		if n, gets := refreshJobs(), sim.LeaseGets(); n != 1 || gets != 1 {
			t.Fatalf("one event delivered twice: %d re-fetch jobs, %d lease reads; want 1", n, gets)
		}
	})
}

// A property's name and showing mode are the client's: a lease sync that
// files leases under the property (matched by Propexo's x_property_id as
// the property's tag) attaches them to it and changes neither (issue 14).
func TestLeaseSyncKeepsPropertyMode(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		sim := apptest.LeaseSync(t, e).Sim
		_, token := e.PropexoClient("acme")
		var created struct{ CreateProperty apptest.GQLProperty }
		e.MustGQL(token, apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "PMS-P1", "name": "Elm Court"}}, &created)
		var updated struct{ UpdateProperty apptest.GQLProperty }
		e.MustGQL(token, apptest.UpdatePropertyMutation, map[string]any{"id": created.CreateProperty.ID,
			"in": map[string]any{"showingMode": "PRELEASE"}}, &updated)
		if updated.UpdateProperty.ShowingMode != "PRELEASE" {
			t.Fatalf("updated %+v", updated.UpdateProperty)
		}

		sim.PutLease(propexotest.LeaseRecord{ID: "L1", IntegrationID: "int-acme", PropertyID: "prop-1", XPropertyID: "PMS-P1",
			Status: "Future", StatusRaw: "Future", StatusNormalized: "ACTIVE", StartDate: "2025-01-01", EndDate: "2025-12-31",
			MoveInDate: "2025-07-01", ResidentIDs: []string{"r-L1"}})
		sim.PutResident(propexotest.ResidentRecord{ID: "r-L1", IntegrationID: "int-acme", PropertyID: "prop-1",
			FirstName: "ann", LastName: "Doe", Email: "ann@example.com", LeaseIDs: []string{"L1"}})
		if st := e.SyncLeases(token); st.LeasesSynced != 1 || st.LastError != "" {
			t.Fatalf("sync state %+v", st)
		}

		var out struct {
			Leases struct {
				Edges []struct {
					Node struct{ Property apptest.GQLProperty }
				}
			}
		}
		e.MustGQL(token, `{ leases(first: 10) { edges { node { property { `+apptest.PropertyFields+` } } } } }`, nil, &out)
		if len(out.Leases.Edges) != 1 {
			t.Fatalf("leases after the sync: %+v", out)
		}
		p := out.Leases.Edges[0].Node.Property
		if p.ID != created.CreateProperty.ID || p.Tag != "PMS-P1" || p.Name != "Elm Court" || p.ShowingMode != "PRELEASE" {
			t.Fatalf("the synced lease's property is %+v, want %s with its name and mode unchanged", p, created.CreateProperty.ID)
		}
	})
}
