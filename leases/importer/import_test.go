package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/hook"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/leaseimportrow"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

func idealFeed(t *testing.T) Feed { return Feed{Format: JSON, Data: readFile(t, "ideal.json")} }

// mustImport imports a feed that must be valid.
func mustImport(t *testing.T, ctx context.Context, db *ent.Client, clientID int, feed Feed, dryRun bool) *Report {
	t.Helper()
	rep, err := (&Service{DB: db}).Import(ctx, clientID, feed, dryRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) > 0 {
		t.Fatalf("feed errors: %v", rep.Errors)
	}
	return rep
}

// counts is a report's counters, for comparing in one line.
type counts struct{ LC, LU, LS, TC, TU, TD, PC int }

func countsOf(r *Report) counts {
	return counts{r.LeasesCreated, r.LeasesUpdated, r.LeasesUnchanged, r.TenantsCreated, r.TenantsUpdated, r.TenantsDeleted, r.PropertiesCreated}
}

// rows counts what the database holds, across clients.
func rows(t *testing.T, db *ent.Client) (props, leases, tenants int) {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	props = db.Property.Query().CountX(ctx)
	leases = db.Lease.Query().CountX(ctx)
	tenants = db.Tenant.Query().CountX(ctx)
	return
}

func TestImportShapes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *ent.Client) {
		id, ctx := newClient(t, db, "Acme")

		rep := mustImport(t, ctx, db, id, idealFeed(t), false)
		if got, want := countsOf(rep), (counts{LC: 2, TC: 3, PC: 1}); got != want || !rep.Applied || rep.Leases != 2 {
			t.Errorf("ideal JSON: %+v, want %+v", rep, want)
		}
		l := db.Lease.Query().Where(lease.SourceID("asdfl230as8")).WithProperty().WithTenants(func(q *ent.TenantQuery) {
			q.Order(ent.Asc(tenant.FieldID))
		}).OnlyX(ctx)
		if l.ClientID != id || l.Edges.Property.Tag != "5678" || l.Status != "approved" || types.FormatDate(l.LeaseStartDate) != "2015-11-01" ||
			l.UnitAddress.Apt != "905" || l.UseType != "corporate" || len(l.Edges.Tenants) != 2 {
			t.Errorf("lease: %+v", l)
		}
		ryan := l.Edges.Tenants[0]
		if ryan.SourceID != "6789" || ryan.CellPhone != "+15552124567" || ryan.HomePhone != "+15552123456" ||
			ryan.Gender == nil || *ryan.Gender != tenant.GenderMALE || ryan.PreviousAddress.Street != "28 W 22nd Street" {
			t.Errorf("tenant: %+v", ryan)
		}

		// The flat CSV describes the same leases: only its extra columns and
		// the property name (not written to an existing property) are new.
		rep = mustImport(t, ctx, db, id, Feed{Format: CSV, Data: readFile(t, "flat.csv"), Mapping: readMapping(t, "flat.mapping.json")}, false)
		if got, want := countsOf(rep), (counts{LU: 2, TU: 2}); got != want {
			t.Errorf("flat CSV over ideal JSON: %+v, want %+v", got, want)
		}
		l = db.Lease.Query().Where(lease.SourceID("asdfl230as8")).OnlyX(ctx)
		if l.Extra["Corporate"] != "yes" {
			t.Errorf("extra: %v", l.Extra)
		}

		rep = mustImport(t, ctx, db, id, Feed{Format: JSON, Data: readFile(t, "nested.json"), Mapping: readMapping(t, "nested.mapping.json")}, false)
		if got, want := countsOf(rep), (counts{LC: 2, TC: 3, PC: 1}); got != want {
			t.Errorf("nested JSON: %+v, want %+v", got, want)
		}
		oak := db.Property.Query().Where(property.Tag("OAK")).OnlyX(ctx)
		if oak.Name != "Oak Court" || oak.ClientID != id {
			t.Errorf("created property: %+v", oak)
		}
		// A single move date is filed by the client's status sets.
		future := db.Lease.Query().Where(lease.SourceID("100234")).OnlyX(ctx)
		vacating := db.Lease.Query().Where(lease.SourceID("100235")).OnlyX(ctx)
		if future.MoveInDate == nil || types.FormatDate(*future.MoveInDate) != "2025-01-31" || future.MoveOutDate != nil {
			t.Errorf("move-in status: in %v out %v", future.MoveInDate, future.MoveOutDate)
		}
		if vacating.MoveOutDate == nil || types.FormatDate(*vacating.MoveOutDate) != "2025-02-15" || vacating.MoveInDate != nil {
			t.Errorf("move-out status: in %v out %v", vacating.MoveInDate, vacating.MoveOutDate)
		}
		if future.PreviousAddress.City != "Denver" || vacating.ForwardingAddress.City != "Seattle" {
			t.Errorf("lease-level addresses: %+v %+v", future.PreviousAddress, vacating.ForwardingAddress)
		}
		if flags, _ := future.Extra["Flags"].(map[string]any); flags["rent"] != 1450.5 {
			t.Errorf("extra as sent: %v", future.Extra)
		}
	})
}

