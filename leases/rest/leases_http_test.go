package rest_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

// statuses of the returned records, sorted, to compare exactly.
func statusesOf(p apptest.LeasesPage) []string {
	var out []string
	for _, r := range p.Data {
		out = append(out, r["status"].(string))
	}
	sort.Strings(out)
	return out
}

func TestLeasesREST(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, tokenA := e.NewClient("A")
		e.ArrangeLeases(a, "P1",
			apptest.RestLease{Source: "L1", Status: "Approved", Start: "2025-02-01", End: "2026-01-31", MoveIn: "2025-02-03"},
			apptest.RestLease{Source: "L2", Status: "ending", Start: "2024-04-01", End: "2025-03-31"},
			apptest.RestLease{Source: "L3", Status: "Current", Start: "2024-06-01", End: "2025-05-31"},
			apptest.RestLease{Source: "L4", Status: "Future", Start: "2025-06-01", End: "2026-05-31"},
			apptest.RestLease{Source: "L5", Status: "Notice", Start: "2024-01-01", End: "2024-12-31", MoveOut: "2025-01-15"},
		)

		t.Run("the spec's own call", func(t *testing.T) {
			p := e.LeasesPage(tokenA, "status=[approved,ending]&move=[in]&from=2025-01-01&to=2025-03-31")
			if got := statusesOf(p); !slices.Equal(got, []string{"Approved"}) || p.Total != 1 {
				t.Fatalf("got %v (total %d), want the one approved move-in", got, p.Total)
			}
		})
		cases := []struct {
			name, query string
			want        []string
		}{
			{"single status", "status=approved", []string{"Approved"}},
			{"bracket list", "status=[approved,ending]", []string{"Approved", "ending"}},
			{"spaces and quotes in brackets", `status=[ "Approved" , 'ENDING' ]`, []string{"Approved", "ending"}},
			{"move-out falls back to lease end", "move=[out]&from=2025-03-01&to=2025-03-31", []string{"ending"}},
			{"move-out date wins over lease end", "move=[out]&from=2025-01-15&to=2025-01-15", []string{"Notice"}},
			{"move in and out", "move=[in,out]&from=2025-01-01&to=2025-12-31", []string{"Approved", "Future", "Notice", "ending"}},
			{"single move without brackets", "move=in&from=2025-06-01&to=2025-06-01", []string{"Future"}},
			{"lease start range", "lease_start_from=2025-01-01&lease_start_to=2025-12-31", []string{"Approved", "Future"}},
			{"lease end range", "lease_end_from=2025-05-31&lease_end_to=2025-05-31", []string{"Current"}},
			{"property by tag", "property_id=P1&status=current", []string{"Current"}},
			{"unknown property", "property_id=nope", nil},
			{"own client id", "client_id=" + apptest.Itoa(a) + "&status=notice", []string{"Notice"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := e.LeasesPage(tokenA, strings.ReplaceAll(c.query, " ", "%20"))
				if got := statusesOf(p); !slices.Equal(got, c.want) || p.Total != len(c.want) {
					t.Fatalf("got %v (total %d), want %v", got, p.Total, c.want)
				}
			})
		}
	})
}

