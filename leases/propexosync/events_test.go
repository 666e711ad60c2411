package propexosync_test

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/jobs"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// leaseSim puts leases and residents of the client "acme" at the
// simulator, under the property PMS-P1.
type leaseSim struct{ sim *propexotest.Sim }

func (s leaseSim) lease(id, status string, residents ...string) propexotest.LeaseRecord {
	l := propexotest.LeaseRecord{ID: id, IntegrationID: "int-acme", PropertyID: "prop-1", XPropertyID: "PMS-P1", UnitNumber: "U-" + id,
		Status: status, StatusRaw: status, StatusNormalized: "ACTIVE", StartDate: "2025-01-01", EndDate: "2025-12-31",
		MoveInDate: "2025-07-01", ResidentIDs: residents}
	s.sim.PutLease(l)
	return l
}

func (s leaseSim) resident(id, first, last, lease string) propexotest.ResidentRecord {
	r := propexotest.ResidentRecord{ID: id, IntegrationID: "int-acme", PropertyID: "prop-1", FirstName: first, LastName: last,
		Email: first + "@example.com", Phone: "+12125550100", LeaseIDs: []string{lease}}
	s.sim.PutResident(r)
	return r
}

// leaseIDs maps the source's lease ids to ours, as /leases shows them.
func leaseIDs(e *apptest.Env, token string) map[string]string {
	e.T.Helper()
	out := map[string]string{}
	for _, l := range e.LeasesPage(token, "").Data {
		// The simulator's PMS id is "x-" and its own.
		out[strings.TrimPrefix(l["source_id"].(string), "x-")] = l["id"].(string)
	}
	return out
}

// asLeases is an event's data as /leases would show the lease: without
// the event's own fields.
func asLeases(ev apptest.GQLEvent) map[string]any {
	d := maps.Clone(ev.Payload.Data)
	for _, k := range []string{"version", "transferred", "removed_at"} {
		delete(d, k)
	}
	return d
}

// newestRun is the client's newest lease sync run's id.
func newestRun(e *apptest.Env, token string) string {
	e.T.Helper()
	var out struct {
		Clients struct {
			Edges []struct {
				Node struct {
					LeaseSyncJobs struct {
						Edges []struct{ Node struct{ ID string } }
					}
				}
			}
		}
	}
	e.MustGQL(token, `{ clients { edges { node { leaseSyncJobs(first: 1) { edges { node { id } } } } } } }`, nil, &out)
	return out.Clients.Edges[0].Node.LeaseSyncJobs.Edges[0].Node.ID
}

