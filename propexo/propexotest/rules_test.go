package propexotest

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

type ruleCase struct {
	name   string
	body   string
	issues []Issue // nil: accepted
}

func bad(code, field, msg string) []Issue { return []Issue{issue(code, field, msg)} }

const (
	tooLong40 = "String must contain at most 40 character(s)"
	atLeast1  = "Number must be greater than or equal to 1"
)

// sharedCases are the rules both specs share, given the required field.
func sharedCases(req string) []ruleCase {
	s := func(n int) string { return `"` + strings.Repeat("a", n) + `"` }
	f := func(field, value string) string { return `{` + req + `,"` + field + `":` + value + `}` }
	return []ruleCase{
		{"address_1 at 40", f("address_1", s(40)), nil},
		{"address_1 at 41", f("address_1", s(41)), bad("too_big", "address_1", tooLong40)},
		{"address_1 counts characters not bytes", f("address_1", `"`+strings.Repeat("é", 40)+`"`), nil},
		{"address_2 at 40", f("address_2", s(40)), nil},
		{"address_2 at 41", f("address_2", s(41)), bad("too_big", "address_2", tooLong40)},
		{"city at 30", f("city", s(30)), nil},
		{"city at 31", f("city", s(31)), bad("too_big", "city", "String must contain at most 30 character(s)")},
		{"state at 4", f("state", s(4)), nil},
		{"state at 5", f("state", s(5)), bad("too_big", "state", "String must contain at most 4 character(s)")},
		{"zip at 12", f("zip", s(12)), nil},
		{"zip at 13", f("zip", s(13)), bad("too_big", "zip", "String must contain at most 12 character(s)")},
		{"country at 2", f("country", s(2)), nil},
		{"country at 3", f("country", s(3)), bad("too_big", "country", "String must contain at most 2 character(s)")},
		{"rent_minimum 1", f("rent_minimum_in_cents", "1"), nil},
		{"rent_minimum 0", f("rent_minimum_in_cents", "0"), bad("too_small", "rent_minimum_in_cents", atLeast1)},
		{"rent_minimum negative", f("rent_minimum_in_cents", "-500"), bad("too_small", "rent_minimum_in_cents", atLeast1)},
		{"rent_minimum fraction", f("rent_minimum_in_cents", "1.5"), bad("invalid_type", "rent_minimum_in_cents", "Expected integer")},
		{"rent_minimum string", f("rent_minimum_in_cents", `"100"`), bad("invalid_type", "rent_minimum_in_cents", "Expected integer")},
		{"rent_maximum 1", f("rent_maximum_in_cents", "1"), nil},
		{"rent_maximum 0", f("rent_maximum_in_cents", "0"), bad("too_small", "rent_maximum_in_cents", atLeast1)},
		{"lease_term 1", f("lease_term_in_months", "1"), nil},
		{"lease_term 0", f("lease_term_in_months", "0"), bad("too_small", "lease_term_in_months", atLeast1)},
		{"subscribe false", f("subscribe", "false"), nil},
		{"subscribe string", f("subscribe", `"yes"`), bad("invalid_type", "subscribe", "Expected boolean")},
		{"bedrooms list", f("desired_num_bedrooms", "[2,3]"), nil},
		{"bedrooms strings", f("desired_num_bedrooms", `["2"]`), bad("invalid_type", "desired_num_bedrooms", "Expected array of integers")},
		{"pets list", f("pets", `["dog","cat"]`), nil},
		{"pets scalar", f("pets", `"dog"`), bad("invalid_type", "pets", "Expected array of strings")},
		{"occupants", f("number_of_occupants", "3"), nil},
		{"occupants string", f("number_of_occupants", `"3"`), bad("invalid_type", "number_of_occupants", "Expected integer")},
		{"email number", f("email_1", "5"), bad("invalid_type", "email_1", "Expected string")},
		{"null is absent", f("city", "null"), nil},
		{"every issue reported in order", `{` + req + `,"zip":` + s(13) + `,"city":` + s(31) + `}`, []Issue{
			issue("too_big", "city", "String must contain at most 30 character(s)"),
			issue("too_big", "zip", "String must contain at most 12 character(s)"),
		}},
		{"not an object", `[]`, []Issue{{Code: "invalid_type", Path: []any{}, Message: "Expected object"}}},
		{"not JSON", `{`, []Issue{{Code: "invalid_type", Path: []any{}, Message: "Expected object"}}},
	}
}

