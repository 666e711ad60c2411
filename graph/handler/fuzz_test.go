package handler_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/internal/apptest"
)

// FuzzQueryStrings sends arbitrary query strings to the routes that parse
// them: never a panic, never a 5xx. `go test` runs the seeds;
// `go test -fuzz FuzzQueryStrings ./graph/handler` explores further.
func FuzzQueryStrings(f *testing.F) {
	for _, seed := range []string{
		"status=[approved,ending]&move=[in]&from=2025-01-01&to=2025-03-31",
		"status=[\"a\",'b']", "status=[", "status=]", "status=[,]", "move=[in]&from=2025-02-30&to=x",
		"limit=-1", "limit=99999999999999999999", "cursor=%ff%fe", "property_id=%00", "client_id=1e9",
		"lease_start_from=0000-00-00", "format=csv&status=x", "a=%zz", ";;;&&&==",
		"property_tag=P&mobile_phone=%2B1&require_cc=true&crm_origin=javascript:alert(1)",
	} {
		f.Add(seed)
	}
	e := apptest.New(f, "sqlite:"+filepath.Join(f.TempDir(), "fuzz.db"), nil)
	clientID, token := e.NewClient("Fuzz")
	if err := e.Client.Property.Create().SetClientID(clientID).SetTag("P").Exec(e.Sys()); err != nil {
		f.Fatal(err)
	}
	handler := e.Srv.Config.Handler
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/leases", "/prospects/registration"} {
			q := query
			if path == "/prospects/registration" {
				q += "&auth_token=" + url.QueryEscape(token)
			}
			req := httptest.NewRequest(http.MethodGet, "http://x"+path, nil)
			req.URL.RawQuery = q
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("GET %s?%s: HTTP %d %s", path, q, rec.Code, rec.Body)
			}
		}
	})
}

// FuzzGraphQLVariables sends arbitrary strings as GraphQL variables (a
// where filter's, a mutation input's, a Map's key) and arbitrary variables
// documents: never a panic, never a 5xx, never INTERNAL_SERVER_ERROR.
func FuzzGraphQLVariables(f *testing.F) {
	for _, seed := range []struct{ s, vars string }{
		{"approved", `{}`},
		{"a\x00b", `{"w": {"statusContains": "\u0000"}}`},
		{"a\xff\xfeb", `{"w": {"idIn": ["1", "x"]}}`},
		{"\u0000", `{"w": {"or": [{"status": "a"}, {"not": {"statusHasPrefix": "\u0000"}}]}}`},
		{"%", `{"w": {"hasTenantsWith": [{"emailContains": "\ud800"}]}}`},
		{"'; DROP TABLE leases; --", `{"w": {"leaseStartDateGT": "not a date"}}`},
		{"\\", `{"w": {"and": [[]]}}`},
	} {
		f.Add(seed.s, seed.vars)
	}
	e := apptest.New(f, "sqlite:"+filepath.Join(f.TempDir(), "fuzz.db"), nil)
	_, token := e.NewClient("Fuzz")
	handler := e.Srv.Config.Handler
	queries := []string{
		`query($w: LeaseWhereInput, $s: String) { leases(first: 1, where: $w) { totalCount } properties(first: 1, where: {tagContains: $s}) { totalCount } }`,
		`mutation($s: String!) { createProspect(input: {firstName: $s, notes: $s, pets: [$s]}) { id } }`,
		`mutation($s: String!) { importLeases(format: CSV, data: $s, mapping: {id: $s}, dryRun: true) { errorCount } }`,
	}
	f.Fuzz(func(t *testing.T, s, vars string) {
		var v map[string]any
		if json.Unmarshal([]byte(vars), &v) != nil {
			v = map[string]any{}
		}
		for _, q := range queries {
			vv := maps.Clone(v)
			vv["s"] = s
			body, err := json.Marshal(map[string]any{"query": q, "variables": vv})
			if err != nil {
				t.Skip()
			}
			// Also raw: JSON's encoder would replace invalid UTF-8.
			raw := bytes.Replace(body, []byte(`"s":`+jsonText(s)), []byte(`"s":"`+s+`"`), 1)
			for _, b := range [][]byte{body, raw} {
				req := httptest.NewRequest(http.MethodPost, "http://x/graphql", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code >= 500 || strings.Contains(rec.Body.String(), "INTERNAL_SERVER_ERROR") {
					t.Fatalf("%s: HTTP %d %s", b, rec.Code, rec.Body)
				}
			}
		}
	})
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FuzzSmartMovePostback sends arbitrary bodies (and URL keys) to the
// postback route, with an application's real credentials: never a panic,
// never a 5xx.
func FuzzSmartMovePostback(f *testing.F) {
	for _, seed := range []struct{ key, body string }{
		{"fuzzkey", `{"applicationId": 77, "customerReferenceId": "ref", "notificationText": "lisa@example.com has accepted the request", "reportStatus": "InProgress"}`},
		{"fuzzkey", `{"applicationId": 77, "notificationText": "a\u0000b"}`},
		{"fuzzkey", "{\"applicationId\": 77, \"notificationText\": \"a\x00b\"}"},
		{"fuzzkey", "{\"applicationId\": 77, \"notificationText\": \"a\xff\xfeb\"}"},
		{"fuzzkey", `{"applicationId": "77", "reportStatus": ["Ready"], "applicants": {"x": 1}}`},
		{"fuzzkey", `{"applicationId": 1e400}`},
		{"fuzzkey", `[]`},
		{"fuzzkey", ``},
		{"fuzz\x00key", `{}`},
		{"fuzz\xffkey", `{}`},
	} {
		f.Add(seed.key, seed.body)
	}
	e := apptest.New(f, "sqlite:"+filepath.Join(f.TempDir(), "fuzz.db"), nil)
	clientID, _ := e.NewClient("Fuzz")
	user, pass := "fuzz-user", "fuzz-password-0123456789"
	sum := sha256.Sum256([]byte(user + "\x00" + pass))
	if err := e.Client.ScreeningApplication.Create().SetClientID(clientID).SetKind(screeningapplication.KindLINK).
		SetCustomerReference("ref").SetSmartmoveApplicationID(77).SetPostbackKey("fuzzkey").
		SetPostbackCredentialsHash(hex.EncodeToString(sum[:])).Exec(e.Sys()); err != nil {
		f.Fatal(err)
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	handler := e.Srv.Config.Handler
	f.Fuzz(func(t *testing.T, key, body string) {
		req := httptest.NewRequest(http.MethodPost, "http://x/webhooks/smartmove/fuzzkey", strings.NewReader(body))
		req.URL.RawPath, req.URL.Path = "", "/webhooks/smartmove/"+key
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %q %q: HTTP %d %s", key, body, rec.Code, rec.Body)
		}
	})
}
