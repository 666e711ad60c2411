package propexosync_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// BenchmarkSync50k is a full first sync of 50,000 leases with a resident
// each from the simulator (in process, no rate limit: the store's side),
// on SQLite, or on PostgreSQL with BENCH_POSTGRES=1. Run it once:
//
//	go test -run '^$' -bench Sync50k -benchtime 1x ./leases/propexosync/
//
// At Propexo's 150 requests a minute the 400 pages alone take 2.7 min.
// Measured on the shared 2-core CI box (issue 16), two runs each: SQLite
// 303 and 648 leases/s, PostgreSQL 586 and 481 leases/s (50k leases in
// 77 to 165 s, other jobs running alongside).
func BenchmarkSync50k(b *testing.B) {
	const n = 50000
	url := dbtest.SQLiteURL(b)
	if os.Getenv("BENCH_POSTGRES") == "1" {
		url = dbtest.PostgresURL(b)
	}
	for b.Loop() {
		b.StopTimer()
		db := dbtest.Open(b, url)
		sim := propexotest.New(propexotest.Options{RateLimit: 1 << 30})
		for i := range n {
			id := fmt.Sprintf("lease-%d", i)
			sim.PutLease(propexotest.LeaseRecord{ID: id, IntegrationID: "int-bench", PropertyID: fmt.Sprintf("p%d", i%50),
				Status: "Current", StatusRaw: "Current", StartDate: "2025-01-01", MoveInDate: "2025-01-01", ResidentIDs: []string{"r" + id}})
			sim.PutResident(propexotest.ResidentRecord{ID: "r" + id, IntegrationID: "int-bench", PropertyID: "p",
				FirstName: "Ann", LastName: "Doe", Email: "ann@example.com", Phone: "5125550100", LeaseIDs: []string{id}})
		}
		px, err := propexo.New(propexo.Config{Token: "t", BaseURL: "http://propexo.test", HTTPClient: &http.Client{Transport: sim.Transport()}})
		if err != nil {
			b.Fatal(err)
		}
		id := dbtest.NewClient(b, db.Client, "Bench")
		if err := db.Client.Company.UpdateOneID(id).SetPropexoIntegrationID("int-bench").Exec(dbtest.System()); err != nil {
			b.Fatal(err)
		}
		svc := &propexosync.Service{DB: db.Client, Propexo: px, FullEvery: config.Defaults().Delivery.SyncFullEvery}
		b.StartTimer()
		start := time.Now()
		if err := svc.Run(context.Background(), id); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "leases/s")
		sim.Close()
	}
}
