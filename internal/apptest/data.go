package apptest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

// Arranging data through the test's ent client (as the system), and the
// queries and answer shapes several suites read it back with.

// Day is midnight UTC of a calendar date, the form every date is stored
// in: fixtures name dates by day.
func Day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Ymd parses a YYYY-MM-DD date as the API does (types.ParseDate), for
// fixtures written in the form the REST routes answer; it panics on a
// malformed literal.
func Ymd(s string) time.Time {
	t, err := types.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// NewProperty creates a property of the client, with an address derived
// from its name, so that a lease's unit address (NewLease) is checkable.
func (e *Env) NewProperty(clientID int, tag, name string) *ent.Property {
	e.T.Helper()
	p, err := e.Client.Property.Create().SetClientID(clientID).SetTag(tag).SetName(name).
		SetAddress(&types.Address{Street: "1 " + name + " Way", City: "Austin", State: "TX", Zip: "78701"}).
		Save(e.Sys())
	if err != nil {
		e.T.Fatal(err)
	}
	return p
}

// LeaseOpt adjusts a lease being created (NewLease): the dates the moving
// filter judges by are each optional.
type LeaseOpt func(*ent.LeaseCreate)

// MoveIn sets the lease's move-in date.
func MoveIn(d time.Time) LeaseOpt { return func(c *ent.LeaseCreate) { c.SetMoveInDate(d) } }

// MoveOut sets the lease's move-out date.
func MoveOut(d time.Time) LeaseOpt { return func(c *ent.LeaseCreate) { c.SetMoveOutDate(d) } }

// Ends sets the lease's end date.
func Ends(d time.Time) LeaseOpt { return func(c *ent.LeaseCreate) { c.SetLeaseEndDate(d) } }

// UseType sets the lease's use type (residential, corporate, ...).
func UseType(s string) LeaseOpt { return func(c *ent.LeaseCreate) { c.SetUseType(s) } }

// NewLease creates a lease of the property (and of the property's client),
// its unit address the property's with the source id as the apartment.
func (e *Env) NewLease(p *ent.Property, sourceID, status string, start time.Time, opts ...LeaseOpt) *ent.Lease {
	e.T.Helper()
	c := e.Client.Lease.Create().SetClientID(p.ClientID).SetPropertyID(p.ID).
		SetSourceID(sourceID).SetStatus(status).SetLeaseStartDate(start).
		SetUnitAddress(&types.Address{Street: p.Address.Street, Apt: sourceID, City: p.Address.City, State: p.Address.State, Zip: p.Address.Zip})
	for _, o := range opts {
		o(c)
	}
	l, err := c.Save(e.Sys())
	if err != nil {
		e.T.Fatalf("lease %s: %v", sourceID, err)
	}
	return l
}

// NewTenant creates a tenant on the lease, with a previous address, so
// that nested tenants have every kind of field to answer.
func (e *Env) NewTenant(l *ent.Lease, sourceID, first, last, email string) *ent.Tenant {
	e.T.Helper()
	t, err := e.Client.Tenant.Create().SetClientID(l.ClientID).SetLeaseID(l.ID).
		SetSourceID(sourceID).SetFirstName(first).SetLastName(last).SetEmail(email).
		SetPreviousAddress(&types.Address{Street: "9 Old Road", Apt: sourceID, City: "Denver", State: "CO", Zip: "80202"}).
		Save(e.Sys())
	if err != nil {
		e.T.Fatal(err)
	}
	return t
}

// RestLease describes a lease to arrange with ArrangeLeases, its dates as
// the REST routes write them ("" for none).
type RestLease struct {
	Source, Status, Start, End, MoveIn, MoveOut string
}

// ArrangeLeases gives the client a property and the leases, each with one
// tenant named after the lease: the fixture of the /leases route's suites.
func (e *Env) ArrangeLeases(clientID int, tag string, leases ...RestLease) *ent.Property {
	e.T.Helper()
	ctx := e.Sys()
	p, err := e.Client.Property.Create().SetClientID(clientID).SetTag(tag).SetName("Tower " + tag).Save(ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	for _, l := range leases {
		c := e.Client.Lease.Create().SetClientID(clientID).SetPropertyID(p.ID).SetSourceID(l.Source).
			SetStatus(l.Status).SetLeaseStartDate(Ymd(l.Start)).
			SetUnitAddress(&types.Address{Street: "1140 Broadway", Apt: "905", City: "New York", State: "NY", Zip: "10010"})
		if l.End != "" {
			c.SetLeaseEndDate(Ymd(l.End))
		}
		if l.MoveIn != "" {
			c.SetMoveInDate(Ymd(l.MoveIn))
		}
		if l.MoveOut != "" {
			c.SetMoveOutDate(Ymd(l.MoveOut))
		}
		row, err := c.Save(ctx)
		if err != nil {
			e.T.Fatal(err)
		}
		if err := e.Client.Tenant.Create().SetClientID(clientID).SetLeaseID(row.ID).SetSourceID("T-" + l.Source).
			SetFirstName("First" + l.Source).SetLastName("Last").SetEmail(strings.ToLower(l.Source) + "@example.com").
			Exec(ctx); err != nil {
			e.T.Fatal(err)
		}
	}
	return p
}

// PlatformToken creates a platform admin token (no client) and returns
// its secret and id, for what only the platform may do or see.
func (e *Env) PlatformToken() (string, int) {
	e.T.Helper()
	tok, secret, err := (&tenancy.Service{DB: e.Client}).CreateToken(e.Sys(), tenancy.NewToken{Name: "ops", Scopes: []viewer.Scope{viewer.ScopeAdmin}})
	if err != nil {
		e.T.Fatal(err)
	}
	return secret, tok.ID
}

// ---- the leases query ------------------------------------------------------

// LeasesQuery is the leases connection with every argument as a variable
// and the fields a reader of the lease-service spec asks for.
const LeasesQuery = `query Leases($first: Int, $after: Cursor, $last: Int, $before: Cursor,
    $orderBy: LeaseOrder, $where: LeaseWhereInput, $moving: LeaseMovingFilter) {
  leases(first: $first, after: $after, last: $last, before: $before,
         orderBy: $orderBy, where: $where, moving: $moving) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor
      node {
        id sourceID status useType
        leaseStartDate leaseEndDate moveInDate moveOutDate
        unitAddress { street apt city state zip }
        property { tag name }
        tenants {
          sourceID firstName lastName email
          previousAddress { street apt city state zip }
        }
      }
    }
  }
}`

// LeaseNode is a lease as LeasesQuery answers it.
type LeaseNode struct {
	ID             string
	SourceID       string `json:"sourceID"`
	Status         string
	UseType        string
	LeaseStartDate string
	LeaseEndDate   *string
	MoveInDate     *string
	MoveOutDate    *string
	UnitAddress    *types.Address
	Property       struct{ Tag, Name string }
	Tenants        []struct {
		SourceID                   string `json:"sourceID"`
		FirstName, LastName, Email string
		PreviousAddress            *types.Address
	}
}

// LeaseConn is a page of LeasesQuery.
type LeaseConn struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   LeaseNode
	}
}

