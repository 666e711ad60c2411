package tenancy_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/viewer"
)

// Partner references (a client's SmartMove reference and Propexo
// integration id) are its identity at the partners: set by platform admins
// only, and never shared by two clients.

const setPartnerRefs = `mutation($id: ID!, $in: ClientPartnerReferencesInput!) {
	updateClientPartnerReferences(id: $id, input: $in) { smartmoveReference propexoIntegrationID } }`

// partnerRefs reads a client's stored references; NULL reads as "<null>".
func partnerRefs(e *apptest.Env, id int) (smartmove, propexo string) {
	e.T.Helper()
	var s, p sql.NullString
	if err := e.RawDB().DB().QueryRow(`SELECT smartmove_reference, propexo_integration_id FROM companies WHERE id = `+apptest.Itoa(id)).Scan(&s, &p); err != nil {
		e.T.Fatal(err)
	}
	str := func(v sql.NullString) string {
		if !v.Valid {
			return "<null>"
		}
		return v.String
	}
	return str(s), str(p)
}

func TestPartnerReferences(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, aAdmin := e.NewClient("A", viewer.ScopeAdmin)
		aWriter := e.Token(a, viewer.ScopeWrite)
		b, bAdmin := e.NewClient("B", viewer.ScopeAdmin)
		platform := e.Token(0, viewer.ScopeAdmin)
		set := func(token string, id int, in map[string]any) apptest.GQLResponse {
			t.Helper()
			return e.GQL(token, setPartnerRefs, map[string]any{"id": apptest.Itoa(id), "in": in})
		}

		// A platform admin sets them; values are trimmed.
		r := set(platform, a, map[string]any{"smartmoveReference": " ref-a ", "propexoIntegrationId": "int-a"})
		if len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"smartmoveReference":"ref-a","propexoIntegrationID":"int-a"`) {
			t.Fatalf("platform admin: %s %+v", r.Data, r.Errors)
		}
		if s, p := partnerRefs(e, a); s != "ref-a" || p != "int-a" {
			t.Fatalf("stored %q %q", s, p)
		}

		// A client's own tokens, admin included, may not: not for itself,
		// and not to take another client's references.
		for name, c := range map[string]struct {
			token string
			id    int
		}{
			"A's admin, own client":       {aAdmin, a},
			"A's writer, own client":      {aWriter, a},
			"B's admin, A's reference":    {bAdmin, b},
			"B's admin, clearing its own": {bAdmin, b},
		} {
			in := map[string]any{"smartmoveReference": "ref-a", "propexoIntegrationId": "int-a"}
			if strings.Contains(name, "clearing") {
				in = map[string]any{"smartmoveReference": ""}
			}
			auth := e.AuthStatements(c.token)
			before := e.Queries.N.Load()
			r := set(c.token, c.id, in)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" || string(r.Data) != "null" {
				t.Errorf("%s: %s %+v", name, r.Data, r.Errors)
			}
			// Refused before any statement but the token's lookup.
			if n := e.Queries.N.Load() - before; n != auth {
				t.Errorf("%s: %d statements, authenticating costs %d", name, n, auth)
			}
		}
		if s, p := partnerRefs(e, b); s != "<null>" || p != "<null>" {
			t.Fatalf("B's references became %q %q", s, p)
		}

		// Reading them stays as it was: a client sees its own.
		var read struct {
			Clients struct {
				Edges []struct {
					Node struct{ SmartmoveReference, PropexoIntegrationID string }
				}
			}
		}
		e.MustGQL(aWriter, `{ clients { edges { node { smartmoveReference propexoIntegrationID } } } }`, nil, &read)
		if len(read.Clients.Edges) != 1 || read.Clients.Edges[0].Node.SmartmoveReference != "ref-a" {
			t.Fatalf("A reads %+v", read)
		}

		// Another client's reference is a CONFLICT naming the field, even
		// from a platform admin, and nothing of the update is written.
		for field, in := range map[string]map[string]any{
			"smartmoveReference":   {"smartmoveReference": "ref-a", "propexoIntegrationId": "int-b"},
			"propexoIntegrationId": {"smartmoveReference": "ref-b", "propexoIntegrationId": " int-a"},
		} {
			r := set(platform, b, in)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" || !strings.Contains(r.Errors[0].Message, field) ||
				strings.Join(toStrings(r.Errors[0].Extensions["field"]), ".") != "input."+field {
				t.Errorf("taking A's %s: %s %+v", field, r.Data, r.Errors)
			}
		}
		if s, p := partnerRefs(e, b); s != "<null>" || p != "<null>" {
			t.Fatalf("a refused update wrote B's references: %q %q", s, p)
		}
		// The database refuses it too, whoever writes.
		if err := e.Client.Company.UpdateOneID(b).SetSmartmoveReference("ref-a").Exec(e.Sys()); err == nil {
			t.Fatal("a direct write shared A's reference: no unique index")
		}

		// The same value again on the same client is fine; blank clears to
		// NULL, which any number of clients share; a cleared value is free.
		if r := set(platform, a, map[string]any{"smartmoveReference": "ref-a", "propexoIntegrationId": "int-a"}); len(r.Errors) != 0 {
			t.Fatalf("re-setting: %+v", r.Errors)
		}
		for _, id := range []int{a, b} {
			if r := set(platform, id, map[string]any{"smartmoveReference": "  ", "propexoIntegrationId": ""}); len(r.Errors) != 0 {
				t.Fatalf("clearing: %+v", r.Errors)
			}
			if s, p := partnerRefs(e, id); s != "<null>" || p != "<null>" {
				t.Fatalf("cleared to %q %q, want NULL", s, p)
			}
		}
		if r := set(platform, b, map[string]any{"smartmoveReference": "ref-a"}); len(r.Errors) != 0 {
			t.Fatalf("taking a freed reference: %+v", r.Errors)
		}
		// Blank through any path is NULL (the hook), never "".
		if err := e.Client.Company.UpdateOneID(a).SetPropexoIntegrationID("").Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		c, err := e.Client.Company.Create().SetName("C").SetSmartmoveReference(" ").Save(e.Sys())
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := partnerRefs(e, c.ID); s != "<null>" {
			t.Fatalf("created with %q", s)
		}
		// Clients racing for one reference: one gets it, every other a
		// CONFLICT naming the field (on PostgreSQL some pass the check and
		// meet the unique index instead), never an internal error.
		ids := make([]int, 8)
		for i := range ids {
			ids[i], _ = e.NewClient("racer" + apptest.Itoa(i))
		}
		results := make(chan apptest.GQLResponse, len(ids))
		for _, id := range ids {
			go func() {
				body := map[string]any{"id": apptest.Itoa(id), "in": map[string]any{"propexoIntegrationId": "contested"}}
				results <- e.GQLNoFatal(platform, setPartnerRefs, body)
			}()
		}
		won := 0
		for range ids {
			r := <-results
			switch {
			case len(r.Errors) == 0:
				won++
			case len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" || !strings.Contains(r.Errors[0].Message, "propexoIntegrationId"):
				t.Errorf("racing: HTTP %d %+v", r.Status, r.Errors)
			}
		}
		if won != 1 {
			t.Fatalf("%d clients got the same reference", won)
		}
		// A client that does not exist.
		if r := set(platform, c.ID+1000, map[string]any{"smartmoveReference": "x"}); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Fatalf("unknown client: %+v", r.Errors)
		}
		e.NoInternalErrors()
	})
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, s := range l {
		out[i], _ = s.(string)
	}
	return out
}

// TestPartnerReferencesUpgrade: a database from before the unique indexes
// (blank references stored as "") starts, with the blanks made NULL; one
// where two clients share a reference refuses to start and names them.
// uniquePartnerRefsMigration is the migration that added the unique
// indexes on partner references (migrations/*/VERSION_string_limits_unique_partner_refs.sql).
const uniquePartnerRefsMigration = "20261130121423"

// undoAfterPartnerRefs undoes the migrations after it, newest first, so that
// the upgrade can be replayed in order. A new migration adds its undo here.
var undoAfterPartnerRefs = []string{
	// River's files (VERSION_river_NNN_*.sql) need no undo: River's tables
	// stay, and their river_migration rows get the files recorded again.
	// 20261207154940_lease_import_rows
	`DROP TABLE lease_import_rows`,
	// 20261207115623_process_heartbeats
	`DROP TABLE process_heartbeats`,
	// 20261207095949_tenant_propexo_addresses
	`ALTER TABLE tenants DROP COLUMN propexo_primary_address`,
	`ALTER TABLE tenants DROP COLUMN propexo_alternate_address`,
	// 20261207093520_held_deliveries
	`ALTER TABLE integration_jobs DROP COLUMN candidates`,
	`ALTER TABLE integration_jobs DROP COLUMN notes_seen`,
	// 20261207065818_webhooks
	`DROP TABLE webhook_attempts`,
	`DROP TABLE webhook_deliveries`,
	`DROP TABLE webhook_endpoints`,
	`DROP TABLE events`,
	// 20261130223951_integration_jobs_by_kind
	`DROP INDEX integrationjob_client_id_kind_created_at`,
	// 20261130182619_propexo_sync
	`DROP TABLE lease_syncs`,
	`DROP INDEX tenant_lease_id_propexo_id`,
	`ALTER TABLE tenants DROP COLUMN propexo_id`,
	`DROP INDEX lease_client_id_propexo_id`,
	`ALTER TABLE leases DROP COLUMN source`,
	`ALTER TABLE leases DROP COLUMN propexo_id`,
	`ALTER TABLE leases DROP COLUMN removed_at`,
	`ALTER TABLE leases DROP COLUMN propexo_seen_at`,
	`ALTER TABLE leases DROP COLUMN transferred`,
	// 20261130175641_sms_delivery
	`ALTER TABLE integration_jobs DROP COLUMN partner_status`,
	`ALTER TABLE integration_jobs DROP COLUMN error_code`,
	`ALTER TABLE integration_jobs DROP COLUMN segments`,
	`ALTER TABLE integration_jobs DROP COLUMN sent_at`,
	// 20261130142644_propexo_delivery_reconcile
	`ALTER TABLE integration_jobs DROP COLUMN complete_partial`,
	`ALTER TABLE integration_jobs DROP COLUMN send_started_at`,
	`ALTER TABLE integration_jobs DROP COLUMN failed_fields`,
}

func TestPartnerReferencesUpgrade(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		db := e.RawDB().DB()
		exec := func(q string) {
			t.Helper()
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		asBefore := func() {
			t.Helper()
			exec(`DROP INDEX company_smartmove_reference`)
			exec(`DROP INDEX company_propexo_integration_id`)
			// As before the migration that made them unique: it applies again,
			// and so do the later ones (Atlas refuses one applied out of
			// order), whose changes are undone here.
			for _, undo := range undoAfterPartnerRefs {
				exec(undo)
			}
			exec(`DELETE FROM schema_revisions WHERE version >= '` + uniquePartnerRefsMigration + `'`)
		}
		reopen := func() error {
			t.Helper()
			_, err := database.Client(ctx, e.RawDB())
			return err
		}
		a, _ := e.NewClient("A")
		b, _ := e.NewClient("B")
		c, _ := e.NewClient("C")

		asBefore()
		exec(`UPDATE companies SET smartmove_reference = '', propexo_integration_id = ''`)
		exec(`UPDATE companies SET smartmove_reference = 'ref-c' WHERE id = ` + apptest.Itoa(c))
		if err := reopen(); err != nil {
			t.Fatalf("an old database with blank references does not start: %v", err)
		}
		for id, want := range map[int]string{a: "<null>", b: "<null>", c: "ref-c"} {
			if s, p := partnerRefs(e, id); s != want || p != "<null>" {
				t.Fatalf("client %d: %q %q", id, s, p)
			}
		}
		if err := e.Client.Company.UpdateOneID(a).SetSmartmoveReference("ref-c").Exec(e.Sys()); err == nil {
			t.Fatal("the upgrade left no unique index")
		}

		asBefore()
		exec(`UPDATE companies SET propexo_integration_id = 'shared' WHERE id IN (` + apptest.Itoa(a) + `, ` + apptest.Itoa(c) + `)`)
		err := reopen()
		if err == nil || !strings.Contains(err.Error(), `propexo_integration_id "shared": clients `+apptest.Itoa(a)+` `+apptest.Itoa(c)) {
			t.Fatalf("a shared reference: %v", err)
		}
		t.Logf("start refused: %v", err)
		exec(`UPDATE companies SET propexo_integration_id = NULL WHERE id = ` + apptest.Itoa(a))
		if err := reopen(); err != nil {
			t.Fatalf("after the operator cleared it: %v", err)
		}
	})
}
