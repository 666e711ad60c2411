package propexotest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The lease read side (GET /v1/leases/, GET /v1/leases/{lease_id}, GET
// /v1/lease-transfers/, GET /v1/residents/:
// docs/partners/propexo.md#leases, #residents, #lease-transfers). Tests and demo mode put,
// change and remove records with PutLease, PutResident, PutTransfer and
// Remove; the simulator stamps created_at and updated_at from its clock.

// LeaseRecord is a lease at Propexo. Empty strings are served as null.
type LeaseRecord struct {
	ID, IntegrationID, PropertyID, XPropertyID string
	UnitNumber                                 string
	// Status and StatusRaw are the PMS's; StatusNormalized one of ACTIVE,
	// INACTIVE, OTHER, PENDING, EVICTED (docs/partners/propexo.md#leases, the
	// status_normalized enum).
	Status, StatusRaw, StatusNormalized string
	StartDate, EndDate                  string
	MoveInDate, MoveOutDate             string // scheduled move dates
	// Type and Term are served as the lease's type and term; Propexo
	// lists no values for either (docs/partners/propexo.md#lease-type-and-term).
	Type, Term  string
	ResidentIDs []string
}

// ResidentRecord is a resident at Propexo, on one or more leases.
type ResidentRecord struct {
	ID, IntegrationID, PropertyID string
	FirstName, LastName, Email    string
	Email2                        string // email_2
	Phone                         string // a MOBILE phone_1
	LeaseIDs                      []string
	// Primary is served as address_1, address_2, city, state, zip and
	// country; Alternate as their _alternate twins
	// (docs/partners/propexo.md#resident-addresses).
	Primary, Alternate ResidentAddress
}

// ResidentAddress is one of a resident's addresses; empty parts are served
// as null, as every part of both addresses may be.
type ResidentAddress struct {
	Address1, Address2, City, State, Zip, Country string
}

// TransferRecord is a resident's move between two leases.
type TransferRecord struct {
	ID, IntegrationID, PropertyID, ResidentID string
	LeaseIDPrevious, LeaseIDNext              string
	EffectiveDate                             string
}

// stamped is a record with its times and insertion order.
type stamped struct {
	seq              int
	created, updated time.Time
	rec              any
}

type recordSet map[string]*stamped

// records holds the read side's three kinds.
type records struct {
	seq                         int
	leases, residents, transfer recordSet
}

func (s *Sim) recordsLocked() *records {
	if s.recs == nil {
		s.recs = &records{leases: recordSet{}, residents: recordSet{}, transfer: recordSet{}}
	}
	return s.recs
}

// put stores a record and notifies the registered webhooks: DATA_NEW for
// a record it did not hold, DATA_UPDATE for a change.
func (s *Sim) put(set func(*records) recordSet, model, integrationID, id string, rec any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recordsLocked()
	now := s.now()
	if old, ok := set(r)[id]; ok {
		old.updated, old.rec = now, rec
		s.notifyLocked("DATA_UPDATE", model, integrationID, id)
		return
	}
	r.seq++
	set(r)[id] = &stamped{seq: r.seq, created: now, updated: now, rec: rec}
	s.notifyLocked("DATA_NEW", model, integrationID, id)
}

// PutLease adds or changes a lease (changing moves its updated_at).
func (s *Sim) PutLease(l LeaseRecord) {
	l.ResidentIDs = slices.Clone(l.ResidentIDs)
	s.put(func(r *records) recordSet { return r.leases }, ModelLeases, l.IntegrationID, l.ID, l)
}

// PutResident adds or changes a resident.
func (s *Sim) PutResident(p ResidentRecord) {
	p.LeaseIDs = slices.Clone(p.LeaseIDs)
	s.put(func(r *records) recordSet { return r.residents }, ModelResidents, p.IntegrationID, p.ID, p)
}

// PutTransfer adds or changes a lease transfer.
func (s *Sim) PutTransfer(t TransferRecord) {
	s.put(func(r *records) recordSet { return r.transfer }, ModelLeaseTransfers, t.IntegrationID, t.ID, t)
}

// RemoveLease deletes a lease at the source: it is listed no more.
func (s *Sim) RemoveLease(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.recordsLocked().leases, id)
}