// SourceIDs are the page's lease source ids, in page order: fixtures name
// their leases by source id, so tests compare these.
func (c LeaseConn) SourceIDs() []string {
	out := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node.SourceID
	}
	return out
}

// Leases runs LeasesQuery with vars, which must succeed.
func (e *Env) Leases(token string, vars map[string]any) LeaseConn {
	e.T.Helper()
	var out struct{ Leases LeaseConn }
	e.MustGQL(token, LeasesQuery, vars, &out)
	return out.Leases
}

// Window is a moving filter as GraphQL variables.
func Window(from, to string, kinds ...string) map[string]any {
	return map[string]any{"kinds": kinds, "from": from, "to": to}
}

// SameSet fails (not fatally) unless got holds exactly want, each once, in
// any order: for answers whose order is not what is tested.
func SameSet(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s:\n got  %v\n want %v", what, g, w)
	}
}

// FullLease is every field of a lease, its property and its tenants: what
// a reader of the lease-service spec asks for, the page the cost limits
// must let through.
const FullLease = `
  id createdAt updatedAt sourceID status leaseStartDate leaseEndDate moveInDate moveOutDate useType extra
  unitAddress { street apt city state zip }
  previousAddress { street apt city state zip }
  forwardingAddress { street apt city state zip }
  client { id name }
  property { id tag name address { street apt city state zip } }
  tenants {
    id sourceID firstName lastName email cellPhone homePhone gender extra
    previousAddress { street apt city state zip }
    forwardingAddress { street apt city state zip }
  }`

