package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/prospects"
)

// TestDemo: the data `make run` serves, seeded twice (a restart), answers the
// README's example query and is not duplicated.
func TestDemo(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		const fixed = "lg_fixed_demo_token_for_tests"
		for range 2 {
			token, err := demo.Seed(context.Background(), e.Client, &prospects.Service{DB: e.Client}, fixed, []string{e.Srv.URL}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if token != fixed {
				t.Fatalf("demo.Seed returned %q, want the fixed token", token)
			}
		}
		var out struct {
			Clients    struct{ TotalCount int }
			Properties struct {
				TotalCount int
				Edges      []struct{ Node struct{ ShowingMode string } }
			}
			Prospects struct{ TotalCount int }
			All       struct{ TotalCount int }
			Leases    struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ID             string
						Status         string
						MoveInDate     *string
						LeaseStartDate string
						Tenants        []struct{ FirstName, Email string }
					}
				}
			}
		}
		e.MustGQL(fixed, `{
			clients { totalCount }
			properties { totalCount edges { node { showingMode } } }
			prospects { totalCount }
			all: leases { totalCount }
			leases(first: 10, moving: {kinds: [MOVE_IN, MOVE_OUT], from: "2020-01-01", to: "2030-12-31"}) {
				totalCount edges { node { id status moveInDate leaseStartDate tenants { firstName email } } } } }`, nil, &out)
		if out.Clients.TotalCount != 1 || out.All.TotalCount != demo.Leases || out.Prospects.TotalCount != 3 {
			t.Fatalf("after two seeds: %d clients, %d leases, %d prospects; want 1, %d, 3",
				out.Clients.TotalCount, out.All.TotalCount, out.Prospects.TotalCount, demo.Leases)
		}
		modes := map[string]int{}
		for _, p := range out.Properties.Edges {
			modes[p.Node.ShowingMode]++
		}
		if modes["SELF_SHOWING"] == 0 || modes["PRELEASE"] == 0 || modes["INACTIVE"] == 0 {
			t.Errorf("demo properties' showing modes = %v, want each mode", modes)
		}
		if out.Leases.TotalCount == 0 || out.Leases.TotalCount == demo.Leases || len(out.Leases.Edges) != 10 {
			t.Fatalf("moving query: totalCount %d, %d edges", out.Leases.TotalCount, len(out.Leases.Edges))
		}
		for _, l := range out.Leases.Edges {
			if len(l.Node.Tenants) == 0 || l.Node.Tenants[0].Email == "" {
				t.Errorf("lease %s has no tenants with emails", l.Node.ID)
			}
		}

		// Its residents hold addresses at Propexo as a PMS would: tenants
		// moving in come from somewhere, tenants moving out go somewhere,
		// in the graph and on /leases, nested.
		type address struct{ Street, City string }
		type conn struct {
			Edges []struct {
				Node struct {
					Tenants []struct{ PreviousAddress, ForwardingAddress *address }
				}
			}
		}
		var moving struct{ In, Out conn }
		e.MustGQL(fixed, `{
			in: leases(first: 500, moving: {kinds: [MOVE_IN], from: "2020-01-01", to: "2030-12-31"}) {
				edges { node { tenants { previousAddress { street city } forwardingAddress { street city } } } } }
			out: leases(first: 500, moving: {kinds: [MOVE_OUT], from: "2020-01-01", to: "2030-12-31"}) {
				edges { node { tenants { previousAddress { street city } forwardingAddress { street city } } } } } }`, nil, &moving)
		count := func(c conn) (prev, fwd int) {
			for _, ed := range c.Edges {
				for _, tn := range ed.Node.Tenants {
					if tn.PreviousAddress != nil && tn.PreviousAddress.Street != "" {
						prev++
					}
					if tn.ForwardingAddress != nil && tn.ForwardingAddress.Street != "" {
						fwd++
					}
				}
			}
			return prev, fwd
		}
		if prev, fwd := count(moving.In); prev == 0 || fwd != 0 {
			t.Errorf("demo move-ins: %d tenants with a previous address, %d with a forwarding one; want some, none", prev, fwd)
		}
		if prev, fwd := count(moving.Out); fwd == 0 || prev != 0 {
			t.Errorf("demo move-outs: %d tenants with a previous address, %d with a forwarding one; want none, some", prev, fwd)
		}
		rest := e.LeasesPage(fixed, "move=[out]&from=2020-01-01&to=2030-12-31&limit=1000")
		nested := 0
		for _, l := range rest.Data {
			for _, tn := range l["tenants"].([]any) {
				if a, ok := tn.(map[string]any)["forwarding_address"].(map[string]any); ok && a["street"] != "" {
					nested++
				}
			}
		}
		if _, fwd := count(moving.Out); nested != fwd {
			t.Errorf("/leases?move=[out]: %d tenants with a nested forwarding address, the graph %d", nested, fwd)
		}
	})
}

// TestDemoTokenIsLogged: demo mode prints the demo client's token once, in a
// line that says "demo token", and nowhere else.
func TestDemoTokenIsLogged(t *testing.T) {
	srv := apptest.Serve(t, map[string]string{"DATABASE_URL": "sqlite:" + t.TempDir() + "/demo.db", "LEASEGRAPH_DEMO": "1"})
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	logs := srv.Logs
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "demo token") {
			line = l
		}
	}
	_, token, ok := strings.Cut(line, "token=")
	if !ok || !strings.HasPrefix(token, "lg_") {
		t.Fatalf("no demo token line in the log:\n%s", logs.String())
	}
	if n := strings.Count(logs.String(), token); n != 1 {
		t.Errorf("the demo token appears %d times in the log, want once", n)
	}
}

// TestDemoWebhookReceiver: demo mode's endpoint receives the demo client's
// events on the receiver inside the server, and its page shows each one
// verified with the Standard Webhooks reference library, after a restart
// too (the secret is rotated at each start: it is never shown twice).
func TestDemoWebhookReceiver(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/demo.db"
	for start := range 2 {
		srv := apptest.Serve(t, map[string]string{"DATABASE_URL": db, "LEASEGRAPH_DEMO": "1"})
		var page string
		apptest.Until(t, "the receiver's page lists the test event", func() bool {
			res, err := http.Get(srv.URL + "/demo/webhooks")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			page = string(b)
			return strings.Contains(page, "webhook.test")
		})
		if !strings.Contains(page, "signature verified") || strings.Contains(page, "NOT verified") {
			t.Fatalf("start %d: the page says\n%s", start+1, page)
		}
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
	}
}