// Lease returns a stored lease.
func (s *Sim) Lease(id string) (LeaseRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.recordsLocked().leases[id]
	if !ok {
		return LeaseRecord{}, false
	}
	return st.rec.(LeaseRecord), true
}

// ListRequests counts authenticated GETs of the three lists.
func (s *Sim) ListRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listRequests
}

// LeaseGets counts authenticated GET /v1/leases/{lease_id}.
func (s *Sim) LeaseGets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leaseGets
}

// listSpec is one list endpoint: the query parameters it documents, and
// which of them the simulator filters by.
type listSpec struct {
	set func(*records) recordSet
	// documented are every query parameter of the endpoint; anything else
	// is refused. filters are those the simulator applies; a documented
	// one it does not simulate is refused too, rather than ignored, so a
	// test never believes a filter worked.
	documented []string
	filters    map[string]func(any) string
	// among are filters matching when the value is one of a record's.
	among  map[string]func(any) []string
	render func(*stamped) map[string]any
}

// The parameters of each list (docs/partners/propexo.md#leases, #residents,
// #lease-transfers).
var (
	leaseList = listSpec{
		set: func(r *records) recordSet { return r.leases },
		documented: []string{"order-by", "offset", "limit", "x_id", "x_property_id", "x_unit_id", "location_id", "unit_id",
			"resident_id", "property_id", "integration_id", "before_move_in_date", "after_move_in_date", "before_move_out_date",
			"after_move_out_date", "only_null_move_outs", "integration_vendor", "status_normalized", "status_raw", "unit_number"},
		filters: map[string]func(any) string{
			"integration_id":    func(v any) string { return v.(LeaseRecord).IntegrationID },
			"property_id":       func(v any) string { return v.(LeaseRecord).PropertyID },
			"x_id":              func(v any) string { return "x-" + v.(LeaseRecord).ID },
			"status_raw":        func(v any) string { return v.(LeaseRecord).StatusRaw },
			"status_normalized": func(v any) string { return v.(LeaseRecord).StatusNormalized },
		},
		among:  map[string]func(any) []string{"resident_id": func(v any) []string { return v.(LeaseRecord).ResidentIDs }},
		render: renderLease,
	}
	residentList = listSpec{
		set: func(r *records) recordSet { return r.residents },
		documented: []string{"order-by", "offset", "limit", "x_id", "x_property_id", "location_id", "property_id", "lease_id",
			"integration_id", "integration_vendor", "email_1", "phone_1"},
		filters: map[string]func(any) string{
			"integration_id": func(v any) string { return v.(ResidentRecord).IntegrationID },
			"property_id":    func(v any) string { return v.(ResidentRecord).PropertyID },
			"x_id":           func(v any) string { return "x-" + v.(ResidentRecord).ID },
			"email_1":        func(v any) string { return v.(ResidentRecord).Email },
		},
		among:  map[string]func(any) []string{"lease_id": func(v any) []string { return v.(ResidentRecord).LeaseIDs }},
		render: renderResident,
	}
	transferList = listSpec{
		set: func(r *records) recordSet { return r.transfer },
		documented: []string{"order-by", "offset", "limit", "x_id", "x_property_id", "location_id", "property_id", "resident_id",
			"lease_id_next", "lease_id_previous", "unit_id_next", "unit_id_previous", "integration_id", "integration_vendor"},
		filters: map[string]func(any) string{
			"integration_id":    func(v any) string { return v.(TransferRecord).IntegrationID },
			"property_id":       func(v any) string { return v.(TransferRecord).PropertyID },
			"resident_id":       func(v any) string { return v.(TransferRecord).ResidentID },
			"lease_id_next":     func(v any) string { return v.(TransferRecord).LeaseIDNext },
			"lease_id_previous": func(v any) string { return v.(TransferRecord).LeaseIDPrevious },
		},
		render: renderTransfer,
	}
)

