package rest_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/leases/rest"
	"github.com/leasegraph/leasegraph/types"
)

// The /leases CSV export: the whole result streamed in bounded pages, the
// cursor of a limited page in a header, and the deadline as an idle one.

const exportLeases = 500

// withExportPage sets the page size of a streamed export.
func withExportPage(n int) apptest.Setup {
	return func(t *testing.T, s *apptest.Settings) { s.Options.ExportPage = n }
}

// arrangeManyLeases gives the client n leases (source ids S0000...), each
// with one tenant, in bulk.
func arrangeManyLeases(e *apptest.Env, clientID, n int) {
	e.T.Helper()
	ctx := e.Sys()
	p, err := e.Client.Property.Create().SetClientID(clientID).SetTag("P").SetName("Tower").Save(ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	const chunk = 100
	for from := 0; from < n; from += chunk {
		var creates []*ent.LeaseCreate
		for i := from; i < min(from+chunk, n); i++ {
			creates = append(creates, e.Client.Lease.Create().SetClientID(clientID).SetPropertyID(p.ID).
				SetSourceID(sourceID(i)).SetStatus("Approved").SetLeaseStartDate(apptest.Ymd("2025-01-01")))
		}
		ls, err := e.Client.Lease.CreateBulk(creates...).Save(ctx)
		if err != nil {
			e.T.Fatal(err)
		}
		var tenants []*ent.TenantCreate
		for _, l := range ls {
			tenants = append(tenants, e.Client.Tenant.Create().SetClientID(clientID).SetLeaseID(l.ID).
				SetSourceID("T-"+l.SourceID).SetFirstName("Ann").SetLastName("Lee"))
		}
		if err := e.Client.Tenant.CreateBulk(tenants...).Exec(ctx); err != nil {
			e.T.Fatal(err)
		}
	}
}

func sourceID(i int) string { return "S" + strconv.Itoa(10000 + i)[1:] }

// csvRows parses a CSV answer into its header's column index and its rows.
func csvRows(t *testing.T, body []byte) (map[string]int, [][]string) {
	t.Helper()
	r := csv.NewReader(strings.NewReader(string(body)))
	r.FieldsPerRecord = -1 // a cut export ends mid-row
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("CSV %q: %v", body, err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	return col, rows[1:]
}

// sourcesOf is the sorted source_id column of complete rows.
func sourcesOf(col map[string]int, rows [][]string) []string {
	var out []string
	for _, r := range rows {
		if len(r) == len(col) {
			out = append(out, r[col["source_id"]])
		}
	}
	slices.Sort(out)
	return out
}

func allSources(n int) []string {
	var out []string
	for i := range n {
		out = append(out, sourceID(i))
	}
	return out
}

// TestLeasesCSVExport: without a limit, format=csv answers every lease,
// read in pages of the export's size (counted as statements: one pass
// that read everything at once would take a handful); with a limit, it
// pages like JSON, chained by X-Next-Cursor.
func TestLeasesCSVExport(t *testing.T) {
	const page = 50
	apptest.EachDBSetup(t, withExportPage(page), func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		arrangeManyLeases(e, a, exportLeases)
		e.Get(token, "/leases?limit=1") // authentication is cached from here on

		before := e.Queries.N.Load()
		status, header, body := e.Get(token, "/leases?format=csv")
		statements := e.Queries.N.Load() - before
		if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/csv") {
			t.Fatalf("HTTP %d %s: %.300s", status, header.Get("Content-Type"), body)
		}
		col, rows := csvRows(t, body)
		if got := sourcesOf(col, rows); len(rows) != exportLeases || !slices.Equal(got, allSources(exportLeases)) {
			t.Fatalf("%d rows, want one per lease (%d)", len(rows), exportLeases)
		}
		// Each page reads its leases and their tenants.
		if pages := int64(exportLeases / page); statements < 2*pages {
			t.Fatalf("the export ran %d statements, want at least %d: one page of %d at a time", statements, 2*pages, page)
		}
		if header.Get(rest.NextCursorHeader) != "" {
			t.Fatalf("a whole export has a next cursor %q", header.Get(rest.NextCursorHeader))
		}

		var paged [][]string
		query := "/leases?format=csv&limit=200"
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatal("paging does not end")
			}
			status, header, body := e.Get(token, query)
			if status != http.StatusOK || header.Get(rest.TotalCountHeader) != apptest.Itoa(exportLeases) {
				t.Fatalf("%s: HTTP %d, total %q: %.300s", query, status, header.Get(rest.TotalCountHeader), body)
			}
			c, rows := csvRows(t, body)
			if len(rows) > 200 {
				t.Fatalf("%s: %d rows", query, len(rows))
			}
			col = c
			paged = append(paged, rows...)
			next := header.Get(rest.NextCursorHeader)
			if next == "" {
				break
			}
			query = "/leases?format=csv&limit=200&cursor=" + url.QueryEscape(next)
		}
		if got := sourcesOf(col, paged); !slices.Equal(got, allSources(exportLeases)) {
			t.Fatalf("paging by %s reached %d leases, want %d", rest.NextCursorHeader, len(got), exportLeases)
		}
	})
}

