package importer_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestImportOutlivesTheRequestTimeout: an import is held to an idle
// deadline, not to the request timeout as a whole, since its length is its
// feed's. Here each batch it writes costs three quarters of the timeout
// (on a fake clock): 2,100 leases, five batches, take over three timeouts
// and are all written, and the answer is the import's report. A request
// that stops reporting is still cut off (the deadline tests of
// internal/middleware and the export's).
func TestImportOutlivesTheRequestTimeout(t *testing.T) {
	const timeout = time.Minute // on the fake clock
	const leases = 2100
	var clocks sync.Map // one fake clock per database's app
	setup := func(t *testing.T, s *apptest.Settings) {
		c := &apptest.FakeClock{}
		clocks.Store(s.Dialect, c)
		apptest.WithRequestTimeout(timeout, apptest.WithFakeClock(c))(t, s)
	}
	apptest.EachDBSetup(t, setup, func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		c, _ := clocks.Load(e.Dialect)
		clock := c.(*apptest.FakeClock)
		var feed strings.Builder
		feed.WriteString("[")
		for i := range leases {
			if i > 0 {
				feed.WriteString(",")
			}
			fmt.Fprintf(&feed, `{"id": "L%d", "property_id": "P%d", "status": "approved", "lease_start_date": "2025-01-01",
				"tenants": [{"id": "T%d", "first_name": "Ann", "last_name": "Lee", "email": "t%d@example.com"}]}`, i, i%7, i, i)
		}
		feed.WriteString("]")
		var reports atomic.Int64
		clock.OnProgress(func() {
			reports.Add(1)
			clock.Advance(timeout * 3 / 4)
		})
		defer clock.OnProgress(nil)
		var out apptest.ImportResult
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": feed.String(), "dry": false}, &out)
		if r := out.ImportLeases; !r.Applied || r.LeasesCreated != leases {
			t.Fatalf("import: %+v", r)
		}
		// Two after the checks, one per batch of 500.
		if n := reports.Load(); n < 2+leases/500 {
			t.Fatalf("%d progress reports for %d leases", n, leases)
		}
		if n, _ := e.Client.Lease.Query().Where(lease.ClientID(a)).Count(e.Sys()); n != leases {
			t.Fatalf("%d leases stored, want %d", n, leases)
		}
	})
}
