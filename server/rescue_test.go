package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/viewer"
)

// Crash recovery, with real processes: a server is killed (SIGKILL) while
// its delivery of a prospect to Propexo is in flight, after Propexo
// applied the write but before the server heard back. A second server,
// started with a short rescue setting, picks the job up again and resumes
// it from the IntegrationJob's state: the prospect reaches Propexo once
// and the delivery ends SUCCEEDED.

// buildServer builds this command into dir.
func buildServer(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serverProcess is the server binary running on a port of its own.
type serverProcess struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
	done chan struct{}
}

func startServer(t *testing.T, ctx context.Context, bin string, env ...string) *serverProcess {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	p := &serverProcess{url: "http://127.0.0.1:" + port, logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(os.Environ(), append([]string{"PORT=" + port, "LEASEGRAPH_SECRET=" + strings.Repeat("s", 32),
		// The test polls the server; its pace is not what it tests.
		"LEASEGRAPH_TOKEN_RATE=0"}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("server log:\n%s", p.logs)
		}
	})
	eventually(ctx, t, "the server to answer /healthz", func() bool {
		select {
		case <-p.done:
			t.Fatalf("the server exited:\n%s", p.logs)
		default:
		}
		res, err := http.Get(p.url + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return p
}

// kill ends the process with SIGKILL: no deferred function, no graceful
// stop of the job queue.
func (p *serverProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

func (p *serverProcess) gql(t *testing.T, ctx context.Context, token, query string, vars map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r struct {
		Data   json.RawMessage
		Errors []gqlError
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) > 0 || res.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d %s", res.StatusCode, raw)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatal(err)
	}
}

func TestDeliveryRescuedAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs server processes")
	}
	bin := buildServer(t, t.TempDir()) // once, before the parallel runs
	run := func(t *testing.T, dbURL string) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()

		// A client that delivers to Propexo, arranged in the database.
		drv, err := database.Driver(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		client, err := database.Client(ctx, drv)
		if err != nil {
			t.Fatal(err)
		}
		sys := viewer.SystemContext(ctx)
		company, err := client.Company.Create().SetName("Acme").SetPropexoIntegrationID("int-Acme").Save(sys)
		if err != nil {
			t.Fatal(err)
		}
		_, token, err := (&tenancy.Service{DB: client}).CreateToken(sys, tenancy.NewToken{ClientID: company.ID, Scopes: []viewer.Scope{viewer.ScopeRead, viewer.ScopeWrite}})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		raw := drv.DB()

		// Propexo applies the first create, then never answers it.
		sim := propexotest.New(propexotest.Options{AutoComplete: 50 * time.Millisecond})
		simSrv := httptest.NewServer(sim)
		t.Cleanup(simSrv.Close)
		t.Cleanup(sim.Close)
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultHang, AfterWrite: true})
		env := []string{"DATABASE_URL=" + dbURL, "PROPEXO_TOKEN=test-token", "PROPEXO_BASE_URL=" + simSrv.URL, "LOG_LEVEL=warn",
			"PROPEXO_RECONCILE_AFTER=1s"}

		first := startServer(t, ctx, bin, env...)
		var created createdProspect
		first.gql(t, ctx, token, createProspect, map[string]any{"in": map[string]any{
			"firstName": "Ada", "lastName": "Lovelace", "phone1": "(512) 555-0100",
		}}, &created)
		eventually(ctx, t, "Propexo to receive the create", func() bool { return sim.CreateRequests() == 1 })
		var state string
		eventually(ctx, t, "the River job to be running", func() bool {
			_ = raw.QueryRowContext(ctx, "SELECT state FROM river_job WHERE kind = 'deliver_prospect'").Scan(&state)
			return state == "running"
		})
		first.kill(t)
		killed := time.Now()
		if n := len(sim.Jobs()); n != 1 {
			t.Fatalf("before the rescue Propexo holds %d write jobs, want the one applied", n)
		}

		// The dead server never recorded Propexo's answer: the delivery is
		// QUEUED with no partner job id, and its River job stays running.
		second := startServer(t, ctx, bin, append(env, "LEASEGRAPH_JOB_TIMEOUT=1s", "LEASEGRAPH_JOB_RESCUE_AFTER=2s")...)
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
		eventually(ctx, t, "the rescued delivery to succeed", func() bool {
			second.gql(t, ctx, token, `query($id: ID!) { node(id: $id) { ... on Prospect { propexoProspectID
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
		// delivery found the write by its marker, so it never learned the job.
		if ij.PartnerJobID != "" || got.Node.PropexoProspectID == "" {
			t.Fatalf("delivery %+v, prospect id %q; Propexo's job %s", ij, got.Node.PropexoProspectID, jobs[0].ID)
		}
		if _, ok := sim.Prospect(got.Node.PropexoProspectID); !ok {
			t.Fatalf("prospect %s is not at Propexo", got.Node.PropexoProspectID)
		}
	}
	forEachProcessDB(t, run)
}

// forEachProcessDB runs run, a test of server processes, on a fresh SQLite
// file and a fresh PostgreSQL schema, in parallel.
func forEachProcessDB(t *testing.T, run func(t *testing.T, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		run(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testknobs.SkipPostgres(t)
		run(t, postgresSchema(t))
	})
}
