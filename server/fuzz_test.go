package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
)

// FuzzQueryStrings sends arbitrary query strings to the routes that parse
// them: never a panic, never a 5xx. `go test` runs the seeds;
// `go test -fuzz FuzzQueryStrings ./server` explores further.
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
	e := newEnv(f, "sqlite:"+filepath.Join(f.TempDir(), "fuzz.db"), nil)
	clientID, token := e.newClient("Fuzz")
	if err := e.client.Property.Create().SetClientID(clientID).SetTag("P").Exec(e.sys()); err != nil {
		f.Fatal(err)
	}
	handler := e.srv.Config.Handler
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
