package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/internal/apptest"
)

// holder holds a database's first import after its first staged batch
// until released (app.Options.ImportStaged); later imports run through.
type holder struct {
	calls   atomic.Int64
	held    chan struct{}
	release chan struct{}
}

func newHolder() *holder { return &holder{held: make(chan struct{}), release: make(chan struct{})} }

func (h *holder) staged(context.Context) {
	if h.calls.Add(1) == 1 {
		close(h.held)
		<-h.release
	}
}

// holdImports gives each database's app a holder of its own.
func holdImports(holders *sync.Map) apptest.Setup {
	return func(t *testing.T, s *apptest.Settings) {
		h := newHolder()
		holders.Store(s.Dialect, h)
		s.Options.ImportStaged = h.staged
	}
}

// waitHeld waits for the held import (a bound against a hang, not a measure).
func (h *holder) waitHeld(t *testing.T, done <-chan apptest.GQLResponse) {
	t.Helper()
	select {
	case <-h.held:
	case r := <-done:
		t.Fatalf("the import answered before its first batch was held: %+v", r)
	case <-time.After(time.Minute):
		t.Fatal("the import never staged a batch")
	}
}

// gqlWithin posts a GraphQL request that must be answered within d: a
// write stuck behind another transaction is cut off and fails the test
// instead of waiting for it.
func gqlWithin(t *testing.T, e *apptest.Env, d time.Duration, token, query string, vars map[string]any) apptest.GQLResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.Srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("no answer within %v: %v", d, err)
	}
	defer res.Body.Close()
	var out apptest.GQLResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	out.Status = res.StatusCode
	return out
}

// importAsync posts an import whose answer arrives on the channel.
func importAsync(e *apptest.Env, token, feed string) <-chan apptest.GQLResponse {
	done := make(chan apptest.GQLResponse, 1)
	go func() {
		body, _ := json.Marshal(map[string]any{"query": apptest.ImportMutation,
			"variables": map[string]any{"f": "JSON", "d": feed, "dry": false}})
		var out apptest.GQLResponse
		req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			out.Errors = []apptest.GQLError{{Message: err.Error()}}
		} else {
			out.Status = res.StatusCode
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
				out.Errors = []apptest.GQLError{{Message: err.Error()}}
			}
			res.Body.Close()
		}
		done <- out
	}()
	return done
}

// leaseFeed is n leases L0... of status, on properties P0 to P6, each
// with one tenant.
func leaseFeed(n int, status string) string {
	var feed strings.Builder
	feed.WriteString("[")
	for i := range n {
		if i > 0 {
			feed.WriteString(",")
		}
		fmt.Fprintf(&feed, `{"id": "L%d", "property_id": "P%d", "status": %q, "lease_start_date": "2025-01-01",
			"tenants": [{"id": "T%d", "first_name": "Ann", "last_name": "Lee", "email": "t%d@example.com"}]}`, i, i%7, status, i, i)
	}
	feed.WriteString("]")
	return feed.String()
}

const leaseCount = `query { leases(first: 1) { totalCount } }`

func visibleLeases(t *testing.T, e *apptest.Env, token string) int {
	t.Helper()
	var out struct{ Leases struct{ TotalCount int } }
	e.MustGQL(token, leaseCount, nil, &out)
	return out.Leases.TotalCount
}