// Importing the same feed twice changes nothing, not even updated_at.
func TestImportIsIdempotent(t *testing.T) {
	feeds := map[string]Feed{
		"ideal":  {Format: JSON, Data: readFile(t, "ideal.json")},
		"flat":   {Format: CSV, Data: readFile(t, "flat.csv"), Mapping: readMapping(t, "flat.mapping.json")},
		"nested": {Format: JSON, Data: readFile(t, "nested.json"), Mapping: readMapping(t, "nested.mapping.json")},
	}
	forEachDB(t, func(t *testing.T, db *ent.Client) {
		for name, feed := range feeds {
			id, ctx := newClient(t, db, name)
			first := mustImport(t, ctx, db, id, feed, false)
			stamps := updatedAts(t, ctx, db)
			second := mustImport(t, ctx, db, id, feed, false)
			if got, want := countsOf(second), (counts{LS: first.LeasesCreated}); got != want {
				t.Errorf("%s: second import %+v, want %+v", name, got, want)
			}
			if after := updatedAts(t, ctx, db); len(after) != len(stamps) {
				t.Errorf("%s: rows %d, then %d", name, len(stamps), len(after))
			} else {
				for k, v := range stamps {
					if !after[k].Equal(v) {
						t.Errorf("%s: %s updated_at moved from %v to %v", name, k, v, after[k])
					}
				}
			}
		}
	})
}

func updatedAts(t *testing.T, ctx context.Context, db *ent.Client) map[string]time.Time {
	out := map[string]time.Time{}
	for _, l := range db.Lease.Query().AllX(ctx) {
		out["lease "+l.SourceID] = l.UpdatedAt
	}
	for _, tn := range db.Tenant.Query().AllX(ctx) {
		out["tenant "+tn.FirstName] = tn.UpdatedAt
	}
	return out
}

