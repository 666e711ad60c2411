package graph_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/prospects"
)

// benchEnv is the demo data set (500 leases with tenants) on SQLite, or on
// PostgreSQL when db is "postgres".
func benchEnv(b *testing.B, db string) (*apptest.Env, string) {
	url := "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	if db == "postgres" {
		url = dbtest.PostgresURL(b)
	}
	e := apptest.New(b, url, nil)
	token, err := demo.Seed(context.Background(), e.Client, &prospects.Service{DB: e.Client}, "lg_benchmark_token_0000", []string{e.Srv.URL}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return e, token
}

// BenchmarkLeasesMoving measures the README's moving query, a page of 100
// leases with tenants and property, over HTTP.
func BenchmarkLeasesMoving(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			e, token := benchEnv(b, db)
			const q = `{ leases(first: 100, moving: {kinds: [MOVE_IN, MOVE_OUT, TRANSFER], from: "2025-01-01", to: "2026-12-31"}) {
				totalCount edges { node { id status moveInDate leaseStartDate property { tag } tenants { firstName email } } } } }`
			e.Queries.N.Store(0)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				e.MustGQL(token, q, nil, nil)
			}
			b.ReportMetric(float64(e.Queries.N.Load())/float64(b.N), "statements/op")
		})
	}
}

// BenchmarkLeasePage measures a page shaped like the peer harness's
// (apptest.PageQuery: 50 leases with their unit address and tenants, pageInfo, no
// totalCount) over HTTP on the demo data: allocations and bytes per request
// (server and test client share the process) and SQL statements per
// request. It selects fewer fields than the harness's query and the demo's
// tenants have no addresses, so its allocations are a floor, not the
// harness's figure (its profiling script counts those:
// docs/testing.md#performance-harness). Speed is
// the harness's to judge; these are what a change to the read path moves.
func BenchmarkLeasePage(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			e, token := benchEnv(b, db)
			vars := map[string]any{"first": 50, "from": "2025-01-01", "to": "2026-12-31", "count": false}
			var out apptest.PageAnswer
			e.MustGQL(token, apptest.PageQuery, vars, &out) // fills the token and status-set caches
			if len(out.Leases.Edges) != 50 {
				b.Fatalf("page of %d leases, want 50", len(out.Leases.Edges))
			}
			e.Queries.N.Store(0)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				e.MustGQL(token, apptest.PageQuery, vars, nil)
			}
			b.ReportMetric(float64(e.Queries.N.Load())/float64(b.N), "statements/op")
		})
	}
}

// BenchmarkLeasesREST measures GET /leases with a move window, 100 a page.
func BenchmarkLeasesREST(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			e, token := benchEnv(b, db)
			for b.Loop() {
				if status, _, body := e.Get(token, "/leases?move=[in,out]&from=2025-01-01&to=2026-12-31&limit=100"); status != 200 {
					b.Fatalf("HTTP %d %s", status, body)
				}
			}
		})
	}
}