// TestLeasesCSVExportDeadline: an export that keeps sending pages runs
// past its deadline (each page costs most of it, all of them many times
// it), while one whose next page never comes is cut off when the deadline
// passes: the reader gets an incomplete body (never a clean end), and the
// waiting statement is cancelled.
func TestLeasesCSVExportDeadline(t *testing.T) {
	const page = 50
	const timeout = time.Minute // on the fake clock
	var clocks sync.Map         // one fake clock per database's app
	setup := func(t *testing.T, s *apptest.Settings) {
		c := &apptest.FakeClock{}
		clocks.Store(s.Dialect, c)
		apptest.WithRequestTimeout(timeout, withExportPage(page), apptest.WithFakeClock(c))(t, s)
	}
	apptest.EachDBSetup(t, setup, func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		arrangeManyLeases(e, a, exportLeases)
		c, _ := clocks.Load(e.Dialect)
		clock := c.(*apptest.FakeClock)

		t.Run("progressing", func(t *testing.T) {
			// Reading the next page takes three quarters of the deadline:
			// ten pages take seven and a half deadlines.
			clock.OnProgress(func() { clock.Advance(timeout * 3 / 4) })
			defer clock.OnProgress(nil)
			status, _, body := e.Get(token, "/leases?format=csv")
			col, rows := csvRows(t, body)
			if got := sourcesOf(col, rows); status != http.StatusOK || !slices.Equal(got, allSources(exportLeases)) {
				t.Fatalf("HTTP %d with %d of %d leases: the deadline cut an export that kept sending", status, len(got), exportLeases)
			}
		})

		t.Run("stalled", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// After the first page of rows, the database stops answering.
			// Before it come the pages of the pass over the extra fields:
			// ten full ones and the empty one that ends it.
			stalled := make(chan *apptest.LeaseStall, 1)
			progressed := 0
			clock.OnProgress(func() {
				if progressed++; progressed == exportLeases/page+1+1 {
					stalled <- apptest.StallLeases(t, e)
				}
			})
			defer clock.OnProgress(nil)
			res := apptest.Send(ctx, http.MethodGet, e.Srv.URL+"/leases?format=csv", token, "")
			var s *apptest.LeaseStall
			select {
			case s = <-stalled:
			case <-ctx.Done():
				t.Fatal("the export sent no page")
			}
			s.WaitBlocked(ctx)
			clock.Advance(timeout)
			ans := apptest.Await(ctx, t, res)
			if ans.Status != http.StatusOK || !errors.Is(ans.Err, io.ErrUnexpectedEOF) {
				t.Fatalf("HTTP %d, read error %v: want the 200's body cut short", ans.Status, ans.Err)
			}
			col, rows := csvRows(t, ans.Body)
			if got := sourcesOf(col, rows); !slices.Equal(got, allSources(page)) {
				t.Fatalf("the cut export holds %d leases, want the first page's %d", len(got), page)
			}
			s.WaitGone(ctx)
			s.Release()
			// The server is not held up by the cut export.
			if p := e.LeasesPage(token, "limit=1"); p.Total != exportLeases {
				t.Fatalf("after the cut export: total %d", p.Total)
			}
		})
	})
}