// A changed status updates that lease only; a tenant gone from the feed is
// deleted; tenants without ids keep their rows, matched by email.
func TestImportUpdates(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *ent.Client) {
		id, ctx := newClient(t, db, "Acme")
		mustImport(t, ctx, db, id, idealFeed(t), false)
		ana := db.Tenant.Query().Where(tenant.FirstName("Ana")).OnlyX(ctx)

		changed := strings.Replace(string(readFile(t, "ideal.json")), `"status": "notice"`, `"status": " Ending "`, 1)
		rep := mustImport(t, ctx, db, id, Feed{Format: JSON, Data: []byte(changed)}, false)
		if got, want := countsOf(rep), (counts{LU: 1, LS: 1}); got != want {
			t.Errorf("status change: %+v, want %+v", got, want)
		}
		l2 := db.Lease.Query().Where(lease.SourceID("L-2")).OnlyX(ctx)
		if l2.Status != "Ending" || l2.StatusKey != "ending" { // trimmed, case kept
			t.Errorf("status %q key %q", l2.Status, l2.StatusKey)
		}

		// Ana (no id) changes her phone, Ryan leaves the lease.
		changed = strings.Replace(changed, `"cell_phone": "(212) 555-0100"`, `"cell_phone": "(212) 555-0199"`, 1)
		start := strings.Index(changed, `"id": "6789"`)
		end := strings.Index(changed, `"first_name": "Ana"`)
		changed = changed[:start] + changed[end:]
		rep = mustImport(t, ctx, db, id, Feed{Format: JSON, Data: []byte(changed)}, false)
		if got, want := countsOf(rep), (counts{LU: 1, LS: 1, TU: 1, TD: 1}); got != want {
			t.Errorf("tenant changes: %+v, want %+v", got, want)
		}
		after := db.Tenant.Query().Where(tenant.FirstName("Ana")).OnlyX(ctx)
		if after.ID != ana.ID || after.CellPhone != "+12125550199" {
			t.Errorf("Ana must be updated in place: %+v (was id %d)", after, ana.ID)
		}
		if n := db.Tenant.Query().Where(tenant.FirstName("Ryan")).CountX(ctx); n != 0 {
			t.Errorf("Ryan left the lease but %d rows remain", n)
		}
	})
}

// One bad record among good ones writes nothing and every bad record is
// reported; a failure while writing leaves nothing behind either.
func TestImportAllOrNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *ent.Client) {
		id, ctx := newClient(t, db, "Acme")
		bad := strings.Replace(string(readFile(t, "flat.csv")), "12/31/2015", "2015-13-45", 1)
		bad = strings.Replace(bad, ",Ryan,", ",,", 1)
		rep, err := (&Service{DB: db}).Import(ctx, id, Feed{Format: CSV, Data: []byte(bad), Mapping: readMapping(t, "flat.mapping.json")}, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Applied || len(rep.Errors) != 2 {
			t.Fatalf("want 2 errors, nothing applied: %+v", rep)
		}
		for _, e := range rep.Errors {
			ok := (e.Line == 2 && e.Field == "tenants.first_name" && e.Column == "First" && e.LeaseID == "asdfl230as8") ||
				(e.Line == 4 && e.Field == "lease_end_date" && e.Column == "End" && e.LeaseID == "L-2")
			if !ok {
				t.Errorf("unexpected error %+v", e)
			}
		}
		if p, l, tn := rows(t, db); p+l+tn != 0 {
			t.Errorf("a rejected feed wrote %d properties, %d leases, %d tenants", p, l, tn)
		}

		// A failure in the middle of staging (here a hook refusing the last
		// tenant's row) writes nothing and leaves no staged row.
		db.LeaseImportRow.Use(hook.On(func(next entgo.Mutator) entgo.Mutator {
			return hook.LeaseImportRowFunc(func(ctx context.Context, m *ent.LeaseImportRowMutation) (entgo.Value, error) {
				if name, _ := m.FirstName(); name == "Wei" {
					return nil, errors.New("refused")
				}
				return next.Mutate(ctx, m)
			})
		}, entgo.OpCreate))
		if _, err := (&Service{DB: db}).Import(ctx, id, idealFeed(t), false); err == nil {
			t.Fatal("the hook must fail the import")
		}
		if p, l, tn := rows(t, db); p+l+tn != 0 {
			t.Errorf("a failed import wrote %d properties, %d leases, %d tenants", p, l, tn)
		}
		if n := db.LeaseImportRow.Query().CountX(viewer.SystemContext(context.Background())); n != 0 {
			t.Errorf("a failed import left %d staged rows", n)
		}
	})
}