// A client's leases raise events as the sync changes them, read in the
// graph: its first sync none but its run's (lease_sync.succeeded, first,
// with the counts); an incremental sync that re-reads unchanged leases
// none but its run's; a lease or a tenant changed at Propexo one
// lease.updated of the lease, as /leases shows it, its version growing; a
// new lease lease.created; a lease transfer lease.updated of the lease
// left; a lease a full sync no longer finds lease.removed.
func TestLeaseSyncRaisesEvents(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		set := apptest.LeaseSync(t, e)
		set.StartupSynced(t)
		px := leaseSim{set.Sim}
		_, token := e.PropexoClient("acme")
		e.MustGQL(token, apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "PMS-P1", "name": "Elm Court",
			"address": map[string]any{"street": "1 Elm St", "city": "Springfield", "state": "IL", "zip": "62701"}}}, nil)
		l1 := px.lease("L1", "Future", "r1", "r2")
		r1 := px.resident("r1", "ann", "Doe", "L1")
		r2 := px.resident("r2", "bob", "Doe", "L1")
		px.lease("L2", "Current", "r3")
		px.resident("r3", "cyd", "Roe", "L2")

		e.SyncLeases(token)
		evs := e.Events(token, "")
		if len(evs) != 1 || evs[0].Type != "lease_sync.succeeded" {
			t.Fatalf("the first sync raised %v: want its run's lease_sync.succeeded alone", e.EventTypes(token))
		}
		run := evs[0]
		d := run.Payload.Data
		if run.ObjectType != "IntegrationJob" || run.ObjectID != newestRun(e, token) || d["id"] != run.ObjectID ||
			d["first"] != true || d["full"] != true || d["status"] != "SUCCEEDED" || d["kind"] != "LEASE_SYNC" ||
			d["leases_synced"] != 2.0 || d["tenants_synced"] != 3.0 || d["leases_removed"] != 0.0 || d["records_skipped"] != 0.0 ||
			d["attempts"] != 1.0 || d["last_error"] != "" || run.Version() == 0 {
			t.Fatalf("the first sync's event: %s", apptest.JSON(run))
		}
		started, _ := time.Parse(time.RFC3339Nano, run.Str("started_at"))
		finished, _ := time.Parse(time.RFC3339Nano, run.Str("finished_at"))
		if started.IsZero() || finished.Before(started) {
			t.Fatalf("the first sync ran from %q to %q", run.Str("started_at"), run.Str("finished_at"))
		}
		// What the first sync wrote is what its start bounds.
		var written struct{ Leases struct{ TotalCount int } }
		e.MustGQL(token, `query($t: Time) { leases(where: {updatedAtGTE: $t}) { totalCount } }`, map[string]any{"t": run.Str("started_at")}, &written)
		if written.Leases.TotalCount != 2 {
			t.Fatalf("%d leases updated since the first sync's started_at, want 2", written.Leases.TotalCount)
		}

		// Incremental: both leases are read again (the overlap), unchanged.
		e.SyncLeases(token)
		if got := e.EventTypes(token); !slices.Equal(got, []string{"lease_sync.succeeded", "lease_sync.succeeded"}) {
			t.Fatalf("an incremental sync of unchanged leases raised %v", got)
		}
		if d := e.Events(token, "")[0].Payload.Data; d["first"] != false || d["full"] != false {
			t.Fatalf("the second run's event: %v", d)
		}

		ids := leaseIDs(e, token)
		lastUpdate := func(source string) apptest.GQLEvent {
			t.Helper()
			upd := e.Events(token, "lease.updated")
			if len(upd) == 0 || upd[0].ObjectID != ids[source] || upd[0].ObjectType != "Lease" {
				t.Fatalf("the newest lease.updated is not %s's (%s): %s", source, ids[source], apptest.JSON(upd))
			}
			return upd[0]
		}
		asShown := func(ev apptest.GQLEvent) map[string]any {
			t.Helper()
			for _, l := range e.LeasesPage(token, "").Data {
				if l["id"] == ev.ObjectID {
					if got := asLeases(ev); !reflect.DeepEqual(got, l) {
						t.Fatalf("%s's data is not the lease as /leases shows it:\n%s\n/leases:\n%s", ev.Type, apptest.JSON(got), apptest.JSON(l))
					}
					return l
				}
			}
			t.Fatalf("%s: lease %s is not on /leases", ev.Type, ev.ObjectID)
			return nil
		}

		// The lease and one of its tenants change: an event for each commit
		// that changed it (the leases' page, the residents').
		l1.Status, l1.StatusRaw = "Notice", "Notice"
		set.Sim.PutLease(l1)
		r1.LastName = "Smith"
		set.Sim.PutResident(r1)
		e.SyncLeases(token)
		first := lastUpdate("L1")
		shown := asShown(first)
		tenants := shown["tenants"].([]any)
		if shown["status"] != "Notice" || len(tenants) != 2 || tenants[0].(map[string]any)["last_name"] != "Smith" ||
			shown["unit_address"].(map[string]any)["apt"] != "U-L1" || shown["unit_address"].(map[string]any)["street"] != "1 Elm St" ||
			first.Payload.Data["transferred"] != false {
			t.Fatalf("L1 after the change: %s", apptest.JSON(first))
		}

		// A tenant alone changes: the lease is updated, its version grows.
		r2.Email = "bob@new.example.com"
		set.Sim.PutResident(r2)
		e.SyncLeases(token)
		second := lastUpdate("L1")
		if t2 := asShown(second)["tenants"].([]any)[1].(map[string]any); t2["email"] != "bob@new.example.com" || t2["previous_address"] != nil {
			t.Fatalf("L1's second tenant: %v", t2)
		}
		if second.Version() <= first.Version() {
			t.Fatalf("versions %d then %d: want growing", first.Version(), second.Version())
		}

		// A new lease is created; its tenants come with the residents' page.
		px.lease("L3", "Future", "r4")
		px.resident("r4", "dee", "Poe", "L3")
		e.SyncLeases(token)
		ids = leaseIDs(e, token)
		created := e.Events(token, "lease.created")
		if len(created) != 1 || created[0].ObjectID != ids["L3"] || created[0].Str("source_id") != "x-L3" || created[0].Str("status") != "Future" {
			t.Fatalf("lease.created: %s", apptest.JSON(created))
		}
		asShown(lastUpdate("L3"))

		// A transfer out of L2: L2 is updated, a transfer moving out then.
		set.Sim.PutTransfer(propexotest.TransferRecord{ID: "T1", IntegrationID: "int-acme", PropertyID: "prop-1", ResidentID: "r3",
			LeaseIDPrevious: "L2", LeaseIDNext: "L3", EffectiveDate: "2025-08-15"})
		e.SyncLeases(token)
		moved := lastUpdate("L2")
		if asShown(moved)["move_out_date"] != "2025-08-15" || moved.Payload.Data["transferred"] != true {
			t.Fatalf("L2 after its transfer: %s", apptest.JSON(moved))
		}

		// Gone at Propexo: the next full sync removes it.
		set.Sim.RemoveLease("L2")
		set.Svc.FullEvery = time.Nanosecond
		e.SyncLeases(token)
		removed := e.Events(token, "lease.removed")
		if len(removed) != 1 || removed[0].ObjectID != ids["L2"] || removed[0].Str("removed_at") == "" || removed[0].Str("move_out_date") != "2025-08-15" ||
			len(removed[0].Payload.Data["tenants"].([]any)) != 1 {
			t.Fatalf("lease.removed: %s", apptest.JSON(removed))
		}
		if d := e.Events(token, "lease_sync.succeeded")[0].Payload.Data; d["full"] != true || d["first"] != false || d["leases_removed"] != 1.0 {
			t.Fatalf("the full sync's event: %v", d)
		}

		// Every event, in order: none for what did not change.
		want := []string{"lease_sync.succeeded", "lease_sync.succeeded",
			"lease.updated", "lease.updated", "lease_sync.succeeded", // L1, then its tenant
			"lease.updated", "lease_sync.succeeded", // L1's other tenant
			"lease.created", "lease.updated", "lease_sync.succeeded", // L3, then its tenant
			"lease.updated", "lease_sync.succeeded", // L2's transfer
			"lease.removed", "lease_sync.succeeded"} // L2 gone
		if got := e.EventTypes(token); !slices.Equal(got, want) {
			t.Fatalf("events %v\nwant %v", got, want)
		}
		_, other := e.NewClient("other")
		if evs := e.Events(other, ""); len(evs) != 0 {
			t.Fatalf("another client reads %d events", len(evs))
		}
	})
}

