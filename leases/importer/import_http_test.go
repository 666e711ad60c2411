package importer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/viewer"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestImportLeasesGraphQL: the spec's ideal feed through GraphQL, then a dry
// run, a re-import that changes nothing, a bad feed that writes nothing, and
// the imported leases answering the moving query.
func TestImportLeasesGraphQL(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		ideal := readTestdata(t, "ideal.json")
		vars := map[string]any{"f": "JSON", "d": ideal, "dry": true}

		var out apptest.ImportResult
		e.MustGQL(token, apptest.ImportMutation, vars, &out)
		if r := out.ImportLeases; r.Applied || !r.DryRun || r.LeasesCreated == 0 || len(r.Errors) != 0 {
			t.Fatalf("dry run: %+v", r)
		}
		if n, _ := e.Client.Lease.Query().Count(e.Sys()); n != 0 {
			t.Fatalf("a dry run wrote %d leases", n)
		}
		vars["dry"] = false
		e.MustGQL(token, apptest.ImportMutation, vars, &out)
		created := out.ImportLeases.LeasesCreated
		if r := out.ImportLeases; !r.Applied || created == 0 || r.TenantsCreated == 0 || r.PropertiesCreated == 0 {
			t.Fatalf("import: %+v", r)
		}
		e.MustGQL(token, apptest.ImportMutation, vars, &out)
		if r := out.ImportLeases; r.LeasesCreated != 0 || r.LeasesUnchanged != created {
			t.Fatalf("re-import: %+v", r)
		}
		if n, _ := e.Client.Lease.Query().Where(lease.ClientID(a)).Count(e.Sys()); n != created {
			t.Fatalf("%d leases stored, want %d", n, created)
		}

		bad := `[{"id": "B1", "property_id": "P", "status": "approved", "lease_start_date": "2025-01-01"},
			{"id": "B2", "property_id": "P", "status": "approved", "lease_start_date": "someday",
			 "tenants": [{"first_name": "Ann", "last_name": "Lee", "gender": "robot"}]}]`
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": bad, "dry": false}, &out)
		r := out.ImportLeases
		if r.Applied || len(r.Errors) != 2 {
			t.Fatalf("bad feed: %+v", r)
		}
		for _, er := range r.Errors {
			if er.Index == nil || *er.Index != 1 || er.LeaseID != "B2" || er.Field == "" {
				t.Errorf("row error %+v: want index 1, lease B2 and a field", er)
			}
		}
		if n, _ := e.Client.Lease.Query().Where(lease.SourceID("B1")).Count(e.Sys()); n != 0 {
			t.Fatal("a feed with a bad row imported its good row")
		}

		csv := readTestdata(t, "flat.csv")
		var mapping map[string]any
		mustJSON(t, readTestdata(t, "flat.mapping.json"), &mapping)
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "CSV", "d": csv, "m": mapping, "dry": false}, &out)
		if !out.ImportLeases.Applied || out.ImportLeases.Leases != 2 || len(out.ImportLeases.Errors) != 0 {
			t.Fatalf("CSV with a mapping: %+v", out.ImportLeases)
		}

		r2 := e.GQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": "[]", "m": map[string]any{"x": 1}, "dry": true})
		if len(r2.Errors) != 1 || r2.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("a mapping of non-strings: %+v", r2.Errors)
		}
	})
}

// TestIsolationImportLeases: a feed cannot be written into another client,
// and a read-only token cannot import.
func TestIsolationImportLeases(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, tokenA := e.NewClient("A")
		b, _ := e.NewClient("B")
		_, reader := e.NewClient("R", viewer.ScopeRead)
		ideal := readTestdata(t, "ideal.json")
		for name, c := range map[string]struct {
			token string
			vars  map[string]any
			code  string
		}{
			"A names B's client": {tokenA, map[string]any{"c": apptest.Itoa(b), "f": "JSON", "d": ideal, "dry": false}, "NOT_FOUND"},
			"A names no client":  {tokenA, map[string]any{"c": "999999999", "f": "JSON", "d": ideal, "dry": false}, "NOT_FOUND"},
			"read-only token":    {reader, map[string]any{"f": "JSON", "d": ideal, "dry": false}, "FORBIDDEN"},
		} {
			r := e.GQL(c.token, apptest.ImportMutation, c.vars)
			if len(r.Errors) != 1 || r.Errors[0].Code() != c.code {
				t.Errorf("%s: %+v", name, r.Errors)
			}
		}
		if n, _ := e.Client.Lease.Query().Count(e.Sys()); n != 0 {
			t.Fatalf("%d leases written by refused imports", n)
		}
	})
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatal(err)
	}
}
