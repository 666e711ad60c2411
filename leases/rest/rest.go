// Package rest serves GET /leases: the lease-service spec's own conventions
// (snake_case parameters, status=[a,b] lists, the spec's record shape) in
// JSON or CSV, over the same leases.Service and moving window as GraphQL.
// package main mounts it behind authentication and the request deadline.
package rest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/leases"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

// The /leases route speaks the lease-service spec's own conventions:
// snake_case parameters, status=[a,b] lists, the spec's record shape.
const (
	defaultLeaseLimit = 100
	maxLeaseLimit     = 1000
	// MaxParam bounds each parameter's value (a status list included).
	MaxParam = 4000
)

var leaseParams = []string{
	"client_id", "property_id", "status", "lease_start_from", "lease_start_to",
	"lease_end_from", "lease_end_to", "move", "from", "to", "limit", "cursor", "format",
}

// leasesRequest is a parsed, valid /leases query.
type leasesRequest struct {
	filter leases.Filter
	limit  int
	cursor *ent.Cursor
	csv    bool
	// limited: the caller named a limit. A CSV export without one is the
	// whole result, streamed.
	limited bool
}

// Handler answers GET /leases for the request's viewer.
type Handler struct {
	Leases *leases.Service
	// Log receives the errors that are not the caller's.
	Log *slog.Logger
	// ExportPage is how many leases (with their tenants) a streamed CSV
	// export reads at once; 0 is DefaultExportPage.
	ExportPage int
}

// DefaultExportPage bounds what an export holds in memory: a page of
// leases and their tenants, whatever the export's length.
const DefaultExportPage = 200

// NextCursorHeader carries a CSV page's next_cursor (absent on the last).
const NextCursorHeader = "X-Next-Cursor"

// TotalCountHeader carries a CSV page's total, the JSON envelope's total.
const TotalCountHeader = "X-Total-Count"

// Streamer is implemented by a ResponseWriter that holds the answer until
// it is complete (the server's deadline middleware): StartStream sends what
// is written from then on as it comes, and each progress call marks the
// answer as still moving, which keeps its deadline from cutting it off.
type Streamer interface {
	StartStream() (progress func())
}

// ServeHTTP implements http.Handler.
func (a *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, err := parseLeasesRequest(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := viewer.FromContext(r.Context())
	if req.filter.ClientID != 0 && !v.Platform() && req.filter.ClientID != v.ClientID {
		a.fail(w, r, apperr.Forbidden("client_id: this token belongs to another client"))
		return
	}
	q, err := a.Leases.Query(r.Context(), req.filter)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if req.csv && !req.limited {
		a.exportCSV(w, r, q, req.cursor)
		return
	}
	conn, err := q.WithTenants(leases.TenantOrder).Paginate(r.Context(), req.cursor, &req.limit, nil, nil)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	records := make([]leases.Record, len(conn.Edges))
	for i, e := range conn.Edges {
		records[i] = leases.ToRecord(e.Node)
	}
	var next *string
	if conn.PageInfo.HasNextPage && conn.PageInfo.EndCursor != nil {
		s := cursorString(*conn.PageInfo.EndCursor)
		next = &s
	}
	if req.csv {
		if next != nil {
			w.Header().Set(NextCursorHeader, *next)
		}
		w.Header().Set(TotalCountHeader, strconv.Itoa(conn.TotalCount))
		writeLeasesCSV(w, records)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"data": records, "next_cursor": next, "total": conn.TotalCount})
}

// fail answers an error in the HTTP routes' JSON shape (httpjson.Fail).
func (a *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpjson.Fail(w, r, a.Log, err)
}

func parseLeasesRequest(r *http.Request) (*leasesRequest, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, apperr.BadInput("", "the query string is malformed: %v", err)
	}
	for name, values := range q {
		if !slices.Contains(leaseParams, name) {
			return nil, apperr.BadInput(name, "unknown parameter %q; known: %s", name, strings.Join(leaseParams, ", "))
		}
		// One check of every value: text the database can store, and short.
		for _, v := range values {
			if err := apperr.CheckText(name, v); err != nil {
				return nil, err
			}
			if len(v) > MaxParam {
				return nil, apperr.BadInput(name, "%s is longer than %d bytes", name, MaxParam)
			}
		}
		if len(values) > 1 {
			if name == "status" {
				return nil, apperr.BadInput(name, "status is given more than once: list several statuses as status=[approved,ending]")
			}
			return nil, apperr.BadInput(name, "%s is given more than once", name)
		}
	}
	req := &leasesRequest{limit: defaultLeaseLimit}
	if s := q.Get("client_id"); s != "" {
		if req.filter.ClientID, err = strconv.Atoi(s); err != nil || req.filter.ClientID <= 0 {
			return nil, apperr.BadInput("client_id", "client_id must be a client id (a positive number)")
		}
	}
	req.filter.Property = strings.TrimSpace(q.Get("property_id"))
	if q.Has("status") {
		if req.filter.Statuses, err = parseList("status", q.Get("status")); err != nil {
			return nil, err
		}
	}
	dates := []struct {
		name string
		dst  **time.Time
	}{
		{"lease_start_from", &req.filter.LeaseStartFrom}, {"lease_start_to", &req.filter.LeaseStartTo},
		{"lease_end_from", &req.filter.LeaseEndFrom}, {"lease_end_to", &req.filter.LeaseEndTo},
	}
	for _, d := range dates {
		if *d.dst, err = parseDateParam(q, d.name); err != nil {
			return nil, err
		}
	}
	if req.filter.Moving, err = parseMove(q); err != nil {
		return nil, err
	}
	if s := q.Get("limit"); s != "" {
		if req.limit, err = strconv.Atoi(s); err != nil || req.limit < 1 || req.limit > maxLeaseLimit {
			return nil, apperr.BadInput("limit", "limit must be a number from 1 to %d", maxLeaseLimit)
		}
		req.limited = true
	}
	if s := q.Get("cursor"); s != "" {
		var c ent.Cursor
		if err := c.UnmarshalGQL(s); err != nil {
			return nil, apperr.BadInput("cursor", "cursor is not one this service returned as next_cursor")
		}
		req.cursor = &c
	}
	switch f := q.Get("format"); f {
	case "", "json":
		req.csv = f == "" && strings.Contains(r.Header.Get("Accept"), "text/csv")
	case "csv":
		req.csv = true
	default:
		return nil, apperr.BadInput("format", "format must be json or csv")
	}
	return req, nil
}

