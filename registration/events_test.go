package registration_test

import (
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// Every registration written through registerProspect raises
// registration.completed with it, whatever its outcome; one rolled back
// with its operation raises nothing.
func TestRegisterProspectRaisesEvents(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.ArrangeRegistrationClient("Acme")
		register := func(in map[string]any) apptest.RegisterResult {
			var out apptest.RegisterResult
			e.MustGQL(token, apptest.RegisterMutation, map[string]any{"in": in}, &out)
			return out
		}
		for _, c := range []struct {
			in                 map[string]any
			status             string
			prospect, property bool
		}{
			{map[string]any{"propertyTag": "OPEN", "fullName": "Ana Lopez", "mobilePhone": "(512) 555-0134"}, "INVITED", true, true},
			{map[string]any{"propertyTag": "SOON", "mobilePhone": "512-555-0135"}, "PRELEASE", true, true},
			{map[string]any{"propertyTag": "OPEN", "mobilePhone": "+1 512 555 0199"}, "BANNED", false, true},
			{map[string]any{"propertyTag": "NOPE", "mobilePhone": "512-555-0137"}, "INCOMPLETE", false, false},
		} {
			reg := register(c.in).RegisterProspect.Registration
			evs := e.Events(token, "")
			if len(evs) == 0 {
				t.Fatalf("%s raised no event", c.status)
			}
			ev := evs[0]
			d := ev.Payload.Data
			if ev.Type != "registration.completed" || ev.ObjectType != "Registration" || ev.ObjectID != reg.ID || d["status"] != c.status ||
				d["channel"] != "GRAPHQL" || d["property_tag"] != c.in["propertyTag"] || d["message"] == "" ||
				(d["prospect_id"] != nil) != c.prospect || (d["property_id"] != nil) != c.property {
				t.Fatalf("%s: %s", c.status, apptest.JSON(ev))
			}
		}
		if n := len(e.Events(token, "registration.completed")); n != 4 {
			t.Fatalf("%d registration.completed for 4 registrations", n)
		}

		r := e.GQL(token, `mutation($in: RegisterProspectInput!) {
			registerProspect(input: $in) { status }
			createProperty(input: {tag: ""}) { id } }`, map[string]any{"in": map[string]any{"propertyTag": "OPEN", "mobilePhone": "512-555-0150"}})
		if len(r.Errors) == 0 {
			t.Fatal("the operation did not fail")
		}
		if n := len(e.Events(token, "registration.completed")); n != 4 {
			t.Fatalf("a registration rolled back with its operation raised an event: %d", n)
		}
	})
}
