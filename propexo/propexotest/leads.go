package propexotest

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The lead read side: a prospect written through the CRM endpoints is a
// lead, listed by GET /v1/leads/ and read by GET /v1/leads/{id}
// (docs/partners/propexo.md#leads).

// phoneFilter is the phone_1 filter's pattern, "10 digit format only"
// (docs/partners/propexo.md#leads).
var phoneFilter = regexp.MustCompile(`^[2-9]\d{9}$`)

// leadParams are GET /v1/leads/'s query parameters in the extract;
// leadFilters those the simulator applies (with order-by and paging).
var (
	leadParams = []string{"order-by", "offset", "limit", "x_id", "x_property_id", "location_id", "x_unit_id", "email_1",
		"email_2", "property_id", "integration_id", "integration_vendor", "phone_1"}
	leadFilters = []string{"order-by", "offset", "limit", "x_id", "email_1", "integration_id", "phone_1"}
)

// listLeads pages the leads, newest first unless order-by says otherwise.
func (s *Sim) listLeads(w http.ResponseWriter, r *http.Request) {
	if s.readFails(w, r) {
		return
	}
	q := r.URL.Query()
	var issues []Issue
	// Every parameter the extract documents for GET /v1/leads/ is known; of
	// its filters those a lead here can be matched by are applied, and the
	// others (the property, location, unit, email_2, vendor) are refused
	// rather than ignored, so that no caller believes a filter worked that
	// would, at Propexo, answer fewer leads (docs/partners/propexo.md#leads).
	for k := range q {
		switch {
		case !slices.Contains(leadParams, k):
			issues = append(issues, Issue{Code: "unrecognized_keys", Path: []any{}, Message: "Unrecognized key(s) in object: '" + k + "'"})
		case !slices.Contains(leadFilters, k) && q.Get(k) != "":
			issues = append(issues, issue("custom", k, "filter "+k+" is not simulated"))
		}
	}
	// offset: minimum 0, default 0; limit: 0 to 250, default 100
	// (docs/partners/propexo.md#paging).
	offset := intParam(q.Get("offset"), 0, 0, -1, "offset", &issues)
	limit := intParam(q.Get("limit"), 100, 0, 250, "limit", &issues)
	phone := q.Get("phone_1")
	if phone != "" && !phoneFilter.MatchString(phone) {
		issues = append(issues, issue("invalid_string", "phone_1", "Invalid"))
	}
	// order-by: a field, optionally ":asc" or ":desc"; default created_at:desc
	// (docs/partners/propexo.md#paging).
	field, dir, _ := strings.Cut(cmpStr(q.Get("order-by"), "created_at:desc"), ":")
	if (field != "created_at" && field != "updated_at") || (dir != "" && dir != "asc" && dir != "desc") {
		issues = append(issues, issue("invalid_enum_value", "order-by", "Invalid order-by"))
	}
	if len(issues) > 0 {
		writeError(w, http.StatusBadRequest, "invalid_request", "invalid query", issues)
		return
	}
	s.mu.Lock()
	s.stats.LeadReads++
	var all []leadRow
	for _, id := range s.prospectOrder {
		p := s.prospects[id]
		if match(q.Get("integration_id"), p.IntegrationID) && match(q.Get("email_1"), p.Email1) &&
			match(q.Get("x_id"), p.ID) && (phone == "" || lastDigits(p.Phone1) == phone) {
			all = append(all, s.leadRowLocked(p))
		}
	}
	s.mu.Unlock()
	at := func(l leadRow) time.Time {
		if field == "updated_at" {
			return l.updated
		}
		return l.created
	}
	slices.SortStableFunc(all, func(a, b leadRow) int {
		c := at(a).Compare(at(b))
		if dir == "desc" {
			c = -c
		}
		return c
	})
	page := all[min(offset, len(all)):min(offset+limit, len(all))]
	results := make([]map[string]any, len(page))
	for i, p := range page {
		results[i] = lead(p)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"meta": map[string]any{"offset": offset, "limit": limit, "orderBy": []any{},
			"hasMore": offset+len(page) < len(all), "total": len(all)},
		"results": results,
	})
}

// getLead answers one lead; an unknown id is a 400, the only error the
// extract documents (docs/partners/propexo.md#leads).
func (s *Sim) getLead(w http.ResponseWriter, r *http.Request) {
	if s.readFails(w, r) {
		return
	}
	s.mu.Lock()
	s.stats.LeadReads++
	p, ok := s.prospects[r.PathValue("id")]
	var cp leadRow
	if ok {
		cp = s.leadRowLocked(p)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request", "lead "+r.PathValue("id")+" not found", nil)
		return
	}
	// {meta, results: Lead} (docs/partners/propexo.md#leads).
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"offset": 0, "limit": 1, "orderBy": []any{}}, "results": lead(cp)})
}

// leadRow is a prospect and its times.
type leadRow struct {
	Prospect
	created, updated time.Time
}

func (s *Sim) leadRowLocked(p *Prospect) leadRow {
	return leadRow{Prospect: p.clone(), created: s.created[p.ID], updated: s.updated[p.ID]}
}

// lead renders a prospect with the Lead schema's names
// (docs/partners/propexo.md#leads): absent values are null.
func lead(p leadRow) map[string]any {
	str := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	return map[string]any{
		"id": p.ID, "created_at": p.created.UTC().Format(time.RFC3339Nano),
		"updated_at": p.updated.UTC().Format(time.RFC3339Nano), "x_id": p.ID,
		"integration_id": p.IntegrationID, "first_name": str(p.FirstName), "middle_name": str(p.MiddleName),
		"last_name": str(p.LastName), "email_1": str(p.Email1), "phone_1": str(p.Phone1), "phone_2": str(p.Phone2),
		"notes": str(p.Notes), "address_1": str(p.Address1), "address_2": str(p.Address2), "city": str(p.City),
		"state": str(p.State), "zip": str(p.Zip), "country": str(p.Country), "number_of_occupants": p.NumberOfOccupants,
	}
}

func match(filter, v string) bool { return filter == "" || filter == v }

func lastDigits(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	return d[max(0, len(d)-10):]
}

func cmpStr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// intParam reads an integer query parameter within [lo, hi] (hi < 0: no
// maximum), or records an issue.
func intParam(v string, def, lo, hi int, name string, issues *[]Issue) int {
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || (hi >= 0 && n > hi) {
		*issues = append(*issues, issue("invalid_type", name, "Expected an integer between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi)))
		return def
	}
	return n
}
