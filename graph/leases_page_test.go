package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// The lease page costs at most 3 SQL statements whatever its size: the
// token and the client's status sets come from the process's short-lived
// cache after the first request, the leases come in one statement and their
// tenants in one more, and COUNT runs only when totalCount is asked for.
// Tenants come in id order on both databases, also after an update has moved
// a row or when an index orders them otherwise.
func TestLeasePageStatementsAndOrder(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		clientID, token := e.NewClient("Paged")
		p := e.NewProperty(clientID, "P-1", "Pine")
		day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		const leases = 6
		for i := range leases {
			l := e.NewLease(p, fmt.Sprintf("L%d", i), "Approved", day, apptest.MoveIn(day))
			var ids []int
			// Source ids run against creation order, so an index scan on
			// (lease_id, source_id) returns them out of id order.
			for j := range 3 {
				ids = append(ids, e.NewTenant(l, fmt.Sprintf("T%d-%d", i, 9-j), fmt.Sprint("t", j), "Lee", fmt.Sprintf("t%d-%d@example.com", i, j)).ID)
			}
			// Rewrite an indexed column of the first tenant: PostgreSQL
			// writes the new row version after the others, and the new
			// email sorts last in the (client_id, email) index it may scan.
			if err := e.Client.Tenant.UpdateOneID(ids[0]).SetEmail(fmt.Sprintf("z-moved%d@example.com", i)).Exec(e.Sys()); err != nil {
				t.Fatal(err)
			}
		}
		vars := func(first int, count bool) map[string]any {
			return map[string]any{"first": first, "from": "2025-03-01", "to": "2025-03-31", "count": count}
		}
		// The first request fills the caches (and writes lastUsedAt).
		e.MustGQL(token, apptest.PageQuery, vars(2, false), nil)

		for _, c := range []struct {
			first int
			count bool
			max   int64
		}{{2, false, 2}, {50, false, 2}, {200, false, 2}, {2, true, 3}, {200, true, 3}} {
			r, n := e.Statements(token, apptest.PageQuery, vars(c.first, c.count))
			if len(r.Errors) > 0 {
				t.Fatalf("first %d: %+v", c.first, r.Errors)
			}
			if n > c.max {
				t.Errorf("first %d, totalCount %v: %d SQL statements, want at most %d", c.first, c.count, n, c.max)
			}
			var out apptest.PageAnswer
			if err := json.Unmarshal(r.Data, &out); err != nil {
				t.Fatal(err)
			}
			want := min(c.first, leases)
			if got := len(out.Leases.Edges); got != want {
				t.Fatalf("first %d: %d leases, want %d", c.first, got, want)
			}
			if hasNext := c.first < leases; out.Leases.PageInfo.HasNextPage != hasNext || out.Leases.PageInfo.EndCursor == nil {
				t.Errorf("first %d: pageInfo %+v, want hasNextPage %v and an end cursor", c.first, out.Leases.PageInfo, hasNext)
			}
			if c.count && out.Leases.TotalCount != leases {
				t.Errorf("totalCount %d, want %d", out.Leases.TotalCount, leases)
			}
			for _, edge := range out.Leases.Edges {
				var ids []int
				for _, tn := range edge.Node.Tenants {
					var id int
					fmt.Sscan(tn.ID, &id)
					ids = append(ids, id)
				}
				if len(ids) != 3 || !slices.IsSorted(ids) {
					t.Fatalf("lease %s: tenants %+v, want 3 in id order", edge.Node.ID, edge.Node.Tenants)
				}
			}
		}
	})
}
