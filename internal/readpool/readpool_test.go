package readpool_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// A read is answered while a write transaction holds the database (as a
// long import or a first sync does), and sees only what was committed: on
// SQLite, whose one read-write connection the transaction holds, the read
// used to wait behind it until the request's deadline (503). The same on
// PostgreSQL, whose pool always had other connections.
func TestReadsDoNotWaitForTheWriter(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithRequestTimeout(5*time.Second), func(t *testing.T, e *apptest.Env) {
		id, token := e.NewClient("Acme")
		p := e.NewProperty(id, "P-1", "Pine")
		l := e.NewLease(p, "L-1", "Approved", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
		const page = `{ leases { totalCount edges { node { sourceID status } } } }`
		status := func(what string) string {
			t.Helper()
			r := e.GQL(token, page, nil)
			if r.Status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("%s: HTTP %d %+v", what, r.Status, r.Errors)
			}
			s, _ := apptest.Dig(t, r.Data, "leases.edges.0.node.status").(string)
			return s
		}

		tx, err := e.Client.Tx(e.Sys())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		// The transaction writes first, so SQLite's write lock is held.
		if err := tx.Lease.UpdateOneID(l.ID).SetStatus("Cancelled").Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		if got := status("while the transaction is open"); got != "Approved" {
			t.Fatalf("while the transaction is open the read sees %q, want the committed Approved", got)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := status("after the commit"); got != "Cancelled" {
			t.Fatalf("after the commit the read sees %q", got)
		}
		// Writes outside a transaction still work: an INSERT ... RETURNING
		// that ent sends as a query goes to the writer, not to a reader.
		e.MustGQL(token, `mutation { createProperty(input: {tag: "P-2", name: "Oak"}) { id } }`, nil, nil)
	})
}
