package fastpath_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	gqlhandler "github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/graph"
	"github.com/leasegraph/leasegraph/graph/fastpath"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/leases"
	"github.com/leasegraph/leasegraph/leases/importer"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

var (
	seedFlag    = flag.Uint64("fastpath.seed", 1, "seed of TestFastPathMatchesGqlgen's generated selections")
	queriesFlag = flag.Int("fastpath.queries", 200, "how many selections TestFastPathMatchesGqlgen generates per database")
)

// sides serves one database through graph/handler twice, as the app
// does: with the leases fast path and without it (gqlgen's executor
// alone). served counts the operations the fast path answered.
type sides struct {
	fast, slow http.Handler
	served     *atomic.Int64
}

func newSides(t *testing.T, db *dbtest.DB) sides {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ten := &tenancy.Service{DB: db.Client, CacheTTL: time.Hour}
	services := graph.Services{Tenancy: ten, Leases: &leases.Service{DB: db.Client, Tenancy: ten}, Importer: &importer.Service{DB: db.Client}}
	served := &atomic.Int64{}
	fast, err := handler.New(db.Client, services, log, handler.Config{FastPathServed: func() { served.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	slow, err := handler.New(db.Client, services, log, handler.Config{NoFastPath: true})
	if err != nil {
		t.Fatal(err)
	}
	return sides{fast: fast, slow: slow, served: served}
}

// both posts the request as v to both sides and fails unless they answer
// with the same status and bytes; it returns the answer and whether the
// fast path answered it.
func (s sides) both(t *testing.T, v *viewer.Viewer, query string, vars map[string]any) ([]byte, bool) {
	t.Helper()
	return compare(t, as(s.fast, v), as(s.slow, v), s.served, query, vars)
}

// sender answers one request body with a status and the answer's bytes:
// a handler served in process as a viewer (as), or the whole app over
// HTTP with a token (app_test.go's overHTTP). The differential tests
// compare two of them, one with the fast path and one without.
type sender func(body []byte) (int, []byte)

// as serves the body on h as v (post).
func as(h http.Handler, v *viewer.Viewer) sender {
	return func(body []byte) (int, []byte) { return post(h, v, body) }
}

func compare(t *testing.T, fast, slow sender, served *atomic.Int64, query string, vars map[string]any) ([]byte, bool) {
	t.Helper()
	fastStatus, fastBody, slowStatus, slowBody, answered := postBoth(t, fast, slow, served, query, vars)
	if fastStatus != slowStatus || !bytes.Equal(fastBody, slowBody) {
		t.Fatalf("fast path and gqlgen differ for\n%s\nvars %v\nfast (HTTP %d):\n%s\ngqlgen (HTTP %d):\n%s", query, vars, fastStatus, fastBody, slowStatus, slowBody)
	}
	return fastBody, answered
}

func postBoth(t *testing.T, fast, slow sender, served *atomic.Int64, query string, vars map[string]any) (int, []byte, int, []byte, bool) {
	t.Helper()
	body := mustJSON(t, map[string]any{"query": query, "variables": vars})
	before := served.Load()
	fastStatus, fastBody := fast(body)
	answered := served.Load() > before
	slowStatus, slowBody := slow(body)
	if served.Load() > before+1 {
		t.Fatal("the gqlgen-only side used the fast path")
	}
	return fastStatus, fastBody, slowStatus, slowBody, answered
}

// post serves one request as v: the viewer goes in the request's context
// where the app's token middleware puts it.
func post(h http.Handler, v *viewer.Viewer, body []byte) (int, []byte) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(viewer.NewContext(req.Context(), v))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// fixture is the data every differential test reads: a client's leases
// with tenants and addresses in every combination the writer
// distinguishes, and another client's lease that must stay invisible.
type fixture struct {
	me, other *viewer.Viewer
	mine      []string // the client's lease ids, in the connection's default order
}

func seed(t *testing.T, db *dbtest.DB) fixture {
	t.Helper()
	ctx := dbtest.System()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	clientID := dbtest.NewClient(t, db.Client, "Fast")
	_, me := dbtest.Token(t, db.Client, clientID)
	otherID := dbtest.NewClient(t, db.Client, "Other")
	_, other := dbtest.Token(t, db.Client, otherID)
	property := func(clientID int, tag, name string) *ent.Property {
		p, err := db.Client.Property.Create().SetClientID(clientID).SetTag(tag).SetName(name).
			SetAddress(&types.Address{Street: "1 " + name + " Way", City: "Austin", State: "TX", Zip: "78701"}).Save(ctx)
		must(err)
		return p
	}
	lease := func(p *ent.Property, sourceID, status string, start time.Time) *ent.LeaseCreate {
		return db.Client.Lease.Create().SetClientID(p.ClientID).SetPropertyID(p.ID).
			SetSourceID(sourceID).SetStatus(status).SetLeaseStartDate(start).
			SetUnitAddress(&types.Address{Street: p.Address.Street, Apt: sourceID, City: p.Address.City, State: p.Address.State, Zip: p.Address.Zip})
	}
	tenantOf := func(l *ent.Lease, sourceID, first, last, email string) *ent.TenantCreate {
		return db.Client.Tenant.Create().SetClientID(l.ClientID).SetLeaseID(l.ID).
			SetSourceID(sourceID).SetFirstName(first).SetLastName(last).SetEmail(email).
			SetPreviousAddress(&types.Address{Street: "9 Old Road", Apt: sourceID, City: "Denver", State: "CO", Zip: "80202"})
	}

	p := property(clientID, "P-1", "Pine")
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	var f fixture
	f.me, f.other = me, other
	for i := range 7 {
		c := lease(p, fmt.Sprintf("L%d", i), "Approved", day.AddDate(-1, 0, i)).SetMoveInDate(day.AddDate(0, 0, i))
		if i%3 == 1 {
			c = lease(p, fmt.Sprintf("L%d", i), "ENDING", day.AddDate(-1, 0, i)).SetMoveOutDate(day.AddDate(0, 0, i)).
				SetLeaseEndDate(day.AddDate(0, 0, i+1)).SetUseType("corporate")
		}
		switch i {
		case 1:
			// The lease's own previous and forwarding addresses, escapes
			// and an empty part included.
			c.SetPreviousAddress(&types.Address{Street: "7 <Old> & \"Quoted\" Rd", City: "Zürich\u2028", State: "ZH", Zip: "8001"}).
				SetForwardingAddress(&types.Address{Street: "12 Next\tAve", Apt: "4\\B", City: "Boston", State: "MA", Zip: "02110"})
		case 4:
			c.SetForwardingAddress(&types.Address{Street: "1 Only Forward St"})
		}
		l, err := c.Save(ctx)
		must(err)
		f.mine = append(f.mine, fmt.Sprint(l.ID))
		switch i {
		case 0:
			// Every string escape gqlgen writes, the ones it does not, and
			// the HTML escapes encoding/json adds (<, >, &, U+2028, U+2029).
			_, err := tenantOf(l, "T0", "Zoë \"Q\" \\ <b>&amp;\u2028\u2029", "Tab\there\r\nnew\x01\x1f", "t0@example.com").Save(ctx)
			must(err)
			_, err = db.Client.Tenant.Create().SetClientID(clientID).SetLeaseID(l.ID).SetSourceID("T0b").
				SetFirstName("No").SetLastName("Address").SetEmail("").SetCellPhone("+15125550100").
				SetGender(tenant.GenderFEMALE).
				SetForwardingAddress(&types.Address{Street: "5 New St", Zip: "10001"}).Save(ctx)
			must(err)
		case 1:
			// A tenant with both addresses, both phones and a gender.
			_, err := tenantOf(l, "T1", "Ana", "Both", "both@example.com").SetCellPhone("+15125550101").
				SetHomePhone("+15125550102").SetGender(tenant.GenderMALE).
				SetForwardingAddress(&types.Address{Street: "3 Ahead Pl", Apt: "9", City: "Austin", State: "TX", Zip: "78702"}).Save(ctx)
			must(err)
		case 2:
			// A tenant without any address.
			_, err := db.Client.Tenant.Create().SetClientID(clientID).SetLeaseID(l.ID).SetSourceID("T2").
				SetFirstName("Bare").SetLastName("Tenant").SetEmail("bare@example.com").Save(ctx)
			must(err)
		case 3:
			// No tenants at all.
		case 4:
			for j := range 3 {
				_, err := tenantOf(l, fmt.Sprintf("T4-%d", j), "Many", fmt.Sprint(j), fmt.Sprintf("t4%d@example.com", j)).Save(ctx)
				must(err)
			}
		default:
			_, err := tenantOf(l, fmt.Sprintf("T%d", i), "Sam", "Lee", fmt.Sprintf("t%d@example.com", i)).Save(ctx)
			must(err)
		}
	}
	// A lease without a unit address or any move date (its start date is
	// in the window).
	bare, err := db.Client.Lease.Create().SetClientID(clientID).SetPropertyID(p.ID).SetSourceID("BARE").
		SetStatus("approved").SetLeaseStartDate(day).Save(ctx)
	must(err)
	f.mine = append(f.mine, fmt.Sprint(bare.ID))
	op := property(otherID, "P-9", "Oak")
	theirs, err := lease(op, "THEIRS", "Approved", day).SetMoveInDate(day).Save(ctx)
	must(err)
	_, err = tenantOf(theirs, "X1", "Hidden", "Person", "hidden@example.com").Save(ctx)
	must(err)
	return f
}

// perfQuery is the peer harness's query (docs/testing.md#performance-harness).
func perfQuery(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/leases_ours.graphql")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

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

// harnessPage compares the harness's first page (three leases moving in
// March) both ways, requires the fast path to have answered it, and
// returns its end cursor, which later comparisons page from.
func harnessPage(t *testing.T, both func(vars map[string]any) ([]byte, bool)) string {
	t.Helper()
	page, served := both(map[string]any{"first": 3, "from": "2025-03-01", "to": "2025-03-31"})
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
	return out.Data.Leases.PageInfo.EndCursor
}

// The fast path answers the leases page with the bytes gqlgen would write
// on every shape of the query it accepts, and leaves every other operation
// to gqlgen, which answers it as before; another client's leases stay
// invisible. The shapes are the perf harness's query, hand-written ones
// (aliases, fragments, @skip/@include, cursors both ways, filters, order,
// nulls, escapes, empty pages), and selections generated at random from the
// whitelist itself (-fastpath.seed, -fastpath.queries), so a field added to
// the whitelist is compared at once. On SQLite and PostgreSQL.
//
// What this catches, and what the guard (Check) must: a resolver, a
// directive or any other code gqlgen would run between the model and the
// answer of a whitelisted field is skipped by the fast path. If it changes
// the bytes (a masked email, another format), the comparison here fails,
// since the gqlgen-only side runs it; but a handler with the fast path
// would not even be built, since handler.New runs Check, which refuses a
// directive from the schema and a resolver or method from the FieldContext
// gqlgen's generated code gives the field. A resolver that returns the
// model's value unchanged cannot be seen byte-wise at all: only Check
// catches it, and a later change to it would silently be bypassed.
// TestGuardCatchesWhatTheBytesMiss shows both.
func TestFastPathMatchesGqlgen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		f := seed(t, db)
		s := newSides(t, db)
		harness := perfQuery(t)
		month := map[string]any{"from": "2025-03-01", "to": "2025-03-31"}
		// Once first, so that the comparisons below read documents from
		// the cache as the hot path does.
		post(s.fast, f.me, mustJSON(t, map[string]any{"query": harness, "variables": month}))

		after := harnessPage(t, func(vars map[string]any) ([]byte, bool) { return s.both(t, f.me, harness, vars) })

		t.Run("accepted", func(t *testing.T) {
			window := map[string]any{"kinds": []string{"MOVE_IN", "MOVE_OUT"}, "from": "2025-03-01", "to": "2025-03-31"}
			accepted := []struct {
				name  string
				query string
				vars  map[string]any
			}{
				{"harness page", harness, month},
				{"harness next page", harness, map[string]any{"first": 3, "after": after, "from": "2025-03-01", "to": "2025-03-31"}},
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
				// entgql finds edges and node by response name: aliased, as
				// above, the page comes back empty (gqlgen's answer, and so
				// the fast path's); these aliases are below them.
				{"aliases under edges", `{ leases(first: 3) { edges { c: cursor node { key: id kind: __typename st: status at: unitAddress { z: zip }
				people: tenants { who: firstName mail: email home: previousAddress { s: street } } others: tenants { id } } } } }`, nil},
				{"fragments and directives", `query($yes: Boolean!, $no: Boolean!) { leases(first: 4) {
				...conn edges { node { ... on Node { id } ...lease tenants @include(if: $yes) { ... on Tenant { email } firstName @skip(if: $no) lastName @skip(if: $yes) } } }
				totalCount @include(if: $no) }
			}
			fragment conn on LeaseConnection { pageInfo { endCursor } edges { cursor } }
			fragment lease on Lease { status tenants { id } }`, map[string]any{"yes": true, "no": false}},
				{"repeated fields merge", `{ leases(first: 2) { edges { node { id tenants { firstName } tenants { email } id } } edges { cursor } } }`, nil},
			}
			for _, c := range accepted {
				body, served := s.both(t, f.me, c.query, c.vars)
				if !served {
					t.Errorf("%s: the fast path did not answer: %s", c.name, body)
				}
				if strings.Contains(string(body), "THEIRS") || strings.Contains(string(body), "Hidden") || strings.Contains(string(body), `"errors"`) {
					t.Errorf("%s: %s", c.name, body)
				}
			}
			// The other client sees its lease and none of ours.
			theirPage, served := s.both(t, f.other, everyField, nil)
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
			allPage, _ := s.both(t, f.me, everyField, map[string]any{"first": 100})
			if err := json.Unmarshal(allPage, &all); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, edge := range all.Data.Leases.Edges {
				got = append(got, edge.Node.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(f.mine) {
				t.Errorf("the client's leases %v, want %v", got, f.mine)
			}
		})

		t.Run("generated", func(t *testing.T) {
			g := newSelectionGen(t, *seedFlag)
			answered := 0
			for i := range *queriesFlag {
				query, vars, outside := g.next()
				body, served := s.both(t, f.me, query, vars)
				switch {
				case strings.Contains(string(body), `"errors"`):
					t.Fatalf("selection %d (seed %d) failed:\n%s\nvars %v\n%s", i, *seedFlag, query, vars, body)
				case served == outside:
					t.Fatalf("selection %d (seed %d): the fast path answered %v, with a field outside its whitelist %v:\n%s\nvars %v\n%s",
						i, *seedFlag, served, outside, query, vars, body)
				case served:
					answered++
				}
			}
			t.Logf("%d generated selections, %d answered by the fast path (seed %d)", *queriesFlag, answered, *seedFlag)
		})

		t.Run("refused", func(t *testing.T) {
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
				{"another root field", `{ node(id: "` + f.mine[0] + `") { id } }`, nil, false},
				{"a skipped root", `query($no: Boolean!) { leases(first: 1) @skip(if: $no) { totalCount } }`, map[string]any{"no": true}, false},
				{"@defer", `{ leases(first: 2) { edges { node { id ... @defer { status } } } } }`, nil, false},
				{"first and last", everyField, map[string]any{"first": 2, "last": 2}, true},
				{"a page too large", harness, map[string]any{"first": 501, "from": "2025-03-01", "to": "2025-03-31"}, true},
				{"a bad cursor", harness, map[string]any{"after": "not-a-cursor", "from": "2025-03-01", "to": "2025-03-31"}, true},
				{"a window backwards", harness, map[string]any{"from": "2025-03-31", "to": "2025-03-01"}, true},
				{"an unknown field", `{ leases { edges { node { nope } } } }`, nil, true},
				{"a mutation", `mutation { importLeases(format: CSV, data: "", dryRun: true) { leases } }`, nil, false},
				{"a failing mutation", `mutation { importLeases(format: CSV, data: "x", mapping: {nope: 1}, dryRun: true) { leases } }`, nil, true},
			}
			for _, c := range refused {
				body, served := s.both(t, f.me, c.query, c.vars)
				if served {
					t.Errorf("%s: the fast path answered: %s", c.name, body)
				}
				if hasErrors := strings.Contains(string(body), `"errors"`); hasErrors != c.error {
					t.Errorf("%s: errors %v, want %v: %s", c.name, hasErrors, c.error, body)
				}
			}
		})

		// Last: it spoils a lease. A value gqlgen refuses to write (a zero
		// Time! is null there, an error) is found only while writing,
		// after the resolver: the fast path must then let gqlgen answer
		// the whole operation.
		t.Run("a value gqlgen refuses", func(t *testing.T) {
			if err := db.Driver.Exec(dbtest.System(), "UPDATE leases SET created_at = '0001-01-01 00:00:00+00:00' WHERE source_id = 'BARE'", []any{}, nil); err != nil {
				t.Fatal(err)
			}
			body, served := s.both(t, f.me, everyField, map[string]any{"where": map[string]any{"sourceID": "BARE"}})
			if served || !strings.Contains(string(body), `"errors"`) {
				t.Errorf("a lease created at the zero time (fast path %v): %s", served, body)
			}
		})
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unguarded is the fast path as it was before Check: its Validate accepts
// any schema. Only for showing what the guard adds.
type unguarded struct{ *fastpath.Extension }

func (unguarded) Validate(graphql.ExecutableSchema) error { return nil }

// plainServer is gqlgen's server over es with POST alone and, if given,
// the fast path: enough to compare the leases page both ways.
func plainServer(es graphql.ExecutableSchema, fast graphql.HandlerExtension) http.Handler {
	srv := gqlhandler.New(es)
	srv.AddTransport(transport.POST{})
	if fast != nil {
		srv.Use(fast)
	}
	return srv
}

// A resolver added later to a whitelisted field (here Tenant.email, as
// gqlgen would generate it: generatedAs) is caught in two ways. The guard
// refuses it outright: Check, which handler.New runs (so the fast path's
// side of TestFastPathMatchesGqlgen is never built) and which the
// extension's Validate runs (so gqlgen's Use panics). Were the guard gone,
// TestFastPathMatchesGqlgen would still fail on a resolver that changes
// the answer (masking the email): the gqlgen-only side runs it, the fast
// path does not. But a resolver that returns the model's value, as a new
// one often does at first, gives the same bytes: only the guard stops the
// fast path from bypassing it once it starts doing something.
func TestGuardCatchesWhatTheBytesMiss(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		f := seed(t, db)
		ten := &tenancy.Service{DB: db.Client, CacheTTL: time.Hour}
		es := graph.NewSchema(db.Client, graph.Services{Tenancy: ten, Leases: &leases.Service{DB: db.Client, Tenancy: ten}})
		query := perfQuery(t)
		month := map[string]any{"from": "2025-03-01", "to": "2025-03-31"}
		cases := []struct {
			name        string
			es          generatedAs
			bytesDiffer bool
		}{
			{"a resolver masking emails", generatedAs{ExecutableSchema: es, field: "Tenant.email", resolver: true,
				resolve: func(any) any { return "(hidden)" }}, true},
			{"a resolver returning the model's value", generatedAs{ExecutableSchema: es, field: "Tenant.email", resolver: true}, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if err := fastpath.Check(c.es); err == nil || !strings.Contains(err.Error(), "Tenant.email has a resolver") {
					t.Fatalf("Check: %v", err)
				}
				func() {
					defer func() {
						if recover() == nil {
							t.Error("gqlgen's Use accepted the fast path over the schema")
						}
					}()
					gqlhandler.New(c.es).Use(&fastpath.Extension{})
				}()

				served := &atomic.Int64{}
				fast := plainServer(c.es, unguarded{&fastpath.Extension{Served: func() { served.Add(1) }}})
				slow := plainServer(c.es, nil)
				fastStatus, fastBody, slowStatus, slowBody, answered := postBoth(t, as(fast, f.me), as(slow, f.me), served, query, month)
				if !answered {
					t.Fatalf("the unguarded fast path did not answer: %s", fastBody)
				}
				if differ := fastStatus != slowStatus || !bytes.Equal(fastBody, slowBody); differ != c.bytesDiffer {
					t.Errorf("the answers differ: %v, want %v\nfast path: %s\ngqlgen: %s", differ, c.bytesDiffer, fastBody, slowBody)
				}
				if c.bytesDiffer && (!strings.Contains(string(slowBody), `"(hidden)"`) || strings.Contains(string(fastBody), `"(hidden)"`)) {
					t.Errorf("gqlgen should mask the emails, the unguarded fast path not:\nfast path: %s\ngqlgen: %s", fastBody, slowBody)
				}
			})
		}
	})
}