func TestImportDryRun(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *ent.Client) {
		id, ctx := newClient(t, db, "Acme")
		rep := mustImport(t, ctx, db, id, idealFeed(t), true)
		if got, want := countsOf(rep), (counts{LC: 2, TC: 3, PC: 1}); got != want || rep.Applied || !rep.DryRun {
			t.Errorf("dry run: %+v, want %+v", rep, want)
		}
		if p, l, tn := rows(t, db); p+l+tn != 0 {
			t.Errorf("a dry run wrote %d properties, %d leases, %d tenants", p, l, tn)
		}
		mustImport(t, ctx, db, id, idealFeed(t), false)
		changed := strings.Replace(string(readFile(t, "ideal.json")), `"status": "notice"`, `"status": "ending"`, 1)
		rep = mustImport(t, ctx, db, id, Feed{Format: JSON, Data: []byte(changed)}, true)
		if got, want := countsOf(rep), (counts{LU: 1, LS: 1}); got != want {
			t.Errorf("dry run of a change: %+v, want %+v", got, want)
		}
		if s := db.Lease.Query().Where(lease.SourceID("L-2")).OnlyX(ctx).Status; s != "notice" {
			t.Errorf("a dry run changed the status to %q", s)
		}
		// A read-only token may dry-run but not import.
		ro := viewer.NewContext(context.Background(), &viewer.Viewer{ClientID: id, Scopes: []viewer.Scope{viewer.ScopeRead}})
		mustImport(t, ro, db, id, idealFeed(t), true)
		if _, err := (&Service{DB: db}).Import(ro, id, idealFeed(t), false); !isCode(err, apperr.CodeForbidden) {
			t.Errorf("read-only import: %v", err)
		}
	})
}

// A client's feed can reach only its own rows: another client's property
// tags and lease ids are not matched, and naming another client fails.
func TestImportStaysInClient(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *ent.Client) {
		b, bctx := newClient(t, db, "Bravo")
		mustImport(t, bctx, db, b, idealFeed(t), false)
		a, actx := newClient(t, db, "Alpha")

		if _, err := (&Service{DB: db}).Import(actx, b, idealFeed(t), false); !isCode(err, apperr.CodeNotFound) {
			t.Errorf("importing into another client: %v", err)
		}
		rep := mustImport(t, actx, db, a, idealFeed(t), false)
		if got, want := countsOf(rep), (counts{LC: 2, TC: 3, PC: 1}); got != want {
			t.Errorf("same feed, other client: %+v, want %+v", got, want)
		}
		sys := viewer.SystemContext(context.Background())
		props := db.Property.Query().Where(property.Tag("5678")).Order(ent.Asc(property.FieldClientID)).AllX(sys)
		if len(props) != 2 || props[0].ClientID == props[1].ClientID {
			t.Fatalf("each client must have its own 5678: %+v", props)
		}
		for _, l := range db.Lease.Query().WithProperty().AllX(sys) {
			if l.Edges.Property.ClientID != l.ClientID {
				t.Errorf("lease %d of client %d points at client %d's property", l.ID, l.ClientID, l.Edges.Property.ClientID)
			}
		}
		for _, tn := range db.Tenant.Query().WithLease().AllX(sys) {
			if tn.Edges.Lease.ClientID != tn.ClientID {
				t.Errorf("tenant %d of client %d is on client %d's lease", tn.ID, tn.ClientID, tn.Edges.Lease.ClientID)
			}
		}
		if n := db.Lease.Query().Where(lease.ClientID(b)).CountX(sys); n != 2 {
			t.Errorf("client B has %d leases", n)
		}
	})
}

// Inside a caller's transaction in ctx (a GraphQL mutation's), Import writes in it
// and the caller's rollback undoes the import.
func TestImportInCallersTransaction(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *ent.Client) {
		id, ctx := newClient(t, db, "Acme")
		tx, err := db.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rep := mustImport(t, ent.NewTxContext(ctx, tx), db, id, idealFeed(t), false)
		if !rep.Applied || tx.Lease.Query().CountX(ctx) != 2 {
			t.Errorf("inside the transaction: %+v", rep)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if _, l, _ := rows(t, db); l != 0 {
			t.Errorf("%d leases survive the caller's rollback", l)
		}
	})
}

func isCode(err error, code string) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == code
}

