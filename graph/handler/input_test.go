package handler_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/leases/rest"
	"github.com/leasegraph/leasegraph/registration/page"
)

// Hostile strings on every route, on both databases: a NUL byte or invalid
// UTF-8 (which PostgreSQL refuses in text), and values far past any limit.
// Each is refused with a 4xx or BAD_USER_INPUT naming the input, never a
// 5xx, and nothing is written. The routes beside /graphql (/leases, the
// registration page, the SmartMove postback) are here too: the checks are
// one rule of the app's, asserted route by route in one place. A feed given
// to the CLI is server/'s (cli_input_test.go), beside the command it runs.

const (
	nul        = "a\x00b"
	badUTF8    = "a\xff\xfeb"
	nulLiteral = `a\u0000b` // the same NUL, as a GraphQL or JSON escape
)

// wantBadInput checks a GraphQL answer: one BAD_USER_INPUT naming field.
func wantBadInput(t *testing.T, name string, r apptest.GQLResponse, field ...string) {
	t.Helper()
	if r.Status >= 500 || len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("%s: HTTP %d, errors %+v: want one BAD_USER_INPUT", name, r.Status, r.Errors)
		return
	}
	got, _ := json.Marshal(r.Errors[0].Extensions["field"])
	want, _ := json.Marshal(field)
	if string(got) != string(want) {
		t.Errorf("%s: extensions.field %s, want %s (%s)", name, got, want, r.Errors[0].Message)
	}
}

func TestInputGraphQLStrings(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Acme")
		written := func() int {
			t.Helper()
			n, err := e.Client.Prospect.Query().Count(e.Sys())
			if err != nil {
				t.Fatal(err)
			}
			m, _ := e.Client.Lease.Query().Count(e.Sys())
			return n + m
		}
		const createProspect = `mutation($in: CreateProspectInput!) { createProspect(input: $in) { id } }`
		leasesWhere := `query($w: LeaseWhereInput) { leases(where: $w) { totalCount } }`

		for _, c := range []struct {
			name  string
			query string
			vars  map[string]any
			field []string
		}{
			{"variable NUL", createProspect, map[string]any{"in": map[string]any{"firstName": nul}}, []string{"input", "firstName"}},
			{"createProspect notes NUL", createProspect, map[string]any{"in": map[string]any{"firstName": "Ann", "notes": "x" + nul}}, []string{"input", "notes"}},
			{"createProspect notes too long", createProspect, map[string]any{"in": map[string]any{"firstName": "Ann", "notes": strings.Repeat("n", handler.MaxInputString+1)}}, []string{"input", "notes"}},
			{"createProspect pets NUL", createProspect, map[string]any{"in": map[string]any{"firstName": "Ann", "pets": []string{"dog", nul}}}, []string{"input", "pets", "1"}},
			{"literal NUL", `mutation { createProspect(input: {firstName: "` + nulLiteral + `"}) { id } }`, nil, []string{"input", "firstName"}},
			{"where literal NUL", `{ leases(where: {statusContains: "` + nulLiteral + `"}) { totalCount } }`, nil, []string{"where", "statusContains"}},
			{"where variable NUL", leasesWhere, map[string]any{"w": map[string]any{"statusContains": nul}}, []string{"where", "statusContains"}},
			{"where nested NUL", leasesWhere, map[string]any{"w": map[string]any{"or": []any{map[string]any{"status": "x"}, map[string]any{"sourceIDHasPrefix": nul}}}}, []string{"where", "or", "1", "sourceIDHasPrefix"}},
			{"where edge NUL", `query($s: String) { screeningApplicants(where: {hasApplicationWith: [{propertyNameContains: $s}]}) { totalCount } }`,
				map[string]any{"s": nul}, []string{"where", "hasApplicationWith", "0", "propertyNameContains"}},
			{"import data NUL", apptest.ImportMutation, map[string]any{"f": "CSV", "d": "id,status\nL1," + nul + "\n", "dry": false}, []string{"data"}},
			{"import mapping NUL", apptest.ImportMutation, map[string]any{"f": "CSV", "d": "id\nL1\n", "m": map[string]any{"id" + nul: "id"}, "dry": false}, []string{"mapping", "id" + nul}},
			{"status set NUL", `mutation($c: ID!, $s: [String!]) { updateClientStatusSets(id: $c, input: {moveIn: $s}) { moveInStatuses } }`,
				map[string]any{"c": "1", "s": []string{"ok", nul}}, []string{"input", "moveIn", "1"}},
		} {
			before := written()
			wantBadInput(t, c.name, e.GQL(token, c.query, c.vars), c.field...)
			if n := written(); n != before {
				t.Errorf("%s: %d rows written", c.name, n-before)
			}
		}
	})
}