// PageQuery is the lease-page workload of the peer harness
// (docs/testing.md#performance-harness): pageInfo and edges, no
// totalCount, the unit address and every tenant. Its statement count is
// asserted and benchmarked on the same query.
const PageQuery = `query($first: Int, $from: Date!, $to: Date!, $count: Boolean!) {
  leases(first: $first, moving: {kinds: [MOVE_IN, MOVE_OUT], from: $from, to: $to}) {
    totalCount @include(if: $count)
    pageInfo { hasNextPage endCursor }
    edges { node { id status moveInDate unitAddress { street apt }
      tenants { id firstName email previousAddress { street } } } }
  }
}`

// PageAnswer is PageQuery's answer.
type PageAnswer struct {
	Leases struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Edges []struct {
			Node struct {
				ID      string
				Tenants []struct{ ID, FirstName, Email string }
			}
		}
	}
}

// ---- the /leases route -----------------------------------------------------

// LeasesPage is a JSON page of GET /leases.
type LeasesPage struct {
	Data       []map[string]any `json:"data"`
	NextCursor *string          `json:"next_cursor"`
	Total      int              `json:"total"`
}

// LeasesPage reads GET /leases?query, which must answer 200: what a lease
// written by any path (GraphQL, import, sync) looks like to the REST
// client.
func (e *Env) LeasesPage(token, query string) LeasesPage {
	e.T.Helper()
	status, _, body := e.Get(token, "/leases?"+query)
	if status != http.StatusOK {
		e.T.Fatalf("GET /leases?%s: HTTP %d %s", query, status, body)
	}
	var p LeasesPage
	if err := json.Unmarshal(body, &p); err != nil {
		e.T.Fatalf("decoding %s: %v", body, err)
	}
	return p
}

// ---- imports and properties ------------------------------------------------

// ImportMutation imports a feed ($f its format, $d its data, $m a column
// mapping) for the client $c (the token's by default), or only checks it
// ($dry).
const ImportMutation = `mutation($c: ID, $f: FeedFormat!, $d: String!, $m: Map, $dry: Boolean!) {
	importLeases(clientId: $c, format: $f, data: $d, mapping: $m, dryRun: $dry) {
		applied dryRun leases leasesCreated leasesUnchanged tenantsCreated propertiesCreated
		errors { line index leaseId field column message } } }`

// ImportResult is ImportMutation's answer.
type ImportResult struct {
	ImportLeases struct {
		Applied, DryRun                                                           bool
		Leases, LeasesCreated, LeasesUnchanged, TenantsCreated, PropertiesCreated int
		Errors                                                                    []struct {
			Line                            int
			Index                           *int
			LeaseID, Field, Column, Message string
		}
	}
}

// PropertyFields are a property's fields as GQLProperty reads them.
const PropertyFields = `id tag name showingMode address { street apt city state zip }`

// CreatePropertyMutation and UpdatePropertyMutation manage a property
// through the graph (a client's own, as a CRM would), answering
// PropertyFields.
const (
	CreatePropertyMutation = `mutation($in: CreatePropertyInput!) { createProperty(input: $in) { ` + PropertyFields + ` } }`
	UpdatePropertyMutation = `mutation($id: ID!, $in: UpdatePropertyInput!) { updateProperty(id: $id, input: $in) { ` + PropertyFields + ` } }`
)

// GQLProperty is a property as PropertyFields answers it.
type GQLProperty struct {
	ID, Tag, Name, ShowingMode string
	Address                    *struct{ Street, Apt, City, State, Zip string }
}