// statusNormalized is the status_normalized filter's enum
// (docs/partners/propexo.md#leases).
var statusNormalized = []string{"ACTIVE", "INACTIVE", "OTHER", "PENDING", "EVICTED"}

func (s *Sim) listHandler(spec listSpec) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.readFails(w, r) {
			return
		}
		q := r.URL.Query()
		var issues []Issue
		for k := range q {
			switch {
			case !slices.Contains(spec.documented, k):
				issues = append(issues, Issue{Code: "unrecognized_keys", Path: []any{}, Message: "Unrecognized key(s) in object: '" + k + "'"})
			case k != "order-by" && k != "offset" && k != "limit" && spec.among[k] == nil && spec.filters[k] == nil && q.Get(k) != "":
				issues = append(issues, issue("custom", k, "filter "+k+" is not simulated"))
			}
		}
		// offset: minimum 0, default 0; limit: 0 to 250, default 100 (each
		// list's offset and limit parameters).
		offset := intParam(q.Get("offset"), 0, 0, -1, "offset", &issues)
		limit := intParam(q.Get("limit"), 100, 0, 250, "limit", &issues)
		if v := q.Get("status_normalized"); v != "" && !slices.Contains(statusNormalized, v) {
			issues = append(issues, issue("invalid_enum_value", "status_normalized", "Invalid enum value"))
		}
		// order-by: a field, optionally ":asc" or ":desc"; default
		// created_at:desc (each list's order-by parameter).
		field, dir, _ := strings.Cut(cmpStr(q.Get("order-by"), "created_at:desc"), ":")
		if (field != "created_at" && field != "updated_at") || (dir != "" && dir != "asc" && dir != "desc") {
			issues = append(issues, issue("invalid_enum_value", "order-by", "Invalid order-by"))
		}
		if len(issues) > 0 {
			writeError(w, http.StatusBadRequest, "invalid_request", "invalid query", issues)
			return
		}
		s.mu.Lock()
		s.listRequests++
		var all []*stamped
		for _, st := range spec.set(s.recordsLocked()) {
			ok := true
			for k, get := range spec.filters {
				if v := q.Get(k); v != "" && get(st.rec) != v {
					ok = false
				}
			}
			for k, get := range spec.among {
				if v := q.Get(k); v != "" && !slices.Contains(get(st.rec), v) {
					ok = false
				}
			}
			if ok {
				cp := *st
				all = append(all, &cp)
			}
		}
		s.mu.Unlock()
		at := func(st *stamped) time.Time {
			if field == "updated_at" {
				return st.updated
			}
			return st.created
		}
		slices.SortFunc(all, func(a, b *stamped) int {
			c := at(a).Compare(at(b))
			if c == 0 {
				c = a.seq - b.seq
			}
			if dir == "desc" {
				c = -c
			}
			return c
		})
		page := all[min(offset, len(all)):min(offset+limit, len(all))]
		results := make([]map[string]any, len(page))
		for i, st := range page {
			results[i] = spec.render(st)
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"meta": map[string]any{"offset": offset, "limit": limit, "orderBy": []any{},
				"hasMore": offset+len(page) < len(all), "total": len(all)},
			"results": results,
		})
	}
}