// TestLeasesRESTContract checks one record key by key against the spec's
// ideal response.
func TestLeasesRESTContract(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		ctx := e.Sys()
		p, err := e.Client.Property.Create().SetClientID(a).SetTag("5678").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		unit := &types.Address{Street: "1140 Broadway", Apt: "905", City: "New York", State: "NY", Zip: "10010"}
		l, err := e.Client.Lease.Create().SetClientID(a).SetPropertyID(p.ID).SetSourceID("asdfl230as8").
			SetUnitAddress(unit).SetStatus("approved").SetLeaseStartDate(apptest.Ymd("2015-11-01")).SetLeaseEndDate(apptest.Ymd("2016-10-31")).
			SetUseType("coporate").SetMoveInDate(apptest.Ymd("2015-11-01")).SetMoveOutDate(apptest.Ymd("2015-10-11")).
			SetExtra(map[string]any{"corporate_housing": true, "status": "overridden?"}).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tn, err := e.Client.Tenant.Create().SetClientID(a).SetLeaseID(l.ID).SetSourceID("6789").
			SetFirstName("Ryan").SetLastName("Hubbard").SetEmail("ryan@example.com").
			SetCellPhone("555-212-4567").SetHomePhone("555-212-3456").SetGender("MALE").
			SetPreviousAddress(&types.Address{Street: "28 W 22nd Street", Apt: "2G", City: "New York", State: "NY", Zip: "10010"}).
			SetForwardingAddress(&types.Address{Street: "30 W 48nd Street", Apt: "12K", City: "New York", State: "NY", Zip: "10043"}).
			Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		status, header, body := e.Get(token, "/leases")
		if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
			t.Fatalf("HTTP %d %s: %s", status, header.Get("Content-Type"), body)
		}
		var envelope map[string]json.RawMessage
		if err := json.Unmarshal(body, &envelope); err != nil {
			t.Fatal(err)
		}
		if keys := slices.Sorted(mapsKeys(envelope)); !slices.Equal(keys, []string{"data", "next_cursor", "total"}) {
			t.Fatalf("envelope keys %v", keys)
		}
		var page struct{ Data []json.RawMessage }
		_ = json.Unmarshal(body, &page)
		if len(page.Data) != 1 {
			t.Fatalf("%d records", len(page.Data))
		}
		want := `{
			"id": "` + apptest.Itoa(l.ID) + `", "source_id": "asdfl230as8", "client_id": "` + apptest.Itoa(a) + `", "property_id": "` + apptest.Itoa(p.ID) + `",
			"unit_address": {"street": "1140 Broadway", "apt": "905", "city": "New York", "state": "NY", "zip": "10010"},
			"status": "approved", "lease_start_date": "2015-11-01", "lease_end_date": "2016-10-31",
			"use_type": "coporate", "move_in_date": "2015-11-01", "move_out_date": "2015-10-11",
			"previous_address": null, "forwarding_address": null,
			"corporate_housing": true,
			"tenants": [{
				"id": "` + apptest.Itoa(tn.ID) + `", "source_id": "6789", "first_name": "Ryan", "last_name": "Hubbard", "email": "ryan@example.com",
				"cell_phone": "555-212-4567", "home_phone": "555-212-3456", "gender": "male",
				"previous_address": {"street": "28 W 22nd Street", "apt": "2G", "city": "New York", "state": "NY", "zip": "10010"},
				"forwarding_address": {"street": "30 W 48nd Street", "apt": "12K", "city": "New York", "state": "NY", "zip": "10043"}
			}]}`
		var got, exp map[string]any
		_ = json.Unmarshal(page.Data[0], &got)
		if err := json.Unmarshal([]byte(want), &exp); err != nil {
			t.Fatal(err)
		}
		for k, v := range exp {
			gb, _ := json.Marshal(got[k])
			eb, _ := json.Marshal(v)
			if string(gb) != string(eb) {
				t.Errorf("%s = %s, want %s", k, gb, eb)
			}
		}
		for k := range got {
			if _, ok := exp[k]; !ok {
				t.Errorf("unexpected key %q", k)
			}
		}
	})
}

func mapsKeys[M ~map[string]V, V any](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestLeasesRESTPagingAndCSV(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		var ls []apptest.RestLease
		for i := range 7 {
			ls = append(ls, apptest.RestLease{Source: "L" + apptest.Itoa(i), Status: "Approved", Start: "2025-01-0" + apptest.Itoa(i+1)})
		}
		e.ArrangeLeases(a, "P1", ls...)

		seen := map[string]bool{}
		query := "limit=3"
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			p := e.LeasesPage(token, query)
			if p.Total != 7 {
				t.Fatalf("total = %d", p.Total)
			}
			for _, r := range p.Data {
				id := r["id"].(string)
				if seen[id] {
					t.Fatalf("lease %s returned twice", id)
				}
				seen[id] = true
			}
			if p.NextCursor == nil {
				break
			}
			query = "limit=3&cursor=" + url.QueryEscape(*p.NextCursor)
		}
		if len(seen) != 7 {
			t.Fatalf("paging returned %d leases, want 7", len(seen))
		}

		for _, how := range [][]string{{"/leases?format=csv"}, {"/leases", "Accept", "text/csv"}} {
			status, header, body := e.Get(token, how[0], how[1:]...)
			if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/csv") {
				t.Fatalf("%v: HTTP %d %s", how, status, header.Get("Content-Type"))
			}
			rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 8 || rows[0][0] != "id" || rows[0][15] != "tenant_first_name" {
				t.Fatalf("%v: %d rows, header %v", how, len(rows), rows[0])
			}
			if rows[1][8] != "Approved" || !strings.HasPrefix(rows[1][15], "FirstL") {
				t.Fatalf("%v: first row %v", how, rows[1])
			}
		}
	})
}

