package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/types"
)

// fastPathEnv serves the app twice over one database: e with the leases
// fast path (graph/fastpath), off without it; served counts the operations
// the fast path answered.
type fastPathEnv struct {
	*env
	off    *httptest.Server
	served *atomic.Int64
}

func forEachDBFastPath(t *testing.T, fn func(t *testing.T, f fastPathEnv)) {
	t.Helper()
	// The databases' runs are parallel: each keeps its own app and count,
	// by test name.
	type shipped struct {
		a      *app
		served *atomic.Int64
	}
	var apps sync.Map
	forEachDBSetup(t, func(t *testing.T, a *app, _ *sql.DB, _ string) {
		s := shipped{a: a, served: &atomic.Int64{}}
		a.graphql.FastPathServed = func() { s.served.Add(1) }
		apps.Store(t.Name(), s)
	}, func(t *testing.T, e *env) {
		v, _ := apps.Load(t.Name())
		s := v.(shipped)
		// The same app but for the fast path, on the same database and
		// token cache.
		gqlgenOnly := &app{client: s.a.client, log: s.a.log, tenancy: s.a.tenancy,
			graphql: handler.Config{GraphQL: s.a.graphql.GraphQL, NoFastPath: true}}
		off := httptest.NewServer(gqlgenOnly.routes())
		t.Cleanup(off.Close)
		fn(t, fastPathEnv{env: e, off: off, served: s.served})
	})
}

// both posts the request to the app with and without the fast path and
// fails unless both answer with the same bytes; it returns the answer and
// whether the fast path answered it.
func (f fastPathEnv) both(t *testing.T, token, query string, vars map[string]any) ([]byte, bool) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	before := f.served.Load()
	status, fast := postTo(t, f.srv.URL, token, body)
	served := f.served.Load() > before
	offStatus, slow := postTo(t, f.off.URL, token, body)
	if f.served.Load() > before+1 {
		t.Fatalf("the gqlgen-only app used the fast path")
	}
	if status != offStatus || !bytes.Equal(fast, slow) {
		t.Fatalf("fast path and gqlgen differ for\n%s\nvars %v\nfast (HTTP %d):\n%s\ngqlgen (HTTP %d):\n%s", query, vars, status, fast, offStatus, slow)
	}
	return fast, served
}

func postTo(t *testing.T, base, token string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	// The same request id on both sides: errors quote it.
	req.Header.Set("X-Request-Id", "fastpath-differential")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, raw
}

// perfQuery is the peer harness's query (docs/testing.md#performance-harness).
const perfQuery = `query Leases($first: Int = 50, $after: Cursor, $from: Date!, $to: Date!) {
  leases(first: $first, after: $after, moving: {kinds: [MOVE_IN, MOVE_OUT], from: $from, to: $to}) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id status useType leaseStartDate leaseEndDate moveInDate moveOutDate
        unitAddress { street apt city state zip }
        tenants {
          id firstName lastName email cellPhone homePhone
          previousAddress { street apt city state zip }
          forwardingAddress { street apt city state zip }
        }
      }
    }
  }
}`