func importReport(t *testing.T, r apptest.GQLResponse) apptest.ImportResult {
	t.Helper()
	var out apptest.ImportResult
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("import: HTTP %d, %+v", r.Status, r.Errors)
	}
	if err := json.Unmarshal(r.Data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportLetsOtherWritesThrough: an import holds no transaction between
// its batches, so a write sent while it is held there (after its first
// batch of 500, of 1,200 leases) is answered at once, on SQLite's one
// writer too, even one that creates a property the import creates; a
// reader meanwhile sees none of the import, and once released the import
// commits whole (adopting that property). In one long transaction, as
// imports were, the write waits for the import, which waits for the
// test: the write is cut off.
func TestImportLetsOtherWritesThrough(t *testing.T) {
	const leases = 1200
	var holders sync.Map
	apptest.EachDBSetup(t, holdImports(&holders), func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		_, other := e.NewClient("B")
		v, _ := holders.Load(e.Dialect)
		h := v.(*holder)
		done := importAsync(e, token, leaseFeed(leases, "approved"))
		h.waitHeld(t, done)
		released := false
		defer func() {
			if !released {
				close(h.release)
			}
		}()

		create := `mutation($tag: String!) { createProperty(input: {tag: $tag, name: "Meanwhile"}) { id } }`
		for _, w := range []struct {
			token, tag string
		}{{token, "P0"}, {other, "Q1"}} {
			if r := gqlWithin(t, e, 10*time.Second, w.token, create, map[string]any{"tag": w.tag}); len(r.Errors) > 0 {
				t.Fatalf("a write during the import: %+v", r.Errors)
			}
		}
		if n := visibleLeases(t, e, token); n != 0 {
			t.Fatalf("a reader sees %d leases of an import not yet applied", n)
		}

		close(h.release)
		released = true
		rep := importReport(t, <-done).ImportLeases
		if !rep.Applied || rep.LeasesCreated != leases || rep.TenantsCreated != leases || rep.PropertiesCreated != 6 {
			t.Fatalf("import: %+v (P0, created meanwhile, is adopted: 6 properties created)", rep)
		}
		if n := visibleLeases(t, e, token); n != leases {
			t.Fatalf("a reader sees %d leases after the import, want %d", n, leases)
		}
		p0 := e.Client.Lease.Query().Where(lease.ClientID(a), lease.SourceID("L0")).QueryProperty().OnlyX(e.Sys())
		if p0.Tag != "P0" || p0.Name != "Meanwhile" {
			t.Fatalf("L0's property: %+v", p0)
		}
		if n := e.Client.LeaseImportRow.Query().CountX(e.Sys()); n != 0 {
			t.Fatalf("%d staged rows left", n)
		}
	})
}

// TestImportConflictWritesNothing: a lease the import planned to update
// changed before its final step (another import of the client ran to its
// end meanwhile): the import fails with CONFLICT and writes nothing, none
// of its other updates either, and leaves no staged row.
func TestImportConflictWritesNothing(t *testing.T) {
	const leases = 600
	var holders sync.Map
	apptest.EachDBSetup(t, holdImports(&holders), func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		v, _ := holders.Load(e.Dialect)
		h := v.(*holder)
		h.calls.Store(-100) // the first import runs through
		var out apptest.ImportResult
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": leaseFeed(leases, "approved"), "dry": false}, &out)
		h.calls.Store(0)

		done := importAsync(e, token, leaseFeed(leases, "notice"))
		h.waitHeld(t, done)
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": leaseFeed(1, "ending"), "dry": false}, &out)
		close(h.release)

		r := <-done
		if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" || !strings.Contains(r.Errors[0].Message, "nothing was imported") {
			t.Fatalf("an import planned against a changed lease: HTTP %d, %+v", r.Status, r.Errors)
		}
		statuses := map[string]int{}
		for _, l := range e.Client.Lease.Query().Where(lease.ClientID(a)).AllX(e.Sys()) {
			statuses[l.Status]++
		}
		if statuses["approved"] != leases-1 || statuses["ending"] != 1 || len(statuses) != 2 {
			t.Fatalf("statuses after the failed import: %v", statuses)
		}
		if n := e.Client.LeaseImportRow.Query().CountX(e.Sys()); n != 0 {
			t.Fatalf("%d staged rows left", n)
		}
		if got := e.EventTypes(token); len(got) != 2 {
			t.Fatalf("events %v: want the two committed imports'", got)
		}
	})
}