// A Propexo webhook's re-read raises the lease's event in its own
// transaction: lease.updated when it changed the lease, lease.created
// (with its tenants: the re-read writes them together) for a new one, and
// nothing for a re-read that changed nothing.
func TestPropexoWebhookRaisesLeaseEvents(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		set := apptest.LeaseSync(t, e)
		set.StartupSynced(t)
		px := leaseSim{set.Sim}
		id, token := e.PropexoClient("acme")
		l1 := px.lease("L1", "Future", "r1")
		px.resident("r1", "ann", "Doe", "L1")
		e.SyncLeases(token)

		url := e.Srv.URL + "/webhooks/propexo/" + strconv.Itoa(id)
		secret := propexosync.WebhookSecret([]byte(apptest.WebhookSecret), id)
		send := func(eventID, trigger, recordID string) {
			t.Helper()
			ev := propexotest.Webhook{EventID: eventID, Trigger: trigger, Model: "leases", IntegrationID: "int-acme", RecordID: recordID}
			if code, err := set.Sim.SendWebhook(t.Context(), url, secret, ev); err != nil || code != 202 {
				t.Fatalf("webhook %s: %d %v", eventID, code, err)
			}
		}
		refreshed := func(n int) {
			t.Helper()
			apptest.Until(t, "the webhook's record was never re-read", func() bool {
				var done int
				_ = set.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'refresh_propexo_record' AND state = 'completed'`).Scan(&done)
				return done == n
			})
		}

		// Unchanged at Propexo: the re-read raises nothing.
		send("evt-0", "DATA_UPDATE", "L1")
		refreshed(1)
		if got := e.EventTypes(token); !slices.Equal(got, []string{"lease_sync.succeeded"}) {
			t.Fatalf("a re-read of an unchanged lease raised %v", got)
		}

		l1.EndDate = "2026-06-30"
		set.Sim.PutLease(l1)
		send("evt-1", "DATA_UPDATE", "L1")
		refreshed(2)
		upd := e.Events(token, "lease.updated")
		if len(upd) != 1 || upd[0].Str("lease_end_date") != "2026-06-30" || upd[0].Str("source_id") != "x-L1" {
			t.Fatalf("lease.updated after the webhook: %s", apptest.JSON(upd))
		}

		px.lease("L2", "Future", "r2")
		px.resident("r2", "bob", "Roe", "L2")
		send("evt-2", "DATA_NEW", "L2")
		refreshed(3)
		created := e.Events(token, "lease.created")
		if len(created) != 1 || created[0].Str("source_id") != "x-L2" {
			t.Fatalf("lease.created after the webhook: %s", apptest.JSON(created))
		}
		if ts := created[0].Payload.Data["tenants"].([]any); len(ts) != 1 || ts[0].(map[string]any)["first_name"] != "bob" {
			t.Fatalf("the new lease's tenants: %v", ts)
		}
		if got := e.EventTypes(token); !slices.Equal(got, []string{"lease_sync.succeeded", "lease.updated", "lease.created"}) {
			t.Fatalf("events %v", got)
		}
	})
}

// A run whose attempts run out raises lease_sync.failed with its error, in
// the transaction that ends it FAILED.
func TestLeaseSyncFailureRaisesEvent(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSync(), func(t *testing.T, e *apptest.Env) {
		set := apptest.LeaseSync(t, e)
		set.StartupSynced(t)
		px := leaseSim{set.Sim}
		id, token := e.PropexoClient("acme")
		px.lease("L1", "Future")
		e.SyncLeases(token)

		set.Sim.FailNext(1000, propexotest.Fault{Kind: propexotest.FaultError, Status: 500})
		// River completes the last sync's job a moment after its run
		// ended: until then this one would join it.
		apptest.Until(t, "the failing sync was never queued", func() bool {
			res, err := e.App.Queue.River.Insert(context.Background(), jobs.SyncLeasesArgs{ClientID: id}, &river.InsertOpts{MaxAttempts: 2})
			if err != nil {
				t.Fatal(err)
			}
			return !res.UniqueSkippedAsDuplicate
		})
		var failed []apptest.GQLEvent
		apptest.Until(t, "no lease_sync.failed", func() bool {
			failed = e.Events(token, "lease_sync.failed")
			return len(failed) > 0
		})
		f := failed[0]
		d := f.Payload.Data
		if len(failed) != 1 || f.ObjectType != "IntegrationJob" || f.ObjectID != newestRun(e, token) || d["status"] != "FAILED" ||
			d["attempts"] != 2.0 || !strings.Contains(f.Str("last_error"), "gave up after 2 attempts") || d["first"] != false || d["full"] != false {
			t.Fatalf("lease_sync.failed: %s", apptest.JSON(failed))
		}
		if got := e.EventTypes(token); !slices.Equal(got, []string{"lease_sync.succeeded", "lease_sync.failed"}) {
			t.Fatalf("events %v", got)
		}
	})
}