// TestInputOversizedFilters: filters past the documented bounds are refused
// before any SQL statement runs (on SQLite they used to fail inside the
// database as INTERNAL_SERVER_ERROR).
func TestInputOversizedFilters(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Acme")
		const q = `query($w: LeaseWhereInput) { leases(where: $w) { totalCount } }`
		ids := make([]string, 40000)
		for i := range ids {
			ids[i] = fmt.Sprint(i + 1)
		}
		ors := make([]any, 1000)
		for i := range ors {
			ors[i] = map[string]any{"status": fmt.Sprint(i)}
		}
		deep := map[string]any{"status": "x"}
		for range 20 {
			deep = map[string]any{"not": deep}
		}
		// What authenticating a request costs, for comparison.
		baseline := func() int64 {
			before := e.Queries.N.Load()
			e.MustGQL(token, `{ __typename }`, nil, nil)
			return e.Queries.N.Load() - before
		}
		for _, c := range []struct {
			name  string
			where map[string]any
			field []string
		}{
			{"1 MB contains", map[string]any{"statusContains": strings.Repeat("a", 1<<20)}, []string{"where", "statusContains"}},
			{"40000 idIn", map[string]any{"idIn": ids}, []string{"where", "idIn"}},
			{"1000 or terms", map[string]any{"or": ors}, []string{"where"}},
			{"empty or term", map[string]any{"or": []any{map[string]any{}}}, []string{"where", "or", "0"}}, // found by FuzzGraphQLVariables
			{"20 nested not", deep, []string{"where", "not", "not", "not", "not", "not", "not", "not", "not", "not"}},
		} {
			auth := baseline()
			before := e.Queries.N.Load()
			r := e.GQL(token, q, map[string]any{"w": c.where})
			wantBadInput(t, c.name, r, c.field...)
			// Authentication reads the token; the filter itself runs nothing.
			if n := e.Queries.N.Load() - before; n > auth {
				t.Errorf("%s: %d SQL statements ran, authentication alone runs %d", c.name, n, auth)
			}
		}
		// Within the bounds, the same shapes work.
		var out struct{ Leases struct{ TotalCount int } }
		e.MustGQL(token, q, map[string]any{"w": map[string]any{"idIn": ids[:handler.MaxFilterList], "or": ors[:50], "statusContains": strings.Repeat("a", handler.MaxFilterString)}}, &out)
		// nodes(ids:) is one IN list per table too.
		const nodes = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`
		auth := baseline()
		before := e.Queries.N.Load()
		wantBadInput(t, "40000 node ids", e.GQL(token, nodes, map[string]any{"ids": ids}), "ids")
		if n := e.Queries.N.Load() - before; n > auth {
			t.Errorf("40000 node ids: %d SQL statements ran, authentication alone runs %d", n, auth)
		}
	})
}

// httpError is an HTTP route's JSON error.
type httpError struct {
	Error struct{ Code, Message string } `json:"error"`
}

func TestInputLeasesParameters(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Acme")
		for _, c := range []struct{ param, value string }{
			{"status", nul}, {"status", "[approved," + badUTF8 + "]"}, {"property_id", nul}, {"property_id", badUTF8},
			{"lease_start_from", nul}, {"lease_end_to", badUTF8}, {"from", nul}, {"to", badUTF8},
			{"move", "[in," + nul + "]"}, {"cursor", nul}, {"client_id", badUTF8}, {"limit", nul}, {"format", nul},
			{"property_id", strings.Repeat("p", rest.MaxParam+1)},
		} {
			req, _ := http.NewRequest(http.MethodGet, e.Srv.URL+"/leases?"+c.param+"="+url.QueryEscape(c.value), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body httpError
			_ = json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || body.Error.Code != "BAD_USER_INPUT" || !strings.Contains(body.Error.Message, c.param) {
				t.Errorf("%s=%q: HTTP %d %+v: want 400 naming %s", c.param, c.value, res.StatusCode, body, c.param)
			}
		}
	})
}

func TestInputRegistrationPage(t *testing.T) {
	const key = "registration-test-key-0123456789"
	withKey := func(t *testing.T, s *apptest.Settings) { s.Config.Secret = key }
	apptest.EachDBSetup(t, withKey, func(t *testing.T, e *apptest.Env) {
		srv := e.Srv
		_, token := apptest.RegFixture(t, e, "Acme", "https://crm.example.com")
		written := func() int {
			n, _ := e.Client.Registration.Query().Count(e.Sys())
			m, _ := e.Client.Prospect.Query().Count(e.Sys())
			return n + m
		}
		good := url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "full_name": {"Jordan Miles"},
			"mobile_phone": {"(512) 555-0142"}, "sms_notes": {"Gate 1234"}, "crm_origin": {"https://crm.example.com"}}
		for _, c := range []struct{ param, value string }{
			{"full_name", nul}, {"full_name", badUTF8}, {"sms_notes", nul}, {"sms_notes", badUTF8},
			{"property_tag", nul}, {"mobile_phone", badUTF8}, {"require_cc", nul}, {"crm_origin", nul},
			{"crm_origin", "https://" + strings.Repeat("c", page.MaxCRMOrigin)}, {"full_name", strings.Repeat("f", page.MaxParam+1)},
			{"auth_token", nul}, {"auth_token", badUTF8},
		} {
			q := url.Values{}
			for k, v := range good {
				q[k] = slices.Clone(v)
			}
			q.Set(c.param, c.value)
			before := written()
			p := apptest.GetRegPage(t, srv.URL, q)
			if p.Status != "incomplete" {
				t.Errorf("%s=%q: status %q (%s)", c.param, c.value, p.Status, p.Message)
			}
			if c.param != "auth_token" && !strings.Contains(p.Message, c.param) {
				t.Errorf("%s=%q: message %q does not name the parameter", c.param, c.value, p.Message)
			}
			// The CRM hears the outcome, as of any incomplete registration
			// (the page posts it to an allowed origin, or, knowing no
			// client, to its parent).
			if p.Result == "" {
				t.Errorf("%s=%q: posted %q", c.param, c.value, p.Result)
			}
			if n := written(); n != before {
				t.Errorf("%s=%q: %d rows written", c.param, c.value, n-before)
			}
		}

		// The card form's fields.
		q := url.Values{}
		for k, v := range good {
			q[k] = slices.Clone(v)
		}
		q.Set("require_cc", "true")
		p := apptest.GetRegPage(t, srv.URL, q)
		if p.State == "" {
			t.Fatalf("no card screen: %s", p.Message)
		}
		for _, field := range []string{"name", "number", "expiry", "cvc", "postal_code", "action"} {
			for _, bad := range []string{nul, badUTF8} {
				form := url.Values{"state": {p.State}, "action": {"submit"}, "name": {"Jordan Miles"}, "number": {"4242424242424242"},
					"expiry": {"12/40"}, "cvc": {"123"}, "postal_code": {"78701"}}
				form.Set(field, bad)
				before := written()
				r := apptest.PostRegPage(t, srv.URL, form)
				// The message names the field as the card screen labels it.
				label := map[string]string{"name": "name on the card", "number": "card number", "expiry": "expiry",
					"cvc": "security code", "postal_code": "postal code", "action": "button"}[field]
				if r.Status != "incomplete" || !strings.Contains(r.Message, label) || r.Result == "" {
					t.Errorf("card %s=%q: status %q message %q result %q", field, bad, r.Status, r.Message, r.Result)
				}
				if n := written(); n != before {
					t.Errorf("card %s=%q: %d rows written", field, bad, n-before)
				}
			}
		}
	})
}

func TestInputPostbacks(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		clientID, _ := e.NewClient("Acme")
		user, pass := "postback-user", "postback-password-0123456789"
		sum := sha256.Sum256([]byte(user + "\x00" + pass))
		if err := e.Client.ScreeningApplication.Create().SetClientID(clientID).SetKind(screeningapplication.KindLINK).
			SetCustomerReference("ref").SetSmartmoveApplicationID(77).SetPostbackKey("knownkey").
			SetPostbackCredentialsHash(hex.EncodeToString(sum[:])).Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
		good := `{"applicationId": 77, "customerReferenceId": "ref", "notificationText": "%s", "reportStatus": "InProgress"}`
		for _, c := range []struct {
			name, key string
			body      []byte
			field     string
		}{
			{"body NUL escape", "knownkey", fmt.Appendf(nil, good, nulLiteral), "body"},
			{"body NUL byte", "knownkey", fmt.Appendf(nil, good, nul), "body"},
			{"body invalid UTF-8", "knownkey", fmt.Appendf(nil, good, badUTF8), "body"},
			{"key NUL", "known%00key", fmt.Appendf(nil, good, "x"), "key"},
			{"key invalid UTF-8", "known%FFkey", fmt.Appendf(nil, good, "x"), "key"},
		} {
			status, body := apptest.Postback(t, e.Srv.URL+"/webhooks/smartmove/"+c.key, auth, c.body)
			var he httpError
			_ = json.Unmarshal([]byte(body), &he)
			if status != http.StatusBadRequest || he.Error.Code != "BAD_USER_INPUT" || !strings.Contains(he.Error.Message, c.field) {
				t.Errorf("%s: HTTP %d %s: want 400 naming %s", c.name, status, body, c.field)
			}
			if n := e.InboundEvents(); n != 0 {
				t.Errorf("%s: %d postbacks stored", c.name, n)
			}
		}
		// The same postback, clean, is stored: the refused ones would have been.
		if status, body := apptest.Postback(t, e.Srv.URL+"/webhooks/smartmove/knownkey", auth, fmt.Appendf(nil, good, "lisa@example.com has accepted")); status != http.StatusOK || e.InboundEvents() != 1 {
			t.Errorf("clean postback: HTTP %d %s, %d stored", status, body, e.InboundEvents())
		}
	})
}