// parseList reads a single value or the spec's bracket form [a,b], with
// spaces and quotes tolerated inside the brackets.
func parseList(name, raw string) ([]string, error) {
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "[") != strings.HasSuffix(s, "]") {
		return nil, apperr.BadInput(name, "%s=%s: a list is written [a,b], with both brackets", name, raw)
	}
	if strings.HasPrefix(s, "[") {
		s = s[1 : len(s)-1]
	} else if strings.Contains(s, ",") {
		return nil, apperr.BadInput(name, "%s=%s: list several values in brackets, as %s=[a,b]", name, raw, name)
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		v := strings.Trim(strings.TrimSpace(part), `"'`)
		if v = strings.TrimSpace(v); v == "" {
			return nil, apperr.BadInput(name, "%s=%s has an empty value", name, raw)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseDateParam(q url.Values, name string) (*time.Time, error) {
	s := q.Get(name)
	if s == "" {
		return nil, nil
	}
	t, err := types.ParseDate(s)
	if err != nil {
		return nil, apperr.BadInput(name, "%s: %v", name, err)
	}
	return &t, nil
}

// parseMove reads move=[in,out,transfer] with from and to: the same window
// as the GraphQL moving filter.
func parseMove(q url.Values) (*leases.Window, error) {
	if !q.Has("move") {
		if q.Has("from") || q.Has("to") {
			return nil, apperr.BadInput("move", "from and to bound a move window: add move=[in,out,transfer]")
		}
		return nil, nil
	}
	kinds, err := parseList("move", q.Get("move"))
	if err != nil {
		return nil, err
	}
	w := &leases.Window{}
	for _, k := range kinds {
		switch strings.ToLower(k) {
		case "in":
			w.Kinds = append(w.Kinds, leases.MoveIn)
		case "out":
			w.Kinds = append(w.Kinds, leases.MoveOut)
		case "transfer":
			w.Kinds = append(w.Kinds, leases.Transfer)
		default:
			return nil, apperr.BadInput("move", "unknown move %q: use in, out or transfer", k)
		}
	}
	for _, b := range []struct {
		name string
		dst  *time.Time
	}{{"from", &w.From}, {"to", &w.To}} {
		t, err := parseDateParam(q, b.name)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, apperr.BadInput(b.name, "move needs from and to (YYYY-MM-DD)")
		}
		*b.dst = *t
	}
	if err := w.Validate("move", "from"); err != nil {
		return nil, err
	}
	return w, nil
}

func cursorString(c ent.Cursor) string {
	var b bytes.Buffer
	c.MarshalGQL(&b)
	s, _ := strconv.Unquote(b.String())
	return s
}

// csvLeaseColumns: the columns added after the first release (source ids,
// the lease-level addresses) come last, so readers that index columns by
// position keep working.
var csvLeaseColumns = []string{
	"id", "client_id", "property_id", "unit_street", "unit_apt", "unit_city", "unit_state", "unit_zip",
	"status", "lease_start_date", "lease_end_date", "use_type", "move_in_date", "move_out_date",
	"tenant_id", "tenant_first_name", "tenant_last_name", "tenant_email", "tenant_cell_phone",
	"tenant_home_phone", "tenant_gender",
	"tenant_previous_street", "tenant_previous_apt", "tenant_previous_city", "tenant_previous_state", "tenant_previous_zip",
	"tenant_forwarding_street", "tenant_forwarding_apt", "tenant_forwarding_city", "tenant_forwarding_state", "tenant_forwarding_zip",
	"source_id", "tenant_source_id",
	"previous_street", "previous_apt", "previous_city", "previous_state", "previous_zip",
	"forwarding_street", "forwarding_apt", "forwarding_city", "forwarding_state", "forwarding_zip",
}

// writeLeasesCSV flattens the page: one row per tenant (a lease without
// tenants still gets a row), the source's extra fields as extra_* columns.
func writeLeasesCSV(w http.ResponseWriter, records []leases.Record) {
	extraSet := map[string]bool{}
	for _, r := range records {
		for k := range r.Extra {
			extraSet[k] = true
		}
	}
	extras := slices.Sorted(maps.Keys(extraSet))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader(extras))
	for _, r := range records {
		writeCSVRows(cw, r, extras)
	}
	cw.Flush()
}

