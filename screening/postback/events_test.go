package postback_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// Postbacks that move an application's report status raise
// screening.status_changed, with the status it left, and
// screening.report_ready beside the move to READY; repeated, late and
// stale postbacks move nothing and raise nothing. The events carry no
// postback key, credentials or report URL.
func TestScreeningPostbacksRaiseEvents(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{PostbackCopies: 2}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")
		smID := *app.SmartmoveApplicationID
		if _, err := sm.Sim.Advance(smID); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		evs := e.Events(token, "")
		if len(evs) != 1 || evs[0].Type != "screening.status_changed" || evs[0].Str("previous_status") != "PENDING" ||
			evs[0].Str("status") != "IN_PROGRESS" || evs[0].ObjectID != app.ID || evs[0].ObjectType != "ScreeningApplication" {
			t.Fatalf("the first postback raised %s", apptest.JSON(evs))
		}

		if err := sm.Sim.CompleteApplicant(smID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		want := []string{"screening.status_changed", "screening.status_changed", "screening.report_ready"}
		if got := e.EventTypes(token); !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		evs = e.Events(token, "")
		ready, moved := evs[0], evs[1]
		if moved.Str("previous_status") != "IN_PROGRESS" || moved.Str("status") != "READY" || ready.Str("status") != "READY" ||
			ready.ObjectID != app.ID || ready.Version() <= moved.Version() {
			t.Fatalf("the move to READY: %s", apptest.JSON(evs[:2]))
		}

		// Final: a later Expired is stale, an applicant's word moves nothing.
		if err := sm.Sim.Expire(smID); err != nil {
			t.Fatal(err)
		}
		if err := sm.Sim.SetApplicantStatus(smID, "lisa@example.com", smartmovetest.RequestAccepted); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		if got := e.EventTypes(token); !slices.Equal(got, want) {
			t.Fatalf("stale postbacks raised: %v", got)
		}
		raw := apptest.JSON(e.Events(token, ""))
		for _, d := range sm.Sim.Deliveries() {
			key := d.URL[strings.LastIndex(d.URL, "/")+1:]
			if strings.Contains(raw, key) || strings.Contains(raw, "report_url") || strings.Contains(raw, "reportUrl") {
				t.Fatalf("an event holds the postback key or a report URL: %s", raw)
			}
		}
	})
}