// A feed that changes between the check and the write (a file rewritten
// while it is imported) writes nothing, even when the new content is valid:
// a lease the write pass never reaches is an error, not a silent skip.
func TestImportFeedChangedBetweenPasses(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *ent.Client) {
		id, ctx := newClient(t, db, "Acme")
		const one = `{"id": "L%d", "property_id": "P1", "status": "approved", "lease_start_date": "2025-01-01"}`
		full := "[" + fmt.Sprintf(one, 1) + ", " + fmt.Sprintf(one, 2) + "]"
		opens := 0
		feed := Feed{Format: JSON, Open: func() (io.ReadCloser, error) {
			opens++
			if opens >= 3 { // the write pass: one lease is gone
				return io.NopCloser(strings.NewReader("[" + fmt.Sprintf(one, 1) + "]")), nil
			}
			return io.NopCloser(strings.NewReader(full)), nil
		}}
		if _, err := (&Service{DB: db}).Import(ctx, id, feed, false); err == nil || !strings.Contains(err.Error(), "changed while it was imported") {
			t.Fatalf("a feed that lost a lease between passes: %v", err)
		}
		if opens != 3 {
			t.Fatalf("the feed was opened %d times, want 3 (ids, check, write)", opens)
		}
		if n := db.Lease.Query().CountX(viewer.SystemContext(context.Background())); n != 0 {
			t.Fatalf("%d leases written", n)
		}
	})
}

// An applied import leaves the query planner statistics current on SQLite
// (which keeps none of its own; PostgreSQL's autovacuum does): at once, or
// when the caller's transaction commits; a dry run and a rolled-back
// transaction leave none.
func TestImportRefreshesStatistics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		if db.Dialect != dialect.SQLite {
			return
		}
		stats := func() int {
			var n int
			err := db.SQL().QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&n)
			if err != nil || n == 0 {
				return 0
			}
			if err := db.SQL().QueryRow(`SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'leases'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// ANALYZE creates sqlite_stat1 even when it finds no rows to
		// describe, so "no refresh" means the table does not exist.
		analyzed := func() bool {
			var n int
			if err := db.SQL().QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n > 0
		}
		id, ctx := newClient(t, db.Client, "Acme")
		mustImport(t, ctx, db.Client, id, idealFeed(t), true)
		if analyzed() {
			t.Fatalf("a dry run refreshed the statistics")
		}
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustImport(t, ent.NewTxContext(ctx, tx), db.Client, id, idealFeed(t), false)
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if analyzed() {
			t.Fatalf("a rolled-back import refreshed the statistics")
		}
		tx, err = db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// (Not read before the commit: SQLite's one connection is the
		// transaction's until then.)
		mustImport(t, ent.NewTxContext(ctx, tx), db.Client, id, idealFeed(t), false)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := stats(); n == 0 {
			t.Fatal("no statistics for leases after the caller's commit")
		}
	})
}

// TestImportDropsStaleStagedRows: an import first deletes the staged rows a
// crashed import left a day ago, whichever client's, and leaves a running
// import's rows alone.
func TestImportDropsStaleStagedRows(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *ent.Client) {
		other := dbtest.NewClient(t, db, "Crashed")
		sys := dbtest.System()
		stage := func(importID string, age time.Duration) {
			db.LeaseImportRow.Create().SetClientID(other).SetImportID(importID).SetKind(leaseimportrow.KindLEASE).
				SetAction(leaseimportrow.ActionCREATE).SetSourceID("L-1").SetStatus("Approved").SetCreatedAt(time.Now().UTC().Add(-age)).SaveX(sys)
		}
		stage("crashed", 25*time.Hour)
		stage("running", time.Hour)
		id, ctx := newClient(t, db, "Acme")
		mustImport(t, ctx, db, id, idealFeed(t), false)
		left := db.LeaseImportRow.Query().Select(leaseimportrow.FieldImportID).StringsX(sys)
		if len(left) != 1 || left[0] != "running" {
			t.Fatalf("staged rows left: %v, want only the running import's", left)
		}
	})
}
