package app_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// TestAdmissionGate: with LEASEGRAPH_MAX_ACTIVE_REQUESTS=1, a request
// arriving while another holds the only slot waits (the gauge shows it)
// even though it needs no SQL at all, on /graphql and /leases alike; a
// waiting client that gives up leaves the queue; once the first ends, the
// server serves again. The unit tests of internal/admission show the order
// of admission and the wait cut by the deadline.
func TestAdmissionGate(t *testing.T) {
	setup := func(t *testing.T, s *apptest.Settings) {
		withMetricsToken(testMetricsToken)(t, s)
		s.Config.MaxActiveRequests = 1
	}
	apptest.EachDBSetup(t, setup, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Alpha")
		// Authenticated before the stall: the queued request's token is
		// cached, so nothing but the gate can hold it.
		const quick = `{"query": "{ __typename }"}`
		gauge := func(name string) string {
			for line := range strings.Lines(scrape(e)) {
				if v, ok := strings.CutPrefix(line, name+" "); ok {
					return strings.TrimSpace(v)
				}
			}
			t.Fatalf("no %s in /metrics", name)
			return ""
		}
		page := map[string]string{
			"/graphql": `{"query": "{ leases(first: 1) { totalCount } }"}`,
			"/leases":  "",
		}
		for route, body := range page {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if a := apptest.Await(ctx, t, apptest.Send(ctx, http.MethodPost, e.Srv.URL+"/graphql", token, quick)); a.Status != http.StatusOK {
				t.Fatalf("before: HTTP %d %s", a.Status, a.Body)
			}
			stall := apptest.StallLeases(t, e)
			method := http.MethodPost
			if route == "/leases" {
				method = http.MethodGet
			}
			first := apptest.Send(ctx, method, e.Srv.URL+route+"?limit=1", token, body)
			stall.WaitBlocked(ctx)
			if got := gauge("leasegraph_http_requests_active"); got != "1" {
				t.Fatalf("%s: %s requests active, want the stalled one", route, got)
			}
			waitCtx, giveUp := context.WithCancel(ctx)
			second := apptest.Send(waitCtx, http.MethodPost, e.Srv.URL+"/graphql", token, quick)
			apptest.Eventually(ctx, t, "the second request to wait for the slot", func() bool {
				return gauge("leasegraph_http_requests_waiting") == "1"
			})
			select {
			case a := <-second:
				t.Fatalf("%s: the second request was answered while the first held the slot: HTTP %d %s", route, a.Status, a.Body)
			default:
			}
			giveUp()
			if a := apptest.Await(ctx, t, second); !errors.Is(a.Err, context.Canceled) {
				t.Fatalf("%s: the client that gave up was answered: HTTP %d %s", route, a.Status, a.Body)
			}
			apptest.Eventually(ctx, t, "the queue to empty", func() bool {
				return gauge("leasegraph_http_requests_waiting") == "0"
			})
			stall.Release()
			if a := apptest.Await(ctx, t, first); a.Status != http.StatusOK {
				t.Fatalf("%s: the stalled request: HTTP %d %s", route, a.Status, a.Body)
			}
			if a := apptest.Await(ctx, t, apptest.Send(ctx, http.MethodPost, e.Srv.URL+"/graphql", token, quick)); a.Status != http.StatusOK {
				t.Fatalf("after: HTTP %d %s", a.Status, a.Body)
			}
			if got := gauge("leasegraph_http_requests_active"); got != "0" {
				t.Fatalf("%s: %s slots held after every request ended", route, got)
			}
			cancel()
		}
	})
}
