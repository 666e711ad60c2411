package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/propexo/propexotest"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/metrics"
	"github.com/leasegraph/leasegraph/viewer"
)

const testMetricsToken = "metrics-token-0123456789"

func withMetricsToken(token string) apptest.Setup {
	return func(t *testing.T, s *apptest.Settings) { s.Config.MetricsToken = token }
}

// scrape reads /metrics with the metrics token.
func scrape(e *apptest.Env) string {
	e.T.Helper()
	res, body := e.GetWith("/metrics", map[string]string{"Authorization": "Bearer " + testMetricsToken})
	if res.StatusCode != http.StatusOK {
		e.T.Fatalf("scrape: HTTP %d %s", res.StatusCode, body)
	}
	return string(body)
}

// TestMetricsCountWhatClientsDid: a GraphQL query (and one that fails) and
// a /leases read show up under their operation name and route pattern,
// and the database pool is reported.
func TestMetricsCountWhatClientsDid(t *testing.T) {
	apptest.EachDBSetup(t, withMetricsToken(testMetricsToken), func(t *testing.T, e *apptest.Env) {
		_, tok := e.NewClient("Acme", viewer.ScopeRead)
		e.MustGQL(tok, "query ListClients { clients { totalCount } }", nil, nil)
		if r := e.GQL(tok, `query Missing { node(id: "4294967296999") { id } }`, nil); len(r.Errors) == 0 {
			t.Fatalf("expected an error: %+v", r)
		}
		if res, body := e.GetWith("/leases", map[string]string{"Authorization": "Bearer " + tok}); res.StatusCode != http.StatusOK {
			t.Fatalf("/leases: HTTP %d %s", res.StatusCode, body)
		}
		if res, _ := e.GetWith("/leases/12345", nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("/leases/12345: HTTP %d", res.StatusCode)
		}
		out := scrape(e)
		for _, want := range []string{
			`leasegraph_graphql_operations_total{operation="ListClients",type="query"} 1`,
			`leasegraph_graphql_operations_total{operation="Missing",type="query"} 1`,
			`leasegraph_graphql_operation_errors_total{operation="Missing",type="query"} 1`,
			`leasegraph_graphql_operation_duration_seconds_count{operation="ListClients",type="query"} 1`,
			`leasegraph_http_requests_total{code="200",method="POST",route="/graphql"} 1`,
			// The draft's partial success: data (node: null) and an error.
			`leasegraph_http_requests_total{code="294",method="POST",route="/graphql"} 1`,
			`leasegraph_http_requests_total{code="200",method="GET",route="GET /leases"} 1`,
			`leasegraph_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
			`leasegraph_http_request_duration_seconds_count{route="GET /leases"} 1`,
			`go_sql_max_open_connections{db_name="leasegraph"}`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %s", want)
			}
		}
		if strings.Contains(out, "12345") {
			t.Errorf("a raw path is a label:\n%s", out)
		}
		if t.Failed() {
			t.Logf("scraped:\n%s", grepLines(out, "leasegraph_"))
		}
	})
}

// TestMetricsRefusesStrangers: without the token, or with a wrong one, a
// scrape is refused with a JSON 401; with no token configured (and no demo)
// there is no /metrics at all.
func TestMetricsRefusesStrangers(t *testing.T) {
	apptest.EachDBSetup(t, withMetricsToken(testMetricsToken), func(t *testing.T, e *apptest.Env) {
		for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Bearer " + testMetricsToken + "x"} {
			res, body := e.GetWith("/metrics", map[string]string{"Authorization": auth})
			var out struct{ Error struct{ Code string } }
			_ = json.Unmarshal(body, &out)
			if res.StatusCode != http.StatusUnauthorized || out.Error.Code != "UNAUTHENTICATED" || strings.Contains(string(body), "leasegraph_") {
				t.Fatalf("%q: HTTP %d %s", auth, res.StatusCode, body)
			}
		}
	})
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		if res, _ := e.GetWith("/metrics", nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("no metrics token: HTTP %d", res.StatusCode)
		}
	})
}

// TestMetricsOperationNamesBounded: callers choose operation names, so past
// metrics.MaxOperationNames distinct ones the rest share one label.
func TestMetricsOperationNamesBounded(t *testing.T) {
	apptest.EachDBSetup(t, withMetricsToken(testMetricsToken), func(t *testing.T, e *apptest.Env) {
		_, tok := e.NewClient("Acme", viewer.ScopeRead)
		n := metrics.MaxOperationNames + 20
		for i := range n {
			e.MustGQL(tok, fmt.Sprintf("query Op%d { __typename }", i), nil, nil)
		}
		e.MustGQL(tok, "{ __typename }", nil, nil)
		out := scrape(e)
		names := regexp.MustCompile(`leasegraph_graphql_operations_total\{operation="([^"]*)"`).FindAllStringSubmatch(out, -1)
		if len(names) != metrics.MaxOperationNames+2 { // the names, "other", "anonymous"
			t.Fatalf("%d operation labels, want %d:\n%s", len(names), metrics.MaxOperationNames+2, grepLines(out, "leasegraph_graphql_operations_total"))
		}
		for _, want := range []string{
			fmt.Sprintf(`leasegraph_graphql_operations_total{operation="other",type="query"} %d`, n-metrics.MaxOperationNames),
			`leasegraph_graphql_operations_total{operation="anonymous",type="query"} 1`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %s", want)
			}
		}
	})
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsCountPartnerCalls: a prospect delivered to the Propexo
// simulator shows as Propexo calls by endpoint template, ids replaced, and
// as a completed job of its kind in River's table.
func TestMetricsCountPartnerCalls(t *testing.T) {
	setup := func(t *testing.T, s *apptest.Settings) {
		s.Config.MetricsToken = testMetricsToken // the app counts with its own metrics.New
		apptest.WithPropexo(propexotest.Options{AutoComplete: 30 * time.Millisecond}, false)(t, s)
	}
	apptest.EachDBSetup(t, setup, func(t *testing.T, e *apptest.Env) {
		_, token := e.PropexoClient("Acme")
		e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{
			"firstName": "Ada", "lastName": "Lovelace", "phone1": "(512) 555-0100",
		}}, nil)
		if ds := e.WaitJobs(1, 20*time.Second); ds[0].Status != integrationjob.StatusSUCCEEDED {
			t.Fatalf("delivery %+v", ds[0])
		}
		out := grepLines(scrape(e), "leasegraph_partner_requests_total")
		calls := regexp.MustCompile(`(?m)^leasegraph_partner_requests_total\{endpoint="([A-Z]+ [^"]*)",outcome="ok",partner="propexo"\} [1-9]`).FindAllStringSubmatch(out, -1)
		if len(calls) == 0 {
			t.Fatalf("no Propexo call counted:\n%s", out)
		}
		sawID := false
		for _, c := range calls {
			for _, seg := range strings.Split(c[1], "/") {
				if seg == "{id}" {
					sawID = true
				} else if strings.ContainsAny(seg, "0123456789") && !regexp.MustCompile(`^v[0-9]+$`).MatchString(seg) {
					t.Errorf("an id in an endpoint label: %s", c[1])
				}
			}
		}
		if !sawID {
			t.Errorf("no endpoint template with {id} (write status is read by id):\n%s", out)
		}

		// River reports a job's outcome by an event after the job's own
		// transaction: wait for it rather than race it.
		completed := regexp.MustCompile(`(?m)^leasegraph_job_runs_total\{kind="deliver_prospect",outcome="completed"\} 1$`)
		deadline := time.Now().Add(20 * time.Second)
		all := scrape(e)
		for !completed.MatchString(all) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			all = scrape(e)
		}
		if !completed.MatchString(all) || !regexp.MustCompile(`(?m)^leasegraph_jobs\{state="completed"\} [1-9]`).MatchString(all) {
			t.Fatalf("the delivery job is not counted:\n%s", grepLines(all, "leasegraph_job"))
		}
	})
}
