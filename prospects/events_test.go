package prospects_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// A prospect delivery's end raises its event with the write that ends it:
// prospect.delivered (with the prospect's Propexo id), then
// prospect.delivery_partial naming the fields Propexo did not write, then
// prospect.delivery_failed for Propexo's job failing and for a write it
// refused. Sending and retrying raise nothing; a retry that succeeds
// raises prospect.delivered for the same delivery, a later version.
func TestProspectDeliveryRaisesEvents(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{RateLimit: 1000, RateWindow: time.Second}, false), func(t *testing.T, e *apptest.Env) {
		sim := apptest.Propexo(t, e).Sim
		_, token := e.PropexoClient("P")
		create := func(in map[string]any) apptest.CreatedProspect {
			var out apptest.CreatedProspect
			e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": in}, &out)
			return out
		}

		good := create(map[string]any{"firstName": "Good"})
		first, err := strconv.Atoi(good.CreateProspect.IntegrationJobs.Edges[0].Node.ID)
		if err != nil {
			t.Fatal(err)
		}
		completeWhenSent(t, e, sim, first, propexotest.Success)
		e.WaitJobs(1, 20*time.Second)
		var linked struct {
			Node struct{ PropexoProspectID string }
		}
		e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on Prospect { propexoProspectID } } }`, map[string]any{"id": good.CreateProspect.ID}, &linked)
		evs := e.Events(token, "")
		if len(evs) != 1 {
			t.Fatalf("a delivery raised %v", e.EventTypes(token))
		}
		ev := evs[0]
		d := ev.Payload.Data
		if ev.Type != "prospect.delivered" || ev.ObjectType != "IntegrationJob" || ev.ObjectID != apptest.Itoa(first) ||
			d["kind"] != "PROPEXO_CREATE_PROSPECT" || d["status"] != "SUCCEEDED" || d["attempts"] != 1.0 || d["prospect_id"] != good.CreateProspect.ID ||
			linked.Node.PropexoProspectID == "" || d["propexo_prospect_id"] != linked.Node.PropexoProspectID || ev.Str("partner_job_id") == "" ||
			len(d["failed_fields"].([]any)) != 0 {
			t.Fatalf("prospect.delivered: %s", apptest.JSON(ev))
		}

		create(map[string]any{"firstName": "Partly", "city": "Austin"})
		completeWhenSent(t, e, sim, first+1, propexotest.PartialSuccess, "city: RentCafe refused the city")
		e.WaitJobs(2, 20*time.Second)
		if p := e.Events(token, "")[0]; p.Type != "prospect.delivery_partial" || p.ObjectID != apptest.Itoa(first+1) ||
			!slices.Equal(p.Payload.Data["failed_fields"].([]any), []any{"city"}) || p.Str("status") != "PARTIAL" {
			t.Fatalf("prospect.delivery_partial: %s", apptest.JSON(p))
		}

		create(map[string]any{"firstName": "Doomed"})
		completeWhenSent(t, e, sim, first+2, propexotest.Failure, "unit not found")
		e.WaitJobs(3, 20*time.Second)
		doomed := e.Events(token, "")[0]
		if doomed.Type != "prospect.delivery_failed" || doomed.ObjectID != apptest.Itoa(first+2) || !strings.Contains(doomed.Str("last_error"), "unit not found") {
			t.Fatalf("prospect.delivery_failed: %s", apptest.JSON(doomed))
		}

		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: 400})
		create(map[string]any{"firstName": "Rejected"})
		e.WaitJobs(4, 20*time.Second)
		if r := e.Events(token, "")[0]; r.Type != "prospect.delivery_failed" || r.ObjectID != apptest.Itoa(first+3) || r.Str("status") != "FAILED" {
			t.Fatalf("a refused write: %s", apptest.JSON(r))
		}

		// Retried: QUEUED and SENT raise nothing; its success does.
		e.MustGQL(token, `mutation($id: ID!) { retryIntegrationJob(id: $id) { status } }`, map[string]any{"id": apptest.Itoa(first + 2)}, nil)
		completeWhenSent(t, e, sim, first+2, propexotest.Success)
		e.WaitJobs(4, 20*time.Second)
		again := e.Events(token, "")[0]
		if again.Type != "prospect.delivered" || again.ObjectID != doomed.ObjectID || again.Version() <= doomed.Version() {
			t.Fatalf("the retried delivery's event: %s", apptest.JSON(again))
		}
		want := []string{"prospect.delivered", "prospect.delivery_partial", "prospect.delivery_failed", "prospect.delivery_failed", "prospect.delivered"}
		if got := e.EventTypes(token); !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}
