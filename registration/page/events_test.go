package page_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// A registration through the page raises registration.completed (channel
// IFRAME) with the row it writes: an invitation, and an attempt recorded
// incomplete for a bad parameter. Neither carries the agent's token.
func TestRegistrationPageRaisesEvents(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := apptest.RegFixture(t, e, "Acme", "https://crm.example.com")
		q := url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "full_name": {"Jordan Miles"}, "mobile_phone": {"(512) 555-0134"}}
		if p := apptest.GetRegPage(t, e.Srv.URL, q); p.Status != "invited" {
			t.Fatalf("the page shows %q", p.Status)
		}
		evs := e.Events(token, "")
		if len(evs) != 1 || evs[0].Type != "registration.completed" || evs[0].Str("status") != "INVITED" || evs[0].Str("channel") != "IFRAME" ||
			evs[0].Str("prospect_id") == "" || evs[0].ObjectType != "Registration" {
			t.Fatalf("the invitation raised %s", apptest.JSON(evs))
		}

		q.Set("require_cc", "maybe")
		if p := apptest.GetRegPage(t, e.Srv.URL, q); p.Status != "incomplete" {
			t.Fatalf("the page shows %q", p.Status)
		}
		evs = e.Events(token, "")
		if len(evs) != 2 || evs[0].Str("status") != "INCOMPLETE" || evs[0].Str("channel") != "IFRAME" ||
			!strings.Contains(evs[0].Str("message"), "require_cc") || evs[0].ObjectID == evs[1].ObjectID {
			t.Fatalf("the incomplete attempt raised %s", apptest.JSON(evs))
		}
		if strings.Contains(apptest.JSON(evs), token) {
			t.Fatal("an event holds the agent's token")
		}
	})
}
