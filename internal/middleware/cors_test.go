package middleware_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// TestCORS: a browser app on an allowed origin may call /graphql and /leases
// with a bearer token; another origin is not allowed; the registration page
// is not an API and answers no preflight.
func TestCORS(t *testing.T) {
	allow := func(t *testing.T, s *apptest.Settings) { s.Config.CORSOrigins = []string{"https://app.example.com"} }
	apptest.EachDBSetup(t, allow, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("A")
		do := func(method, path, origin string, body string) *http.Response {
			req, _ := http.NewRequest(method, e.Srv.URL+path, strings.NewReader(body))
			req.Header.Set("Origin", origin)
			if method == http.MethodOptions {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			} else {
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		for _, path := range []string{"/graphql", "/leases"} {
			pre := do(http.MethodOptions, path, "https://app.example.com", "")
			if pre.StatusCode >= 300 || pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
				!strings.Contains(strings.ToLower(pre.Header.Get("Access-Control-Allow-Headers")), "authorization") {
				t.Errorf("preflight %s: HTTP %d %v", path, pre.StatusCode, pre.Header)
			}
			if other := do(http.MethodOptions, path, "https://evil.example.com", ""); other.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("preflight %s from another origin allowed: %v", path, other.Header)
			}
		}
		res := do(http.MethodPost, "/graphql", "https://app.example.com", `{"query":"{ clients { totalCount } }"}`)
		if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
			t.Errorf("POST /graphql: HTTP %d %v", res.StatusCode, res.Header)
		}
		// A browser app can only page a CSV export by the cursor header if
		// it is exposed to it.
		csvPage := do(http.MethodGet, "/leases?format=csv&limit=1", "https://app.example.com", "")
		if exposed := strings.ToLower(csvPage.Header.Get("Access-Control-Expose-Headers")); csvPage.StatusCode != http.StatusOK ||
			!strings.Contains(exposed, "x-next-cursor") || !strings.Contains(exposed, "x-total-count") {
			t.Errorf("GET /leases CSV: HTTP %d, exposed headers %q", csvPage.StatusCode, exposed)
		}
		if reg := do(http.MethodOptions, "/prospects/registration", "https://app.example.com", ""); reg.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("the registration page answered a CORS preflight: %v", reg.Header)
		}
	})
}