func csvHeader(extras []string) []string {
	header := slices.Clone(csvLeaseColumns)
	for _, k := range extras {
		header = append(header, "extra_"+k)
	}
	return header
}

// writeCSVRows writes one lease: a row per tenant, one without tenants.
func writeCSVRows(cw *csv.Writer, r leases.Record, extras []string) {
	tenants := r.Tenants
	if len(tenants) == 0 {
		tenants = []leases.TenantRecord{{}}
	}
	for _, t := range tenants {
		row := []string{r.ID, r.ClientID, r.PropertyID}
		row = append(row, addrCells(r.UnitAddress)...)
		row = append(row, r.Status, r.LeaseStartDate, deref(r.LeaseEndDate), r.UseType, deref(r.MoveInDate), deref(r.MoveOutDate),
			t.ID, t.FirstName, t.LastName, t.Email, deref(t.CellPhone), deref(t.HomePhone), deref(t.Gender))
		row = append(row, addrCells(t.PreviousAddress)...)
		row = append(row, addrCells(t.ForwardingAddress)...)
		row = append(row, r.SourceID, t.SourceID)
		row = append(row, addrCells(r.PreviousAddress)...)
		row = append(row, addrCells(r.ForwardingAddress)...)
		for _, k := range extras {
			row = append(row, cell(r.Extra[k]))
		}
		_ = cw.Write(row)
	}
}

// exportCSV streams every lease of q after the cursor, in pages of
// ExportPage leases by id (keyset: each page starts after the last id, so
// no page costs more than the first), writing each page as it is read.
// The extra_* columns must be known for the header, so a first pass reads
// only the leases' extra fields, page by page, keeping their names (as
// many as the feeds' distinct field names). Nothing is sent before the
// first page is read, so an error there is an ordinary error answer; one
// after that can only cut the connection. Every page read, of either pass,
// counts as progress for the deadline.
func (a *Handler) exportCSV(w http.ResponseWriter, r *http.Request, q *ent.LeaseQuery, cursor *ent.Cursor) {
	ctx := r.Context()
	size := a.ExportPage
	if size <= 0 {
		size = DefaultExportPage
	}
	start := 0
	if cursor != nil {
		start = cursor.ID
	}
	var progress func()
	started := func() {
		if progress != nil {
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		if s, ok := w.(Streamer); ok {
			progress = s.StartStream()
			return
		}
		w.WriteHeader(http.StatusOK)
		progress = func() { _ = http.NewResponseController(w).Flush() }
	}
	failed := func(err error) {
		if progress == nil {
			a.fail(w, r, err)
			return
		}
		// The 200 is out: log it, then cut the connection so the reader
		// sees an incomplete export, never a clean end.
		a.Log.ErrorContext(ctx, "leases export failed mid-stream", "error", err)
		panic(http.ErrAbortHandler)
	}
	pages := func(yield func([]*ent.Lease) bool, read func(*ent.LeaseQuery) ([]*ent.Lease, error)) bool {
		for after := start; ; {
			page, err := read(q.Clone().Where(lease.IDGT(after)).Order(ent.Asc(lease.FieldID)).Limit(size))
			if err != nil {
				failed(err)
				return false
			}
			started()
			if !yield(page) {
				return false
			}
			progress()
			if len(page) < size {
				return true
			}
			after = page[len(page)-1].ID
		}
	}
	extraSet := map[string]bool{}
	if !pages(func(page []*ent.Lease) bool {
		for _, l := range page {
			for k := range l.Extra {
				extraSet[k] = true
			}
		}
		return true
	}, func(q *ent.LeaseQuery) ([]*ent.Lease, error) {
		return q.Select(lease.FieldID, lease.FieldExtra).All(ctx)
	}) {
		return
	}
	extras := slices.Sorted(maps.Keys(extraSet))
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader(extras))
	pages(func(page []*ent.Lease) bool {
		for _, l := range page {
			writeCSVRows(cw, leases.ToRecord(l), extras)
		}
		cw.Flush()
		return cw.Error() == nil // else the reader left, or the deadline took the answer
	}, func(q *ent.LeaseQuery) ([]*ent.Lease, error) {
		return q.WithTenants(leases.TenantOrder).All(ctx)
	})
	cw.Flush()
}

func addrCells(a *types.Address) []string {
	if a == nil {
		return make([]string, 5)
	}
	return []string{a.Street, a.Apt, a.City, a.State, a.Zip}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}
