package main

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/viewer"
)

// Crash recovery, with real processes: a server is killed (SIGKILL) while
// its delivery of a prospect to Propexo is in flight, after Propexo
// applied the write but before the server heard back. A second server,
// started with a short rescue setting, picks the job up again and resumes
// it from the IntegrationJob's state: the prospect reaches Propexo once
// and the delivery ends SUCCEEDED.

func TestDeliveryRescuedAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs server processes")
	}
	bin := apptest.BuildServer(t, t.TempDir()) // once, before the parallel runs
	run := func(t *testing.T, dbURL string) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()

		// A client that delivers to Propexo, arranged in the database.
		a := arrange(t, ctx, dbURL, func(c *ent.CompanyCreate) *ent.CompanyCreate { return c.SetPropexoIntegrationID("int-Acme") },
			viewer.ScopeRead, viewer.ScopeWrite)
		token, raw := a.Token, a.Raw

		// Propexo applies the first create, then never answers it.
		sim := propexotest.New(propexotest.Options{AutoComplete: 50 * time.Millisecond})
		simSrv := httptest.NewServer(sim)
		t.Cleanup(simSrv.Close)
		t.Cleanup(sim.Close)
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultHang, AfterWrite: true})
		env := []string{"DATABASE_URL=" + dbURL, "PROPEXO_TOKEN=test-token", "PROPEXO_BASE_URL=" + simSrv.URL, "LOG_LEVEL=warn",
			"PROPEXO_RECONCILE_AFTER=1s"}

		first := apptest.StartServer(t, ctx, bin, env...)
		var created apptest.CreatedProspect
		first.GQL(t, ctx, token, apptest.CreateProspect, map[string]any{"in": map[string]any{
			"firstName": "Ada", "lastName": "Lovelace", "phone1": "(512) 555-0100",
		}}, &created)
		apptest.Eventually(ctx, t, "Propexo to receive the create", func() bool { return sim.CreateRequests() == 1 })
		var state string
		apptest.Eventually(ctx, t, "the River job to be running", func() bool {
			_ = raw.QueryRowContext(ctx, "SELECT state FROM river_job WHERE kind = 'deliver_prospect'").Scan(&state)
			return state == "running"
		})
		first.Kill(t)
		killed := time.Now()
		if n := len(sim.Jobs()); n != 1 {
			t.Fatalf("before the rescue Propexo holds %d write jobs, want the one applied", n)
		}

		// The dead server never recorded Propexo's answer: the delivery is
		// QUEUED with no partner job id, and its River job stays running.
		second := apptest.StartServer(t, ctx, bin, append(env, "LEASEGRAPH_JOB_TIMEOUT=1s", "LEASEGRAPH_JOB_RESCUE_AFTER=2s")...)
		var got struct {
			Node struct {
				PropexoProspectID string
				IntegrationJobs   struct {
					Edges []struct {
						Node struct {
							Status, PartnerJobID string
							Attempts             int
						}
					}
				}
			}
		}
		apptest.Eventually(ctx, t, "the rescued delivery to succeed", func() bool {
			second.GQL(t, ctx, token, `query($id: ID!) { node(id: $id) { ... on Prospect { propexoProspectID
				integrationJobs { edges { node { status partnerJobID attempts } } } } } }`,
				map[string]any{"id": created.CreateProspect.ID}, &got)
			return len(got.Node.IntegrationJobs.Edges) == 1 && got.Node.IntegrationJobs.Edges[0].Node.Status == "SUCCEEDED"
		})
		t.Logf("rescued and delivered %s after the kill", time.Since(killed).Round(time.Second))
		st := sim.Stats()
		jobs := sim.Jobs()
		if n := len(sim.Prospects()); n != 1 || len(jobs) != 1 || st.LeadReads == 0 {
			t.Fatalf("at Propexo: %d prospects, %d write jobs, %d lead reads; want one write, found rather than resent (%+v)", n, len(jobs), st.LeadReads, st)
		}
		ij := got.Node.IntegrationJobs.Edges[0].Node
		// The answer naming Propexo's job was lost with the first server: the
		// delivery found the write by its content, so it never learned the job.
		if ij.PartnerJobID != "" || got.Node.PropexoProspectID == "" {
			t.Fatalf("delivery %+v, prospect id %q; Propexo's job %s", ij, got.Node.PropexoProspectID, jobs[0].ID)
		}
		if _, ok := sim.Prospect(got.Node.PropexoProspectID); !ok {
			t.Fatalf("prospect %s is not at Propexo", got.Node.PropexoProspectID)
		}
	}
	apptest.EachProcessDB(t, run)
}