func TestCreateFieldRules(t *testing.T) {
	cases := append(sharedCases(`"integration_id":"int_1"`),
		ruleCase{"integration_id missing", `{}`, bad("invalid_type", "integration_id", "Required")},
		ruleCase{"integration_id null", `{"integration_id":null}`, bad("invalid_type", "integration_id", "Required")},
		ruleCase{"integration_id empty", `{"integration_id":""}`, bad("too_small", "integration_id", "String must contain at least 1 character(s)")},
		ruleCase{"integration_id blank", `{"integration_id":"  "}`, bad("too_small", "integration_id", "String must contain at least 1 character(s)")},
		ruleCase{"integration_id number", `{"integration_id":7}`, bad("invalid_type", "integration_id", "Expected string")},
		ruleCase{"lease_term 18", `{"integration_id":"i","lease_term_in_months":18}`, nil},
		ruleCase{"lease_term 19", `{"integration_id":"i","lease_term_in_months":19}`, bad("too_big", "lease_term_in_months", "Number must be less than or equal to 18")},
		ruleCase{"create-only fields", `{"integration_id":"i","community_id":"c","attribution_id":"a","first_contact_type":"web","middle_name":"Q"}`, nil},
		ruleCase{"lease_id is update-only", `{"integration_id":"i","lease_id":"l","zz":1}`, []Issue{
			{Code: "unrecognized_keys", Path: []any{}, Message: "Unrecognized key(s) in object: 'lease_id', 'zz'"},
		}},
	)
	runRules(t, cases, "POST", "/crm/v1/prospects/", "")
}

func TestUpdateFieldRules(t *testing.T) {
	cases := append(sharedCases(`"lease_id":"lease_1"`),
		ruleCase{"lease_id missing", `{"notes":"x"}`, bad("invalid_type", "lease_id", "Required")},
		ruleCase{"lease_id empty", `{"lease_id":""}`, bad("too_small", "lease_id", "String must contain at least 1 character(s)")},
		ruleCase{"lease_term 19 has no maximum", `{"lease_id":"l","lease_term_in_months":19}`, nil},
		ruleCase{"lease_term 240", `{"lease_id":"l","lease_term_in_months":240}`, nil},
		ruleCase{"create-only fields rejected", `{"lease_id":"l","integration_id":"i","community_id":"c","attribution_id":"a","first_contact_type":"web","middle_name":"Q"}`, []Issue{
			{Code: "unrecognized_keys", Path: []any{}, Message: "Unrecognized key(s) in object: 'attribution_id', 'community_id', 'first_contact_type', 'integration_id', 'middle_name'"},
		}},
	)
	runRules(t, cases, "PUT", "/crm/v1/prospects/", "prospect_seeded")
}

func runRules(t *testing.T, cases []ruleCase, method, path, seed string) {
	sim, srv := start(t, Options{RateLimit: 1000})
	if seed != "" {
		sim.SeedProspect(Prospect{ID: seed, IntegrationID: "int_1"})
		path += seed
	}
	accepted := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, srv, method, path, tc.body)
			if tc.issues == nil {
				if r.status != http.StatusOK {
					t.Fatalf("status %d, want 200: %s", r.status, r.raw)
				}
				accepted++
				return
			}
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.raw)
			}
			e := r.errorBody(t)
			if e.Error.Code != "VALIDATION_ERROR" {
				t.Errorf("code %q", e.Error.Code)
			}
			if !reflect.DeepEqual(e.Error.Details.Details.Issues, tc.issues) {
				t.Errorf("issues\n got %#v\nwant %#v", e.Error.Details.Details.Issues, tc.issues)
			}
		})
	}
	// A rejected write writes nothing: only accepted ones made jobs.
	if got := len(sim.Jobs()); got != accepted {
		t.Errorf("jobs %d, want %d (accepted cases)", got, accepted)
	}
}