// getLease answers one lease as {meta, results: Lease}
// (docs/partners/propexo.md#leases); an unknown id is a 400, the only
// error documented.
func (s *Sim) getLease(w http.ResponseWriter, r *http.Request) {
	if s.readFails(w, r) {
		return
	}
	s.mu.Lock()
	s.leaseGets++
	st, ok := s.recordsLocked().leases[r.PathValue("id")]
	var cp stamped
	if ok {
		cp = *st
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request", "lease "+r.PathValue("id")+" not found", nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"offset": 0, "limit": 1, "orderBy": []any{}}, "results": renderLease(&cp)})
}

// getTransfer answers one lease transfer as {meta, results: LeaseTransfer}
// (docs/partners/propexo.md#lease-transfers); an unknown id is a 400, the
// only error documented.
func (s *Sim) getTransfer(w http.ResponseWriter, r *http.Request) {
	if s.readFails(w, r) {
		return
	}
	s.mu.Lock()
	st, ok := s.recordsLocked().transfer[r.PathValue("id")]
	var cp stamped
	if ok {
		cp = *st
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request", "lease transfer "+r.PathValue("id")+" not found", nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"offset": 0, "limit": 1, "orderBy": []any{}}, "results": renderTransfer(&cp)})
}

func null(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func stamps(st *stamped, id string) map[string]any {
	return map[string]any{"id": id, "created_at": st.created.UTC().Format(time.RFC3339Nano),
		"updated_at": st.updated.UTC().Format(time.RFC3339Nano), "last_seen": st.updated.UTC().Format(time.RFC3339Nano),
		"x_id": "x-" + id, "integration_vendor": "SAMPLE1", "custom_data": nil}
}

// renderLease gives every required key of the Lease schema
// (docs/partners/propexo.md#leases); absent values are null.
func renderLease(st *stamped) map[string]any {
	l := st.rec.(LeaseRecord)
	m := stamps(st, l.ID)
	res := make([]map[string]any, len(l.ResidentIDs))
	for i, id := range l.ResidentIDs {
		res[i] = map[string]any{"resident_id": id, "x_resident_type": nil, "resident_type_normalized": nil,
			"move_in_date": null(l.MoveInDate), "move_out_date": null(l.MoveOutDate), "notice_date": nil, "custom_data": nil}
	}
	for k, v := range map[string]any{
		"x_property_id": cmpStr(l.XPropertyID, "x-"+l.PropertyID), "x_resident_id": nil, "x_unit_id": nil, "residents_meta_data": res,
		"application_date": nil, "deposit_amount": nil, "deposit_amount_in_cents": nil, "deposit_date": nil,
		"end_date": null(l.EndDate), "realized_move_in_date": nil, "realized_move_out_date": nil,
		"rent_amount_in_cents": nil, "rent_amount_market_in_cents": nil, "rent_due_day": nil, "rent_due_date": nil,
		"scheduled_move_in_date": null(l.MoveInDate), "scheduled_move_out_date": null(l.MoveOutDate), "signature_date": nil,
		"start_date": null(l.StartDate), "status": null(l.Status), "status_normalized": null(l.StatusNormalized),
		"status_raw": null(l.StatusRaw), "term": null(l.Term), "type": null(l.Type), "unit_number": null(l.UnitNumber),
		"write_off_amount_in_cents": nil, "write_off_amount_raw": nil, "balance_amount_in_cents": nil, "balance_amount_raw": nil,
		"past_due_balance_in_cents": nil, "past_due_balance_raw": nil, "unit_id": nil, "property_id": l.PropertyID,
		"integration_id": l.IntegrationID, "services": []any{},
	} {
		m[k] = v
	}
	return m
}

// renderResident gives every required key of a resident
// (docs/partners/propexo.md#residents).
func renderResident(st *stamped) map[string]any {
	p := st.rec.(ResidentRecord)
	m := stamps(st, p.ID)
	leases := make([]map[string]any, len(p.LeaseIDs))
	for i, id := range p.LeaseIDs {
		leases[i] = map[string]any{"lease_id": id, "x_resident_type": nil, "resident_type_normalized": nil,
			"move_in_date": nil, "move_out_date": nil, "notice_date": nil, "custom_data": nil}
	}
	var phoneType any
	if p.Phone != "" {
		phoneType = "MOBILE"
	}
	var xLease any
	if len(p.LeaseIDs) > 0 {
		xLease = "x-" + p.LeaseIDs[0]
	}
	pr, alt := p.Primary, p.Alternate
	for k, v := range map[string]any{
		"x_lease_id": xLease, "leases_meta_data": leases,
		"address_1_alternate": null(alt.Address1), "address_1": null(pr.Address1), "address_2_alternate": null(alt.Address2),
		"address_2": null(pr.Address2), "balance_in_cents": nil, "city_alternate": null(alt.City), "city": null(pr.City),
		"country_alternate": null(alt.Country), "country": null(pr.Country), "date_of_birth": nil,
		"email_1": null(p.Email), "email_2": null(p.Email2), "first_name": null(p.FirstName), "is_employee": nil,
		"last_name": null(p.LastName), "late_balance_in_cents": nil, "middle_name": nil, "notes": nil,
		"phone_1_type": phoneType, "phone_1": null(p.Phone), "phone_2_type": nil, "phone_2": nil,
		"state_alternate": null(alt.State), "state": null(pr.State), "zip_alternate": null(alt.Zip), "zip": null(pr.Zip),
		"pets": []any{}, "vehicles": []any{}, "integration_id": p.IntegrationID, "property_id": p.PropertyID,
	} {
		m[k] = v
	}
	return m
}

// renderTransfer gives every required key of a lease transfer
// (docs/partners/propexo.md#lease-transfers).
func renderTransfer(st *stamped) map[string]any {
	t := st.rec.(TransferRecord)
	m := stamps(st, t.ID)
	for k, v := range map[string]any{
		"x_property_id": "x-" + t.PropertyID, "x_location_id": nil, "x_resident_id": "x-" + t.ResidentID,
		"x_lease_id_next": "x-" + t.LeaseIDNext, "x_lease_property_id_next": nil,
		"x_lease_id_previous": "x-" + t.LeaseIDPrevious, "x_lease_property_id_previous": nil,
		"x_unit_id_next": nil, "x_unit_id_previous": nil, "resident_type": nil, "resident_type_raw": nil,
		"lease_status_next": nil, "lease_status_next_raw": nil, "lease_status_previous": nil, "lease_status_previous_raw": nil,
		"transfer_effective_date": null(t.EffectiveDate), "integration_id": t.IntegrationID, "property_id": t.PropertyID,
		"resident_id": t.ResidentID, "lease_id_next": t.LeaseIDNext, "lease_id_previous": t.LeaseIDPrevious,
		"unit_id_next": nil, "unit_id_previous": nil,
	} {
		m[k] = v
	}
	return m
}

// Webhook is a delivery the simulator sends: minimal, naming the changed
// record to re-fetch (docs/partners/propexo.md#webhook-deliveries). The extract documents no payload
// schema; these names are the simulator's (event_id, trigger, model,
// integration_id, record_id), the model one of the webhook model enum
// (leases, residents, lease_transfers here), and the receiver must re-fetch
// regardless. leasegraph's handler reads the same shape (DESIGN.md).
type Webhook struct {
	EventID       string `json:"event_id"`
	Trigger       string `json:"trigger"` // DATA_UPDATE or DATA_NEW (the triggers enum)
	Model         string `json:"model"`   // ModelLeases, ModelResidents or ModelLeaseTransfers
	IntegrationID string `json:"integration_id"`
	RecordID      string `json:"record_id"`
}

// SendWebhook posts w to url signed with secret: header propexo-signature,
// the hex HMAC-SHA256 of the raw body (docs/partners/propexo.md#webhook-deliveries). It returns the
// receiver's status.
func (s *Sim) SendWebhook(ctx context.Context, url, secret string, w Webhook) (int, error) {
	body, err := json.Marshal(w)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("propexo-signature", Sign(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