// TestLeasesRESTRecordFields: the source's ids, lease-level addresses
// beside tenants' own, and absent phones as null (an empty CSV cell).
func TestLeasesRESTRecordFields(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, token := e.NewClient("A")
		ctx := e.Sys()
		p, err := e.Client.Property.Create().SetClientID(a).SetTag("P").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		leasePrev := &types.Address{Street: "1 Lease St", City: "Albany", State: "NY", Zip: "12207"}
		own := &types.Address{Street: "2 Own Ave", City: "Troy", State: "NY", Zip: "12180"}
		l, err := e.Client.Lease.Create().SetClientID(a).SetPropertyID(p.ID).SetSourceID("SRC-1").
			SetStatus("approved").SetLeaseStartDate(apptest.Ymd("2025-01-01")).SetPreviousAddress(leasePrev).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.Client.Tenant.Create().SetClientID(a).SetLeaseID(l.ID).SetSourceID("T-1").SetFirstName("Ann").
			SetCellPhone("555-212-4567").SetPreviousAddress(own).ExecX(ctx)
		e.Client.Tenant.Create().SetClientID(a).SetLeaseID(l.ID).SetSourceID("T-2").SetFirstName("Bob").ExecX(ctx)

		status, _, body := e.Get(token, "/leases")
		var out struct {
			Data []struct {
				SourceID          string          `json:"source_id"`
				PreviousAddress   *types.Address  `json:"previous_address"`
				ForwardingAddress json.RawMessage `json:"forwarding_address"`
				Tenants           []map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal(body, &out); err != nil || status != http.StatusOK || len(out.Data) != 1 {
			t.Fatalf("HTTP %d %s", status, body)
		}
		rec := out.Data[0]
		if rec.SourceID != "SRC-1" || rec.PreviousAddress == nil || rec.PreviousAddress.Street != "1 Lease St" || string(rec.ForwardingAddress) != "null" {
			t.Fatalf("lease: source_id %q, previous %+v, forwarding %s", rec.SourceID, rec.PreviousAddress, rec.ForwardingAddress)
		}
		want := []map[string]string{
			{"source_id": `"T-1"`, "cell_phone": `"555-212-4567"`, "home_phone": "null", "forwarding_address": "null", "previous_address": "2 Own Ave"},
			{"source_id": `"T-2"`, "cell_phone": "null", "home_phone": "null", "forwarding_address": "null", "previous_address": "1 Lease St"},
		}
		if len(rec.Tenants) != 2 {
			t.Fatalf("%d tenants", len(rec.Tenants))
		}
		for i, w := range want {
			for k, v := range w {
				got := string(rec.Tenants[i][k])
				if k == "previous_address" {
					if !strings.Contains(got, v) {
						t.Errorf("tenant %d previous_address %s, want %s", i, got, v)
					}
				} else if got != v {
					t.Errorf("tenant %d %s = %s, want %s", i, k, got, v)
				}
			}
		}

		for _, q := range []string{"format=csv", "format=csv&limit=10"} {
			_, _, body := e.Get(token, "/leases?"+q)
			col, rows := csvRows(t, body)
			if len(rows) != 2 {
				t.Fatalf("%s: %d rows", q, len(rows))
			}
			cells := map[string][2]string{
				"source_id":              {"SRC-1", "SRC-1"},
				"tenant_source_id":       {"T-1", "T-2"},
				"tenant_cell_phone":      {"555-212-4567", ""},
				"tenant_home_phone":      {"", ""},
				"tenant_previous_street": {"2 Own Ave", "1 Lease St"},
				"previous_street":        {"1 Lease St", "1 Lease St"},
				"forwarding_street":      {"", ""},
			}
			for name, w := range cells {
				i, ok := col[name]
				if !ok {
					t.Fatalf("%s: no column %s", q, name)
				}
				if rows[0][i] != w[0] || rows[1][i] != w[1] {
					t.Errorf("%s: %s = %q, %q; want %q, %q", q, name, rows[0][i], rows[1][i], w[0], w[1])
				}
			}
		}
	})
}

// TestLeasesImportUnpaddedDates: a feed with unpadded ISO dates imports,
// and /leases shows them as dates; a real garbage date is still one row's
// error, naming its field, and nothing is written.
func TestLeasesImportUnpaddedDates(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("A")
		feed := `[{"id": "U1", "property_id": "P", "status": "approved", "lease_start_date": "2025-3-5",
			"lease_end_date": "2026-3-4", "move_in_date": "2025-03-5",
			"tenants": [{"id": "T1", "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"}]}]`
		var out apptest.ImportResult
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": feed, "dry": false}, &out)
		if r := out.ImportLeases; !r.Applied || r.LeasesCreated != 1 || len(r.Errors) != 0 {
			t.Fatalf("unpadded dates: %+v", r)
		}
		p := e.LeasesPage(token, "")
		if len(p.Data) != 1 || p.Data[0]["source_id"] != "U1" || p.Data[0]["lease_start_date"] != "2025-03-05" ||
			p.Data[0]["lease_end_date"] != "2026-03-04" || p.Data[0]["move_in_date"] != "2025-03-05" {
			t.Fatalf("imported: %v", p.Data)
		}

		bad := `[{"id": "G1", "property_id": "P", "status": "approved", "lease_start_date": "2025-4-1"},
			{"id": "G2", "property_id": "P", "status": "approved", "lease_start_date": "2025-13-45"}]`
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": bad, "dry": false}, &out)
		r := out.ImportLeases
		if r.Applied || len(r.Errors) != 1 || r.Errors[0].LeaseID != "G2" || r.Errors[0].Field != "lease_start_date" ||
			!strings.Contains(r.Errors[0].Message, "2025-13-45") {
			t.Fatalf("a garbage date: %+v", r)
		}
		if p := e.LeasesPage(token, ""); p.Total != 1 {
			t.Fatalf("a refused feed wrote leases: total %d", p.Total)
		}
	})
}