// everyField selects every field the fast path writes, with cursors and
// the count.
const everyField = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $orderBy: LeaseOrder,
    $where: LeaseWhereInput, $moving: LeaseMovingFilter) {
  leases(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, where: $where, moving: $moving) {
    __typename totalCount
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      __typename cursor
      node {
        __typename id createdAt updatedAt sourceID status useType
        leaseStartDate leaseEndDate moveInDate moveOutDate
        unitAddress { __typename street apt city state zip }
        previousAddress { street apt city state zip }
        forwardingAddress { street apt city state zip }
        tenants {
          __typename id createdAt updatedAt sourceID firstName lastName email cellPhone homePhone gender
          previousAddress { street apt city state zip }
          forwardingAddress { zip street }
        }
      }
    }
  }
}`

// The fast path answers the leases page with the bytes gqlgen would
// write, on every shape of the query it accepts (aliases, fragments,
// @skip/@include, cursors both ways, filters, order, nulls, escapes, empty
// pages), and leaves every other operation to gqlgen, which answers it as
// before. Another client's leases stay invisible.
func TestFastPathMatchesGqlgen(t *testing.T) {
	forEachDBFastPath(t, func(t *testing.T, f fastPathEnv) {
		e := f.env
		clientID, token := e.newClient("Fast")
		otherID, otherToken := e.newClient("Other")
		p := e.newProperty(clientID, "P-1", "Pine")
		day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		var mine []string
		for i := range 7 {
			status, opts := "Approved", []leaseOpt{moveIn(day.AddDate(0, 0, i))}
			if i%3 == 1 {
				status, opts = "ENDING", []leaseOpt{moveOut(day.AddDate(0, 0, i)), ends(day.AddDate(0, 0, i+1)), useType("corporate")}
			}
			l := e.newLease(p, fmt.Sprintf("L%d", i), status, day.AddDate(-1, 0, i), opts...)
			mine = append(mine, fmt.Sprint(l.ID))
			switch i {
			case 0:
				// Every string escape gqlgen writes, the ones it does not, and
				// the HTML escapes encoding/json adds (<, >, &, U+2028, U+2029).
				e.newTenant(l, "T0", "Zoë \"Q\" \\ <b>&amp;\u2028\u2029", "Tab\there\r\nnew\x01\x1f", "t0@example.com")
				_, err := e.client.Tenant.Create().SetClientID(clientID).SetLeaseID(l.ID).SetSourceID("T0b").
					SetFirstName("No").SetLastName("Address").SetEmail("").SetCellPhone("+15125550100").
					SetGender(tenant.GenderFEMALE).
					SetForwardingAddress(&types.Address{Street: "5 New St", Zip: "10001"}).Save(e.sys())
				if err != nil {
					t.Fatal(err)
				}
			case 2:
				// A tenant without any address.
				if _, err := e.client.Tenant.Create().SetClientID(clientID).SetLeaseID(l.ID).SetSourceID("T2").
					SetFirstName("Bare").SetLastName("Tenant").SetEmail("bare@example.com").Save(e.sys()); err != nil {
					t.Fatal(err)
				}
			case 3:
				// No tenants at all.
			default:
				e.newTenant(l, fmt.Sprintf("T%d", i), "Sam", "Lee", fmt.Sprintf("t%d@example.com", i))
			}
		}
		// A lease without a unit address or any move date (its start date
		// is in the window).
		bare, err := e.client.Lease.Create().SetClientID(clientID).SetPropertyID(p.ID).SetSourceID("BARE").
			SetStatus("approved").SetLeaseStartDate(day).Save(e.sys())
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, fmt.Sprint(bare.ID))
		op := e.newProperty(otherID, "P-9", "Oak")
		theirs := e.newLease(op, "THEIRS", "Approved", day, moveIn(day))
		e.newTenant(theirs, "X1", "Hidden", "Person", "hidden@example.com")

		window := map[string]any{"kinds": []string{"MOVE_IN", "MOVE_OUT"}, "from": "2025-03-01", "to": "2025-03-31"}
		e.mustGQL(token, perfQuery, map[string]any{"from": "2025-03-01", "to": "2025-03-31"}, nil) // caches

		// The harness's page, then its next page by the end cursor.
		page, served := f.both(t, token, perfQuery, map[string]any{"first": 3, "from": "2025-03-01", "to": "2025-03-31"})
		if !served {
			t.Fatalf("the fast path did not answer the harness's query")
		}
		var out struct {
			Data struct {
				Leases struct {
					PageInfo struct{ EndCursor string }
					Edges    []struct{ Node struct{ ID string } }
				}
			}
		}
		if err := json.Unmarshal(page, &out); err != nil || len(out.Data.Leases.Edges) != 3 {
			t.Fatalf("page %s (%v)", page, err)
		}
		after := out.Data.Leases.PageInfo.EndCursor

		accepted := []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"harness page", perfQuery, map[string]any{"from": "2025-03-01", "to": "2025-03-31"}},
			{"harness next page", perfQuery, map[string]any{"first": 3, "after": after, "from": "2025-03-01", "to": "2025-03-31"}},
			{"every field", everyField, map[string]any{"first": 5}},
			{"every field, moving, count", everyField, map[string]any{"moving": window}},
			{"after", everyField, map[string]any{"first": 2, "after": after}},
			{"last before", everyField, map[string]any{"last": 2, "before": after}},
			{"last", everyField, map[string]any{"last": 3}},
			{"where", everyField, map[string]any{"where": map[string]any{"sourceIDIn": []string{"L1", "L4", "BARE"}}}},
			{"order", everyField, map[string]any{"first": 4, "orderBy": map[string]any{"field": "SOURCE_ID", "direction": "DESC"}}},
			{"order and after", everyField, map[string]any{"first": 2, "after": after, "orderBy": map[string]any{"field": "LEASE_START_DATE"}}},
			{"empty window", everyField, map[string]any{"moving": map[string]any{"kinds": []string{"MOVE_IN"}, "from": "1999-01-01", "to": "1999-02-01"}}},
			{"first 0", everyField, map[string]any{"first": 0}},
			{"empty filter", everyField, map[string]any{"where": map[string]any{"sourceID": "none"}}},
			{"aliases", `{ page: leases(first: 3) { count: totalCount info: pageInfo { more: hasNextPage back: hasPreviousPage s: startCursor e: endCursor }
				items: edges { c: cursor lease: node { key: id kind: __typename st: status at: unitAddress { z: zip }
				people: tenants { who: firstName mail: email } others: tenants { id } } } } }`, nil},
			{"fragments and directives", `query($yes: Boolean!, $no: Boolean!) { leases(first: 4) {
				...conn edges { node { ... on Node { id } ...lease tenants @include(if: $yes) { ... on Tenant { email } firstName @skip(if: $no) lastName @skip(if: $yes) } } }
				totalCount @include(if: $no) }
			}
			fragment conn on LeaseConnection { pageInfo { endCursor } edges { cursor } }
			fragment lease on Lease { status tenants { id } }`, map[string]any{"yes": true, "no": false}},
			{"repeated fields merge", `{ leases(first: 2) { edges { node { id tenants { firstName } tenants { email } id } } edges { cursor } } }`, nil},
		}
		for _, c := range accepted {
			body, served := f.both(t, token, c.query, c.vars)
			if !served {
				t.Errorf("%s: the fast path did not answer: %s", c.name, body)
			}
			if strings.Contains(string(body), "THEIRS") || strings.Contains(string(body), "Hidden") || strings.Contains(string(body), `"errors"`) {
				t.Errorf("%s: %s", c.name, body)
			}
		}
		// The other client sees its lease and none of ours.
		theirPage, served := f.both(t, otherToken, everyField, nil)
		if !served || !strings.Contains(string(theirPage), `"THEIRS"`) || strings.Contains(string(theirPage), `"L0"`) {
			t.Errorf("the other client's page (fast path %v): %s", served, theirPage)
		}
		var all struct {
			Data struct {
				Leases struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
		}
		allPage, _ := f.both(t, token, everyField, map[string]any{"first": 100})
		if err := json.Unmarshal(allPage, &all); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, edge := range all.Data.Leases.Edges {
			got = append(got, edge.Node.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(mine) {
			t.Errorf("the client's leases %v, want %v", got, mine)
		}

		// What the fast path leaves to gqlgen, answered as gqlgen does.
		refused := []struct {
			name  string
			query string
			vars  map[string]any
			error bool
		}{
			{"a field outside the whitelist", `{ leases(first: 2) { edges { node { id property { tag } } } } }`, nil, false},
			{"a map field", `{ leases(first: 2) { edges { node { id extra } } } }`, nil, false},
			{"a tenant's lease", `{ leases(first: 2) { edges { node { tenants { lease { id } } } } } }`, nil, false},
			{"two root fields", `{ leases(first: 1) { totalCount } other: leases(last: 1) { totalCount } }`, nil, false},
			{"a root __typename", `{ __typename leases(first: 1) { totalCount } }`, nil, false},
			{"another root field", `{ node(id: "` + mine[0] + `") { id } }`, nil, false},
			{"first and last", everyField, map[string]any{"first": 2, "last": 2}, true},
			{"a page too large", perfQuery, map[string]any{"first": 501, "from": "2025-03-01", "to": "2025-03-31"}, true},
			{"a bad cursor", perfQuery, map[string]any{"after": "not-a-cursor", "from": "2025-03-01", "to": "2025-03-31"}, true},
			{"a window backwards", perfQuery, map[string]any{"from": "2025-03-31", "to": "2025-03-01"}, true},
			{"an unknown field", `{ leases { edges { node { nope } } } }`, nil, true},
			{"a mutation", `mutation { importLeases(format: CSV, data: "", dryRun: true) { leases } }`, nil, false},
			{"a failing mutation", `mutation { importLeases(format: CSV, data: "x", mapping: {nope: 1}, dryRun: true) { leases } }`, nil, true},
		}
		for _, c := range refused {
			body, served := f.both(t, token, c.query, c.vars)
			if served {
				t.Errorf("%s: the fast path answered: %s", c.name, body)
			}
			if hasErrors := strings.Contains(string(body), `"errors"`); hasErrors != c.error {
				t.Errorf("%s: errors %v, want %v: %s", c.name, hasErrors, c.error, body)
			}
		}

		// A value gqlgen refuses to write (a zero Time! is null there, an
		// error) is found only while writing, after the resolver: the fast
		// path must then let gqlgen answer the whole operation.
		if err := e.queries.Driver.Exec(e.sys(), "UPDATE leases SET created_at = '0001-01-01 00:00:00+00:00' WHERE source_id = 'BARE'", []any{}, nil); err != nil {
			t.Fatal(err)
		}
		body, served := f.both(t, token, everyField, map[string]any{"where": map[string]any{"sourceID": "BARE"}})
		if served || !strings.Contains(string(body), `"errors"`) {
			t.Errorf("a lease created at the zero time (fast path %v): %s", served, body)
		}
	})
}

// The fast path's answer buffers and the route's answer buffers are reused
// between requests. Many pages at once, of two clients and several sizes,
// must each be exactly the page that client and size get alone: no byte of
// another answer, nothing left over from a longer one.
func TestFastPathAnswersStayTheirOwn(t *testing.T) {
	forEachDBFastPath(t, func(t *testing.T, f fastPathEnv) {
		e := f.env
		day := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
		var tokens []string
		for c, name := range []string{"Alder", "Birch"} {
			id, token := e.newClient(name)
			p := e.newProperty(id, "P-"+name, name+" Court")
			for i := range 4 + 3*c {
				l := e.newLease(p, fmt.Sprintf("%s-%d", name, i), "Approved", day.AddDate(-1, 0, i), moveIn(day.AddDate(0, 0, i)))
				for j := range 1 + i%3 {
					e.newTenant(l, fmt.Sprintf("%s-%d-%d", name, i, j), strings.Repeat(name, 1+i), "Lee", fmt.Sprintf("%s%d%d@example.com", name, i, j))
				}
			}
			tokens = append(tokens, token)
		}
		body := func(first int) []byte {
			b, _ := json.Marshal(map[string]any{"query": perfQuery, "variables": map[string]any{"first": first, "from": "2025-03-01", "to": "2025-03-31"}})
			return b
		}
		want := map[[2]int][]byte{}
		for c, token := range tokens {
			for first := 1; first <= 7; first++ {
				status, page := postTo(t, e.srv.URL, token, body(first))
				if status != http.StatusOK || !bytes.Contains(page, []byte(`"hasNextPage"`)) {
					t.Fatalf("HTTP %d %s", status, page)
				}
				want[[2]int{c, first}] = page
			}
		}
		served := f.served.Load()
		var wg sync.WaitGroup
		errs := make(chan string, 300)
		for i := range 300 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, first := i%2, 1+i%7
				if _, page := postTo(t, e.srv.URL, tokens[c], body(first)); !bytes.Equal(page, want[[2]int{c, first}]) {
					errs <- fmt.Sprintf("client %d first %d:\n%s\nwant\n%s", c, first, page, want[[2]int{c, first}])
				}
			}()
		}
		wg.Wait()
		close(errs)
		for msg := range errs {
			t.Error(msg)
		}
		if n := f.served.Load() - served; n != 300 {
			t.Errorf("the fast path answered %d of 300 pages", n)
		}
	})
}