func TestLeasesRESTBadInput(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("A")
		cases := []struct{ query, param string }{
			{"status=approved&status=ending", "status"},
			{"status=[approved", "status"},
			{"status=approved,ending", "status"},
			{"status=[approved,]", "status"},
			{"lease_start_from=2025-13-01", "lease_start_from"},
			{"lease_end_to=01/02/2025", "lease_end_to"},
			{"limit=0", "limit"},
			{"limit=1001", "limit"},
			{"limit=ten", "limit"},
			{"cursor=not-a-cursor", "cursor"},
			{"move=[sideways]&from=2025-01-01&to=2025-01-02", "move"},
			{"move=[in]&from=2025-01-01", "to"},
			{"from=2025-01-01&to=2025-02-01", "move"},
			{"move=[in]&from=2025-02-01&to=2025-01-01", "from"},
			{"client_id=abc", "client_id"},
			{"format=xml", "format"},
			{"colour=blue", "colour"},
		}
		for _, c := range cases {
			status, header, body := e.Get(token, "/leases?"+c.query)
			var out struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(body, &out)
			if status != http.StatusBadRequest || header.Get("Content-Type") != "application/json" ||
				out.Error.Code != "BAD_USER_INPUT" || !strings.Contains(out.Error.Message, c.param) {
				t.Errorf("%s: HTTP %d %s, want 400 naming %s", c.query, status, body, c.param)
			}
		}
		if status, _, body := e.Get("", "/leases"); status != http.StatusUnauthorized || !strings.Contains(string(body), `"UNAUTHENTICATED"`) {
			t.Errorf("no token: HTTP %d %s", status, body)
		}
	})
}

// TestIsolationLeasesREST: a client's token is pinned to its client.
func TestIsolationLeasesREST(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, tokenA := e.NewClient("A")
		b, _ := e.NewClient("B")
		e.ArrangeLeases(a, "P1", apptest.RestLease{Source: "L1", Status: "Approved", Start: "2025-02-01"})
		pb := e.ArrangeLeases(b, "P1", apptest.RestLease{Source: "L1", Status: "Approved", Start: "2025-02-01"}, apptest.RestLease{Source: "L2", Status: "Approved", Start: "2025-02-01"})
		admin := e.Token(0, viewer.ScopeAdmin)

		if p := e.LeasesPage(tokenA, ""); p.Total != 1 || p.Data[0]["client_id"] != apptest.Itoa(a) {
			t.Errorf("A sees %d leases: %v", p.Total, p.Data)
		}
		if status, _, body := e.Get(tokenA, "/leases?client_id="+apptest.Itoa(b)); status != http.StatusForbidden || !strings.Contains(string(body), `"FORBIDDEN"`) {
			t.Errorf("A naming B's client_id: HTTP %d %s", status, body)
		}
		// B's property, by our id: nothing, exactly like an unknown id.
		if p := e.LeasesPage(tokenA, "property_id="+apptest.Itoa(pb.ID)); p.Total != 0 || len(p.Data) != 0 {
			t.Errorf("A filtering by B's property id sees %v", p.Data)
		}
		// The shared tag P1 means A's own property.
		if p := e.LeasesPage(tokenA, "property_id=P1"); p.Total != 1 || p.Data[0]["client_id"] != apptest.Itoa(a) {
			t.Errorf("A filtering by tag P1 sees %v", p.Data)
		}
		if p := e.LeasesPage(admin, ""); p.Total != 3 {
			t.Errorf("admin sees %d leases, want 3", p.Total)
		}
		if p := e.LeasesPage(admin, "client_id="+apptest.Itoa(b)); p.Total != 2 {
			t.Errorf("admin naming B sees %d leases, want 2", p.Total)
		}
	})
}
