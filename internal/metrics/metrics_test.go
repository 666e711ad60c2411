package metrics_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/metrics"
)

// scrape returns what /metrics shows, as a Prometheus server would read it.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics answered %d", w.Code)
	}
	return w.Body.String()
}

// hasSample reports whether the exposition holds the exact sample line.
func hasSample(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

// Routes labels by the pattern the mux matched: two leases' paths are one
// series, a raw path never becomes a label (callers choose paths), and the
// status the handler wrote is the code.
func TestRoutes(t *testing.T) {
	m := metrics.New(nil)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /leases/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "404" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, "{}") // no WriteHeader: an implicit 200
	})
	h := m.Routes(mux)
	for _, c := range []struct{ method, path string }{
		{"GET", "/leases/1"}, {"GET", "/leases/2"}, {"GET", "/leases/404"},
		{"GET", "/nowhere/123"}, {"BREW", "/leases/3"},
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(c.method, c.path, nil))
	}
	text := scrape(t, m)
	for _, want := range []string{
		`leasegraph_http_requests_total{code="200",method="GET",route="GET /leases/{id}"} 2`,
		`leasegraph_http_requests_total{code="404",method="GET",route="GET /leases/{id}"} 1`,
		`leasegraph_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		// a method the routes do not serve is "other", not the caller's word
		`leasegraph_http_requests_total{code="405",method="other",route="unmatched"} 1`,
		`leasegraph_http_request_duration_seconds_count{route="GET /leases/{id}"} 3`,
	} {
		if !hasSample(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, raw := range []string{"/leases/1", "/nowhere", "BREW"} {
		if strings.Contains(text, raw) {
			t.Errorf("/metrics shows the raw %q", raw)
		}
	}
}

// Partner calls are counted by endpoint template (ids as {id}, versions
// kept) and by outcome, through whatever transport the client had.
func TestPartnerClient(t *testing.T) {
	m := metrics.New(nil)
	var calls int
	base := &http.Client{Timeout: 7 * time.Second, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		switch r.URL.Path {
		case "/v1/leases/missing1":
			return &http.Response{StatusCode: 400, Body: http.NoBody, Request: r}, nil
		case "/v1/leases/broken1":
			return &http.Response{StatusCode: 500, Body: http.NoBody, Request: r}, nil
		case "/v1/leases/offline1":
			return nil, errors.New("connection refused")
		}
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})}
	c := m.PartnerClient("propexo", base, time.Second)
	if c.Timeout != 7*time.Second {
		t.Errorf("Timeout = %s, want the given client's 7s", c.Timeout)
	}
	for _, p := range []string{"/v1/leases/123", "/v1/leases/456", "/v1/leases/missing1", "/v1/leases/broken1", "/v1/leases/offline1"} {
		res, err := c.Get("https://partner.test" + p)
		if err == nil {
			_ = res.Body.Close()
		}
	}
	if calls != 5 {
		t.Errorf("the given transport saw %d calls, want 5", calls)
	}
	text := scrape(t, m)
	for _, want := range []string{
		`leasegraph_partner_requests_total{endpoint="GET /v1/leases/{id}",outcome="ok",partner="propexo"} 2`,
		`leasegraph_partner_requests_total{endpoint="GET /v1/leases/{id}",outcome="client_error",partner="propexo"} 1`,
		`leasegraph_partner_requests_total{endpoint="GET /v1/leases/{id}",outcome="server_error",partner="propexo"} 1`,
		`leasegraph_partner_requests_total{endpoint="GET /v1/leases/{id}",outcome="error",partner="propexo"} 1`,
	} {
		if !hasSample(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if base.Transport == nil || c.Transport == base.Transport {
		t.Error("PartnerClient changed the given client instead of a copy")
	}

	if d := m.PartnerClient("smartmove", nil, 3*time.Second); d.Timeout != 3*time.Second || d.Transport == nil {
		t.Errorf("PartnerClient(nil) = timeout %s transport %v", d.Timeout, d.Transport)
	}
}

// A partner's endpoints are bounded: past MaxPartnerEndpoints distinct
// templates, calls are counted as "other" rather than as new series.
func TestPartnerEndpointBound(t *testing.T) {
	m := metrics.New(nil)
	c := m.PartnerClient("propexo", &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})}, time.Second)
	for i := range metrics.MaxPartnerEndpoints + 1 {
		// two letters, no digit: each path is its own template
		res, err := c.Get("https://partner.test/" + string([]rune{rune('a' + i/26), rune('a' + i%26)}))
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
	}
	if text := scrape(t, m); !hasSample(text, `leasegraph_partner_requests_total{endpoint="other",outcome="ok",partner="propexo"} 1`) {
		t.Errorf("the call past the bound is not counted as other")
	}
}

// EndpointTemplate names partner calls in metrics and traces: a segment
// naming a record (a digit, or 20+ characters) is {id}, an API version is
// kept.
func TestEndpointTemplate(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/v1/leases/123", "GET /v1/leases/{id}"},
		{"POST", "/crm/v1/prospects/prospect_1", "POST /crm/v1/prospects/{id}"},
		{"GET", "/V2/residents", "GET /V2/residents"},
		{"GET", "/v1/webhooks/ckabcdefghijklmnopqrstuv", "GET /v1/webhooks/{id}"}, // 24 letters: a key
		{"GET", "/smartmove/api/application/report/", "GET /smartmove/api/application/report/"},
		{"PUT", "/v1beta1/x", "PUT /{id}/x"},                   // not a plain version: has a digit
		{"GET", "/api/backgroundcheckresult", "GET /api/{id}"}, // 21 letters count as an id
		{"GET", "/", "GET /"},
	} {
		if got := metrics.EndpointTemplate(c.method, c.path); got != c.want {
			t.Errorf("EndpointTemplate(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
