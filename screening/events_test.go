package screening_test

import (
	"slices"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// A refresh that moves an application's status raises
// screening.status_changed (and screening.report_ready when READY) with
// the applicants as the refresh left them; the postbacks that then arrive
// late move nothing and raise nothing; a cancellation raises
// status_changed to CANCELLED alone.
func TestScreeningRefreshAndCancelRaiseEvents(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")
		if evs := e.Events(token, ""); len(evs) != 0 {
			t.Fatalf("an order raised %v", e.EventTypes(token))
		}
		sm.Sim.HoldPostbacks()
		if err := sm.Sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		if got := mustAct(e, token, "refreshScreeningApplication", "r1", app.ID, ""); got.Status != "READY" {
			t.Fatalf("after the refresh: %+v", got)
		}
		evs := e.Events(token, "")
		if len(evs) != 2 || evs[0].Type != "screening.report_ready" || evs[1].Type != "screening.status_changed" {
			t.Fatalf("the refresh raised %v", e.EventTypes(token))
		}
		for _, ev := range evs {
			d := ev.Payload.Data
			aps, _ := d["applicants"].([]any)
			if ev.ObjectType != "ScreeningApplication" || ev.ObjectID != app.ID || d["status"] != "READY" || d["previous_status"] != "PENDING" ||
				d["order_status"] != "ORDERED" || d["kind"] != "EMBEDDED" || d["smartmove_application_id"] != float64(*app.SmartmoveApplicationID) ||
				d["credit_recommendation"] != "ACCEPT" || len(aps) != 1 ||
				aps[0].(map[string]any)["email"] != "lisa@example.com" || aps[0].(map[string]any)["status"] != "REPORTS_AVAILABLE" {
				t.Fatalf("%s: %s", ev.Type, apptest.JSON(ev))
			}
		}
		sm.Sim.ReleasePostbacks()
		sm.Flush(t)
		if got := e.EventTypes(token); len(got) != 2 {
			t.Fatalf("late postbacks raised %v", got)
		}

		other := e.CreateEmbedded(token, "k2", true, "bart@example.com")
		mustAct(e, token, "cancelScreeningApplication", "c1", other.ID, "")
		c := e.Events(token, "")[0]
		if c.Type != "screening.status_changed" || c.ObjectID != other.ID || c.Str("status") != "CANCELLED" || c.Str("previous_status") != "PENDING" {
			t.Fatalf("the cancellation's event: %s", apptest.JSON(c))
		}
		want := []string{"screening.status_changed", "screening.report_ready", "screening.status_changed"}
		if got := e.EventTypes(token); !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}
