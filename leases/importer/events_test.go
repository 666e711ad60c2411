package importer_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// A committed import raises one lease_import.completed, with its counts
// and its span, never an event per lease; a dry run, a feed with a bad
// row, and an import refused beside another mutation raise nothing.
func TestImportRaisesOneEvent(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		ideal := readTestdata(t, "ideal.json")

		var out apptest.ImportResult
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": ideal, "dry": true}, &out)
		if evs := e.Events(token, ""); len(evs) != 0 {
			t.Fatalf("a dry run raised %v", e.EventTypes(token))
		}

		// importLeases commits on its own (@standalone): beside another
		// field it is refused, and nothing runs.
		r := e.GQL(token, `mutation($d: String!) {
			importLeases(format: JSON, data: $d, dryRun: false) { applied }
			createProperty(input: {tag: ""}) { id } }`, map[string]any{"d": ideal})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("importLeases beside another field: %+v", r.Errors)
		}
		if evs := e.Events(token, ""); len(evs) != 0 {
			t.Fatalf("an import rolled back with its operation raised %v", e.EventTypes(token))
		}

		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": ideal, "dry": false}, &out)
		rep := out.ImportLeases
		evs := e.Events(token, "")
		if len(evs) != 1 {
			t.Fatalf("an import raised %v: want one lease_import.completed", e.EventTypes(token))
		}
		ev := evs[0]
		d := ev.Payload.Data
		if ev.Type != "lease_import.completed" || ev.ObjectType != "Client" || ev.ObjectID != strconv.Itoa(a) || d["client_id"] != strconv.Itoa(a) ||
			d["leases"] != float64(rep.Leases) || d["leases_created"] != float64(rep.LeasesCreated) || d["leases_unchanged"] != 0.0 ||
			d["tenants_created"] != float64(rep.TenantsCreated) || d["properties_created"] != float64(rep.PropertiesCreated) ||
			rep.LeasesCreated == 0 || rep.TenantsCreated == 0 {
			t.Fatalf("the import's event: %s\nits report: %+v", apptest.JSON(ev), rep)
		}
		started, _ := time.Parse(time.RFC3339Nano, ev.Str("started_at"))
		finished, _ := time.Parse(time.RFC3339Nano, ev.Str("finished_at"))
		if started.IsZero() || finished.Before(started) {
			t.Fatalf("the import ran from %q to %q", ev.Str("started_at"), ev.Str("finished_at"))
		}
		// Its leases are those updated within its span.
		var written struct{ Leases struct{ TotalCount int } }
		e.MustGQL(token, `query($t: Time) { leases(where: {updatedAtGTE: $t}) { totalCount } }`, map[string]any{"t": ev.Str("started_at")}, &written)
		if written.Leases.TotalCount != rep.LeasesCreated {
			t.Fatalf("%d leases updated since the import's started_at, want %d", written.Leases.TotalCount, rep.LeasesCreated)
		}

		// Re-imported: it committed (nothing changed), so it says so.
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": ideal, "dry": false}, &out)
		if d := e.Events(token, "")[0].Payload.Data; d["leases_unchanged"] != float64(rep.LeasesCreated) || d["leases_created"] != 0.0 {
			t.Fatalf("the re-import's event: %v", d)
		}

		bad := `[{"id": "B1", "property_id": "P", "status": "approved", "lease_start_date": "2025-01-01"},
			{"id": "B2", "property_id": "P", "status": "approved", "lease_start_date": "someday"}]`
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": bad, "dry": false}, &out)
		if out.ImportLeases.Applied {
			t.Fatal("the bad feed was applied")
		}
		if got := e.EventTypes(token); !slices.Equal(got, []string{"lease_import.completed", "lease_import.completed"}) {
			t.Fatalf("events %v: want one per committed import", got)
		}
	})
}
