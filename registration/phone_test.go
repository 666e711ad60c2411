package registration_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/internal/apptest"
)

// One phone rule (types/phone) on every route that takes a number: the
// same spelling is accepted, as the same E.164 number, or refused by
// createProspect, registerProspect and addBan alike. Before, registration
// and bans refused the well-formed but unassigned 555-212-4567 that the
// importer accepted, and createProspect stored "n/a" as written.
func TestPhoneRuleIsOne(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		for i, c := range []struct {
			in, want string // want "": refused
		}{
			{"(512) 555-0134", "+15125550134"},
			{"555-212-4567", "+15552124567"},
			{"+44 20 7946 0958", "+442079460958"},
			{"n/a", ""},
			{"555-1234", ""},
			{"000-000-0000", ""},
		} {
			_, token := e.ArrangeRegistrationClient("Client" + string(rune('A'+i)))

			r := e.GQL(token, `mutation($in: CreateProspectInput!) { createProspect(input: $in) { phone1 } }`,
				map[string]any{"in": map[string]any{"firstName": "Ada", "phone1": c.in}})
			var created struct{ CreateProspect struct{ Phone1 string } }
			if c.want == "" {
				if len(r.Errors) != 1 || r.Errors[0].Code() != apperr.CodeBadInput || !slices.Equal(r.Errors[0].Extensions["field"].([]any), []any{"input", "phone1"}) {
					t.Fatalf("createProspect %q: %+v, want BAD_USER_INPUT at input.phone1", c.in, r.Errors)
				}
			} else if err := json.Unmarshal(r.Data, &created); err != nil || len(r.Errors) > 0 || created.CreateProspect.Phone1 != c.want {
				t.Fatalf("createProspect %q: %s %+v, want %s", c.in, r.Data, r.Errors, c.want)
			}

			var reg apptest.RegisterResult
			e.MustGQL(token, apptest.RegisterMutation, map[string]any{"in": map[string]any{"propertyTag": "OPEN", "mobilePhone": c.in}}, &reg)
			got := reg.RegisterProspect
			if c.want == "" {
				if got.Status != "incomplete" || got.Message != "The mobile phone number is not valid: enter a 10-digit US number, or + and the country code." {
					t.Fatalf("registerProspect %q: %+v", c.in, got)
				}
			} else if got.Status != "invited" || got.Registration.Prospect == nil || got.Registration.Prospect.Phone1 != c.want {
				t.Fatalf("registerProspect %q: %+v, want invited as %s", c.in, got, c.want)
			}

			r = e.GQL(token, `mutation($in: AddBanInput!) { addBan(input: $in) { phone } }`, map[string]any{"in": map[string]any{"phone": c.in}})
			var ban struct{ AddBan struct{ Phone string } }
			if c.want == "" {
				if len(r.Errors) != 1 || r.Errors[0].Code() != apperr.CodeBadInput {
					t.Fatalf("addBan %q: %+v, want BAD_USER_INPUT", c.in, r.Errors)
				}
			} else if err := json.Unmarshal(r.Data, &ban); err != nil || len(r.Errors) > 0 || ban.AddBan.Phone != c.want {
				t.Fatalf("addBan %q: %s %+v, want %s", c.in, r.Data, r.Errors, c.want)
			}
		}
	})
}
